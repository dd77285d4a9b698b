//! Untrusted packages and files cannot hurt the host (ARCHITECTURE.md §9).
//!
//! Every case builds its hostile package or crafted file itself, then runs the real
//! `dive` binary under a data-memory limit (`RLIMIT_DATA`, which counts heap and
//! writable private mappings — wasmtime's pools reserve a few GiB of them up front, so
//! the limit is set above that) and a hang guard, checks its peak resident memory
//! (`ru_maxrss`) stays under [`PEAK_RSS_LIMIT`], and that it ends with a clear message
//! and the documented exit code — never a panic (101), a signal or a hang — and that
//! nothing outside the store or the temp dir was touched.
//!
//! This is the one test binary besides `integration`: Linux counts a child's peak
//! resident memory from before its `exec` (the copy of its parent it was forked as), so
//! `ru_maxrss` measures `dive` only when the parent is a small process. Run among the
//! other areas, the parent has loaded pools and servers and every child would report
//! its hundreds of MiB.

use dive_integration_tests::{dive_bin, guest_wasm, isolated_env, make_package};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Heap and writable mappings a run may reserve (wasmtime's stack pool alone maps 2 GiB).
const MEMORY_LIMIT: u64 = 6 << 30;
/// Resident memory a run may peak at: well above what each case needs when bounded,
/// far below what each attack made the host use before (2–8 GiB). The largest honest
/// run here is the first to compile the biological pool's components into a cold cache
/// (`real_task`, all 25): ~400 MiB with glibc's malloc, 530–546 MiB with mimalloc, which keeps
/// freed pages a while before returning them (measured 2026-12-07).
const PEAK_RSS_LIMIT: u64 = 768 << 20;
/// Only a guard against hanging: a run that needs this long has hung.
const HANG_GUARD: Duration = Duration::from_secs(180);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident memory of the run, bytes.
    peak_rss: u64,
}

impl Run {
    fn text(&self) -> String {
        format!("exit {} (peak {} MiB)\nstdout: {}\nstderr: {}", self.code, self.peak_rss >> 20, self.stdout, self.stderr)
    }
}

/// Run `dive ARGS` in `home` under the memory limit (and `umask`, when given).
fn dive_bounded(home: &Path, args: &[&str], umask: Option<u32>) -> Run {
    dive_bounded_env(home, args, &[], umask)
}

/// [`dive_bounded`] with extra environment variables.
fn dive_bounded_env(home: &Path, args: &[&str], env: &[(&str, &str)], umask: Option<u32>) -> Run {
    let mut cmd = Command::new(dive_bin());
    cmd.args(args)
        .current_dir(home)
        .env_clear()
        .envs(isolated_env(home))
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (setrlimit, umask).
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: MEMORY_LIMIT, rlim_max: MEMORY_LIMIT };
            if libc::setrlimit(libc::RLIMIT_DATA, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(m) = umask {
                libc::umask(m as libc::mode_t);
            }
            Ok(())
        });
    }
    // Reaped by the wait4 loop below, which also reads the peak memory.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().expect("dive starts");
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    let started = Instant::now();
    // wait4 rather than Child::wait: it also reports the child's peak resident memory.
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: rusage is plain data, valid when zeroed.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waiting for our own child with valid pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(r >= 0, "wait4: {}", std::io::Error::last_os_error());
        if r == pid {
            break (status, usage);
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("dive {args:?} hung (killed after {HANG_GUARD:?})");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if libc::WIFSIGNALED(status) {
        panic!("dive {args:?} was killed by signal {}: {}", libc::WTERMSIG(status), stderr.join().unwrap());
    }
    let run = Run {
        code: libc::WEXITSTATUS(status),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        peak_rss: usage.ru_maxrss as u64 * 1024,
    };
    assert!(
        run.peak_rss < PEAK_RSS_LIMIT,
        "dive {args:?} peaked at {} MiB resident: {}",
        run.peak_rss >> 20,
        run.text()
    );
    eprintln!("dive {:?}: exit {}, peak {} MiB", args.first(), run.code, run.peak_rss >> 20);
    assert_ne!(run.code, 101, "dive {args:?} panicked: {}", run.text());
    assert!(!run.stderr.contains("panicked"), "dive {args:?} panicked: {}", run.text());
    run
}

