//! Evidence traces: record → offline replay is byte-identical; tampering, divergence and
//! crashes are caught; secrets never reach the store; cassettes answer calls.

use dive_integration_tests::{echo_handler, guest_wasm, make_package, repo_root, Fixture};
use dive_runtime::fsck::{fsck, gc};
use dive_runtime::replay::{replay, Verdict};
use dive_runtime::store::{Store, StoreError};
use dive_runtime::record::Recorder;
use dive_runtime::trace::{read_trace, write_trace};
use dive_runtime::{DeterminismConfig, Grants, NetworkConfig, Runtime, RuntimeConfig, SecretSource};
use proptest::prelude::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const LOGICAL: &str = "https://api.example.test";
const DET: DeterminismConfig = DeterminismConfig { seed: 42, clock_ns: 1_750_000_000_000_000_000 };

fn manifest() -> String {
    format!(
        "domain = \"general\"\n[policy]\nnetwork = [\"{LOGICAL}\"]\nsecrets = [\"API_KEY\", \"QKEY\"]\n\
         [secrets.API_KEY]\nheader = \"x-api-key\"\n[secrets.QKEY]\nquery = \"api_key\"\n"
    )
}

const KEY: &str = "hdr-SECRET-value-9f8e7d";
const QKEY: &str = "query SECRET/value+1";

