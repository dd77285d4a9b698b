//! Writing a tool (ARCHITECTURE.md §13), in each language, as an author would:
//! `dive tool new` → the scaffold's own test → `dive tool build` → `dive tool check` →
//! `dive call --record` → `dive replay`; then the scaffold edited to try something the
//! policy does not allow (read a host file, reach another origin), stopped by the sandbox.
//!
//! Toolchains: cargo with the wasm32-wasip2 target, componentize-py from the project's
//! virtualenv, componentize-js from the project's node_modules (all from `make setup`).

use dive_integration_tests::{dive_bin, echo_handler, repo_root, Fixture, Out};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The environment over the inherited one (whose rustup and cargo settings the
/// toolchains need: with RUSTUP_AUTO_INSTALL dropped, rustup may reinstall the
/// toolchain mid-test): HOME the test's, the real cargo and rustup homes, no built-in
/// pool, and where the project installed the Python and JavaScript toolchains.
fn toolchain_env(home: &Path) -> Vec<(String, std::ffi::OsString)> {
    let real_home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    let var_or = |name: &str, default: PathBuf| std::env::var_os(name).unwrap_or_else(|| default.into_os_string());
    let root = repo_root();
    vec![
        ("HOME".into(), home.as_os_str().to_owned()),
        ("DIVE_BUILTIN_TOOLS".into(), "".into()),
        ("DIVE_CACHE_DIR".into(), root.join("target/test-component-cache").into_os_string()),
        ("CARGO_HOME".into(), var_or("CARGO_HOME", real_home.join(".cargo"))),
        ("RUSTUP_HOME".into(), var_or("RUSTUP_HOME", real_home.join(".rustup"))),
        // One target dir for every run of these tests: the SDK's dependencies build once.
        ("CARGO_TARGET_DIR".into(), root.join("target/wasm-authoring").into_os_string()),
        ("DIVE_COMPONENTIZE_PY".into(), root.join(".venv/bin/componentize-py").into_os_string()),
        ("DIVE_COMPONENTIZE_JS".into(), root.join("node_modules/.bin/componentize-js").into_os_string()),
        ("DIVE_SDK_DIR".into(), root.join("tool-modules/sdk").into_os_string()),
    ]
}

/// Run a program in `cwd` with the toolchain environment (plus `extra`).
async fn run(program: &Path, args: &[&str], cwd: &Path, home: &Path, extra: &[(&str, &str)]) -> Out {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).current_dir(cwd);
    // No DIVE_* setting of the caller's reaches the runs (a store, a pool, upstreams).
    for (k, _) in std::env::vars_os().filter(|(k, _)| k.to_string_lossy().starts_with("DIVE_")) {
        cmd.env_remove(k);
    }
    cmd.envs(toolchain_env(home));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let o = cmd.output().await.unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Out::of(o)
}

async fn dive(home: &Path, args: &[&str]) -> Out {
    run(&dive_bin(), args, home, home, &[]).await
}