fn drain(mut r: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = r.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    })
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo {}", path.display());
}

fn probe_pkg(dir: &Path, manifest_body: &str) -> PathBuf {
    make_package(dir, &guest_wasm("sandbox-probe"), &format!("domain = \"general\"\n{manifest_body}"))
}

/// `dive --tools PKG tools list` and the warning it printed for PKG.
fn load_warning(home: &Path, pkg: &Path) -> Run {
    let run = dive_bounded(home, &["--no-builtin", "--tools", pkg.to_str().unwrap(), "tools", "list"], None);
    assert_eq!(run.code, 0, "{}", run.text());
    assert!(run.stderr.contains("was not loaded"), "the package is refused: {}", run.text());
    assert!(run.stderr.contains(&pkg.display().to_string()), "the warning names the package: {}", run.text());
    assert!(!run.stdout.contains("probe_echo"), "{}", run.text());
    run
}

#[test]
fn hostile_packages_are_refused_with_a_reason() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut tried = 0;
    let mut case = |name: &str, body: &str, prepare: &dyn Fn(&Path), expect: &str| {
        let pkg = probe_pkg(&h.join("pkgs").join(name), body);
        prepare(&pkg);
        let run = load_warning(h, &pkg);
        assert!(run.stderr.contains(expect), "{name}: expected {expect:?}: {}", run.text());
        tried += 1;
    };
    let swap_component = |pkg: &Path, make: &dyn Fn(&Path)| {
        std::fs::remove_file(pkg.join("tool.wasm")).unwrap();
        make(&pkg.join("tool.wasm"));
    };
    // The component: a symlink to a device, a symlink out of the package, a FIFO, a
    // file over the 256 MiB cap (sparse: no disk used).
    case("zero", "", &|p| swap_component(p, &|c| std::os::unix::fs::symlink("/dev/zero", c).unwrap()), "leads outside");
    let outside = h.join("outside.wasm");
    std::fs::copy(guest_wasm("sandbox-probe"), &outside).unwrap();
    case("out", "", &|p| swap_component(p, &|c| std::os::unix::fs::symlink(&outside, c).unwrap()), "leads outside");
    case("fifo", "", &|p| swap_component(p, &mkfifo), "not a regular file (it is a FIFO)");
    case(
        "huge",
        "",
        &|p| swap_component(p, &|c| std::fs::File::create(c).unwrap().set_len((256 << 20) + 1).unwrap()),
        "at most 268435456",
    );
    // The manifest: 8 MB of network entries, a device, caps no manifest may raise.
    case(
        "manifest-big",
        "",
        &|p| {
            let mut f = std::fs::OpenOptions::new().append(true).open(p.join("dive-tool.toml")).unwrap();
            let entry = "\"https://a.example.org\",";
            write!(f, "[policy]\nnetwork = [{}]\n", entry.repeat(8_000_000 / entry.len())).unwrap();
        },
        "at most 1048576",
    );
    case(
        "manifest-many",
        &format!("[policy]\nnetwork = [{}]\n", (0..5000).map(|i| format!("\"https://h{i}.org\"")).collect::<Vec<_>>().join(",")),
        &|_| {},
        "network has 5000 entries",
    );
    case(
        "manifest-zero",
        "",
        &|p| {
            std::fs::remove_file(p.join("dive-tool.toml")).unwrap();
            std::os::unix::fs::symlink("/dev/zero", p.join("dive-tool.toml")).unwrap();
        },
        "leads outside",
    );
    case("response-cap", "[policy]\nmax_response_bytes = 3221225472\n", &|_| {}, "max_response_bytes must be at most");
    case("memory-cap", "[policy]\nmemory_mib = 65536\n", &|_| {}, "memory_mib must be between 1 and 4096");
    case("requests-cap", "[policy]\nmax_http_requests = 100000\n", &|_| {}, "max_http_requests must be at most 1024");
    // A mounted dir with a FIFO (a guest opening it would block a host thread), and
    // one with a symlink out of the package.
    case(
        "mount-fifo",
        "[policy]\nfiles = [\"data\"]\n",
        &|p| {
            std::fs::create_dir_all(p.join("data/deep")).unwrap();
            mkfifo(&p.join("data/deep/pipe"));
        },
        "is a FIFO",
    );
    case(
        "mount-link",
        "[policy]\nfiles = [\"data\"]\n",
        &|p| {
            std::fs::create_dir_all(p.join("data")).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", p.join("data/passwd")).unwrap();
        },
        "symlink out of the package",
    );
    assert_eq!(tried, 12);
}

