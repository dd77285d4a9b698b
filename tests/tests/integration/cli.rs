//! The `dive` command line as a user runs it: output formats, exit codes (0 ok, 1 tool
//! failed, 2 bad usage or input, 3 sandbox violation), global options and environment.

use dive_integration_tests::{dive_bin, echo_handler, guest_wasm, isolated_env, make_package, repo_root, Fixture, Out};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const LOGICAL: &str = "https://api.example.test";

/// Run `dive` with a clean environment: no built-in pool, a private store and cache.
async fn dive(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = tokio::process::Command::new(dive_bin());
    cmd.args(args).current_dir(home).env_clear().envs(isolated_env(home));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().await.unwrap();
    Out::of(o)
}

fn probe(home: &Path) -> PathBuf {
    make_package(
        &home.join("pkgs/probe"),
        &guest_wasm("sandbox-probe"),
        &format!(
            "domain = \"general\"\n[policy]\nnetwork = [\"{LOGICAL}\"]\nsecrets = [\"API_KEY\"]\ntimeout_ms = 2000\n\
             [secrets.API_KEY]\nheader = \"x-api-key\"\nrequired = false\n"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_list_show_and_export() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();

    let o = dive(home.path(), &["tools", "list", "--tools", tools], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 14, "one line per tool: {}", o.stdout);
    assert!(lines.iter().any(|l| l.starts_with("probe_http ") && l.contains("general")));

    let o = dive(home.path(), &["tools", "list", "--json"], &[("DIVE_TOOLS", tools)]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let arr = o.json();
    assert_eq!(arr.as_array().unwrap().len(), 14, "DIVE_TOOLS is read");
    let echo = arr.as_array().unwrap().iter().find(|t| t["name"] == "probe_echo").unwrap();
    assert_eq!(echo["input_schema"]["required"], json!(["text"]));
    assert!(echo["description"].as_str().unwrap().len() > 5);

    let o = dive(home.path(), &["tools", "list", "--domain", "medical", "--tools", tools], &[]).await;
    assert_eq!((o.code, o.stdout.as_str()), (0, ""));
    let o = dive(home.path(), &["tools", "list", "--domain", "astrology", "--tools", tools], &[]).await;
    assert_eq!(o.code, 2, "bad usage: {}", o.stderr);

    let o = dive(home.path(), &["tools", "show", "probe_http", "--json", "--tools", tools], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = o.json();
    assert_eq!(v["component"]["blake3"].as_str().unwrap().len(), 64);
    assert_eq!(v["policy"]["network"], json!([LOGICAL]));
    assert_eq!(v["policy"]["timeout_ms"], 2000);
    let o = dive(home.path(), &["tools", "show", "probe_htp", "--tools", tools], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("unknown tool"), "{}", o.stderr);

    let o = dive(home.path(), &["tools", "export", "--format", "openai", "--tools", tools], &[]).await;
    assert_eq!(o.code, 0);
    let v = o.json();
    let f = &v.as_array().unwrap()[0];
    assert_eq!(f["type"], "function");
    assert_eq!(f["function"]["parameters"]["type"], "object");
    assert!(f["function"]["parameters"].get("$schema").is_none());
    let o = dive(home.path(), &["tools", "export", "--format", "mcp", "--tools", tools], &[]).await;
    let v = o.json();
    assert_eq!(v["tools"].as_array().unwrap().len(), 14);
    assert!(v["tools"][0]["inputSchema"].is_object());
    let http = v["tools"].as_array().unwrap().iter().find(|t| t["name"] == "probe_http").unwrap();
    assert_eq!(http["annotations"]["readOnlyHint"], true);
    assert_eq!(http["annotations"]["openWorldHint"], true, "its policy allows network");
    assert_eq!(http["title"], "Probe http");

    // Choosing tools, Anthropic's format, a name that is not there.
    let o = dive(home.path(), &["tools", "export", "--format", "anthropic", "--tool", "probe_echo", "--tool", "probe_http", "--tools", tools], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = o.json();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["probe_echo", "probe_http"]);
    assert!(v[0]["input_schema"]["properties"].is_object());
    let o = dive(home.path(), &["tools", "export", "--format", "openai", "--tool", "probe_ech", "--tools", tools], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("did you mean 'probe_echo'"), "{}", o.stderr);
    let o = dive(home.path(), &["tools", "export", "--format", "mcp", "--strict", "--tools", tools], &[]).await;
    assert_eq!(o.code, 2, "--strict is for openai: {}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_export_of_the_built_in_pool() {
    let home = tempfile::tempdir().unwrap();
    let pool = dive_integration_tests::builtin_pool_dir();
    let o = dive(home.path(), &["tools", "export", "--format", "openai", "--strict"], &[("DIVE_BUILTIN_TOOLS", pool.to_str().unwrap())]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let all = o.json();
    let all = all.as_array().unwrap();
    assert!(all.len() >= 373);
    let strict: Vec<&Value> = all.iter().filter(|t| t["function"]["strict"] == true).collect();
    for t in &strict {
        dive_export::strict::check_strict(&t["function"]["parameters"])
            .unwrap_or_else(|e| panic!("{}: {e}", t["function"]["name"]));
    }
    // The rest say why (free-form maps); the count is reported on stderr.
    assert!(o.stderr.contains(&format!("{} of {} tools in strict mode", strict.len(), all.len())), "{}", o.stderr);
    assert_eq!(strict.len(), all.len(), "every built-in tool has a strict-mode form");
    let o = dive(home.path(), &["tools", "export", "--format", "openai", "--domain", "biological"], &[("DIVE_BUILTIN_TOOLS", pool.to_str().unwrap())]).await;
    let n = o.json().as_array().unwrap().len();
    assert!(n > 40 && n < 128, "one domain fits an OpenAI request: {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = pkg.to_str().unwrap();

    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", r#"{"text":"hi","times":2}"#], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json(), json!({"echo": "hihi"}));

    // Schema failure: exit 2, the message names the field and the rule.
    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", r#"{"text":"hi","times":500}"#], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("/times") && o.stderr.contains("100"), "{}", o.stderr);
    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", "not json"], &[]).await;
    assert_eq!(o.code, 2);
    let o = dive(home.path(), &["--tools", t, "call", "no_such_tool", "{}"], &[]).await;
    assert_eq!(o.code, 2);
    assert_eq!(o.json()["error"]["kind"], "unknown_tool");

    // The tool failed: exit 1, error JSON on stdout.
    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", r#"{"text":"fail-upstream"}"#], &[]).await;
    assert_eq!(o.code, 1);
    assert_eq!(o.json()["error"]["kind"], "upstream");
    let o = dive(home.path(), &["--tools", t, "call", "probe_panic", "{}"], &[]).await;
    assert_eq!(o.code, 1);
    assert_eq!(o.json()["error"]["kind"], "trap");

    // Sandbox violations: exit 3, naming the rule.
    let o = dive(home.path(), &["--tools", t, "call", "probe_http", r#"{"url":"https://elsewhere.test/"}"#], &[]).await;
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(o.json()["error"]["rule"], "network");
    let o = dive(home.path(), &["--tools", t, "call", "probe_spin", "{}"], &[]).await;
    assert_eq!(o.code, 3);
    assert_eq!(o.json()["error"]["rule"], "timeout_ms");

    // Usage errors.
    let o = dive(home.path(), &["--tools", "/no/such/dir", "tools", "list"], &[]).await;
    assert_eq!(o.code, 2);
    let o = dive(home.path(), &["frobnicate"], &[]).await;
    assert_eq!(o.code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_private_network_and_secrets_options() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = pkg.to_str().unwrap();
    let f = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", f.url());
    let args = json!({"url": format!("{LOGICAL}/echo?x=1")}).to_string();

    // A loopback mirror needs the explicit switch.
    let o = dive(home.path(), &["--tools", t, "--upstream", &up, "call", "probe_http", &args], &[]).await;
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(o.json()["error"]["rule"], "private_address");

    std::fs::write(home.path().join("secrets.env"), "API_KEY=from-the-file-123\n").unwrap();
    // A community package gets no host secret without a grant (the secret is optional,
    // so the call runs, without it).
    let o = dive(
        home.path(),
        &["--tools", t, "--upstream", &up, "--allow-private-network", "--secrets", "secrets.env", "call", "probe_http", &args],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(f.seen().last().unwrap().header("x-api-key"), None, "not granted: not sent");
    let o = dive(home.path(), &["--tools", t, "tools", "show", "probe_http"], &[]).await;
    assert!(o.stdout.contains("API_KEY: optional, NOT granted (pass --grant probe:API_KEY)"), "{}", o.stdout);
    let o = dive(home.path(), &["--tools", t, "--grant", "probe:API_KEY", "--json", "tools", "show", "probe_http"], &[]).await;
    assert_eq!(o.json()["secrets"][0]["granted"], true, "{}", o.stdout);
    assert_eq!(o.json()["package"]["trust"], "community", "{}", o.stdout);

    let o = dive(
        home.path(),
        &["--tools", t, "--upstream", &up, "--allow-private-network", "--secrets", "secrets.env", "--grant", "probe:API_KEY", "call", "probe_http", &args],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["status"], 200);
    assert_eq!(f.seen().last().unwrap().header("x-api-key"), Some("from-the-file-123"));
    assert!(!o.stdout.contains("from-the-file-123"));

    // The same through the environment.
    let o = dive(
        home.path(),
        &["--tools", t, "call", "probe_http", &args],
        &[("DIVE_UPSTREAM", &up), ("DIVE_ALLOW_PRIVATE_NETWORK", "1"), ("API_KEY", "from-env-456"), ("DIVE_GRANTS", "other:X,probe:API_KEY")],
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(f.seen().last().unwrap().header("x-api-key"), Some("from-env-456"));

    // A value too short to mask (every occurrence in a response would be) is refused:
    // exit 2 naming the secret, before any request, without printing the value.
    let before = f.seen().len();
    let o = dive(
        home.path(),
        &["--tools", t, "call", "probe_http", &args],
        &[("DIVE_UPSTREAM", &up), ("DIVE_ALLOW_PRIVATE_NETWORK", "1"), ("API_KEY", "k9z"), ("DIVE_GRANTS", "probe:API_KEY")],
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("API_KEY") && o.stderr.contains("8 characters") && !o.stderr.contains("k9z"), "{}", o.stderr);
    assert_eq!(f.seen().len(), before, "no request sent");

    let o = dive(home.path(), &["--tools", t, "--upstream", "nonsense", "call", "probe_echo", r#"{"text":"x"}"#], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("ORIGIN=URL"), "{}", o.stderr);
    let o = dive(home.path(), &["--tools", t, "--grant", "probe", "call", "probe_echo", r#"{"text":"x"}"#], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("PACKAGE:SECRET"), "{}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_replay_fsck_through_the_cli() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = pkg.to_str().unwrap();
    let mut f = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", f.url());
    let args = json!({"url": format!("{LOGICAL}/echo?r=1")}).to_string();

    let o = dive(
        home.path(),
        &["--tools", t, "--upstream", &up, "--allow-private-network", "call", "probe_http", &args, "--record", "--ref", "demo/first"],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let id = o.stderr.lines().find_map(|l| l.strip_prefix("trace ")).expect("trace id on stderr").to_string();
    assert_eq!(id.len(), 64);
    assert!(home.path().join(".dive/store/traces").is_dir(), "default store under the working directory");
    f.stop();

    // Offline: no upstream, no switch, fixture gone.
    for what in [id.as_str(), &id[..10], "demo/first"] {
        let o = dive(home.path(), &["--tools", t, "replay", what], &[]).await;
        assert_eq!(o.code, 0, "{what}: {} {}", o.stdout, o.stderr);
        assert!(o.stderr.contains(&format!("trace {id} reproduced")), "{}", o.stderr);
    }
    let o = dive(home.path(), &["--tools", t, "replay", &id, "--json"], &[]).await;
    assert_eq!(o.json()["replayed_trace"], json!(id));
    let o = dive(home.path(), &["--tools", t, "replay", "deadbeefdeadbeef"], &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);

    let o = dive(home.path(), &["store", "fsck"], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("clean"));
    let o = dive(home.path(), &["store", "ls"], &[]).await;
    assert!(o.stdout.contains(&id) && o.stdout.contains("refs/demo/first"));

    // Corrupt one object: fsck names it and fails; replay fails.
    let objects = home.path().join(".dive/store/objects");
    let sub = std::fs::read_dir(&objects).unwrap().next().unwrap().unwrap().path();
    let obj = std::fs::read_dir(&sub).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&obj).unwrap();
    bytes.push(b'!');
    std::fs::write(&obj, bytes).unwrap();
    let name = format!("{}{}", sub.file_name().unwrap().to_str().unwrap(), obj.file_name().unwrap().to_str().unwrap());
    let o = dive(home.path(), &["store", "fsck"], &[]).await;
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains(&name), "{}", o.stdout);
    let o = dive(home.path(), &["--tools", t, "replay", &id], &[]).await;
    assert_ne!(o.code, 0);
    let o = dive(home.path(), &["store", "gc"], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("dry run"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cassettes_answer_a_call_with_no_network() {
    let home = tempfile::tempdir().unwrap();
    let pkg = make_package(
        &home.path().join("pkgs/probe"),
        &guest_wasm("sandbox-probe"),
        "domain = \"academic\"\n[policy]\nnetwork = [\"https://api.crossref.org\"]\n",
    );
    let t = pkg.to_str().unwrap();
    let cassette = home.path().join("works.yaml");
    std::fs::write(
        &cassette,
        "interactions:\n- request:\n    body: null\n    headers: {}\n    method: GET\n    uri: https://api.crossref.org/works?rows=1&query=dive\n  response:\n    body: {string: '{\"status\":\"ok\",\"message-type\":\"work-list\"}'}\n    headers: {Content-Type: [application/json]}\n    status: {code: 200, message: OK}\nversion: 1\n",
    )
    .unwrap();
    let o = dive(home.path(), &["--tools", t, "call", "probe_http", r#"{"url":"https://api.crossref.org/works?query=dive&rows=1"}"#, "--cassettes"], &[]).await;
    assert_eq!(o.code, 2, "no cassettes imported yet: {}", o.stderr);
    let o = dive(home.path(), &["store", "import-cassette", cassette.to_str().unwrap()], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = dive(home.path(), &["--tools", t, "call", "probe_http", r#"{"url":"https://api.crossref.org/works?query=dive&rows=1"}"#, "--cassettes"], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.json()["body"].as_str().unwrap().contains("work-list"));
    std::fs::write(&cassette, "interactions: [oops").unwrap();
    let o = dive(home.path(), &["store", "import-cassette", cassette.to_str().unwrap()], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("works.yaml"), "{}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_uses_the_compiled_cache() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = pkg.to_str().unwrap();
    let cache = home.path().join("cache");
    let c = cache.to_str().unwrap();
    let o = dive(home.path(), &["--tools", t, "tools", "list"], &[("DIVE_CACHE_DIR", c), ("DIVE_LOG", "info")]).await;
    assert!(o.stderr.contains("compiled and cached"), "{}", o.stderr);
    // Listing again needs no component at all: the pool index has the specs.
    let o = dive(home.path(), &["--tools", t, "tools", "list"], &[("DIVE_CACHE_DIR", c), ("DIVE_LOG", "info")]).await;
    assert!(o.stderr.contains("tools from the pool index"), "{}", o.stderr);
    assert!(!o.stderr.contains("compiled"), "no component loaded: {}", o.stderr);
    assert_eq!(o.code, 0);
    // A call loads its component, from the compiled cache.
    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", r#"{"text":"x"}"#], &[("DIVE_CACHE_DIR", c), ("DIVE_LOG", "info")]).await;
    assert!(o.stderr.contains("loaded from the compiled-component cache"), "{}", o.stderr);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_record_into_one_store_at_once() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = pkg.to_str().unwrap().to_string();
    let writer = |who: &'static str| {
        let home = home.path().to_path_buf();
        let t = t.clone();
        async move {
            let mut ids = Vec::new();
            for i in 0..6 {
                let args = json!({"text": format!("{who}-{i}")}).to_string();
                let o = dive(&home, &["--tools", &t, "call", "probe_echo", &args, "--record", "--clock", "0"], &[]).await;
                assert_eq!(o.code, 0, "{}", o.stderr);
                ids.push(o.stderr.lines().find_map(|l| l.strip_prefix("trace ")).unwrap().to_string());
            }
            ids
        }
    };
    let (a, b) = tokio::join!(writer("a"), writer("b"));
    let o = dive(home.path(), &["store", "fsck", "--json"], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(o.json()["traces_checked"], 12);
    for id in a.iter().chain(&b) {
        let o = dive(home.path(), &["--tools", &t, "replay", id], &[]).await;
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_arguments_come_from_a_file_or_stdin() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = pkg.to_str().unwrap();
    let big = "x".repeat(300_000); // above the 128 KiB limit of one command-line argument
    std::fs::write(home.path().join("args.json"), json!({"text": big}).to_string()).unwrap();
    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", "@args.json"], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["echo"].as_str().unwrap().len(), 300_000);
    let o = dive(home.path(), &["--tools", t, "call", "probe_echo", "@missing.json"], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("missing.json"), "{}", o.stderr);
}

/// `dive tools list | head -1`: when the reader goes away, dive ends quietly (no panic
/// message), like other Unix tools.
#[test]
fn a_closed_output_pipe_ends_dive_quietly() {
    use std::io::Read;
    let mut child = std::process::Command::new(dive_bin())
        .args(["tools", "list"])
        .env("DIVE_BUILTIN_TOOLS", dive_integration_tests::builtin_pool_dir())
        .env("DIVE_CACHE_DIR", repo_root().join("target/test-component-cache"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here: the rest of the listing goes to a closed pipe.
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_lock_pins_components_and_policies() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let t = home.path().join("pkgs");
    let t = t.to_str().unwrap();
    let o = dive(home.path(), &["--tools", t, "tools", "lock"], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lock = std::fs::read_to_string(home.path().join("dive-tools.lock")).unwrap();
    assert!(lock.contains("name = \"probe\"") && lock.contains("trust = \"community\""), "{lock}");
    let locked = ["--tools", t, "--locked", "dive-tools.lock", "call", "probe_echo", r#"{"text":"x"}"#];
    let o = dive(home.path(), &locked, &[]).await;
    assert_eq!(o.code, 0, "the pool as locked runs: {}", o.stderr);

    // A changed policy (a manifest limit), a changed component (a custom section
    // appended: still a valid component), an unlisted package: each refused, exit 2.
    let manifest = pkg.join("dive-tool.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, original.replace("timeout_ms = 2000", "timeout_ms = 2001")).unwrap();
    let o = dive(home.path(), &locked, &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("package probe") && o.stderr.contains("its policy is"), "{}", o.stderr);
    std::fs::write(&manifest, &original).unwrap();

    let wasm = pkg.join("tool.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    bytes.extend_from_slice(&[0x00, 0x05, 0x04, b'd', b'i', b'v', b'e']);
    std::fs::write(&wasm, &bytes).unwrap();
    let o = dive(home.path(), &["--tools", t, "tools", "list"], &[]).await;
    assert!(o.stdout.contains("probe_echo"), "the changed component still loads: {}", o.stderr);
    let o = dive(home.path(), &locked, &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("its component is"), "{}", o.stderr);
    bytes.truncate(bytes.len() - 7);
    std::fs::write(&wasm, &bytes).unwrap();

    make_package(&home.path().join("pkgs/extra"), &guest_wasm("sandbox-probe"), "domain = \"general\"\n");
    let o = dive(home.path(), &["--tools", &home.path().join("pkgs/extra").display().to_string(), "--locked", "dive-tools.lock", "tools", "list"], &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("package extra") && o.stderr.contains("not in the lock"), "{}", o.stderr);
}