/// new → the scaffold's test → build → check → call --record → replay. Returns the
/// package directory.
async fn lifecycle(home: &Path, lang: &str, native_test: &[&str]) -> PathBuf {
    let pkg = home.join("gc_tool");
    let p = pkg.to_str().unwrap();
    let o = dive(home, &["tool", "new", "gc_tool", "--lang", lang, "--dir", p]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(pkg.join("dive-tool.toml").is_file() && pkg.join("README.md").is_file());
    let manifest = std::fs::read_to_string(pkg.join("dive-tool.toml")).unwrap();
    assert!(manifest.contains("network = []") && manifest.contains("secrets = []"), "an empty policy: {manifest}");

    // The scaffold's own test passes as written.
    let (program, args) = native_test.split_first().unwrap();
    let o = run(Path::new(program), args, &pkg, home, &[]).await;
    assert_eq!(o.code, 0, "the scaffold's test: {}\n{}", o.stdout, o.stderr);

    let o = dive(home, &["tool", "build", p]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(pkg.join("gc_tool.wasm").is_file(), "{}", o.stderr);

    let o = dive(home, &["--json", "tool", "check", p]).await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let report = o.json();
    assert_eq!(report["tools"][0]["name"], "gc_tool");
    assert_eq!(report["tools"][0]["example_source"], "schema", "the example from the schema's examples");
    assert_eq!(report["tools"][0]["call"]["status"], "ok", "{report}");
    assert!(o.stderr.contains("check passed"), "{}", o.stderr);
    let errors: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["level"] == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");

    // The spec dive lists: the description and the x-dive-type made it through.
    let o = dive(home, &["--tools", p, "--json", "tools", "show", "gc_tool"]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let spec = o.json();
    assert_eq!(spec["input_schema"]["properties"]["sequence"]["x-dive-type"], "dna_sequence", "{spec}");
    assert!(spec["description"].as_str().unwrap().contains("GC content"), "{spec}");

    let o = dive(home, &["--tools", p, "call", "gc_tool", r#"{"sequence": "GGCA"}"#, "--record"]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let result = o.json();
    assert_eq!((result["length"].as_u64(), result["gc_fraction"].as_f64()), (Some(4), Some(0.75)), "{result}");
    let id = o.stderr.lines().find_map(|l| l.strip_prefix("trace ")).expect("a trace id").to_string();
    let o = dive(home, &["--tools", p, "--json", "replay", &id]).await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(o.json()["replayed_trace"], Value::String(id.clone()));

    let o = dive(home, &["--tools", p, "call", "gc_tool", r#"{"sequence": "GGXA"}"#]).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.json()["error"]["kind"], "invalid_args", "{}", o.stdout);
    assert!(o.stdout.contains("position 3"), "{}", o.stdout);
    pkg
}

/// `dive tool build` after an edit; it must succeed.
async fn rebuild(home: &Path, pkg: &Path) {
    let o = dive(home, &["tool", "build", pkg.to_str().unwrap()]).await;
    assert_eq!(o.code, 0, "rebuilding {}: {}", pkg.display(), o.stderr);
}

/// A host file the tools must never read.
fn host_secret(home: &Path) -> (PathBuf, &'static str) {
    let path = home.join("host-secret.txt");
    let text = "the-host-secret-4242";
    std::fs::write(&path, text).unwrap();
    (path, text)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The edited tool asked to read a host file: the call fails without its contents.
async fn file_read_is_refused(home: &Path, pkg: &Path) {
    let (secret_path, secret) = host_secret(home);
    let args = serde_json::json!({ "sequence": secret_path }).to_string();
    let o = dive(home, &["--tools", pkg.to_str().unwrap(), "call", "gc_tool", &args]).await;
    assert_ne!(o.code, 0, "{}", o.stdout);
    assert!(!o.stdout.contains(secret) && !o.stderr.contains(secret), "{}\n{}", o.stdout, o.stderr);
    assert!(o.json()["error"].is_object(), "{}", o.stdout);
}

/// The edited tool asked to reach an origin its policy does not list: exit 3, the
/// network rule named, and the origin never saw a request.
async fn other_origin_is_refused(home: &Path, pkg: &Path) {
    // The policy allows one origin and a few requests; the tool tries another origin.
    edit(&pkg.join("dive-tool.toml"), "network = []", "network = [\"https://api.example.org\"]");
    edit(&pkg.join("dive-tool.toml"), "max_http_requests = 0", "max_http_requests = 4");
    let fixture = Fixture::start(echo_handler).await;
    let args = serde_json::json!({ "sequence": format!("{}/echo", fixture.url()) }).to_string();
    let p = pkg.to_str().unwrap();
    let o = dive(home, &["--allow-private-network", "--tools", p, "call", "gc_tool", &args]).await;
    assert_eq!(o.code, 3, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(o.json()["error"]["kind"], "sandbox_violation", "{}", o.stdout);
    assert_eq!(o.json()["error"]["rule"], "network", "{}", o.stdout);
    assert!(fixture.seen().is_empty(), "the request never left the sandbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_tool_from_new_to_replay_and_the_sandbox_holds() {
    let home = tempfile::tempdir().unwrap();
    let cargo = std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| "cargo".into());
    let pkg = lifecycle(home.path(), "rust", &[cargo.to_str().unwrap(), "test", "--quiet"]).await;

    // Edited to read a host file and to fetch a URL it was given.
    edit(
        &pkg.join("src/lib.rs"),
        "    async fn run(args: Args) -> Result<Composition, ToolError> {\n",
        "    async fn run(args: Args) -> Result<Composition, ToolError> {\n\
         \x20       if args.sequence.starts_with('/') {\n\
         \x20           let text = std::fs::read_to_string(&args.sequence).map_err(|e| ToolError::internal(e.to_string()))?;\n\
         \x20           return Err(ToolError::internal(text));\n\
         \x20       }\n\
         \x20       if args.sequence.starts_with(\"http\") {\n\
         \x20           let r = dive_tool_sdk::http::get(&args.sequence).await?;\n\
         \x20           return Err(ToolError::internal(r.text()));\n\
         \x20       }\n",
    );
    rebuild(home.path(), &pkg).await;
    file_read_is_refused(home.path(), &pkg).await;
    other_origin_is_refused(home.path(), &pkg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_tool_from_new_to_replay_and_the_sandbox_holds() {
    let home = tempfile::tempdir().unwrap();
    let python = dive_integration_tests::python();
    let pkg = lifecycle(home.path(), "python", &[python.to_str().unwrap(), "-m", "unittest", "-q"]).await;

    edit(
        &pkg.join("app.py"),
        "    counts = {\"A\": 0",
        "    if sequence.startswith(\"/\"):\n        with open(sequence) as f:\n            raise InvalidArgs(f.read())\n    counts = {\"A\": 0",
    );
    rebuild(home.path(), &pkg).await;
    file_read_is_refused(home.path(), &pkg).await;

    // A policy opened to any host with no need for it: the check passes and says so.
    edit(&pkg.join("dive-tool.toml"), "network = []", "network = [\"*\"]");
    edit(&pkg.join("dive-tool.toml"), "max_http_requests = 0", "max_http_requests = 4");
    let o = dive(home.path(), &["tool", "check", pkg.to_str().unwrap()]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("any public host") && o.stderr.contains("no example call made a request"), "{}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_tool_from_new_to_replay_and_the_sandbox_holds() {
    let home = tempfile::tempdir().unwrap();
    let pkg = lifecycle(home.path(), "js", &["node", "--test"]).await;

    edit(
        &pkg.join("app.js"),
        "    run: ({ sequence }) => composition(sequence),",
        "    run: async ({ sequence }) => {\n      if (sequence.startsWith(\"http\")) return (await fetch(sequence)).text();\n      return composition(sequence);\n    },",
    );
    rebuild(home.path(), &pkg).await;
    let o = dive(home.path(), &["--tools", pkg.to_str().unwrap(), "call", "gc_tool", r#"{"sequence": "GC"}"#]).await;
    assert_eq!(o.code, 0, "an async tool still answers: {}", o.stderr);
    other_origin_is_refused(home.path(), &pkg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authoring_errors_say_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let o = dive(h, &["tool", "new", "Bad-Name", "--lang", "python"]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("snake_case") || o.stderr.contains("lowercase letter"), "{}", o.stderr);

    let o = dive(h, &["tool", "new", "gc_tool", "--lang", "python"]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = dive(h, &["tool", "new", "gc_tool", "--lang", "js"]).await;
    assert_eq!(o.code, 2, "never over an existing package: {}", o.stderr);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);

    // A toolchain that is not there: named, with how to install it.
    let o = run(&dive_bin(), &["tool", "build", "gc_tool"], h, h, &[("DIVE_COMPONENTIZE_PY", "/nonexistent/componentize-py")]).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("needs componentize-py") && o.stderr.contains("pip install componentize-py=="), "{}", o.stderr);

    // Checking before building: the package does not load, and the message says why.
    let o = dive(h, &["tool", "check", "gc_tool"]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("dive tool build"), "{}", o.stderr);

    let o = dive(h, &["tool", "build", "."]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("dive-tool.toml"), "{}", o.stderr);
}

/// The SDK's vendored WIT is the repository's contract, byte for byte.
#[test]
fn the_sdk_carries_the_contract_unchanged() {
    let root = repo_root();
    for rel in ["dive-tool.wit", "deps/cli/cli.wit", "deps/http/http.wit", "deps/io/io.wit", "deps/clocks/clocks.wit", "deps/filesystem/filesystem.wit", "deps/random/random.wit", "deps/sockets/sockets.wit"] {
        let a = std::fs::read(root.join("wit").join(rel)).unwrap();
        let b = std::fs::read(root.join("tool-modules/sdk/wit").join(rel)).unwrap_or_else(|e| panic!("sdk/wit/{rel}: {e}"));
        assert!(a == b, "tool-modules/sdk/wit/{rel} differs from wit/{rel}: copy it again");
    }
}