async fn runtime(pkg: &Path, network: NetworkConfig, secrets: bool) -> Runtime {
    let secrets = if secrets {
        SecretSource::none().with_values([("API_KEY".into(), KEY.into()), ("QKEY".into(), QKEY.into())])
    } else {
        SecretSource::none()
    };
    // The package is a community one: it gets the secrets only because they are granted.
    let name = pkg.file_name().unwrap().to_string_lossy().into_owned();
    let grants = Grants::parse([format!("{name}:API_KEY").as_str(), format!("{name}:QKEY").as_str()]).unwrap();
    let rt = Runtime::new(RuntimeConfig {
        tool_sources: vec![pkg.to_path_buf()],
        network,
        secrets,
        grants,
        engine: dive_integration_tests::test_engine(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(rt.load_issues().is_empty(), "{:?}", rt.load_issues());
    rt
}

fn via(f: &Fixture) -> NetworkConfig {
    NetworkConfig {
        upstreams: vec![dive_runtime::config::parse_upstream(&format!("{LOGICAL}={}", f.url())).unwrap()],
        allow_private: true,
        rates: vec![],
    }
}

/// A network config that cannot reach anything: no mirror, private addresses refused.
fn no_network() -> NetworkConfig {
    NetworkConfig::default()
}

fn package(dir: &TempDir) -> PathBuf {
    make_package(&dir.path().join("probe"), &guest_wasm("sandbox-probe"), &manifest())
}

#[derive(Debug, Clone)]
enum Step {
    Echo(String, u32),
    Http(String),
    Entropy,
    Fail,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        ("[a-z0-9 é]{0,12}", 1u32..4).prop_map(|(t, n)| Step::Echo(t, n)),
        "[a-z]{1,6}".prop_map(Step::Http),
        Just(Step::Entropy),
        Just(Step::Fail),
    ]
}

fn args_of(s: &Step) -> (&'static str, String) {
    match s {
        Step::Echo(t, n) => ("probe_echo", json!({"text": t, "times": n}).to_string()),
        Step::Http(q) => ("probe_http", json!({"url": format!("{LOGICAL}/echo?q={q}")}).to_string()),
        Step::Entropy => ("probe_entropy", "{}".into()),
        Step::Fail => ("probe_echo", json!({"text": "fail-upstream"}).to_string()),
    }
}

/// Record the steps concurrently into one trace, then replay it with the network gone.
async fn record_then_replay(steps: Vec<Step>) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store = Store::open(dir.path().join("store")).unwrap();
    let mut fixture = Fixture::start(echo_handler).await;
    let id = {
        let rt = runtime(&pkg, via(&fixture), true).await;
        let rec = Recorder::new(&rt, &store, DET);
        let calls = steps.iter().enumerate().map(|(i, s)| {
            let (tool, args) = args_of(s);
            let rec = &rec;
            async move { rec.call_at(i as u64, tool, &args).await.unwrap() }
        });
        futures::future::join_all(calls).await;
        rec.finish().unwrap()
    };
    fixture.stop();
    drop(fixture);

    let rt = runtime(&pkg, no_network(), false).await;
    let report = replay(&rt, &store, &id, false).await.unwrap();
    assert!(report.all_same(), "{report:#?}");
    assert_eq!(report.replayed_trace.as_deref(), Some(id.as_str()), "the same trace id");
    assert_eq!(report.calls.len(), steps.len());
    assert!(fsck(&store).unwrap().is_clean());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn record_then_replay_is_identical(steps in prop::collection::vec(step(), 1..10)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(record_then_replay(steps));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_share_a_store_and_each_replays() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store = Store::open(dir.path().join("store")).unwrap();
    let fixture = Fixture::start(echo_handler).await;
    let rt = runtime(&pkg, via(&fixture), true).await;
    let sessions = (0..6).map(|s| {
        let (rt, store) = (&rt, &store);
        async move {
            let rec = Recorder::new(rt, store, DeterminismConfig { seed: s, clock_ns: 0 });
            for i in 0..5 {
                let url = format!("{LOGICAL}/echo?s={s}&i={i}");
                rec.call("probe_http", &json!({"url": url}).to_string()).await.unwrap();
            }
            rec.finish().unwrap()
        }
    });
    let ids = futures::future::join_all(sessions).await;
    drop(fixture);
    let offline = runtime(&pkg, no_network(), false).await;
    for id in &ids {
        let r = replay(&offline, &store, id, false).await.unwrap();
        assert!(r.all_same(), "{r:#?}");
        assert_eq!(r.calls.len(), 5);
    }
    assert_eq!(store.trace_ids().unwrap().len(), 6);
}

/// Flip one byte of a file.
fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_a_blob_or_a_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store = Store::open(dir.path().join("store")).unwrap();
    let fixture = Fixture::start(echo_handler).await;
    let rt = runtime(&pkg, via(&fixture), true).await;
    let rec = Recorder::new(&rt, &store, DET);
    rec.call("probe_http", &json!({"url": format!("{LOGICAL}/echo?a=1")}).to_string()).await.unwrap();
    let id = rec.finish().unwrap();
    assert!(fsck(&store).unwrap().is_clean());

    // One flipped byte in the response blob.
    let (doc, _) = read_trace(&store, &id).unwrap();
    let blob = doc.calls[0].http[0].response.as_ref().unwrap().body.blake3.clone();
    flip(&store.object_path(&blob), 10);
    let report = fsck(&store).unwrap();
    assert!(report.problems.iter().any(|p| p.contains(blob.as_str()) && p.contains("corrupt")), "{:?}", report.problems);
    assert!(report.problems.iter().any(|p| p.contains(id.as_str())), "the trace using it is named too: {:?}", report.problems);
    let err = replay(&rt, &store, &id, false).await.unwrap_err().to_string();
    assert!(err.contains(blob.as_str()), "{err}");
    flip(&store.object_path(&blob), 10);
    assert!(fsck(&store).unwrap().is_clean());

    // One flipped byte in the trace record itself.
    let tpath = store.trace_path(&id);
    let text = std::fs::read_to_string(&tpath).unwrap();
    let at = text.find("probe_http").unwrap() + 2;
    flip(&tpath, at);
    let report = fsck(&store).unwrap();
    assert!(report.problems.iter().any(|p| p.contains(id.as_str())), "{:?}", report.problems);
    let err = replay(&rt, &store, &id, false).await.unwrap_err();
    assert!(matches!(err, dive_runtime::replay::ReplayError::Store(StoreError::CorruptTrace { .. })), "{err}");
    assert!(err.to_string().contains(id.as_str()));

    // Truncated and garbage trace files: clear errors, no panic.
    for junk in [&text[..text.len() / 2], "", "{\"trace\": 5}", "\u{0}\u{1}"] {
        std::fs::write(&tpath, junk).unwrap();
        let e = read_trace(&store, &id).unwrap_err().to_string();
        assert!(e.contains(id.as_str()), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn divergence_is_reported_with_the_first_difference() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store = Store::open(dir.path().join("store")).unwrap();
    let fixture = Fixture::start(echo_handler).await;
    let rt = runtime(&pkg, via(&fixture), true).await;
    let rec = Recorder::new(&rt, &store, DET);
    rec.call("probe_http", &json!({"url": format!("{LOGICAL}/echo?x=1")}).to_string()).await.unwrap();
    rec.call("probe_echo", &json!({"text": "hi"}).to_string()).await.unwrap();
    let id = rec.finish().unwrap();
    let (doc, usage) = read_trace(&store, &id).unwrap();

    // A different recorded response: the output differs, at a named JSON path.
    let mut changed = doc.clone();
    let resp = changed.calls[0].http[0].response.as_mut().unwrap();
    let new_body = br#"{"changed": true}"#;
    resp.body.blake3 = store.put_blob(new_body).unwrap();
    resp.body.len = new_body.len() as u64;
    let changed_id = write_trace(&store, &changed, usage.clone()).unwrap();
    let r = replay(&rt, &store, &changed_id, false).await.unwrap();
    assert!(!r.all_same());
    match &r.calls[0].verdict {
        Verdict::Diverged { reason } => assert!(reason.contains("$.body"), "{reason}"),
        v => panic!("{v:?}"),
    }
    assert_eq!(r.calls[1].verdict, Verdict::Same);

    // A request that is not in the recording.
    let mut moved = doc.clone();
    moved.calls[0].http[0].request.url = format!("{LOGICAL}/echo?x=2");
    let moved_id = write_trace(&store, &moved, usage.clone()).unwrap();
    let r = replay(&rt, &store, &moved_id, false).await.unwrap();
    match &r.calls[0].verdict {
        Verdict::Diverged { reason } => assert!(reason.contains("not in the recording") && reason.contains("x=1"), "{reason}"),
        v => panic!("{v:?}"),
    }

    // The component changed.
    let other = dir.path().join("probe2");
    make_package(&other, &guest_wasm("sandbox-probe"), &manifest());
    let mut bytes = std::fs::read(other.join("tool.wasm")).unwrap();
    // Append a custom section: same behaviour, different bytes.
    bytes.extend_from_slice(&[0x00, 0x05, 0x04, b'd', b'i', b'v', b'e']);
    std::fs::write(other.join("tool.wasm"), bytes).unwrap();
    let rt2 = runtime(&other, no_network(), false).await;
    let r = replay(&rt2, &store, &id, false).await.unwrap();
    match &r.calls[0].verdict {
        Verdict::Diverged { reason } => assert!(reason.contains("component changed"), "{reason}"),
        v => panic!("{v:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reverification_reports_drift_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store = Store::open(dir.path().join("store")).unwrap();
    let id = {
        let fixture = Fixture::start(|s: &dive_integration_tests::Seen| {
            dive_integration_tests::Reply::json(200, &json!({"price": 10, "path": s.path_and_query}))
        })
        .await;
        let rt = runtime(&pkg, via(&fixture), true).await;
        let rec = Recorder::new(&rt, &store, DET);
        rec.call("probe_http", &json!({"url": format!("{LOGICAL}/quote")}).to_string()).await.unwrap();
        rec.call("probe_echo", &json!({"text": "stable"}).to_string()).await.unwrap();
        rec.finish().unwrap()
    };
    // The upstream changed its answer.
    let fixture = Fixture::start(|_s: &dive_integration_tests::Seen| dive_integration_tests::Reply::json(200, &json!({"price": 11}))).await;
    let rt = runtime(&pkg, via(&fixture), true).await;
    let r = replay(&rt, &store, &id, true).await.unwrap();
    assert!(r.live);
    match &r.calls[0].verdict {
        Verdict::Diverged { reason } => assert!(reason.contains("$.body"), "{reason}"),
        v => panic!("{v:?}"),
    }
    assert_eq!(r.calls[1].verdict, Verdict::Same);
    assert_eq!(fixture.seen().len(), 1, "live mode really went to the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store_dir = dir.path().join("store");
    let store = Store::open(&store_dir).unwrap();
    let fixture = Fixture::start(echo_handler).await;
    let rt = runtime(&pkg, via(&fixture), true).await;
    let rec = Recorder::new(&rt, &store, DET);
    for i in 0..20 {
        let (tool, args) = match i % 3 {
            0 => ("probe_http", json!({"url": format!("{LOGICAL}/echo?i={i}")})),
            1 => ("probe_http", json!({"url": format!("{LOGICAL}/echo"), "method": "POST", "body": format!("payload {i}")})),
            _ => ("probe_echo", json!({"text": format!("t{i}")})),
        };
        rec.call(tool, &args.to_string()).await.unwrap();
    }
    let id = rec.finish().unwrap();
    // The upstream really got the secrets...
    let seen = fixture.seen();
    assert!(seen.iter().all(|s| s.header("x-api-key") == Some(KEY)));
    assert!(seen.iter().all(|s| s.path_and_query.contains("api_key=")));
    // ...and no byte sequence of any secret form is anywhere in the store.
    let forms: Vec<Vec<u8>> = [KEY, QKEY]
        .iter()
        .flat_map(|s| {
            let enc: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            [s.as_bytes().to_vec(), enc.into_bytes(), s.replace(' ', "%20").into_bytes()]
        })
        .collect();
    let mut files = 0;
    for entry in walk(&store_dir) {
        let bytes = std::fs::read(&entry).unwrap();
        files += 1;
        for f in &forms {
            assert!(!bytes.windows(f.len()).any(|w| w == f.as_slice()), "{} contains a secret", entry.display());
        }
    }
    assert!(files > 20, "the scan covered the store ({files} files)");
    assert!(read_trace(&store, &id).is_ok());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Child process for the crash test: writes blobs forever until killed.
#[test]
#[ignore = "run as a child process by writes_survive_kill_9"]
fn writer_child() {
    let Some(dir) = std::env::var_os("DIVE_TEST_WRITER_STORE") else { return };
    let store = Store::open(PathBuf::from(dir)).unwrap();
    let mut i = 0u64;
    loop {
        let big: Vec<u8> = (0..(1 << 20)).map(|j| ((j as u64 * 31 + i) % 251) as u8).collect();
        store.put_blob(&big).unwrap();
        i += 1;
    }
}

#[test]
fn writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    Store::open(&store_dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    // The child test's full name in this binary (`trace::writer_child`).
    let child_test = format!("{}::writer_child", module_path!().split_once("::").map_or(module_path!(), |(_, m)| m));
    for round in 0..3 {
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", child_test.as_str(), "--ignored", "--nocapture"])
            .env("DIVE_TEST_WRITER_STORE", &store_dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it has written something, then kill it mid-stream.
        let store = Store::open(&store_dir).unwrap();
        let start = std::time::Instant::now();
        while store.object_hashes().unwrap().len() <= round && start.elapsed() < std::time::Duration::from_secs(60) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(7 * (round as u64 + 1)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let store = Store::open(&store_dir).unwrap();
    let report = fsck(&store).unwrap();
    assert!(report.is_clean(), "no partial object is ever visible: {:?}", report.problems);
    assert!(report.objects_checked >= 3, "the writer child ({child_test}) wrote {} objects", report.objects_checked);
    // Leftover temp files are invisible to readers and collected by gc.
    let g = gc(&store, true, std::time::Duration::ZERO).unwrap();
    assert!(g.applied);
    assert!(store.stale_temp_files().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_keeps_what_traces_reach() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(&dir);
    let store = Store::open(dir.path().join("store")).unwrap();
    let rt = runtime(&pkg, no_network(), true).await;
    let rec = Recorder::new(&rt, &store, DET);
    rec.call("probe_echo", r#"{"text":"keep me"}"#).await.unwrap();
    let id = rec.finish().unwrap();
    let orphan = store.put_blob(b"nobody references me").unwrap();
    let dry = gc(&store, false, std::time::Duration::ZERO).unwrap();
    assert_eq!(dry.unreachable_objects, vec![orphan.to_string()]);
    assert!(store.has_blob(&orphan), "dry run removes nothing");
    let recent = gc(&store, true, std::time::Duration::from_secs(3600)).unwrap();
    assert_eq!(recent.kept_recent, 1, "young objects are kept (a recording may be in progress)");
    gc(&store, true, std::time::Duration::ZERO).unwrap();
    assert!(!store.has_blob(&orphan));
    let offline = runtime(&pkg, no_network(), false).await;
    assert!(replay(&offline, &store, &id, false).await.unwrap().all_same());
}

fn real_fixtures() -> Option<PathBuf> {
    let p = repo_root().join("../shared/fixtures/real");
    p.is_dir().then_some(p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_cassettes_import_and_answer_calls_offline() {
    let Some(real) = real_fixtures() else {
        eprintln!("skipping: ../shared/fixtures/real is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let mut imported = 0;
    let mut interactions = 0;
    for e in walk(&real) {
        let name = e.to_string_lossy();
        if !(name.contains("/cassettes/") && (name.ends_with(".yaml") || name.ends_with(".yml"))) {
            continue;
        }
        let (_, c) = dive_runtime::cassette::import(&store, &e).unwrap_or_else(|err| panic!("{err}"));
        imported += 1;
        interactions += c.interactions.len();
    }
    assert!(imported >= 100, "imported {imported} cassettes");
    assert!(fsck(&store).unwrap().is_clean());

    // A call answered from the recordings: a Crossref journals request (gzip on the wire).
    let pkg = make_package(
        &dir.path().join("probe"),
        &guest_wasm("sandbox-probe"),
        "domain = \"academic\"\n[policy]\nnetwork = [\"https://api.crossref.org\"]\n",
    );
    let rt = runtime(&pkg, no_network(), false).await;
    let transport = std::sync::Arc::new(dive_runtime::transport::CassetteTransport::from_store(&store).unwrap());
    assert_eq!(transport.len(), interactions);
    let mut opts = dive_runtime::CallOptions::live(DET);
    opts.transport = Some(transport);
    let rec = rt
        .call("probe_http", &json!({"url": "https://api.crossref.org/journals?rows=1"}).to_string(), &opts)
        .await
        .unwrap();
    let out: serde_json::Value = match &rec.outcome {
        dive_runtime::Outcome::Ok(t) => serde_json::from_str(t).unwrap(),
        o => panic!("{o:?}"),
    };
    assert_eq!(out["status"], 200);
    let body: serde_json::Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap_or_else(|e| panic!("{e}: {}", &out["body"].as_str().unwrap()[..200.min(out["body"].as_str().unwrap().len())]));
    assert_eq!(body["message-type"], "journal-list");
    // Query order does not matter (vcrpy matches the query as a set); unknown requests fail.
    let rec = rt
        .call("probe_http", &json!({"url": "https://api.crossref.org/nothing-recorded-here"}).to_string(), &opts)
        .await
        .unwrap();
    assert!(matches!(rec.outcome, dive_runtime::Outcome::ToolError { .. }), "{:?}", rec.outcome);
}

// ---- Trace formats: evidence of format 1 keeps holding; format 2 is exactly RFC 8785 ----

/// Copy a directory tree (the committed fixture store is never written to by a test).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `dive` over a committed fixture's packages (`tests/data/NAME/tools`) and a private
/// copy of its store.
fn fixture_dive(name: &str, home: &Path, args: &[&str]) -> std::process::Output {
    let fixture = repo_root().join("tests/data").join(name);
    let store = home.join("store");
    if !store.exists() {
        copy_tree(&fixture.join("store"), &store);
    }
    std::process::Command::new(dive_integration_tests::dive_bin())
        .env_clear()
        .envs(dive_integration_tests::isolated_env(home))
        .arg("--no-builtin")
        .arg("--tools")
        .arg(fixture.join("tools"))
        .arg("--store")
        .arg(&store)
        .args(args)
        .current_dir(home)
        .output()
        .unwrap()
}

/// What a `dive` run said on stdout and stderr, for assertions and their messages.
fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

const V1_CALL_TRACE: &str = "2e44303a0cd2164aa3ba61b60b2d2059b18e546031a8e0573b2e6d7ba3176550";

#[test]
fn format_1_traces_still_replay_and_their_tasks_reverify() {
    let home = TempDir::new().unwrap();
    let bytes = std::fs::read(repo_root().join(format!("tests/data/trace-v1/store/traces/2e/{}.json", &V1_CALL_TRACE[2..]))).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(r#""format":"dive-trace/1""#) && text.contains(r#""match_score":1e-7"#), "{text}");

    let out = fixture_dive("trace-v1", home.path(), &["replay", V1_CALL_TRACE]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains(&format!("trace {V1_CALL_TRACE} reproduced")), "{said}");

    let tasks = repo_root().join("tests/data/trace-v1/tasks.jsonl");
    let out = fixture_dive("trace-v1", home.path(), &["reverify", tasks.to_str().unwrap()]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("3 of 3 tasks hold"), "{said}");

    let out = fixture_dive("trace-v1", home.path(), &["store", "fsck"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The call traces of the pre-split fixture (tests/data/pre-split/README.md).
const PRE_SPLIT_CALLS: [&str; 3] = [
    "af67f1e3ac2c5b9c0d20010c02d6ab3bd2ef3cd41b4fbf2e186a7cc80b52a847",
    "4757c99b0db800cb31c640922f0d5b26a683c6d510f14ae54a34b385c94a50d7",
    "3e7fabc6a9fb91ba8f621e03d8eb02a3f625c58c91f7838bd65dfad4e8c6677b",
];

/// Evidence recorded before the crates were split (#15) means the same after it: its
/// call traces replay byte for byte, its tasks re-verify, the same seed builds the same
/// task file and traces again, and the export of those tasks is byte-identical.
#[test]
fn evidence_recorded_before_the_split_replays_rebuilds_and_exports_identically() {
    let fixture = repo_root().join("tests/data/pre-split");
    let home = TempDir::new().unwrap();
    for trace in PRE_SPLIT_CALLS {
        let out = fixture_dive("pre-split", home.path(), &["replay", trace]);
        assert!(out.status.success(), "{}", said(&out));
        assert!(said(&out).contains(&format!("trace {trace} reproduced")), "{}", said(&out));
    }
    let tasks = fixture.join("tasks.jsonl");
    let out = fixture_dive("pre-split", home.path(), &["reverify", tasks.to_str().unwrap()]);
    assert!(out.status.success() && said(&out).contains("3 of 3 tasks hold"), "{}", said(&out));

    let fresh = home.path().join("fresh");
    let fresh_store = fresh.join("store");
    std::fs::create_dir_all(&fresh_store).unwrap(); // empty: fixture_dive copies no store in
    let out = fixture_dive(
        "pre-split",
        &fresh,
        &["synth", "--domain", "biological", "--local-only", "--count", "3", "--seed", "15", "--out", "out"],
    );
    assert!(out.status.success(), "{}", said(&out));
    let rebuilt = std::fs::read(fresh.join("out/tasks.jsonl")).unwrap();
    assert!(rebuilt == std::fs::read(&tasks).unwrap(), "the same seed built a different task file");
    // The tasks name their traces: each was recorded again, byte for byte. (A sample
    // still in flight when the last task was written may leave one more trace, or not.)
    for task in String::from_utf8(rebuilt).unwrap().lines() {
        let id = serde_json::from_str::<serde_json::Value>(task).unwrap()["trace"].as_str().unwrap().to_string();
        let file = format!("traces/{}/{}.json", &id[..2], &id[2..]);
        let again = std::fs::read(fresh_store.join(&file)).unwrap_or_default();
        assert!(again == std::fs::read(fixture.join("store").join(&file)).unwrap(), "trace {id} was not recorded again identically");
    }
    let out = fixture_dive("pre-split", &fresh, &["export", "--format", "messages", "--out", "messages.jsonl", "out/tasks.jsonl"]);
    assert!(out.status.success(), "{}", said(&out));
    let exported = std::fs::read(fresh.join("messages.jsonl")).unwrap();
    assert!(exported == std::fs::read(fixture.join("messages.jsonl")).unwrap(), "the export differs");

    let out = fixture_dive("pre-split", home.path(), &["store", "fsck"]);
    assert!(out.status.success() && said(&out).contains("clean"), "{}", said(&out));
}

/// What Python's `rfc8785` package (an independent implementation) writes for the JSON
/// text given on stdin, read with Python's own JSON parser (`numbers_are_doubles`: every
/// number read as a double, as ECMAScript does).
fn python_rfc8785(json_text: &str, numbers_are_doubles: bool) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(dive_integration_tests::python())
        .args([
            "-c",
            "import json, sys, rfc8785; ints = float if sys.argv[1] == 'doubles' else int; \
             sys.stdout.buffer.write(rfc8785.dumps(json.loads(sys.stdin.read(), parse_int=ints)))",
            if numbers_are_doubles { "doubles" } else { "as-written" },
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the project's python3 runs (make setup makes .venv)");
    child.stdin.take().unwrap().write_all(json_text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "rfc8785 failed (make setup installs it): {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn canonical_numbers_match_an_independent_rfc8785_implementation() {
    // Generated doubles of every magnitude (random bit patterns, decimal-looking values,
    // integers near 2^53, powers of ten at the notation boundaries), from a fixed seed.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut numbers: Vec<f64> = Vec::new();
    for _ in 0..4000 {
        let f = f64::from_bits(next());
        if f.is_finite() {
            numbers.push(f);
        }
    }
    for _ in 0..2000 {
        let mantissa = (next() % 1_000_000_000) as f64;
        let exp = (next() % 60) as i32 - 30;
        numbers.push(mantissa * 10f64.powi(exp));
        numbers.push(-((next() % 9_007_199_254_740_993) as f64) / 1024.0);
    }
    for e in -9..=24 {
        numbers.push(10f64.powi(e));
        numbers.push(1.5 * 10f64.powi(e));
    }
    let text = dive_runtime::canonical::to_string(&serde_json::Value::Array(
        numbers.iter().map(|f| serde_json::Value::from(*f)).collect(),
    ));
    let theirs = python_rfc8785(&text, true);
    if theirs != text {
        let ours: Vec<&str> = text.trim_matches(['[', ']']).split(',').collect();
        let other: Vec<&str> = theirs.trim_matches(['[', ']']).split(',').collect();
        let first = ours.iter().zip(&other).position(|(a, b)| a != b);
        panic!("first difference at {first:?}: ours {:?}, rfc8785 {:?}", first.map(|i| ours[i]), first.map(|i| other[i]));
    }
}

#[test]
fn a_new_trace_is_exactly_rfc8785() {
    let home = TempDir::new().unwrap();
    let args = r#"{"sequence_a":"GATTACA","sequence_b":"GCATGCU","match_score":1e-7,"mismatch_score":-0.5,"gap_open":-2.25e-1,"gap_extend":-1e-6}"#;
    let out = fixture_dive("trace-v1", home.path(), &["call", "pairwise2_global_align", args, "--record"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let id = stderr.split_whitespace().skip_while(|w| *w != "trace").nth(1).expect("the trace id on stderr").to_string();
    assert_ne!(id, V1_CALL_TRACE, "the same call in format 2 has another id");
    let bytes = std::fs::read(home.path().join(format!("store/traces/{}/{}.json", &id[..2], &id[2..]))).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(r#""format":"dive-trace/2""#) && text.contains(r#""gap_extend":-0.000001,"gap_open":-0.225,"match_score":1e-7"#), "{text}");
    assert_eq!(python_rfc8785(&text, false), text, "a standard RFC 8785 implementation gives the trace's own bytes");
    assert_eq!(blake3::hash(text.as_bytes()).to_hex().to_string(), id);

    let out = fixture_dive("trace-v1", home.path(), &["replay", &id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
