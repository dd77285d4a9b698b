//! Loading packages: broken and hostile packages are refused with an error naming the
//! file, and never stop the others; compiled components are cached by BLAKE3.

use dive_integration_tests::{guest_wasm, make_package};
use dive_runtime::engine::{CacheOutcome, EngineOptions};
use dive_runtime::{Runtime, RuntimeConfig};

async fn load(sources: Vec<std::path::PathBuf>, cache: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        tool_sources: sources,
        engine: EngineOptions {
            cache_dir: Some(cache.to_path_buf()),
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
    assert_eq!(out.outcome.exit_code(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_deserializes_instead_of_compiling() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pkg = make_package(&root.path().join("p"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");

    let first = load(vec![pkg.clone()], cache.path()).await;
    assert_eq!(first.packages()[0].cache, CacheOutcome::Compiled);
    let hash = first.packages()[0].component_hash.to_hex().to_string();
    drop(first);
    let entries: Vec<String> = std::fs::read_dir(cache.path().join("components"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].starts_with(&hash), "keyed by the component's BLAKE3: {entries:?}");

    let second = load(vec![pkg.clone()], cache.path()).await;
    assert_eq!(second.packages()[0].cache, CacheOutcome::Hit);
    drop(second);

    // A corrupted cache entry is thrown away and rebuilt, never trusted.
    let entry = cache.path().join("components").join(&entries[0]);
    std::fs::write(&entry, b"not a compiled component").unwrap();
    let third = load(vec![pkg], cache.path()).await;
    assert_eq!(third.packages()[0].cache, CacheOutcome::Compiled);
    assert!(third.tool("probe_echo").is_some());
}
