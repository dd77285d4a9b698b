//! Served tool calls: `dive serve mcp` against a Python MCP server (the `mcp` package's
//! MCPServer, formerly FastMCP) calling Biopython for the same tool, over streamable
//! HTTP with 1 and 16 concurrent clients; and `dive serve env` step latency for a local
//! tool and a replayed API tool. One load generator (this file) for every server.
//!
//!     cargo bench -p dive-integration-tests --bench serve      (or `make bench-serve`)
//!
//! BENCH_SECS sets the measured seconds per case (default 5). Prints a Markdown table.

use bytes::Bytes;
use dive_integration_tests::{builtin_pool_dir, dive_bin, echo_handler, guest_wasm, isolated_env, make_package, python, repo_root, Fixture};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LOGICAL: &str = "https://api.example.test";
const SEQ: &str = "ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAGATGCATTGCATGCAAGGCTTACGGATCCAGTCAAGCTAGCTAGC";

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    send: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: String,
    session: Option<String>,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_nodelay(true).unwrap();
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        Conn { send, addr: addr.to_string(), session: None }
    }

    /// POST a JSON body; (status, session header, body text).
    async fn post(&mut self, path: &str, body: &Value) -> (u16, Option<String>, String) {
        let mut req = hyper::Request::post(path)
            .header("host", &self.addr)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(s) = &self.session {
            req = req.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
        }
        let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
        self.send.ready().await.unwrap_or_else(|e| panic!("{path}: the server closed the connection: {e}"));
        let resp = self.send.send_request(req).await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let session = resp.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
        (status, session, text)
    }

    /// An MCP session on this connection (initialize, initialized).
    async fn mcp(addr: &str) -> Conn {
        let mut c = Conn::open(addr).await;
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}});
        let (status, session, text) = c.post("/mcp", &init).await;
        assert_eq!(status, 200, "initialize at {addr}: {text}");
        c.session = session;
        c.post("/mcp", &json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        c
    }
}

/// A server process, killed when dropped (also when the bench panics).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Latencies of one case, and the wall time they took.
struct Measured {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Measured {
    fn row(&self, name: &str) -> String {
        let mut l = self.latencies.clone();
        l.sort();
        let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)].as_secs_f64() * 1e3;
        format!(
            "| {name} | {:.0} | {:.2} | {:.2} |",
            l.len() as f64 / self.wall.as_secs_f64(),
            pct(0.5),
            pct(0.99)
        )
    }
}

/// `clients` MCP sessions calling bio_seq_reverse_complement in a loop for `secs`.
async fn mcp_load(addr: &str, clients: usize, secs: Duration) -> Measured {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "bio_seq_reverse_complement", "arguments": {"sequence": SEQ}}});
    let start = Instant::now();
    let workers = (0..clients).map(|_| {
        let (addr, call) = (addr.to_string(), call.clone());
        tokio::spawn(async move {
            let mut c = Conn::mcp(&addr).await;
            let mut lat = Vec::new();
            let warm = Instant::now() + Duration::from_millis(500);
            while Instant::now() < warm {
                c.post("/mcp", &call).await;
            }
            let until = Instant::now() + secs;
            while Instant::now() < until {
                let t = Instant::now();
                let (status, _, text) = c.post("/mcp", &call).await;
                lat.push(t.elapsed());
                assert!(status == 200 && text.contains("reverse_complement") && !text.contains("\"isError\":true"), "{text}");
            }
            lat
        })
    });
    let mut latencies = Vec::new();
    for w in futures::future::join_all(workers).await {
        latencies.extend(w.unwrap());
    }
    Measured { latencies, wall: start.elapsed() - Duration::from_millis(500) }
}

/// One env episode stepping `tool` with `args` for `secs`.
async fn env_load(addr: &str, tool: &str, args: Value, secs: Duration) -> Measured {
    let mut c = Conn::open(addr).await;
    let (_, _, text) = c.post("/reset", &json!({"task": 0})).await;
    let ep: Value = serde_json::from_str(&text).unwrap();
    let step = json!({"episode": ep["episode"], "tool": tool, "arguments": args});
    let start = Instant::now();
    let mut latencies = Vec::new();
    while start.elapsed() < secs {
        let t = Instant::now();
        let (status, _, text) = c.post("/step", &step).await;
        latencies.push(t.elapsed());
        assert!(status == 200 && text.contains("\"result\""), "{text}");
    }
    Measured { latencies, wall: start.elapsed() }
}