#[test]
fn a_community_package_gets_no_host_secret_without_a_grant() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe_pkg(
        &home.path().join("pkgs/thief"),
        "[policy]\nnetwork = [\"https://thief.example.test\"]\nsecrets = [\"TUSHARE_TOKEN\"]\n[secrets.TUSHARE_TOKEN]\nheader = \"x-token\"\n",
    );
    let p = pkg.to_str().unwrap();
    let args = r#"{"url": "https://thief.example.test/x"}"#;
    let call = |grant: Option<&str>| {
        let mut argv = vec!["--no-builtin", "--tools", p];
        if let Some(g) = grant {
            argv.extend(["--grant", g]);
        }
        argv.extend(["call", "probe_http", args]);
        // The host has the secret: only the missing grant stops it.
        dive_bounded_env(home.path(), &argv, &[("TUSHARE_TOKEN", "host-secret-value")], None)
    };
    let run = call(None);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("--grant thief:TUSHARE_TOKEN"), "{}", run.text());
    assert!(!run.stdout.contains("host-secret-value") && !run.stderr.contains("host-secret-value"));
    // A grant for another package or another secret is no grant.
    let run = call(Some("other:TUSHARE_TOKEN"));
    assert_eq!(run.code, 2, "{}", run.text());
    let run = call(Some("thief:OTHER"));
    assert_eq!(run.code, 2, "{}", run.text());
}

