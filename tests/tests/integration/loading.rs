//! Loading packages: broken and hostile packages are refused with an error naming the
//! file, and never stop the others; compiled components are cached by BLAKE3.

use dive_integration_tests::{guest_wasm, make_package};
use dive_runtime::engine::{CacheOutcome, EngineOptions};
use dive_runtime::{CallError, Outcome, Runtime, RuntimeConfig};

async fn load(sources: Vec<std::path::PathBuf>, cache: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        tool_sources: sources,
        engine: EngineOptions {
            cache_dir: Some(cache.to_path_buf()),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_packages_are_refused_and_the_rest_load() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pool = root.path().join("pool");
    let probe = guest_wasm("sandbox-probe");
    let good = make_package(&pool.join("a_good"), &probe, "domain = \"general\"\n");

    // bad bytes
    let bad = pool.join("b_bad_bytes");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("tool.wasm"), b"\0asm\x0d\0\x01\0garbage garbage").unwrap();
    std::fs::write(bad.join("dive-tool.toml"), "component = \"tool.wasm\"\ndomain = \"general\"\n").unwrap();
    // wrong world: a wasi:cli command
    make_package(&pool.join("c_wrong_world"), &guest_wasm("plain-command"), "domain = \"general\"\n");
    // list-tools traps
    make_package(&pool.join("d_trap_on_list"), &guest_wasm("trap-on-list"), "domain = \"general\"\n");
    // malformed manifest
    make_package(&pool.join("e_bad_manifest"), &probe, "domain = \"general\"\n[policy]\ntimeout_ms = \"soon\"\n");
    // missing component
    let missing = pool.join("f_missing_component");
    std::fs::create_dir_all(&missing).unwrap();
    std::fs::write(missing.join("dive-tool.toml"), "component = \"nope.wasm\"\ndomain = \"general\"\n").unwrap();
    // the same tools again: duplicate names
    make_package(&pool.join("g_duplicate"), &probe, "domain = \"medical\"\n");
    // a [tools.X] section for a tool the component lacks
    make_package(&pool.join("h_unknown_tool_section"), &probe, "domain = \"general\"\n[tools.no_such_tool.policy]\nnetwork = []\n");

    let rt = load(vec![pool.clone()], cache.path()).await;
    assert!(rt.tool("probe_echo").is_some(), "the good package loaded");
    assert_eq!(rt.tool("probe_echo").unwrap().package.manifest.dir, good);
    let issues: Vec<String> = rt.load_issues().iter().map(|i| i.to_string()).collect();
    let find = |dir: &str, needle: &str| {
        assert!(
            issues.iter().any(|i| i.contains(dir) && i.contains(needle)),
            "no issue for {dir} containing {needle:?} in {issues:#?}"
        )
    };
    find("b_bad_bytes", "not a usable WebAssembly component");
    find("c_wrong_world", "does not export dive:tool/tool");
    find("d_trap_on_list", "list-tools failed");
    find("e_bad_manifest", "timeout_ms");
    find("f_missing_component", "nope.wasm");
    find("g_duplicate", "a_good/dive-tool.toml");
    find("h_unknown_tool_section", "no_such_tool");
    assert_eq!(issues.len(), 7, "{issues:#?}");

    // The host is unaffected: calls work.
    let out = rt
        .call("probe_echo", r#"{"text":"still here"}"#, &dive_runtime::CallOptions::live(dive_runtime::DeterminismConfig { seed: 0, clock_ns: 0 }))
        .await
        .unwrap();
    assert!(matches!(out.outcome, Outcome::Ok(_)), "{:?}", out.outcome);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_deserializes_instead_of_compiling() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pkg = make_package(&root.path().join("p"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");

    let first = load(vec![pkg.clone()], cache.path()).await;
    assert_eq!(first.packages()[0].cache(), Some(CacheOutcome::Compiled));
    let hash = first.packages()[0].component_hash.to_hex().to_string();
    drop(first);
    let entries: Vec<String> = std::fs::read_dir(cache.path().join("components"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].starts_with(&hash), "keyed by the component's BLAKE3: {entries:?}");

    // The second start knows the package from the pool index; its first call loads the
    // component, from the cache.
    let second = load(vec![pkg.clone()], cache.path()).await;
    assert_eq!(second.packages()[0].cache(), None);
    let out = second.call("probe_echo", r#"{"text":"x"}"#, &call_opts()).await.unwrap();
    assert!(matches!(out.outcome, Outcome::Ok(_)), "{:?}", out.outcome);
    assert_eq!(second.packages()[0].cache(), Some(CacheOutcome::Hit));

    // The entry rewritten in place (truncated) under a running process: what that process
    // mapped is a sealed copy, so its calls go on (a mapping of the entry itself would
    // take SIGBUS here).
    let entry = cache.path().join("components").join(&entries[0]);
    std::fs::write(&entry, b"").unwrap();
    for _ in 0..3 {
        let out = second.call("probe_echo", r#"{"text":"still here"}"#, &call_opts()).await.unwrap();
        assert!(matches!(&out.outcome, Outcome::Ok(t) if t.contains("still here")), "{:?}", out.outcome);
    }
    drop(second);

    // A corrupted cache entry is thrown away and rebuilt, never trusted.
    std::fs::write(&entry, b"not a compiled component").unwrap();
    let third = load(vec![pkg], cache.path()).await;
    third.call("probe_echo", r#"{"text":"x"}"#, &call_opts()).await.unwrap();
    assert_eq!(third.packages()[0].cache(), Some(CacheOutcome::Compiled));
    assert!(third.tool("probe_echo").is_some());
}

/// Past the index's racy window (`dive_runtime::index::RACY_WINDOW`): a component copied
/// this long before its entry was written is vouched for by its stamp alone.
fn wait_out_the_racy_window() {
    std::thread::sleep(dive_runtime::index::RACY_WINDOW + std::time::Duration::from_millis(200));
}

fn tool_names(rt: &Runtime) -> Vec<String> {
    rt.tools().map(|t| t.spec.name.clone()).collect()
}

fn from_index(rt: &Runtime) -> Vec<(String, bool)> {
    rt.packages().iter().map(|p| (p.name.clone(), p.from_index)).collect()
}

fn call_opts() -> dive_runtime::CallOptions {
    dive_runtime::CallOptions::live(dive_runtime::DeterminismConfig { seed: 0, clock_ns: 0 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_notices_an_edited_manifest_a_replaced_component_and_a_removed_package() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pool = root.path().join("pool");
    let a = make_package(&pool.join("a"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");
    let b = make_package(&pool.join("b"), &guest_wasm("codon_table"), "domain = \"biological\"\n");

    let first = load(vec![pool.clone()], cache.path()).await;
    assert!(first.load_issues().is_empty(), "{:?}", first.load_issues());
    assert_eq!(from_index(&first), [("a".into(), false), ("b".into(), false)]);
    let names = tool_names(&first);
    assert!(names.contains(&"probe_echo".to_string()) && names.iter().any(|n| n.starts_with("codon_table")), "{names:?}");
    let specs: Vec<_> = first.tools().map(|t| ((*t.spec).clone(), t.identity.clone(), t.domain())).collect();
    drop(first);

    // A second start takes everything from the index: same specs, same identities (what
    // traces record), and nothing of the components read until a call needs one.
    wait_out_the_racy_window();
    let second = load(vec![pool.clone()], cache.path()).await;
    assert_eq!(from_index(&second), [("a".into(), true), ("b".into(), true)]);
    let again: Vec<_> = second.tools().map(|t| ((*t.spec).clone(), t.identity.clone(), t.domain())).collect();
    assert_eq!(again, specs);
    assert!(second.packages().iter().all(|p| p.cache().is_none()), "no component loaded yet");
    let out = second.call("probe_echo", r#"{"text":"hi"}"#, &call_opts()).await.unwrap();
    assert!(matches!(out.outcome, Outcome::Ok(_)), "{:?}", out.outcome);
    assert_eq!(out.tool, specs.iter().find(|s| s.0.name == "probe_echo").unwrap().1);
    assert_eq!(second.packages()[0].cache(), Some(CacheOutcome::Hit), "compiled by the first start");
    assert_eq!(second.packages()[1].cache(), None, "b was never called");
    drop(second);

    // An edited manifest is read again: the new domain and policy show.
    std::fs::write(a.join("dive-tool.toml"), "component = \"tool.wasm\"\ndomain = \"medical\"\n[policy]\ntimeout_ms = 1234\n").unwrap();
    let third = load(vec![pool.clone()], cache.path()).await;
    assert_eq!(third.tool("probe_echo").unwrap().domain(), dive_runtime::Domain::Medical);
    assert_eq!(third.tool("probe_echo").unwrap().policy.timeout_ms, 1234);
    assert_eq!(from_index(&third), [("a".into(), false), ("b".into(), true)]);
    drop(third);

    // A replaced component: its tools are listed again (the stamp differs at once; the
    // entry is racy too, so the bytes are hashed again as well).
    std::fs::copy(guest_wasm("iupac_data"), b.join("tool.wasm")).unwrap();
    let fourth = load(vec![pool.clone()], cache.path()).await;
    let names = tool_names(&fourth);
    assert!(!names.iter().any(|n| n.starts_with("codon_table")), "the old tools are gone: {names:?}");
    assert!(names.iter().any(|n| n.starts_with("iupac")), "the new tools are there: {names:?}");
    assert_eq!(from_index(&fourth)[1], ("b".into(), false));
    drop(fourth);

    // A removed package: its tools are gone.
    std::fs::remove_dir_all(&a).unwrap();
    let fifth = load(vec![pool.clone()], cache.path()).await;
    assert!(fifth.tool("probe_echo").is_none());
    assert_eq!(fifth.packages().len(), 1);
    assert!(fifth.load_issues().is_empty(), "{:?}", fifth.load_issues());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_replaced_within_the_racy_window_is_noticed() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pkg = make_package(&root.path().join("p"), &guest_wasm("codon_table"), "domain = \"biological\"\n");
    let first = load(vec![pkg.clone()], cache.path()).await;
    let before = tool_names(&first);
    drop(first);
    // Rewritten in place (same inode) right away, within the timestamp granularity.
    let bytes = std::fs::read(pkg.join("tool.wasm")).unwrap();
    std::fs::copy(guest_wasm("iupac_data"), pkg.join("tool.wasm")).unwrap();
    let second = load(vec![pkg.clone()], cache.path()).await;
    assert_ne!(tool_names(&second), before);
    drop(second);
    // And back to the first component's bytes: listed again, the same as at first.
    std::fs::write(pkg.join("tool.wasm"), &bytes).unwrap();
    let third = load(vec![pkg], cache.path()).await;
    assert_eq!(tool_names(&third), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_changed_after_start_is_refused_at_its_call_not_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pkg = make_package(&root.path().join("p"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");
    drop(load(vec![pkg.clone()], cache.path()).await);
    let rt = load(vec![pkg.clone()], cache.path()).await;
    assert!(rt.packages()[0].from_index);
    // The component changes after the runtime read the index, before the first call.
    std::fs::copy(guest_wasm("codon_table"), pkg.join("tool.wasm")).unwrap();
    let err = rt.call("probe_echo", r#"{"text":"hi"}"#, &call_opts()).await.unwrap_err();
    assert!(err.to_string().contains("changed since it was indexed"), "{err}");
    assert!(matches!(err, CallError::Internal { .. }), "{err}");
    drop(rt);
    let next = load(vec![pkg], cache.path()).await;
    assert!(next.tool("probe_echo").is_none() && !next.packages()[0].from_index);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_foreign_or_shared_index_is_rebuilt_never_trusted() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pkg = make_package(&root.path().join("p"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");
    let first = load(vec![pkg.clone()], cache.path()).await;
    let names = tool_names(&first);
    drop(first);
    let index = cache.path().join("index");
    let entries: Vec<std::path::PathBuf> = std::fs::read_dir(&index).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(entry).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&index).unwrap().permissions().mode() & 0o777, 0o700);
    let good = std::fs::read_to_string(entry).unwrap();

    let tampered = [
        "not json at all".to_string(),
        String::new(),
        good.replace("probe_echo", "Not A Name"),
        good.replace("\"version\":1", "\"version\":99"),
        good.replacen("\"tools\":[", "\"tools\":[{\"name\":\"extra\",\"description\":\"\",\"input_schema\":\"text\",\"output_schema\":null},", 1),
        good.replacen('{', "{\"unknown\":1,", 1),
        good.replace("\"tools\":", "\"tools\":[],\"x\":"),
        // JSON that serde_json reads as raw text at any depth but will not parse into a
        // value (deeper than 127): refused when the entry is read, not a panic at the call.
        good.replacen("\"input_schema\":{", &format!("\"input_schema\":{{\"deep\":{}1{},", "{\"a\":".repeat(300), "}".repeat(300)), 1),
    ];
    for bad in tampered {
        std::fs::write(entry, &bad).unwrap();
        let rt = load(vec![pkg.clone()], cache.path()).await;
        assert_eq!(tool_names(&rt), names, "with entry {bad:.80}");
        assert!(!rt.packages()[0].from_index, "a bad entry is not used: {bad:.80}");
    }
    // A good entry that others may write is not used either.
    std::fs::write(entry, &good).unwrap();
    std::fs::set_permissions(entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    let rt = load(vec![pkg.clone()], cache.path()).await;
    assert!(!rt.packages()[0].from_index);
    // … and is rewritten private, then used.
    let rt = load(vec![pkg], cache.path()).await;
    assert!(rt.packages()[0].from_index);
    assert_eq!(tool_names(&rt), names);
}

#[test]
fn tools_list_from_the_index_prints_what_a_full_load_prints() {
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pool = dive_integration_tests::builtin_pool_dir();
    let run = |cache_dir: &std::path::Path, args: &[&str]| {
        let mut cmd = std::process::Command::new(dive_integration_tests::dive_bin());
        cmd.env_clear().envs(dive_integration_tests::isolated_env(home.path()));
        cmd.env("DIVE_CACHE_DIR", cache_dir);
        for p in ["bio_seq", "codon_table", "restriction"] {
            cmd.arg("--tools").arg(pool.join(p));
        }
        let out = cmd.args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let commands: [&[&str]; 4] = [
        &["--json", "tools", "list"],
        &["tools", "list"],
        &["--json", "tools", "show", "bio_seq_translate"],
        &["tools", "export", "--format", "anthropic"],
    ];
    // Full loads first: an index dir that others may write is neither read nor
    // trusted, so every command loads every package (the components from the cache).
    use std::os::unix::fs::PermissionsExt;
    let index = cache.path().join("index");
    std::fs::create_dir(&index).unwrap();
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o777)).unwrap();
    let full: Vec<Vec<u8>> = commands.iter().map(|c| run(cache.path(), c)).collect();
    let call = ["call", "bio_seq_translate", r#"{"sequence":"ATGGCCTAG"}"#];
    let full_call = run(cache.path(), &call);
    // Then from the index those runs wrote (the built pool's components are old: their
    // stamps vouch for them).
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o700)).unwrap();
    for (c, expected) in commands.iter().zip(&full) {
        assert_eq!(&run(cache.path(), c), expected, "dive {c:?} from the index");
    }
    assert_eq!(run(cache.path(), &call), full_call);
}

/// A runtime sized for one call at a time (`dive call`, `dive tools`: one fiber stack,
/// `EngineOptions::concurrent_calls`) still runs any number of calls started at once:
/// they wait their turn instead of failing for want of a stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_call_engine_queues_concurrent_calls() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pkg = make_package(&root.path().join("p"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");
    let rt = Runtime::new(RuntimeConfig {
        tool_sources: vec![pkg],
        engine: EngineOptions { cache_dir: Some(cache.path().to_path_buf()), concurrent_calls: 1, ..Default::default() },
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(rt.engine().concurrent_calls(), 1);
    let calls = (0..16).map(|i| {
        let rt = rt.clone();
        tokio::spawn(async move { rt.call("probe_echo", &format!(r#"{{"text":"call {i}"}}"#), &call_opts()).await })
    });
    for (i, call) in calls.collect::<Vec<_>>().into_iter().enumerate() {
        let out = call.await.unwrap().unwrap();
        assert!(matches!(&out.outcome, Outcome::Ok(t) if t.contains(&format!("call {i}"))), "call {i}: {:?}", out.outcome);
    }
}