/// Start a process and wait for `marker` on its stderr (dive) or for the port to answer.
fn spawn(cmd: &mut Command, home: &Path) -> (Child, String) {
    let mut child = cmd.current_dir(home).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split("http://").nth(1).map(|a| a.trim_end_matches("/mcp").to_string()))
        .expect("the server announces its address");
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

fn dive(home: &Path, args: &[&str]) -> (Child, String) {
    let mut env = isolated_env(home);
    env.push(("DIVE_BUILTIN_TOOLS", builtin_pool_dir().into_os_string()));
    spawn(Command::new(dive_bin()).args(args).env_clear().envs(env), home)
}

async fn python_server(port: u16) -> Child {
    let mut child = Command::new(python())
        .args([repo_root().join("scripts/bench_fastmcp_bio.py").to_str().unwrap(), &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the Python MCP server did not start");
}

/// A task over a recorded API call (probe_http against a loopback fixture), with a local
/// tool in its toolset too.
async fn env_task(home: &Path, probe: &str) {
    let f = Fixture::start(echo_handler).await;
    let up = format!("{LOGICAL}={}", f.url());
    let args = json!({"url": format!("{LOGICAL}/echo?q=1")}).to_string();
    let mut env = isolated_env(home);
    env.push(("DIVE_BUILTIN_TOOLS", builtin_pool_dir().into_os_string()));
    let o = Command::new(dive_bin())
        .args(["--tools", probe, "--upstream", &up, "--allow-private-network", "call", "probe_http", &args, "--record"])
        .current_dir(home)
        .env_clear()
        .envs(env)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let trace = stderr.lines().find_map(|l| l.strip_prefix("trace ")).expect("a trace id").trim().to_string();
    let task = json!({
        "uuid": "00000000-0000-8000-8000-0000000000b1", "question": "What status does the service answer?",
        "ground_truth": "200", "domain": "general", "seed": "1", "tools": ["bio_seq_reverse_complement", "probe_http"],
        "evidence": {"trace": trace, "calls": [{"index": 0, "tool": "probe_http"}]}, "derivation_history": [],
        "rounds_completed": 1, "trace": trace, "answer_path": {"op": "value", "call": 0, "path": "/status"},
        "verifier": {"kind": "normalized"}, "tool_graph": {"nodes": ["probe_http"], "edges": [], "from_seed": [0]},
        "config": {"index": 0, "run_seed": 0, "seed_type": "number", "exemplars": [], "policy": "builtin"},
    });
    std::fs::write(home.join("tasks.jsonl"), format!("{task}\n")).unwrap();
}

fn main() {
    let secs = Duration::from_secs(std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let home = tempfile::tempdir().unwrap();
        let mut rows = vec!["| case | calls/s | p50 ms | p99 ms |".to_string(), "|---|---|---|---|".to_string()];

        let (dive_mcp, addr) = dive(home.path(), &["serve", "mcp", "--listen", "127.0.0.1:0", "--tool", "bio_seq_reverse_complement"]);
        let dive_mcp = Killed(dive_mcp);
        for clients in [1, 16] {
            rows.push(mcp_load(&addr, clients, secs).await.row(&format!("dive serve mcp, {clients} client(s)")));
            eprintln!("{}", rows.last().unwrap());
        }
        drop(dive_mcp);

        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let py = Killed(python_server(port).await);
        let py_addr = format!("127.0.0.1:{port}");
        for clients in [1, 16] {
            rows.push(mcp_load(&py_addr, clients, secs).await.row(&format!("Python MCPServer + Biopython, {clients} client(s)")));
            eprintln!("{}", rows.last().unwrap());
        }
        drop(py);

        let probe = make_package(&home.path().join("pkgs/probe"), &guest_wasm("sandbox-probe"), &format!("domain = \"general\"\n[policy]\nnetwork = [\"{LOGICAL}\"]\n"));
        env_task(home.path(), probe.to_str().unwrap()).await;
        let (env, addr) = dive(home.path(), &["--tools", probe.to_str().unwrap(), "serve", "env", "tasks.jsonl", "--listen", "127.0.0.1:0", "--max-steps", "10000000"]);
        let env = Killed(env);
        rows.push(env_load(&addr, "bio_seq_reverse_complement", json!({"sequence": SEQ}), secs).await.row("dive serve env step, local tool"));
        rows.push(env_load(&addr, "probe_http", json!({"url": format!("{LOGICAL}/echo?q=1")}), secs).await.row("dive serve env step, replayed API tool"));
        drop(env);
        println!("{}", rows.join("\n"));
    });
}