#[test]
fn a_bad_ref_is_refused_before_the_call_runs() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe_pkg(&home.path().join("pkgs/probe"), "");
    let run = dive_bounded(
        home.path(),
        &["--no-builtin", "--tools", pkg.to_str().unwrap(), "call", "probe_echo", r#"{"text":"x"}"#, "--record", "--ref", "../../x"],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("invalid ref name"), "{}", run.text());
    assert!(!run.stdout.contains("\"x\""), "the tool did not run: {}", run.text());
    let traces = home.path().join(".dive/store/traces");
    let stored = std::fs::read_dir(&traces).map(|d| d.count()).unwrap_or(0);
    assert_eq!(stored, 0, "no trace was stored");
    assert!(!home.path().join("x").exists());
}

/// Record one probe_echo call and return (store, trace id).
fn record_one(home: &Path, pkg: &Path, umask: Option<u32>) -> (dive_runtime::store::Store, String) {
    let run = dive_bounded(
        home,
        &["--no-builtin", "--tools", pkg.to_str().unwrap(), "call", "probe_echo", r#"{"text":"hello"}"#, "--record"],
        umask,
    );
    assert_eq!(run.code, 0, "{}", run.text());
    let id = run.stderr.lines().find_map(|l| l.strip_prefix("trace ")).expect("trace id").trim().to_string();
    (dive_runtime::store::Store::open(home.join(".dive/store")).unwrap(), id)
}

#[test]
fn a_forged_trace_naming_one_blob_many_times_replays_in_bounded_memory() {
    use dive_runtime::trace::{read_trace, write_trace, BlobRef, OutcomeDoc};
    let home = tempfile::tempdir().unwrap();
    let pkg = probe_pkg(&home.path().join("pkgs/probe"), "");
    let (store, id) = record_one(home.path(), &pkg, None);
    let (doc, _) = read_trace(&store, &id).unwrap();
    // 1,500 calls whose recorded results are all one 2 MiB blob: 3 GiB if each
    // reference were loaded into its own buffer.
    let blob = vec![b'a'; 2 << 20];
    let big = BlobRef { blake3: store.put_blob(&blob).unwrap(), len: blob.len() as u64 };
    let mut forged = doc.clone();
    forged.calls = (0..1500u64)
        .map(|i| {
            let mut c = doc.calls[0].clone();
            c.index = i;
            c.outcome = OutcomeDoc::Ok { result: big.clone() };
            c
        })
        .collect();
    let forged_id = write_trace(&store, &forged, vec![]).unwrap();
    let run = dive_bounded(home.path(), &["--no-builtin", "--tools", pkg.to_str().unwrap(), "replay", &forged_id], None);
    // Every call's result differs from the forged one: a divergence, reported (exit 1).
    assert_eq!(run.code, 1, "{}", run.text());
    assert!(run.stdout.contains("differ") || run.stderr.contains("differ") || run.stdout.contains("diverge") || run.stderr.contains("diverge"), "{}", run.text());

    // A trace file that does not hash to its name is bad input: exit 2, saying so.
    std::fs::write(store.trace_path(&forged_id), b"{}").unwrap();
    let run = dive_bounded(home.path(), &["--no-builtin", "--tools", pkg.to_str().unwrap(), "replay", &forged_id], None);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("corrupt") && run.stderr.contains("store fsck"), "{}", run.text());
}

#[test]
fn store_commands_never_follow_links_out_of_the_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let pkg = probe_pkg(&h.join("pkgs/probe"), "");
    let (store, _id) = record_one(h, &pkg, None);
    let root = store.root().to_path_buf();
    let outside = h.join("precious");
    std::fs::create_dir_all(outside.join("sub")).unwrap();
    std::fs::write(outside.join("keep.txt"), "mine").unwrap();
    std::fs::write(outside.join("sub/keep.txt"), "mine").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(86_400);
    for f in ["keep.txt", "sub/keep.txt"] {
        std::fs::File::options().write(true).open(outside.join(f)).unwrap().set_modified(old).unwrap();
    }
    // objects/zz -> a dir outside; an object that is a symlink to /dev/zero; a
    // non-ASCII object dir name; tmp/ -> a dir outside.
    std::os::unix::fs::symlink(&outside, root.join("objects/zz")).unwrap();
    let fake = "ab".to_string() + &"0".repeat(62);
    std::fs::create_dir_all(root.join("objects/ab")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("objects/ab").join(&fake[2..])).unwrap();
    std::fs::create_dir_all(root.join("objects/é")).unwrap();
    std::fs::write(root.join("objects/é/x"), "stray").unwrap();
    std::fs::remove_dir_all(root.join("tmp")).unwrap();
    std::os::unix::fs::symlink(outside.join("sub"), root.join("tmp")).unwrap();

    let s = root.to_str().unwrap();
    let run = dive_bounded(h, &["--store", s, "store", "fsck"], None);
    assert_eq!(run.code, 1, "problems are reported: {}", run.text());
    assert!(run.stdout.contains("objects/zz") && run.stdout.contains("symlink"), "{}", run.text());
    let run = dive_bounded(h, &["--store", s, "store", "gc", "--apply", "--grace-secs", "0"], None);
    assert_eq!(run.code, 0, "{}", run.text());
    assert!(run.stderr.contains("left alone"), "{}", run.text());
    assert_eq!(std::fs::read_to_string(outside.join("keep.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(outside.join("sub/keep.txt")).unwrap(), "mine");
    assert!(std::fs::symlink_metadata(root.join("objects/zz")).is_ok(), "the link itself is left alone");

    // Writing: with tmp/ a symlink out, a recording fails instead of writing there; a
    // ref dir that is a symlink out is not written through either.
    let count = |d: &Path| walk_count(d);
    let before = count(&outside);
    let p = pkg.to_str().unwrap();
    let run = dive_bounded(h, &["--no-builtin", "--tools", p, "call", "probe_echo", r#"{"text":"again"}"#, "--record"], None);
    assert_ne!(run.code, 0, "{}", run.text());
    assert!(run.stderr.contains("tmp"), "{}", run.text());
    std::fs::remove_file(root.join("tmp")).unwrap();
    std::fs::create_dir(root.join("tmp")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("refs/out")).unwrap();
    let run = dive_bounded(h, &["--no-builtin", "--tools", p, "call", "probe_echo", r#"{"text":"again"}"#, "--record", "--ref", "out/x"], None);
    assert_ne!(run.code, 0, "{}", run.text());
    assert_eq!(count(&outside), before, "nothing was written outside the store");
}

/// Files and dirs under `d` (not following symlinks).
fn walk_count(d: &Path) -> usize {
    std::fs::read_dir(d)
        .map(|rd| {
            rd.map(|e| {
                let e = e.unwrap();
                1 + if e.file_type().unwrap().is_dir() { walk_count(&e.path()) } else { 0 }
            })
            .sum()
        })
        .unwrap_or(0)
}

#[test]
fn store_files_honour_the_umask() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe_pkg(&home.path().join("pkgs/probe"), "");
    let (store, id) = record_one(home.path(), &pkg, Some(0o022));
    let trace = store.trace_path(&dive_runtime::Hash::parse(&id).unwrap());
    let mode = std::fs::metadata(&trace).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "a trace under umask 022");
    for h in store.object_hashes().unwrap() {
        let mode = std::fs::metadata(store.object_path(&dive_runtime::Hash::parse(&h).unwrap())).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "object {h}");
    }
    let (store2, id2) = record_one(&tempdir_in(home.path()), &pkg, Some(0o077));
    let mode = std::fs::metadata(store2.trace_path(&dive_runtime::Hash::parse(&id2).unwrap())).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a trace under umask 077");
}

fn tempdir_in(p: &Path) -> PathBuf {
    let d = p.join("second");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn import(home: &Path, file: &Path) -> Run {
    dive_bounded(home, &["store", "import-cassette", file.to_str().unwrap()], None)
}

#[test]
fn crafted_cassettes_are_refused_in_bounded_time_and_memory() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let interaction = |body: &str| {
        format!(
            "interactions:\n- request:\n    method: GET\n    uri: https://a.example.org/x\n    body: null\n    headers: {{}}\n  response:\n    status: {{code: 200, message: OK}}\n    headers: {{}}\n    body: {body}\n"
        )
    };
    // An 8 MiB anchor aliased 1,000 times (8 GB expanded).
    let bomb = h.join("alias.yaml");
    let mut text = format!("anchor: &big \"{}\"\n", "x".repeat(8 << 20));
    text.push_str("copies: [");
    text.push_str(&vec!["*big"; 1000].join(", "));
    text.push_str("]\n");
    text.push_str(&interaction("{string: ok}"));
    std::fs::write(&bomb, text).unwrap();
    let run = import(h, &bomb);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("expands to more than"), "{}", run.text());
    assert!(run.stderr.contains("alias.yaml"), "names the file: {}", run.text());

    // 100,000 levels of nesting.
    let deep = h.join("deep.yaml");
    std::fs::write(&deep, format!("{}{}\n{}", "[".repeat(100_000), "]".repeat(100_000), interaction("{string: ok}"))).unwrap();
    let run = import(h, &deep);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("deeper than"), "{}", run.text());

    // A gzip body that decodes to 320 MiB (the decoded-body cap is 64 MiB).
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..320 {
        gz.write_all(&zeros).unwrap();
    }
    let gz = gz.finish().unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&gz);
    let zip = h.join("gzip.yaml");
    std::fs::write(
        &zip,
        format!(
            "interactions:\n- request:\n    method: GET\n    uri: https://a.example.org/x\n    body: null\n    headers: {{}}\n  response:\n    status: {{code: 200, message: OK}}\n    headers: {{Content-Encoding: [gzip]}}\n    body: {{base64_string: {b64}}}\n"
        ),
    )
    .unwrap();
    let run = import(h, &zip);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("decompresses to more than"), "{}", run.text());

    // A FIFO and a device as cassette files.
    let fifo = h.join("fifo.yaml");
    mkfifo(&fifo);
    let run = import(h, &fifo);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("not a regular file"), "{}", run.text());
    let run = import(h, Path::new("/dev/zero"));
    assert_eq!(run.code, 2, "{}", run.text());

    // Nothing half-imported: no cassette index was written.
    let store = dive_runtime::store::Store::open(h.join(".dive/store")).unwrap();
    assert!(dive_runtime::cassette::list(&store).unwrap().is_empty());
}

