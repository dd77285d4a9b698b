//! Test guest: every tool here tries one thing the sandbox must control, and reports
//! what happened, so host tests can assert on it.

use dive_tool_sdk::{http, Tool, ToolError, Value};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpArgs {
    /// URL to request.
    url: String,
    #[serde(default = "get")]
    method: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    /// Send the same request this many times.
    #[serde(default = "one")]
    repeat: u32,
}
fn get() -> String {
    "GET".into()
}
fn one() -> u32 {
    1
}

/// Makes HTTP requests and reports the last response.
pub struct ProbeHttp;
impl Tool for ProbeHttp {
    const NAME: &'static str = "probe_http";
    const DESCRIPTION: &'static str = "Send an HTTP request (repeatedly) and return the last response.";
    type Args = HttpArgs;
    type Output = Value;
    async fn run(a: HttpArgs) -> Result<Value, ToolError> {
        let headers: Vec<(&str, &str)> = a.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut last = None;
        for _ in 0..a.repeat {
            last = Some(http::send(&a.method, &a.url, &headers, a.body.clone().map(String::into_bytes)).await?);
        }
        let r = last.ok_or_else(|| ToolError::invalid("repeat must be at least 1"))?;
        Ok(json!({ "status": r.status, "headers": r.headers, "body": r.text() }))
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct PathArgs {
    path: String,
}

/// Reads a file and reports its text or the error.
pub struct ProbeReadFile;
impl Tool for ProbeReadFile {
    const NAME: &'static str = "probe_read_file";
    const DESCRIPTION: &'static str = "Read a file; report its text or the error.";
    type Args = PathArgs;
    type Output = Value;
    async fn run(a: PathArgs) -> Result<Value, ToolError> {
        Ok(match std::fs::read_to_string(&a.path) {
            Ok(text) => json!({ "ok": true, "text": text }),
            Err(e) => json!({ "ok": false, "error": e.to_string() }),
        })
    }
}

/// Writes a file and reports whether it worked.
pub struct ProbeWriteFile;
impl Tool for ProbeWriteFile {
    const NAME: &'static str = "probe_write_file";
    const DESCRIPTION: &'static str = "Try to write a file; report the outcome.";
    type Args = PathArgs;
    type Output = Value;
    async fn run(a: PathArgs) -> Result<Value, ToolError> {
        Ok(match std::fs::write(&a.path, b"written by a guest") {
            Ok(()) => json!({ "ok": true }),
            Err(e) => json!({ "ok": false, "error": e.to_string() }),
        })
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct NoArgs {}

/// Reports the environment and arguments the guest sees.
pub struct ProbeEnv;
impl Tool for ProbeEnv {
    const NAME: &'static str = "probe_env";
    const DESCRIPTION: &'static str = "Report the environment variables, arguments and preopened dirs.";
    type Args = NoArgs;
    type Output = Value;
    async fn run(_: NoArgs) -> Result<Value, ToolError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let args: Vec<String> = std::env::args().collect();
        let root = std::fs::read_dir("/").map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>());
        Ok(json!({ "env": env, "args": args, "root": root.unwrap_or_default() }))
    }
}

/// Reports clocks and random bytes.
pub struct ProbeEntropy;
impl Tool for ProbeEntropy {
    const NAME: &'static str = "probe_entropy";
    const DESCRIPTION: &'static str = "Report wall-clock time, monotonic readings and random bytes.";
    type Args = NoArgs;
    type Output = Value;
    async fn run(_: NoArgs) -> Result<Value, ToolError> {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let t0 = std::time::Instant::now();
        let t1 = std::time::Instant::now();
        let secure = wasip2_random(32);
        let mut insecure = [0u8; 32];
        wstd::rand::get_insecure_random_bytes(&mut insecure);
        let hash_seed = {
            use std::collections::hash_map::RandomState;
            use std::hash::BuildHasher;
            RandomState::new().hash_one(42u64)
        };
        Ok(json!({
            "wall_ns": wall,
            "monotonic_step_ns": (t1 - t0).as_nanos() as u64,
            "secure": hex(&secure),
            "insecure": hex(&insecure),
            "hashmap_seed_probe": hash_seed,
        }))
    }
}

fn wasip2_random(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    wstd::rand::get_random_bytes(&mut buf);
    buf
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Never returns: a busy loop.
pub struct ProbeSpin;
impl Tool for ProbeSpin {
    const NAME: &'static str = "probe_spin";
    const DESCRIPTION: &'static str = "Loop forever.";
    type Args = NoArgs;
    type Output = Value;
    async fn run(_: NoArgs) -> Result<Value, ToolError> {
        let mut x: u64 = 0;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct MsArgs {
    ms: u64,
}

/// Blocks in a sleep.
pub struct ProbeSleep;
impl Tool for ProbeSleep {
    const NAME: &'static str = "probe_sleep";
    const DESCRIPTION: &'static str = "Block in a sleep for the given milliseconds.";
    type Args = MsArgs;
    type Output = Value;
    async fn run(a: MsArgs) -> Result<Value, ToolError> {
        std::thread::sleep(std::time::Duration::from_millis(a.ms));
        Ok(json!({ "slept_ms": a.ms }))
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct SizeArgs {
    /// Mebibytes to allocate, or bytes to return.
    size: u64,
}

/// Allocates and touches memory.
pub struct ProbeAlloc;
impl Tool for ProbeAlloc {
    const NAME: &'static str = "probe_alloc";
    const DESCRIPTION: &'static str = "Allocate and touch the given number of MiB.";
    type Args = SizeArgs;
    type Output = Value;
    async fn run(a: SizeArgs) -> Result<Value, ToolError> {
        let mut blocks = Vec::new();
        for _ in 0..a.size {
            let mut v = vec![0u8; 1 << 20];
            v[0] = 1;
            v[(1 << 20) - 1] = 1;
            blocks.push(v);
        }
        Ok(json!({ "allocated_mib": blocks.len() }))
    }
}

/// Returns a result of the given size.
pub struct ProbeOutput;
impl Tool for ProbeOutput {
    const NAME: &'static str = "probe_output";
    const DESCRIPTION: &'static str = "Return a string result of about the given size in bytes.";
    type Args = SizeArgs;
    type Output = Value;
    async fn run(a: SizeArgs) -> Result<Value, ToolError> {
        Ok(json!({ "data": "x".repeat(a.size as usize) }))
    }
}

/// Tries raw sockets and name lookup.
pub struct ProbeSocket;
impl Tool for ProbeSocket {
    const NAME: &'static str = "probe_socket";
    const DESCRIPTION: &'static str = "Try a raw TCP connection and a DNS lookup; report the outcomes.";
    type Args = NoArgs;
    type Output = Value;
    async fn run(_: NoArgs) -> Result<Value, ToolError> {
        let tcp = match std::net::TcpStream::connect("93.184.216.34:80") {
            Ok(_) => "connected".to_string(),
            Err(e) => e.to_string(),
        };
        let loopback = match std::net::TcpStream::connect("127.0.0.1:1") {
            Ok(_) => "connected".to_string(),
            Err(e) => e.to_string(),
        };
        let dns = match std::net::ToSocketAddrs::to_socket_addrs(&("example.org", 80)) {
            Ok(mut a) => format!("resolved {:?}", a.next()),
            Err(e) => e.to_string(),
        };
        Ok(json!({ "tcp": tcp, "tcp_loopback": loopback, "dns": dns }))
    }
}

/// Panics (the guest traps).
pub struct ProbePanic;
impl Tool for ProbePanic {
    const NAME: &'static str = "probe_panic";
    const DESCRIPTION: &'static str = "Panic.";
    type Args = NoArgs;
    type Output = Value;
    async fn run(_: NoArgs) -> Result<Value, ToolError> {
        panic!("the probe panicked on purpose")
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EchoArgs {
    /// Any text.
    text: String,
    /// How many times to repeat it.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100))]
    times: u32,
}

/// Echoes its input; fails on request.
pub struct ProbeEcho;
impl Tool for ProbeEcho {
    const NAME: &'static str = "probe_echo";
    const DESCRIPTION: &'static str = "Echo text; the text 'fail-upstream' or 'fail-args' returns that error.";
    type Args = EchoArgs;
    type Output = Value;
    async fn run(a: EchoArgs) -> Result<Value, ToolError> {
        match a.text.as_str() {
            "fail-upstream" => Err(ToolError::upstream("the service said no")),
            "fail-args" => Err(ToolError::invalid("text is not acceptable")),
            _ => Ok(json!({ "echo": a.text.repeat(a.times as usize) })),
        }
    }
}

/// Counts its own calls in a static: every call must see 1 (a fresh instance each time).
pub struct ProbeCount;
static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
impl Tool for ProbeCount {
    const NAME: &'static str = "probe_count";
    const DESCRIPTION: &'static str = "Count the calls this instance has served, including this one.";
    type Args = NoArgs;
    type Output = Value;
    async fn run(_: NoArgs) -> Result<Value, ToolError> {
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Ok(json!({ "calls_served": n }))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHttpArgs {
    /// GET URLs, in order.
    urls: Vec<String>,
    /// "concurrent": start every request, then wait for each in turn;
    /// "get-twice": take one answer twice; "unawaited": start the first request and
    /// drop it without waiting, then wait for the others; "busy-get": ask for the
    /// first answer again and again without waiting on its pollable.
    mode: String,
}

/// Drives wasi:http's outgoing handler directly (no SDK client) to probe its edges.
pub struct ProbeHttpRaw;
impl Tool for ProbeHttpRaw {
    const NAME: &'static str = "probe_http_raw";
    const DESCRIPTION: &'static str = "Drive wasi:http's outgoing handler directly and report what each request got.";
    type Args = RawHttpArgs;
    type Output = Value;
    async fn run(a: RawHttpArgs) -> Result<Value, ToolError> {
        use wasip2::http::outgoing_handler;
        use wasip2::http::types::{Fields, FutureIncomingResponse, OutgoingRequest, Scheme};
        fn start(url: &str) -> Result<FutureIncomingResponse, ToolError> {
            let (scheme, rest) = url.split_once("://").ok_or_else(|| ToolError::invalid("absolute URL"))?;
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            let req = OutgoingRequest::new(Fields::new());
            let scheme = if scheme == "http" { Scheme::Http } else { Scheme::Https };
            req.set_scheme(Some(&scheme)).map_err(|_| ToolError::internal("scheme"))?;
            req.set_authority(Some(authority)).map_err(|_| ToolError::internal("authority"))?;
            req.set_path_with_query(Some(path)).map_err(|_| ToolError::internal("path"))?;
            outgoing_handler::handle(req, None).map_err(|e| ToolError::upstream(format!("{e:?}")))
        }
        fn answer(f: &FutureIncomingResponse) -> Value {
            f.subscribe().block();
            match f.get() {
                None => json!("not ready after waiting"),
                Some(Err(())) => json!("already taken"),
                Some(Ok(Err(e))) => json!(format!("error: {e:?}")),
                Some(Ok(Ok(resp))) => {
                    let status = resp.status();
                    let body = resp.consume().expect("a body");
                    let stream = body.stream().expect("a stream");
                    let mut bytes = Vec::new();
                    while let Ok(chunk) = stream.blocking_read(65536) {
                        bytes.extend(chunk);
                    }
                    drop(stream);
                    json!({"status": status, "body": String::from_utf8_lossy(&bytes)})
                }
            }
        }
        match a.mode.as_str() {
            "concurrent" => {
                let started: Vec<_> = a.urls.iter().map(|u| start(u)).collect::<Result<_, _>>()?;
                Ok(Value::Array(started.iter().map(answer).collect()))
            }
            "get-twice" => {
                let f = start(&a.urls[0])?;
                let first = answer(&f);
                Ok(json!([first, answer(&f)]))
            }
            "busy-get" => {
                let f = start(&a.urls[0])?;
                for asked in 1..=10_000_000u64 {
                    if let Some(Ok(Ok(resp))) = f.get() {
                        return Ok(json!({"status": resp.status(), "asked": asked}));
                    }
                }
                Ok(json!("no answer after 10,000,000 gets"))
            }
            "unawaited" => {
                drop(start(&a.urls[0])?);
                let rest: Vec<_> = a.urls[1..].iter().map(|u| start(u)).collect::<Result<_, _>>()?;
                Ok(Value::Array(rest.iter().map(answer).collect()))
            }
            other => Err(ToolError::invalid(format!("unknown mode {other}"))),
        }
    }
}

dive_tool_sdk::export_tools!(
    ProbeHttpRaw,
    ProbeCount,
    ProbeHttp,
    ProbeReadFile,
    ProbeWriteFile,
    ProbeEnv,
    ProbeEntropy,
    ProbeSpin,
    ProbeSleep,
    ProbeAlloc,
    ProbeOutput,
    ProbeSocket,
    ProbePanic,
    ProbeEcho,
);
