//! `dive serve mcp` and `dive serve env` (ARCHITECTURE.md §10), driven by the real
//! Python `mcp` client and `openai` client from the project's virtualenv, and by plain
//! HTTP. Every upstream is a loopback fixture started here.

use dive_integration_tests::{builtin_pool_dir, dive_bin, echo_handler, guest_wasm, isolated_env, make_package, python, repo_root, Fixture, Reply};
use dive_runtime::store::Store;
use dive_runtime::trace::read_trace;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const LOGICAL: &str = "https://api.example.test";

/// The sandbox-probe package: a network policy for LOGICAL and room for a slow call.
fn probe(home: &Path) -> PathBuf {
    make_package(
        &home.join("pkgs/probe"),
        &guest_wasm("sandbox-probe"),
        &format!("domain = \"general\"\n[policy]\nnetwork = [\"{LOGICAL}\"]\ntimeout_ms = 20000\n"),
    )
}

/// A running `dive serve …` and the address it announced on stderr.
struct Server {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(home: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(dive_bin())
            .args(args)
            .current_dir(home)
            .env_clear()
            .envs(isolated_env(home))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            stderr.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(at) = line.find("http://") {
                url = Some(line[at..].trim_end_matches("/mcp").to_string());
                break;
            }
        }
        let Some(url) = url else {
            let status = child.wait().unwrap();
            panic!("the server did not start ({status}): {}", stderr.lock().unwrap());
        };
        let keep = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                keep.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        Server { child, url, stderr }
    }

    /// SIGTERM, then the exit code (the server finishes what is in flight first).
    fn stop(mut self) -> (i32, String) {
        // SAFETY: signalling our own child process by its id.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let err = self.stderr.lock().unwrap().clone();
        (code, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run the MCP client script; its JSON report.
fn mcp_client(home: &Path, mode: &str, scenario: &str, target: &[&str], args: &Value) -> Value {
    let script = repo_root().join("tests/serve/mcp_client.py");
    let o = Command::new(python())
        .arg(&script)
        .args([mode, scenario])
        .args(target)
        .current_dir(home)
        .env_clear()
        .envs(isolated_env(home))
        .env("SCENARIO_ARGS", args.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "the MCP client failed: {}\n{stdout}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The calls of the `basic` scenario.
fn basic_calls() -> Value {
    json!({ "calls": {
        "ok": ["probe_echo", {"text": "ab", "times": 2}],
        "tool_error": ["probe_echo", {"text": "fail-upstream"}],
        "violation": ["probe_http", {"url": "https://elsewhere.test/"}],
        "bad_args": ["probe_echo", {"nope": 1}],
        "unknown": ["no_such_tool", {}],
        "api": ["probe_http", {"url": format!("{LOGICAL}/echo?q=1")}],
        "after": ["probe_echo", {"text": "still serving"}],
    }})
}

fn check_basic(out: &Value) {
    let tools = &out["tools"];
    let echo = &tools["probe_echo"];
    assert_eq!(echo["inputSchema"]["required"], json!(["text"]), "{echo}");
    assert_eq!(echo["title"], "Probe echo");
    assert_eq!(echo["annotations"]["readOnlyHint"], true);
    assert_eq!(echo["annotations"]["openWorldHint"], true, "the package's policy allows network");
    // The entries are dive_export::mcp's (outputSchema where a tool declares one; the
    // probe's tools return free-form JSON and declare none).
    assert!(echo.get("outputSchema").is_none(), "{echo}");
    assert!(tools.get("probe_spin").is_none(), "only the --tool names are served: {tools}");
    let calls = &out["calls"];
    assert_eq!(calls["ok"]["is_error"], false, "{calls}");
    assert_eq!(calls["ok"]["structured"], json!({"echo": "abab"}));
    assert_eq!(serde_json::from_str::<Value>(calls["ok"]["text"].as_str().unwrap()).unwrap(), json!({"echo": "abab"}));
    assert_eq!(calls["tool_error"]["is_error"], true);
    assert!(calls["tool_error"]["text"].as_str().unwrap().contains("the service said no"), "{calls}");
    assert_eq!(calls["violation"]["is_error"], true);
    let v: Value = serde_json::from_str(calls["violation"]["text"].as_str().unwrap()).unwrap();
    assert_eq!((v["error"]["kind"].as_str(), v["error"]["rule"].as_str()), (Some("sandbox_violation"), Some("network")));
    assert_eq!(calls["bad_args"]["is_error"], true);
    assert!(calls["bad_args"]["text"].as_str().unwrap().contains("invalid_args"), "{calls}");
    assert!(calls["unknown"]["protocol_error"].as_str().unwrap_or_default().contains("unknown tool"), "{calls}");
    assert_eq!(calls["api"]["is_error"], false, "{calls}");
    assert_eq!(calls["api"]["structured"]["status"], 200);
    assert_eq!(calls["after"]["structured"], json!({"echo": "still serving"}));
}

/// The traces under refs `prefix/…`, each as (ref, its calls' argument texts).
fn traces_under(home: &Path, prefix: &str) -> Vec<(String, Vec<String>)> {
    let store = Store::open(home.join(".dive/store")).unwrap();
    store
        .refs()
        .unwrap()
        .into_iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, id)| {
            let (doc, _) = read_trace(&store, &id).unwrap();
            (name, doc.calls.iter().map(|c| c.args.to_string()).collect())
        })
        .collect()
}

fn serve_mcp_args<'a>(pkg: &'a str, up: &'a str) -> Vec<&'a str> {
    vec![
        "--tools", pkg, "--upstream", up, "--allow-private-network", "serve", "mcp",
        "--tool", "probe_echo", "--tool", "probe_http", "--tool", "probe_sleep", "--record",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_over_stdio_with_the_python_client_records_the_session() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let f = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", f.url());
    let mut target = vec![dive_bin().to_str().unwrap().to_string()];
    target.extend(serve_mcp_args(pkg.to_str().unwrap(), &up).iter().map(|s| s.to_string()));
    let h = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let target: Vec<&str> = target.iter().map(String::as_str).collect();
        mcp_client(&h, "stdio", "basic", &target, &basic_calls())
    })
    .await
    .unwrap();
    check_basic(&out);

    // The session is one trace (the refused calls never ran), and it replays offline.
    let traces = traces_under(home.path(), "serve/");
    assert_eq!(traces.len(), 1, "{traces:?}");
    assert_eq!(traces[0].1.len(), 5, "ok, tool error, violation, api, after: {traces:?}");
    let o = Command::new(dive_bin())
        .args(["--tools", pkg.to_str().unwrap(), "replay", &traces[0].0])
        .current_dir(home.path())
        .env_clear()
        .envs(isolated_env(home.path()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));

    // --replay: the recorded API call is answered without the upstream; a new one is not.
    drop(f);
    let replay_args = ["--tools", pkg.to_str().unwrap(), "serve", "mcp", "--listen", "127.0.0.1:0", "--replay", &traces[0].0];
    let server = Server::start(home.path(), &replay_args);
    let url = format!("{}/mcp", server.url);
    let calls = json!({ "calls": {
        "recorded": ["probe_http", {"url": format!("{LOGICAL}/echo?q=1")}],
        "new": ["probe_http", {"url": format!("{LOGICAL}/echo?q=2")}],
    }});
    let h = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || mcp_client(&h, "http", "basic", &[&url], &calls)).await.unwrap();
    assert_eq!(out["calls"]["recorded"]["structured"]["status"], 200, "{out}");
    assert_eq!(out["calls"]["new"]["is_error"], true);
    assert!(out["calls"]["new"]["text"].as_str().unwrap().contains("not in the recorded evidence"), "{out}");
    assert_eq!(server.stop().0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_over_streamable_http_with_the_python_client() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let f = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", f.url());
    let mut args = serve_mcp_args(pkg.to_str().unwrap(), &up);
    args.extend(["--listen", "127.0.0.1:0"]);
    let server = Server::start(home.path(), &args);
    let url = format!("{}/mcp", server.url);
    let h = home.path().to_path_buf();
    let u = url.clone();
    let out = tokio::task::spawn_blocking(move || mcp_client(&h, "http", "basic", &[&u], &basic_calls())).await.unwrap();
    check_basic(&out);

    // 64 sessions at once from one client while another session's call is slow.
    let h = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || mcp_client(&h, "http", "many", &[&url], &json!({"sessions": 64, "slow_ms": 8000})))
        .await
        .unwrap();
    let sessions = out["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 64);
    for s in sessions {
        let i = s["i"].as_u64().unwrap();
        assert_eq!(s["first"]["structured"], json!({"echo": format!("session-{i}-")}), "{s}");
        assert_eq!(s["second"]["structured"], json!({"echo": format!("session-{i}-session-{i}-")}), "{s}");
    }
    assert_eq!(out["slow_was_running"], true, "the other sessions finished while the slow call ran");
    assert_eq!(out["slow"]["structured"], json!({"slept_ms": 8000}));

    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    // One trace per session, holding only that session's calls.
    let traces = traces_under(home.path(), "serve/");
    let echo_sessions: Vec<&(String, Vec<String>)> = traces.iter().filter(|(_, calls)| calls.iter().any(|c| c.contains("session-"))).collect();
    assert_eq!(echo_sessions.len(), 64, "{stderr}");
    for (name, calls) in echo_sessions {
        assert_eq!(calls.len(), 2, "{name}: {calls:?}");
        let marker = calls[0].split("session-").nth(1).unwrap().split('-').next().unwrap().to_string();
        assert!(calls.iter().all(|c| c.contains(&format!("session-{marker}-"))), "{name} holds another session's call: {calls:?}");
    }
}

/// A plain HTTP request; (status, JSON body).
async fn http(method: &str, url: &str, body: Option<&str>, token: Option<&str>) -> (u16, Value) {
    // reqwest is built without a process-wide crypto provider (never used: plain http).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client.request(method.parse().unwrap(), url).header("accept", "application/json, text/event-stream");
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_refuses_exposure_without_a_token_and_requests_without_it() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    for sub in [&["serve", "mcp"][..], &["serve", "env", "tasks.jsonl"][..]] {
        let mut args = vec!["--tools", tools];
        args.extend(sub);
        args.extend(["--listen", "0.0.0.0:0"]);
        let o = Command::new(dive_bin()).args(&args).current_dir(home.path()).env_clear().envs(isolated_env(home.path())).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{:?}", o);
        assert!(String::from_utf8_lossy(&o.stderr).contains("--token-file"), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = Command::new(dive_bin())
        .args(["--tools", tools, "serve", "mcp", "--tool", "nope_echo"])
        .current_dir(home.path())
        .env_clear()
        .envs(isolated_env(home.path()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "an unknown --tool is bad usage");

    let token = "s3cret-token-0123456789";
    std::fs::write(home.path().join("token"), format!("{token}\n")).unwrap();
    let server = Server::start(home.path(), &["--tools", tools, "serve", "mcp", "--listen", "127.0.0.1:0", "--token-file", "token"]);
    let url = format!("{}/mcp", server.url);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    .to_string();
    let (status, body) = http("POST", &url, Some(&init), None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = http("POST", &url, Some(&init), Some("wrong-token-0123456789")).await;
    assert_eq!(status, 401);
    let (status, body) = http("POST", &url, Some(&init), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    let big = "x".repeat(2 << 20);
    let (status, body) = http("POST", &url, Some(&big), Some(token)).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = http("GET", &format!("{}/elsewhere", server.url), None, Some(token)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    assert_eq!(server.stop().0, 0);
}

/// Record an API call's evidence and write a task file over it: one task whose answer
/// is the recorded response's status, with the probe's echo and HTTP tools.
async fn task_file(home: &Path, pkg: &str) -> PathBuf {
    let f = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", f.url());
    let args = json!({"url": format!("{LOGICAL}/echo?q=1")}).to_string();
    let o = tokio::process::Command::new(dive_bin())
        .args(["--tools", pkg, "--upstream", &up, "--allow-private-network", "call", "probe_http", &args, "--record", "--clock", "1767225600"])
        .current_dir(home)
        .env_clear()
        .envs(isolated_env(home))
        .output()
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let trace = stderr.lines().find_map(|l| l.strip_prefix("trace ")).unwrap().trim().to_string();
    let task = |uuid: &str, truth: &str| {
        json!({
            "uuid": uuid, "question": "What status does the example service answer for query 1?",
            "ground_truth": truth, "domain": "general", "seed": "1",
            "tools": ["probe_echo", "probe_http", "probe_sleep"],
            "evidence": {"trace": trace, "calls": [{"index": 0, "tool": "probe_http"}]},
            "derivation_history": [], "rounds_completed": 1, "trace": trace,
            "answer_path": {"op": "value", "call": 0, "path": "/status"},
            "verifier": {"kind": "numeric", "rel_tol": 0.0, "abs_tol": 0.0},
            "tool_graph": {"nodes": ["probe_http"], "edges": [], "from_seed": [0]},
            "config": {"index": 0, "run_seed": 0, "seed_type": "number", "exemplars": [], "policy": "builtin"},
        })
        .to_string()
    };
    let path = home.join("tasks.jsonl");
    std::fs::write(&path, format!("{}\n{}\n", task("00000000-0000-8000-8000-000000000001", "200"), task("00000000-0000-8000-8000-000000000002", "404"))).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_episodes_step_from_the_evidence_and_reward_from_the_verifier() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    task_file(home.path(), tools).await;
    // No --upstream and no fixture: every step is answered from the evidence.
    let server = Server::start(home.path(), &["--tools", tools, "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0", "--record", "--max-steps", "4"]);
    let u = |p: &str| format!("{}{p}", server.url);

    let (status, health) = http("GET", &u("/health"), None, None).await;
    assert_eq!((status, health["status"].as_str(), health["tasks"].as_u64()), (200, Some("ok"), Some(2)));

    let (status, ep) = http("POST", &u("/reset"), Some(r#"{"task": 0}"#), None).await;
    assert_eq!(status, 200, "{ep}");
    assert!(ep["question"].as_str().unwrap().ends_with('?'));
    let names: Vec<&str> = ep["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["probe_echo", "probe_http", "probe_sleep"]);
    assert_eq!(ep["tools"][0]["type"], "function");
    let id = ep["episode"].as_str().unwrap().to_string();
    let step = |tool: &str, args: Value| json!({"episode": id, "tool": tool, "arguments": args}).to_string();

    let (status, r) = http("POST", &u("/step"), Some(&step("probe_http", json!({"url": format!("{LOGICAL}/echo?q=1")}))), None).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["result"]["status"], 200, "answered from the recording: {r}");
    let (_, r) = http("POST", &u("/step"), Some(&step("probe_http", json!({"url": format!("{LOGICAL}/echo?q=2")}))), None).await;
    assert_eq!(r["error"]["kind"], "upstream", "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("not in the recorded evidence"), "{r}");
    // Arguments as chat-completions gives them: a string holding the object.
    let (_, r) = http("POST", &u("/step"), Some(&step("probe_echo", json!("{\"text\": \"x\"}"))), None).await;
    assert_eq!(r["result"], json!({"echo": "x"}), "{r}");

    // What the edge refuses, each naming the problem.
    let (status, r) = http("POST", &u("/step"), Some("{not json"), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (400, Some("bad_json")), "{r}");
    let (status, r) = http("POST", &u("/step"), Some(r#"{"episode": "nope", "tool": "probe_echo"}"#), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (404, Some("unknown_episode")));
    let (status, r) = http("POST", &u("/step"), Some(&step("probe_spin", json!({}))), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (400, Some("unknown_tool")));
    assert!(r["error"]["message"].as_str().unwrap().contains("probe_spin"));
    let (status, r) = http("POST", &u("/reset"), Some(r#"{"task": "no-such-uuid"}"#), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (404, Some("unknown_task")));
    let (status, r) = http("POST", &u("/reset"), Some(r#"{"task": 7}"#), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (404, Some("unknown_task")));
    let (status, r) = http("POST", &u("/reset"), Some(&format!("{{\"task\": \"{}\"}}", "x".repeat(2 << 20))), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (413, Some("body_too_large")));
    let (status, _) = http("GET", &u("/step"), None, None).await;
    assert_eq!(status, 405);
    // The step limit: 3 taken, one left, then refused.
    let (_, r) = http("POST", &u("/step"), Some(&step("probe_echo", json!({"text": "y"}))), None).await;
    assert_eq!(r["steps_left"], 0, "{r}");
    let (status, r) = http("POST", &u("/step"), Some(&step("probe_echo", json!({"text": "z"}))), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("step_limit")));

    let (status, r) = http("POST", &u("/submit"), Some(&json!({"episode": id, "answer": " 200 "}).to_string()), None).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!((r["reward"].as_f64(), r["correct"].as_bool()), (Some(1.0), Some(true)));
    let (status, _) = http("POST", &u("/submit"), Some(&json!({"episode": id, "answer": "200"}).to_string()), None).await;
    assert_eq!(status, 404, "a submitted episode is closed");
    // The second task's verifier wants 404: the same answer scores 0.
    let (_, ep2) = http("POST", &u("/reset"), Some(r#"{"task": "00000000-0000-8000-8000-000000000002"}"#), None).await;
    let (_, r) = http("POST", &u("/submit"), Some(&json!({"episode": ep2["episode"], "answer": "200"}).to_string()), None).await;
    assert_eq!((r["reward"].as_f64(), r["correct"].as_bool()), (Some(0.0), Some(false)));

    assert_eq!(server.stop().0, 0);
    let traces = traces_under(home.path(), &format!("env/{id}"));
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].1.len(), 4, "the episode's four steps: {traces:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_keeps_the_evidence_of_open_episodes_and_of_the_recent_tasks_only() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    let two = task_file(home.path(), tools).await;
    // 70 tasks on the same evidence, each loaded on its own.
    let mut first: Value = serde_json::from_str(std::fs::read_to_string(&two).unwrap().lines().next().unwrap()).unwrap();
    let lines: Vec<String> = (0..70)
        .map(|i| {
            first["uuid"] = json!(format!("00000000-0000-8000-8000-{i:012}"));
            first.to_string()
        })
        .collect();
    std::fs::write(home.path().join("many.jsonl"), lines.join("\n")).unwrap();
    let server = Server::start(home.path(), &["--tools", tools, "serve", "env", "many.jsonl", "--listen", "127.0.0.1:0"]);
    let u = |p: &str| format!("{}{p}", server.url);
    let health = u("/health");
    let loaded = || {
        let health = health.clone();
        async move { http("GET", &health, None, None).await.1["evidence_loaded"].as_u64() }
    };

    // Task 0 stays open while 69 other tasks are each played and submitted.
    let (_, open) = http("POST", &u("/reset"), Some(r#"{"task": 0}"#), None).await;
    for i in 1..70 {
        let (status, ep) = http("POST", &u("/reset"), Some(&format!("{{\"task\": {i}}}")), None).await;
        assert_eq!(status, 200, "{ep}");
        let (_, r) = http("POST", &u("/submit"), Some(&json!({"episode": ep["episode"], "answer": "200"}).to_string()), None).await;
        assert_eq!(r["correct"], true, "{r}");
    }
    assert_eq!(loaded().await, Some(65), "the 64 loaded last, and the open episode's");
    let (_, r) = http("POST", &u("/submit"), Some(&json!({"episode": open["episode"], "answer": "200"}).to_string()), None).await;
    assert_eq!(r["correct"], true, "{r}");
    assert_eq!(loaded().await, Some(64), "ended, task 0's evidence is let go");
    // A task whose evidence was let go is loaded again and answers from it.
    let (_, ep) = http("POST", &u("/reset"), Some(r#"{"task": 1}"#), None).await;
    let step = json!({"episode": ep["episode"], "tool": "probe_http", "arguments": {"url": format!("{LOGICAL}/echo?q=1")}}).to_string();
    let (status, r) = http("POST", &u("/step"), Some(&step), None).await;
    assert_eq!((status, &r["result"]["status"]), (200, &json!(200)), "{r}");
    assert_eq!(loaded().await, Some(64));
    assert_eq!(server.stop().0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_reads_each_task_from_the_file_it_opened_and_refuses_a_line_changed_since() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    let path = task_file(home.path(), tools).await;
    let server = Server::start(home.path(), &["--tools", tools, "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0"]);
    let u = |p: &str| format!("{}{p}", server.url);
    let reset = |task: &'static str| {
        let url = u("/reset");
        async move { http("POST", &url, Some(&format!("{{\"task\": {task}}}")), None).await }
    };

    // Task 0's question rewritten in place, every byte offset kept: the server, which
    // reads a task from the file at /reset, refuses it instead of serving another task.
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("for query 1?", "for query 9?", 1);
    assert_ne!(edited, text);
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().write_all(edited.as_bytes()).unwrap();
    let (status, r) = reset("0").await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("task_file_changed")), "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("tasks.jsonl:1 changed"), "{r}");
    let (status, r) = reset("\"00000000-0000-8000-8000-000000000002\"").await;
    assert_eq!((status, r["task"].as_str()), (200, Some("00000000-0000-8000-8000-000000000002")), "the unchanged line still serves: {r}");

    // A file renamed over the path is not the file being served.
    let other = home.path().join("other.jsonl");
    std::fs::write(&other, "\n").unwrap();
    std::fs::rename(&other, &path).unwrap();
    let (status, ep) = reset("1").await;
    assert_eq!(status, 200, "{ep}");
    assert!(ep["question"].as_str().unwrap().ends_with("for query 1?"), "{ep}");
    let (_, r) = http("POST", &u("/submit"), Some(&json!({"episode": ep["episode"], "answer": "404"}).to_string()), None).await;
    assert_eq!(r["correct"], true, "task 1's verifier, read from the file served: {r}");
    assert_eq!(server.stop().0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_64_concurrent_episodes_do_not_mix_and_a_slow_step_does_not_stall_them() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    task_file(home.path(), tools).await;
    let server = Server::start(home.path(), &["--tools", tools, "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0", "--record"]);
    let base = server.url.clone();

    let (_, slow_ep) = http("POST", &format!("{base}/reset"), Some(r#"{"task": 0}"#), None).await;
    let slow_body = json!({"episode": slow_ep["episode"], "tool": "probe_sleep", "arguments": {"ms": 8000}}).to_string();
    let b = base.clone();
    let slow = tokio::spawn(async move { http("POST", &format!("{b}/step"), Some(&slow_body), None).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let episodes = futures::future::join_all((0..64).map(|i| {
        let base = base.clone();
        async move {
            let (_, ep) = http("POST", &format!("{base}/reset"), Some(&format!("{{\"task\": {}}}", i % 2)), None).await;
            let id = ep["episode"].as_str().unwrap().to_string();
            for n in 0..2 {
                let body = json!({"episode": id, "tool": "probe_echo", "arguments": {"text": format!("ep{i}-{n}")}}).to_string();
                let (status, r) = http("POST", &format!("{base}/step"), Some(&body), None).await;
                assert_eq!((status, &r["result"]), (200, &json!({"echo": format!("ep{i}-{n}")})));
            }
            let (_, r) = http("POST", &format!("{base}/submit"), Some(&json!({"episode": id, "answer": "200"}).to_string()), None).await;
            assert_eq!(r["correct"], i % 2 == 0, "{r}");
            (i, id)
        }
    }))
    .await;
    assert!(!slow.is_finished(), "the 64 episodes finished while the slow step still ran");
    let (status, r) = slow.await.unwrap();
    assert_eq!((status, &r["result"]), (200, &json!({"slept_ms": 8000})));

    assert_eq!(server.stop().0, 0);
    for (i, id) in episodes {
        let traces = traces_under(home.path(), &format!("env/{id}"));
        assert_eq!(traces.len(), 1);
        assert_eq!(traces[0].1, vec![json!({"text": format!("ep{i}-0")}).to_string(), json!({"text": format!("ep{i}-1")}).to_string()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_stop_finishes_the_step_in_flight_and_idle_episodes_are_reaped() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    task_file(home.path(), tools).await;
    let token = "env-token-0123456789abcdef";
    std::fs::write(home.path().join("token"), token).unwrap();
    let server = Server::start(
        home.path(),
        &["--tools", tools, "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0", "--record", "--idle-timeout", "1", "--token-file", "token"],
    );
    let base = server.url.clone();
    let (status, _) = http("POST", &format!("{base}/reset"), Some(r#"{"task": 0}"#), None).await;
    assert_eq!(status, 401, "no token");

    // Reaped: an episode left idle is ended (its trace written) and then unknown.
    let (_, idle) = http("POST", &format!("{base}/reset"), Some(r#"{"task": 0}"#), Some(token)).await;
    let idle_id = idle["episode"].as_str().unwrap().to_string();
    let body = json!({"episode": idle_id, "tool": "probe_echo", "arguments": {"text": "before"}}).to_string();
    assert_eq!(http("POST", &format!("{base}/step"), Some(&body), Some(token)).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    let (status, r) = http("POST", &format!("{base}/step"), Some(&body), Some(token)).await;
    assert_eq!((status, r["error"]["code"].as_str()), (404, Some("unknown_episode")), "{r}");
    assert_eq!(traces_under(home.path(), &format!("env/{idle_id}")).len(), 1, "the reaped episode's trace is written");

    // SIGTERM while a step runs: the step finishes and its episode's trace is written.
    let (_, ep) = http("POST", &format!("{base}/reset"), Some(r#"{"task": 0}"#), Some(token)).await;
    let id = ep["episode"].as_str().unwrap().to_string();
    let body = json!({"episode": id, "tool": "probe_sleep", "arguments": {"ms": 600}}).to_string();
    let b = base.clone();
    let step = tokio::spawn(async move { http("POST", &format!("{b}/step"), Some(&body), Some(token)).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (code, stderr) = tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    let (status, r) = step.await.unwrap();
    assert_eq!((status, &r["result"]), (200, &json!({"slept_ms": 600})), "{stderr}");
    assert_eq!(traces_under(home.path(), &format!("env/{id}")).len(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_agent_runs_episodes_with_the_openai_client() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    task_file(home.path(), tools).await;
    let server = Server::start(home.path(), &["--tools", tools, "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0"]);
    // A fake chat-completions model: first it calls probe_http with the recorded URL,
    // then it answers with the status the tool returned.
    let model = Fixture::start(|s| {
        let req: Value = serde_json::from_slice(&s.body).unwrap_or_default();
        let messages = req["messages"].as_array().cloned().unwrap_or_default();
        let message = match messages.iter().rev().find(|m| m["role"] == "tool") {
            None => json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "probe_http", "arguments": json!({"url": format!("{LOGICAL}/echo?q=1")}).to_string()}}]}),
            Some(m) => {
                let result: Value = serde_json::from_str(m["content"].as_str().unwrap_or("{}")).unwrap_or_default();
                json!({"role": "assistant", "content": result["status"].to_string()})
            }
        };
        Reply::json(200, &json!({"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}))
    })
    .await;
    let script = repo_root().join("examples/env_agent.py");
    let (env_url, base_url) = (server.url.clone(), format!("{}/v1", model.url()));
    let h = home.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(&script)
            .args(["--env", &env_url, "--base-url", &base_url, "--model", "fake", "--task", "0", "--task", "1"])
            .current_dir(&h)
            .env_clear()
            .envs(isolated_env(&h))
            .env("OPENAI_API_KEY", "unused")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!((lines[0]["answer"].as_str(), lines[0]["reward"].as_f64()), (Some("200"), Some(1.0)), "{stdout}");
    assert_eq!(lines[1]["reward"].as_f64(), Some(0.0), "task 1 wants 404: {stdout}");
    assert_eq!(lines[2]["mean_reward"].as_f64(), Some(0.5));
    assert!(model.seen().iter().all(|s| s.path_and_query == "/v1/chat/completions"));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_mcp_session_is_reaped_and_a_stop_finishes_the_call_in_flight() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let server = Server::start(
        home.path(),
        &["--tools", pkg.to_str().unwrap(), "serve", "mcp", "--listen", "127.0.0.1:0", "--record", "--idle-timeout", "1"],
    );
    let url = format!("{}/mcp", server.url);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |body: Value, session: Option<String>| {
        let mut req = client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        if let Some(s) = session {
            req = req.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
        }
        req.send()
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let r = post(init, None).await.unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_string();
    r.text().await.unwrap();
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), Some(session.clone())).await.unwrap();
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "probe_echo", "arguments": {"text": "idle"}}});
    let text = post(call, Some(session.clone())).await.unwrap().text().await.unwrap();
    assert!(text.contains("structuredContent"), "{text}");
    // The client vanishes without closing its session.
    let mut written = Vec::new();
    for _ in 0..100 {
        written = traces_under(home.path(), "serve/");
        if !written.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(written.len(), 1, "the idle session was ended and its trace written while the server runs");
    assert_eq!(written[0].1, vec![json!({"text": "idle"}).to_string()]);

    // SIGTERM while a call runs in another session: the call is answered, then the
    // server exits 0 with that session's trace written.
    let r = post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}), None).await.unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_string();
    r.text().await.unwrap();
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), Some(session.clone())).await.unwrap();
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "probe_sleep", "arguments": {"ms": 700}}});
    let slow = post(call, Some(session));
    let stop = async {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        tokio::task::spawn_blocking(move || server.stop()).await.unwrap()
    };
    let (answer, (code, stderr)) = tokio::join!(async { slow.await.unwrap().text().await.unwrap() }, stop);
    assert!(answer.contains("slept_ms"), "the call in flight was answered: {answer} {stderr}");
    assert_eq!(code, 0, "{stderr}");
    let written = traces_under(home.path(), "serve/");
    assert_eq!(written.len(), 2, "{stderr}");
    assert!(written.iter().any(|(_, calls)| calls == &vec![json!({"ms": 700}).to_string()]), "{written:?}");
}

/// The MCP initialize request a plain HTTP client sends.
fn mcp_initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_sessions_beyond_max_sessions_are_refused_until_one_closes() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let server = Server::start(home.path(), &["--tools", pkg.to_str().unwrap(), "serve", "mcp", "--listen", "127.0.0.1:0", "--max-sessions", "2"]);
    let url = format!("{}/mcp", server.url);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let open = || async {
        let r = client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(mcp_initialize().to_string())
            .send()
            .await
            .unwrap();
        let session = r.headers().get("mcp-session-id").map(|v| v.to_str().unwrap().to_string());
        let status = r.status().as_u16();
        (status, session, r.text().await.unwrap())
    };
    let (s1, first, _) = open().await;
    let (s2, second, _) = open().await;
    assert_eq!((s1, s2), (200, 200));
    let (status, third, body) = open().await;
    assert!(status >= 400 && third.is_none(), "a third session over --max-sessions 2 is refused: {status} {body}");
    assert!(body.contains("--max-sessions"), "the refusal names the limit: {body}");

    // Closing a session (DELETE, as MCP clients do) makes room for another.
    let r = client.delete(&url).header("mcp-session-id", first.unwrap()).header("mcp-protocol-version", "2025-06-18").send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let mut reopened = None;
    for _ in 0..50 {
        let (status, session, _) = open().await;
        if status == 200 {
            reopened = session;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some() && reopened != second, "a new session once one closed");
    assert_eq!(server.stop().0, 0);
}

#[test]
fn mcp_domain_serves_exactly_that_domains_tools() {
    let pool = builtin_pool_dir();
    let home = tempfile::tempdir().unwrap();
    let pool_arg = pool.to_str().unwrap();
    let listed = Command::new(dive_bin())
        .args(["--json", "--no-builtin", "--tools", pool_arg, "tools", "list"])
        .current_dir(home.path())
        .env_clear()
        .envs(isolated_env(home.path()))
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let all: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let mut want: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["domain"] == "financial")
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert!(want.len() >= 10, "the built-in pool has financial tools: {want:?}");

    let dive = dive_bin();
    let out = mcp_client(
        home.path(),
        "stdio",
        "basic",
        &[dive.to_str().unwrap(), "--no-builtin", "--tools", pool_arg, "serve", "mcp", "--domain", "financial"],
        &json!({"calls": {}}),
    );
    let mut served: Vec<String> = out["tools"].as_object().unwrap().keys().cloned().collect();
    served.sort();
    assert_eq!(served, want);

    // A domain with no loaded tool is bad usage, said so.
    let pkg = probe(home.path());
    let o = Command::new(dive_bin())
        .args(["--tools", pkg.to_str().unwrap(), "serve", "mcp", "--domain", "medical"])
        .current_dir(home.path())
        .env_clear()
        .envs(isolated_env(home.path()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--domain"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_refuses_episodes_beyond_max_episodes_and_live_fills_what_the_evidence_lacks() {
    let home = tempfile::tempdir().unwrap();
    let pkg = probe(home.path());
    let tools = pkg.to_str().unwrap();
    task_file(home.path(), tools).await;
    let upstream = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", upstream.url());
    let server = Server::start(
        home.path(),
        &["--tools", tools, "--upstream", &up, "--allow-private-network", "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0", "--live", "--max-episodes", "2"],
    );
    let u = |p: &str| format!("{}{p}", server.url);
    let (_, a) = http("POST", &u("/reset"), Some(r#"{"task": 0}"#), None).await;
    let (_, b) = http("POST", &u("/reset"), Some(r#"{"task": 1}"#), None).await;
    let (status, r) = http("POST", &u("/reset"), Some(r#"{"task": 0}"#), None).await;
    assert_eq!((status, r["error"]["code"].as_str()), (429, Some("too_many_episodes")), "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("--max-episodes"), "{r}");

    // --live: the recorded request is answered from the evidence (the fixture never sees
    // it); one the evidence lacks goes to the upstream.
    let id = a["episode"].as_str().unwrap();
    let step = |q: u32| json!({"episode": id, "tool": "probe_http", "arguments": {"url": format!("{LOGICAL}/echo?q={q}")}}).to_string();
    let (status, r) = http("POST", &u("/step"), Some(&step(1)), None).await;
    assert_eq!((status, &r["result"]["status"]), (200, &json!(200)), "{r}");
    assert!(upstream.seen().is_empty(), "the recorded request was answered from the evidence");
    let (status, r) = http("POST", &u("/step"), Some(&step(2)), None).await;
    assert_eq!((status, &r["result"]["status"]), (200, &json!(200)), "a request the evidence lacks went live: {r}");
    assert_eq!(upstream.seen().iter().map(|s| s.path_and_query.clone()).collect::<Vec<_>>(), vec!["/echo?q=2".to_string()]);

    // Submitting one makes room again.
    let (status, _) = http("POST", &u("/submit"), Some(&json!({"episode": b["episode"], "answer": "404"}).to_string()), None).await;
    assert_eq!(status, 200);
    let (status, r) = http("POST", &u("/reset"), Some(r#"{"task": 0}"#), None).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(server.stop().0, 0);
}
