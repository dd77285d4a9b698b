//! The sandbox rules of ARCHITECTURE.md §4, each proved by the probe guest that tries
//! to break it (tests/guests/sandbox-probe), against a loopback fixture upstream.

use dive_integration_tests::{echo_handler, guest_wasm, make_package, Fixture};
use dive_runtime::engine::EngineOptions;
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, CallOptions, DeterminismConfig, Grants, NetworkConfig, Outcome, Runtime, RuntimeConfig, SecretSource};
use serde_json::{json, Value};
use std::path::PathBuf;
use tempfile::TempDir;

const LOGICAL: &str = "https://api.example.test";

fn engine_opts() -> EngineOptions {
    dive_integration_tests::test_engine()
}

struct Setup {
    rt: Runtime,
    _dir: TempDir,
    pkg: PathBuf,
}

async fn setup_with(manifest: &str, network: NetworkConfig, secrets: SecretSource, prepare: impl FnOnce(&std::path::Path)) -> Setup {
    setup_granted(manifest, network, secrets, Grants::default(), prepare).await
}

/// A community package named "probe" with `grants`.
async fn setup_granted(
    manifest: &str,
    network: NetworkConfig,
    secrets: SecretSource,
    grants: Grants,
    prepare: impl FnOnce(&std::path::Path),
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("probe");
    make_package(&pkg, &guest_wasm("sandbox-probe"), manifest);
    prepare(&pkg);
    let rt = Runtime::new(RuntimeConfig {
        tool_sources: vec![pkg.clone()],
        network,
        secrets,
        grants,
        engine: engine_opts(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(rt.load_issues().is_empty(), "{:?}", rt.load_issues());
    Setup { rt, _dir: dir, pkg }
}

async fn setup(manifest: &str, network: NetworkConfig) -> Setup {
    setup_with(manifest, network, SecretSource::none(), |_| {}).await
}

/// Route the logical origin to the fixture (a mirror on loopback).
fn via_fixture(f: &Fixture) -> NetworkConfig {
    NetworkConfig {
        upstreams: vec![dive_runtime::config::parse_upstream(&format!("{LOGICAL}={}", f.url())).unwrap()],
        allow_private: true,
        rates: vec![],
    }
}

fn opts() -> CallOptions {
    CallOptions::live(DeterminismConfig { seed: 1, clock_ns: 1_700_000_000_000_000_000 })
}

async fn call(s: &Setup, tool: &str, args: Value) -> Outcome {
    s.rt.call(tool, &args.to_string(), &opts()).await.expect("the call runs").outcome
}

fn ok_json(o: &Outcome) -> Value {
    match o {
        Outcome::Ok(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected success, got {other:?}"),
    }
}

fn assert_violation(o: &Outcome, want_rule: &str) {
    match o {
        Outcome::Violation { rule, message } => {
            assert_eq!(rule.as_str(), want_rule, "{message}");
            assert!(matches!(o, Outcome::Violation { .. }), "{o:?}");
        }
        other => panic!("expected a '{want_rule}' violation, got {other:?}"),
    }
}

/// After any failure, the same runtime still runs a normal call.
async fn still_works(s: &Setup) {
    let o = call(s, "probe_echo", json!({"text": "ok"})).await;
    assert_eq!(ok_json(&o)["echo"], "ok");
}

const OFFLINE: &str = "domain = \"general\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn args_are_checked_against_the_schema_before_the_guest_runs() {
    let s = setup(OFFLINE, NetworkConfig::default()).await;
    assert_eq!(ok_json(&call(&s, "probe_echo", json!({"text": "ab", "times": 2})).await)["echo"], "abab");

    for (args, needle) in [
        (json!({"times": 2}), "text"),
        (json!({"text": "a", "times": 0}), "/times"),
        (json!({"text": 5}), "/text"),
        (json!({"text": "a", "colour": "red"}), "colour"),
    ] {
        let err = s.rt.call("probe_echo", &args.to_string(), &opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{err}");
        assert!(!matches!(err, CallError::Internal { .. }), "the caller's to fix: {err}");
        assert!(err.to_string().contains(needle), "{args}: {err}");
    }
    let err = s.rt.call("probe_echo", "{not json", &opts()).await.unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
    let err = s.rt.call("probe_ecko", "{}", &opts()).await.unwrap_err();
    assert!(err.to_string().contains("did you mean 'probe_echo'"), "{err}");

    let o = call(&s, "probe_echo", json!({"text": "fail-upstream"})).await;
    assert_eq!(o, Outcome::ToolError { kind: ToolErrorKind::Upstream, message: "the service said no".into() });
    assert!(matches!(o, Outcome::ToolError { .. } | Outcome::Trap { .. }), "{o:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_allowed_origins_are_reached_and_the_logical_origin_is_recorded() {
    let f = Fixture::start(echo_handler).await;
    let s = setup(&format!("{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\n"), via_fixture(&f)).await;

    let rec = s.rt.call("probe_http", &json!({"url": format!("{LOGICAL}/echo?q=1")}).to_string(), &opts()).await.unwrap();
    let out = ok_json(&rec.outcome);
    assert_eq!(out["status"], 200);
    assert_eq!(rec.exchanges.len(), 1);
    assert_eq!(rec.exchanges[0].request.url, format!("{LOGICAL}/echo?q=1"), "trace keeps the logical URL");
    assert_eq!(f.seen().len(), 1);
    assert_eq!(f.seen()[0].path_and_query, "/echo?q=1");

    for url in [
        "https://other.example.test/echo",          // other host
        "http://api.example.test/echo",             // other scheme
        "https://api.example.test:8443/echo",       // other port
        "https://api.example.test.evil.test/echo",  // suffix trick
    ] {
        let o = call(&s, "probe_http", json!({"url": url})).await;
        assert_violation(&o, "network");
        if let Outcome::Violation { message, .. } = &o {
            assert!(message.contains("dive-tool.toml"), "says how to fix: {message}");
        }
        still_works(&s).await;
    }
    assert_eq!(f.seen().len(), 1, "denied requests never left the host");
}

/// The outgoing handler sends each request when the guest waits for its answer, on the
/// call's own task (`sandbox/outgoing.rs`): requests the guest starts together are all
/// sent and numbered in the order it made them, an answer can be taken once, a guest
/// that polls `get` without waiting still gets its answer, and a request the guest drops
/// without waiting is never sent nor recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_numbered_as_made_answered_once_and_unawaited_ones_never_sent() {
    let f = Fixture::start(echo_handler).await;
    let s = setup(&format!("{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\n"), via_fixture(&f)).await;
    let urls: Vec<String> = (0..3).map(|i| format!("{LOGICAL}/r{i}/echo?i={i}")).collect();

    let rec = s.rt.call("probe_http_raw", &json!({"urls": urls, "mode": "concurrent"}).to_string(), &opts()).await.unwrap();
    let out = ok_json(&rec.outcome);
    for (i, answer) in out.as_array().unwrap().iter().enumerate() {
        assert_eq!(answer["status"], 200, "{answer}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["path"], format!("/r{i}/echo"), "each request got its own answer");
    }
    let recorded: Vec<&str> = rec.exchanges.iter().map(|e| e.request.url.as_str()).collect();
    assert_eq!(recorded, urls.iter().map(String::as_str).collect::<Vec<_>>(), "recorded in the order made");
    assert_eq!(rec.usage.http_requests, 3);

    let rec = s.rt.call("probe_http_raw", &json!({"urls": [&urls[0]], "mode": "get-twice"}).to_string(), &opts()).await.unwrap();
    let out = ok_json(&rec.outcome);
    assert_eq!(out[0]["status"], 200, "{out}");
    assert_eq!(out[1], "already taken", "{out}");
    assert_eq!(rec.exchanges.len(), 1);

    // A guest that polls `get` in a loop without waiting on the pollable still gets its
    // answer.
    let rec = s.rt.call("probe_http_raw", &json!({"urls": [&urls[2]], "mode": "busy-get"}).to_string(), &opts()).await.unwrap();
    let out = ok_json(&rec.outcome);
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(f.seen().last().unwrap().path_and_query, "/r2/echo?i=2");

    let before = f.seen().len();
    let rec = s.rt.call("probe_http_raw", &json!({"urls": [&urls[0], &urls[1]], "mode": "unawaited"}).to_string(), &opts()).await.unwrap();
    let out = ok_json(&rec.outcome);
    assert_eq!(out.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(rec.exchanges.len(), 1, "only the awaited request is recorded");
    assert_eq!(rec.exchanges[0].request.url, urls[1]);
    assert_eq!(f.seen().len(), before + 1, "the dropped request never reached the upstream");
    assert_eq!(f.seen().last().unwrap().path_and_query, "/r1/echo?i=1");

    // The SDK's client sends a URL without a path as "/" (with its query, without its
    // fragment).
    let rec = s.rt.call("probe_http", &json!({"url": format!("{LOGICAL}?q=1#top")}).to_string(), &opts()).await.unwrap();
    assert!(matches!(rec.outcome, Outcome::Ok(_)), "{:?}", rec.outcome);
    assert_eq!(f.seen().last().unwrap().path_and_query, "/?q=1");
    assert_eq!(rec.exchanges[0].request.url, format!("{LOGICAL}/?q=1"));

    // The same, with the call awaited on a current-thread runtime of its own (the
    // request is sent on the calling thread there too).
    let args = json!({"urls": urls, "mode": "concurrent"}).to_string();
    let rec = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let single = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                single.block_on(s.rt.call("probe_http_raw", &args, &opts()))
            })
            .join()
            .unwrap()
    })
    .unwrap();
    assert_eq!(ok_json(&rec.outcome).as_array().unwrap().len(), 3);
    assert_eq!(rec.exchanges.len(), 3);

    // A body far larger than the host buffers between guest and sender is read while
    // the guest writes it (the SDK's client writes it after starting the request).
    let s = setup(
        &format!("{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\nmax_output_bytes = 16777216\n"),
        via_fixture(&f),
    )
    .await;
    let big = "0123456789abcdef".repeat(3 << 16);
    let args = json!({"url": format!("{LOGICAL}/echo"), "method": "POST", "body": big});
    let rec = s.rt.call("probe_http", &args.to_string(), &opts()).await.unwrap();
    let out = ok_json(&rec.outcome);
    let echoed: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["body"].as_str().unwrap(), big, "the whole body arrived");
    assert_eq!(rec.exchanges[0].request.body.len(), big.len(), "and was recorded whole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_unless_the_test_switch_is_on() {
    let f = Fixture::start(echo_handler).await;
    let port = f.addr.port();
    let manifest = format!("{OFFLINE}[policy]\nnetwork = [\"http://127.0.0.1:{port}\", \"http://localhost:{port}\", \"{LOGICAL}\"]\n");

    let strict = setup(&manifest, NetworkConfig::default()).await;
    for url in [format!("http://127.0.0.1:{port}/echo"), format!("http://localhost:{port}/echo")] {
        let o = call(&strict, "probe_http", json!({"url": url})).await;
        assert_violation(&o, "private_address");
        if let Outcome::Violation { message, .. } = &o {
            assert!(message.contains("--allow-private-network"), "{message}");
        }
    }
    // An upstream mirror on loopback is refused too without the switch.
    let mirrored = setup(&manifest, NetworkConfig { allow_private: false, ..via_fixture(&f) }).await;
    assert_violation(&call(&mirrored, "probe_http", json!({"url": format!("{LOGICAL}/echo")})).await, "private_address");
    assert!(f.seen().is_empty());

    let relaxed = setup(&manifest, NetworkConfig { allow_private: true, ..Default::default() }).await;
    let out = ok_json(&call(&relaxed, "probe_http", json!({"url": format!("http://127.0.0.1:{port}/echo")})).await);
    assert_eq!(out["status"], 200);
    // The switch does not widen the allowlist.
    assert_violation(&call(&relaxed, "probe_http", json!({"url": format!("http://127.0.0.1:{}/echo", port.wrapping_add(1))})).await, "network");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_by_the_host() {
    let f = Fixture::start(echo_handler).await;
    let s = setup(&format!("{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\n"), via_fixture(&f)).await;
    let out = ok_json(&call(&s, "probe_http", json!({"url": format!("{LOGICAL}/redirect?to=http%3A%2F%2F169.254.169.254%2F")})).await);
    assert_eq!(out["status"], 302);
    assert_eq!(f.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_injected_by_the_host_and_never_reach_the_guest() {
    const KEY: &str = "k3y-Only-The-Host-Knows-42";
    const TOKEN: &str = "tok/Secret+Value";
    let f = Fixture::start(echo_handler).await;
    let manifest = format!(
        "{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\nsecrets = [\"API_KEY\", \"TOKEN\", \"QKEY\"]\n\
         [secrets.API_KEY]\nheader = \"x-api-key\"\n[secrets.TOKEN]\nplaceholder = \"{{{{TOKEN}}}}\"\n\
         [secrets.QKEY]\nquery = \"api_key\"\nrequired = false\n"
    );
    let secrets = SecretSource::none().with_values([("API_KEY".into(), KEY.into()), ("TOKEN".into(), TOKEN.into())]);

    // A community package gets no host secret it was not granted: the call fails before
    // any request, naming the secret and the flag.
    let ungranted = setup_with(&manifest, via_fixture(&f), secrets.clone(), |_| {}).await;
    let err = ungranted
        .rt
        .call("probe_http", &json!({"url": format!("{LOGICAL}/echo")}).to_string(), &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::MissingSecret(_)), "{err}");
    assert!(err.to_string().contains("--grant probe:API_KEY"), "{err}");
    assert!(!matches!(err, CallError::Internal { .. }), "the caller's to fix: {err}");
    assert!(f.seen().is_empty(), "no request was sent");
    // A grant of one secret is not a grant of the others.
    let one = Grants::parse(["probe:API_KEY"]).unwrap();
    let partly = setup_granted(&manifest, via_fixture(&f), secrets.clone(), one, |_| {}).await;
    let err = partly.rt.call("probe_http", &json!({"url": format!("{LOGICAL}/echo")}).to_string(), &opts()).await.unwrap_err();
    assert!(err.to_string().contains("--grant probe:TOKEN"), "{err}");
    assert!(f.seen().is_empty(), "no request was sent");

    let grants = Grants::parse(["probe:API_KEY", "probe:TOKEN"]).unwrap();
    let s = setup_granted(&manifest, via_fixture(&f), secrets, grants.clone(), |_| {}).await;

    let rec = s
        .rt
        .call(
            "probe_http",
            &json!({"url": format!("{LOGICAL}/echo"), "method": "POST", "body": "{\"token\":\"{{TOKEN}}\"}"}).to_string(),
            &opts(),
        )
        .await
        .unwrap();
    let text = match &rec.outcome {
        Outcome::Ok(t) => t.clone(),
        o => panic!("{o:?}"),
    };
    // The upstream got the real values...
    let seen = &f.seen()[0];
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    assert_eq!(String::from_utf8_lossy(&seen.body), format!("{{\"token\":\"{TOKEN}\"}}"));
    assert!(!seen.path_and_query.contains("api_key"), "optional secret absent: not injected");
    // ...the guest saw them echoed back only as masks, and the record holds none.
    assert!(!text.contains(KEY) && !text.contains(TOKEN), "{text}");
    assert!(text.contains("[secret API_KEY]") && text.contains("[secret TOKEN]"), "{text}");
    let record_dump = format!("{:?}", rec.exchanges);
    assert!(!record_dump.contains(KEY) && !record_dump.contains(TOKEN));
    assert!(String::from_utf8_lossy(&rec.exchanges[0].request.body).contains("{{TOKEN}}"));

    // A required secret the host lacks fails before any request, naming it.
    let bare = setup_granted(&manifest, via_fixture(&f), SecretSource::none(), grants, |_| {}).await;
    let before = f.seen().len();
    let err = bare.rt.call("probe_http", &json!({"url": format!("{LOGICAL}/echo")}).to_string(), &opts()).await.unwrap_err();
    assert!(matches!(err, CallError::MissingSecret(_)));
    assert!(err.to_string().contains("API_KEY") && err.to_string().contains("--secrets"), "{err}");
    assert!(!matches!(err, CallError::Internal { .. }), "the caller's to fix: {err}");
    assert_eq!(f.seen().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_declared_dirs_are_visible_read_only() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "outside data").unwrap();
    let outside_path = outside.path().to_path_buf();
    let s = setup_with(&format!("{OFFLINE}[policy]\nfiles = [\"data\"]\n"), NetworkConfig::default(), SecretSource::none(), |pkg| {
        std::fs::create_dir(pkg.join("data")).unwrap();
        std::fs::write(pkg.join("data/hello.txt"), "hello from package data").unwrap();
    })
    .await;
    // A link out of the package is refused at load (tests/tests/hostile.rs); one made
    // after the package loaded is still not followed at run time (cap-std).
    std::os::unix::fs::symlink(outside_path.join("secret.txt"), s.pkg.join("data/escape.txt")).unwrap();

    let read = |p: &str| json!({"path": p});
    let out = ok_json(&call(&s, "probe_read_file", read("/data/hello.txt")).await);
    assert_eq!(out["text"], "hello from package data");
    for p in ["/etc/passwd", "/data/../dive-tool.toml", "/data/escape.txt", "../../../../etc/hostname", "/proc/self/environ"] {
        let out = ok_json(&call(&s, "probe_read_file", read(p)).await);
        assert_eq!(out["ok"], false, "{p} must not be readable: {out}");
    }
    let out = ok_json(&call(&s, "probe_write_file", read("/data/new.txt")).await);
    assert_eq!(out["ok"], false);
    assert!(!s.pkg.join("data/new.txt").exists());
    let out = ok_json(&call(&s, "probe_write_file", read("/data/hello.txt")).await);
    assert_eq!(out["ok"], false);
    assert_eq!(std::fs::read_to_string(s.pkg.join("data/hello.txt")).unwrap(), "hello from package data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_is_empty_and_there_are_no_sockets() {
    std::env::set_var("DIVE_TEST_HOST_ONLY", "host value");
    let s = setup(OFFLINE, NetworkConfig::default()).await;
    let out = ok_json(&call(&s, "probe_env", json!({})).await);
    assert_eq!(out["env"], json!([]), "{out}");
    assert_eq!(out["root"], json!([]), "no preopened dirs: {out}");
    let out = ok_json(&call(&s, "probe_socket", json!({})).await);
    for k in ["tcp", "tcp_loopback", "dns"] {
        let v = out[k].as_str().unwrap();
        assert!(!v.starts_with("connected") && !v.starts_with("resolved"), "{k}: {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_are_pinned_and_random_is_seeded() {
    let s = setup(OFFLINE, NetworkConfig::default()).await;
    let a = ok_json(&call(&s, "probe_entropy", json!({})).await);
    let b = ok_json(&call(&s, "probe_entropy", json!({})).await);
    assert_eq!(a, b, "identical calls see identical time and random bytes");
    assert_eq!(a["wall_ns"], 1_700_000_000_000_000_000u64);
    assert_eq!(a["monotonic_step_ns"], 1_000_000);

    let mut other = opts();
    other.determinism.seed = 2;
    let c = s.rt.call("probe_entropy", "{}", &other).await.unwrap().outcome;
    let c = ok_json(&c);
    assert_ne!(a["secure"], c["secure"]);
    assert_ne!(a["insecure"], c["insecure"]);
    other.determinism.seed = 1;
    other.call_index = 5;
    let d = ok_json(&s.rt.call("probe_entropy", "{}", &other).await.unwrap().outcome);
    assert_ne!(a["secure"], d["secure"], "the call index picks the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_end_only_the_offending_call() {
    let f = Fixture::start(echo_handler).await;
    let manifest = format!(
        "{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\ntimeout_ms = 400\nmemory_mib = 32\nmax_output_bytes = 4096\nmax_http_requests = 3\nmax_response_bytes = 10000\n"
    );
    let s = setup(&manifest, via_fixture(&f)).await;

    assert_violation(&call(&s, "probe_spin", json!({})).await, "timeout_ms");
    still_works(&s).await;
    assert_violation(&call(&s, "probe_sleep", json!({"ms": 60_000})).await, "timeout_ms");
    still_works(&s).await;
    assert_violation(&call(&s, "probe_alloc", json!({"size": 200})).await, "memory_mib");
    still_works(&s).await;
    assert_eq!(ok_json(&call(&s, "probe_alloc", json!({"size": 4})).await)["allocated_mib"], 4);
    assert_violation(&call(&s, "probe_output", json!({"size": 100_000})).await, "max_output_bytes");
    still_works(&s).await;
    assert_violation(&call(&s, "probe_http", json!({"url": format!("{LOGICAL}/bytes/50000")})).await, "max_response_bytes");
    still_works(&s).await;
    assert_eq!(ok_json(&call(&s, "probe_http", json!({"url": format!("{LOGICAL}/bytes/3000")})).await)["status"], 200);
    assert_violation(&call(&s, "probe_http", json!({"url": format!("{LOGICAL}/echo"), "repeat": 5})).await, "max_http_requests");
    assert_eq!(f.seen().iter().filter(|r| r.path_and_query == "/echo").count(), 3, "the fourth request never left");
    still_works(&s).await;

    let o = call(&s, "probe_panic", json!({})).await;
    match &o {
        Outcome::Trap { message } => assert!(message.contains("panicked on purpose"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(o, Outcome::ToolError { .. } | Outcome::Trap { .. }), "{o:?}");
    still_works(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_tool_policy_narrows_the_package_policy() {
    let f = Fixture::start(echo_handler).await;
    let manifest = format!("{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\n[tools.probe_http.policy]\nnetwork = []\n");
    let s = setup(&manifest, via_fixture(&f)).await;
    assert_violation(&call(&s, "probe_http", json!({"url": format!("{LOGICAL}/echo")})).await, "network");
    assert!(f.seen().is_empty());
    let entry = s.rt.tool("probe_http").unwrap();
    let other = s.rt.tool("probe_echo").unwrap();
    assert_ne!(entry.identity.policy, other.identity.policy, "the effective policy is part of a tool's identity");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_run_at_once() {
    let f = Fixture::start(echo_handler).await;
    let s = setup(&format!("{OFFLINE}[policy]\nnetwork = [\"{LOGICAL}\"]\n"), via_fixture(&f)).await;
    let calls = (0..64).map(|i| {
        let rt = &s.rt;
        async move {
            let (tool, args) = if i % 2 == 0 {
                ("probe_echo", json!({"text": format!("n{i}")}))
            } else {
                ("probe_http", json!({"url": format!("{LOGICAL}/echo?i={i}")}))
            };
            rt.call(tool, &args.to_string(), &opts()).await.unwrap().outcome
        }
    });
    let outcomes = futures::future::join_all(calls).await;
    for (i, o) in outcomes.iter().enumerate() {
        let v = ok_json(o);
        if i % 2 == 0 {
            assert_eq!(v["echo"], format!("n{i}"));
        } else {
            assert!(v["body"].as_str().unwrap().contains(&format!("i={i}")));
        }
    }
}

/// Instances made ahead of time (runtime/src/instances.rs) are as fresh as those made on
/// the call path: nothing carries over between calls, and a call sees the same clocks and
/// random either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_made_ahead_are_fresh_and_change_nothing() {
    let s = setup(OFFLINE, NetworkConfig::default()).await;
    let first = s.rt.call("probe_entropy", "{}", &opts()).await.unwrap();
    assert!(!first.usage.ready_instance, "a package's first call makes its own instance");
    // From the second call on, a background thread keeps instances ready. It runs only
    // when a core is idle, so wait for a call that got one (bounded by attempts).
    let mut made_ahead = None;
    for _ in 0..3000 {
        let rec = s.rt.call("probe_entropy", "{}", &opts()).await.unwrap();
        if rec.usage.ready_instance {
            made_ahead = Some(rec);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let made_ahead = made_ahead.expect("no call got an instance made ahead of time");
    assert_eq!(made_ahead.outcome, first.outcome, "same clocks and random in either kind of instance");
    // Calls in a row, until (bounded by attempts) at least 10 of them ran in instances
    // made ahead: each instance, either kind, has served no call before.
    let (mut calls, mut served_by_ready) = (0, 0);
    while served_by_ready < 10 && calls < 3000 {
        let rec = s.rt.call("probe_count", "{}", &opts()).await.unwrap();
        assert_eq!(ok_json(&rec.outcome)["calls_served"], 1, "every call gets an unused instance");
        served_by_ready += usize::from(rec.usage.ready_instance);
        calls += 1;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(served_by_ready >= 10, "only {served_by_ready} of {calls} calls ran in an instance made ahead of time");
}