/// One real task, built by `dive synth` from the built-in local tools: the template
/// the crafted task lines change.
fn real_task(home: &Path) -> serde_json::Value {
    let pool = dive_integration_tests::builtin_pool_dir();
    let out = home.join("real");
    let run = dive_bounded_env(
        home,
        &["synth", "--domain", "biological", "--local-only", "--count", "1", "--seed", "3", "--out", out.to_str().unwrap()],
        &[("DIVE_BUILTIN_TOOLS", pool.to_str().unwrap())],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.text());
    let text = std::fs::read_to_string(out.join("tasks.jsonl")).unwrap();
    serde_json::from_str(text.lines().next().expect("one task")).unwrap()
}

/// A task line with the given tool graph (everything else from a real task).
fn task_line(template: &serde_json::Value, uuid: &str, nodes: usize, edges: &[(usize, usize)]) -> String {
    let mut v = template.clone();
    v["uuid"] = uuid.into();
    v["tool_graph"]["nodes"] = (0..nodes).map(|i| format!("t{}", i % 3)).collect::<Vec<_>>().into();
    v["tool_graph"]["edges"] = serde_json::to_value(edges).unwrap();
    v.to_string()
}

#[test]
fn hostile_task_files_end_in_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let template = real_task(h);
    let write = |name: &str, text: &str| {
        let p = h.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // A cycle (it overflowed the stack), a graph where each call feeds the next two
    // (exponential before), an edge to a missing node.
    let cycle = write("cycle.jsonl", &task_line(&template, "c", 3, &[(0, 1), (1, 2), (2, 0)]));
    let run = dive_bounded(h, &["stats", cycle.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("cycle") && run.stderr.contains("cycle.jsonl:1"), "{}", run.text());
    let fan: Vec<(usize, usize)> = (0..60).flat_map(|i| [(i, i + 1), (i, i + 2)]).filter(|&(_, j)| j < 60).collect();
    let wide = write("wide.jsonl", &task_line(&template, "w", 60, &fan));
    let run = dive_bounded(h, &["stats", wide.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.text());
    assert!(run.stdout.contains("unique call graphs"), "{}", run.text());
    let out = write("out.jsonl", &task_line(&template, "o", 2, &[(0, 7)]));
    let run = dive_bounded(h, &["stats", out.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.text());
    // Verify reads the same way, and bounds its answers file.
    let run = dive_bounded(h, &["verify", cycle.to_str().unwrap(), "--answers", wide.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.text());
    let fifo = h.join("answers.fifo");
    mkfifo(&fifo);
    let run = dive_bounded(h, &["verify", wide.to_str().unwrap(), "--answers", fifo.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("not a regular file"), "{}", run.text());
    // A line of 20 MiB, and call arguments from a device.
    let long = write("long.jsonl", &format!("{{\"uuid\": \"{}\"}}\n", "x".repeat(20 << 20)));
    let run = dive_bounded(h, &["stats", long.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(run.stderr.contains("long.jsonl:1"), "{}", run.text());
    let run = dive_bounded(h, &["--no-builtin", "call", "anything", "@/dev/zero"], None);
    assert_eq!(run.code, 2, "{}", run.text());
}
