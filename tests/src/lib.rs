//! Shared test support: the loopback fixture upstream, paths to the built guests and the
//! `dive` binary, and small helpers. Nothing here reaches a public host.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The project's Python interpreter: `.venv/bin/python3` made by `make setup` (it has
/// the packages of requirements.txt), else `python3` from PATH.
/// Where the tests keep compiled components (shared by every test and `dive` child).
pub fn test_cache_dir() -> PathBuf {
    repo_root().join("target/test-component-cache")
}

/// Engine options of an in-process test runtime: the shared component cache, the rest
/// as the environment says.
pub fn test_engine() -> dive_runtime::engine::EngineOptions {
    dive_runtime::engine::EngineOptions { cache_dir: Some(repo_root().join("target/test-component-cache")), ..Default::default() }
}

pub fn python() -> PathBuf {
    let venv = repo_root().join(".venv/bin/python3");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A guest component built by `make guests` (tests/guests) or `make tools` (tool-modules).
pub fn guest_wasm(crate_name: &str) -> PathBuf {
    let dir = repo_root().join("target/wasm/wasm32-wasip2/release");
    // Libraries (components) get underscores, binaries (commands) keep their name.
    let lib = dir.join(format!("{}.wasm", crate_name.replace('-', "_")));
    let p = if lib.is_file() { lib } else { dir.join(format!("{crate_name}.wasm")) };
    assert!(
        p.is_file(),
        "{} is missing: build the guest components first with `make guests` (the README's `make test` does)",
        p.display()
    );
    p
}

/// The environment a test runs `dive` in after `env_clear()`: PATH, no built-in pool,
/// the shared compiled-component cache, and `home` as HOME (so no user state leaks in).
pub fn isolated_env(home: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("PATH", std::env::var_os("PATH").unwrap_or_default()),
        ("DIVE_BUILTIN_TOOLS", "".into()),
        ("DIVE_CACHE_DIR", test_cache_dir().into_os_string()),
        ("HOME", home.as_os_str().to_os_string()),
    ]
}

/// How a finished process exited and what it printed (the `dive` runs of the tests).
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// From a finished process's output (a signal counts as exit code -1).
    pub fn of(o: std::process::Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// stdout as JSON; a test fails with both streams when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// The `fields` and `items` of a Tushare answer over the columns `all`, honouring the
/// request's `fields` as Tushare does: only the asked columns, in the asked order (all
/// of them when it asks none).
pub fn tushare_table(request: &serde_json::Value, all: &[&str], rows: &[Vec<serde_json::Value>]) -> (serde_json::Value, serde_json::Value) {
    let wanted: Vec<usize> = match request["fields"].as_str().filter(|f| !f.is_empty()) {
        Some(f) => f.split(',').filter_map(|c| all.iter().position(|a| *a == c.trim())).collect(),
        None => (0..all.len()).collect(),
    };
    let fields = wanted.iter().map(|&i| all[i]).collect::<Vec<_>>();
    let items = rows.iter().map(|r| wanted.iter().map(|&i| r[i].clone()).collect::<Vec<_>>()).collect::<Vec<_>>();
    (serde_json::json!(fields), serde_json::json!(items))
}

/// The `dive` binary built by `make` (`cargo build --release -p dive-cli`).
pub fn dive_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test-exe>
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let p = profile_dir.join("dive");
    assert!(
        p.is_file(),
        "{} is missing: build it with `cargo build --release -p dive-cli` (the README's `make test` does)",
        p.display()
    );
    p
}

/// Make a package directory holding a copy of `wasm` and the given manifest text
/// (`component = "tool.wasm"` is prepended).
pub fn make_package(dir: &Path, wasm: &Path, manifest_body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(wasm, dir.join("tool.wasm")).unwrap();
    std::fs::write(
        dir.join("dive-tool.toml"),
        format!("component = \"tool.wasm\"\n{manifest_body}"),
    )
    .unwrap();
    dir.to_path_buf()
}

/// One request the fixture received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response the fixture sends.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
        }
    }
    pub fn text(status: u16, ctype: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), ctype.into())],
            body: body.into(),
        }
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server that answers with a handler and remembers every request.
pub struct Fixture {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Fixture {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Fixture {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let seen2 = seen.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    acc = listener.accept() => {
                        let Ok((stream, _)) = acc else { continue };
                        let handler = handler.clone();
                        let seen = seen2.clone();
                        tokio::spawn(async move {
                            let svc = service_fn(move |req: hyper::Request<Incoming>| {
                                let handler = handler.clone();
                                let seen = seen.clone();
                                async move {
                                    let (parts, body) = req.into_parts();
                                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                                    let s = Seen {
                                        method: parts.method.to_string(),
                                        path_and_query: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
                                        headers: parts.headers.iter().map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect(),
                                        body: body.to_vec(),
                                    };
                                    let reply = handler(&s);
                                    seen.lock().unwrap().push(s);
                                    let mut b = hyper::Response::builder().status(reply.status);
                                    for (k, v) in &reply.headers {
                                        b = b.header(k.as_str(), v.as_str());
                                    }
                                    Ok::<_, std::convert::Infallible>(b.body(Full::new(Bytes::from(reply.body))).unwrap())
                                }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), svc)
                                .await;
                        });
                    }
                }
            }
        });
        Fixture {
            addr,
            seen,
            shutdown: Some(tx),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A general-purpose handler: `/echo` echoes the request as JSON, `/bytes/N` returns N
/// bytes, `/redirect?to=URL` answers 302, `/status/N` answers N, anything else 404.
pub fn echo_handler(s: &Seen) -> Reply {
    let path = s.path_and_query.split('?').next().unwrap_or_default().to_string();
    let query = s.path_and_query.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
    if path.ends_with("/echo") {
        return Reply::json(
            200,
            &serde_json::json!({
                "method": s.method,
                "path": path,
                "query": query,
                "headers": s.headers,
                "body": String::from_utf8_lossy(&s.body),
            }),
        );
    }
    if let Some(n) = path.strip_prefix("/bytes/") {
        let n: usize = n.parse().unwrap_or(0);
        return Reply::text(200, "text/plain", vec![b'a'; n]);
    }
    if path == "/redirect" {
        let to = query.strip_prefix("to=").unwrap_or("/");
        let to = percent_decode(to);
        return Reply {
            status: 302,
            headers: vec![("location".into(), to)],
            body: Vec::new(),
        };
    }
    if let Some(code) = path.strip_prefix("/status/") {
        return Reply::text(code.parse().unwrap_or(500), "text/plain", format!("status {code}"));
    }
    Reply::text(404, "text/plain", "no such fixture route")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The built-in pool assembled by `make` (build/tools/<family>/).
pub fn builtin_pool_dir() -> PathBuf {
    let p = repo_root().join("build/tools");
    assert!(p.is_dir(), "{} is missing: run `make` first (the README's `make test` does)", p.display());
    p
}

/// Shared harness of the `api_<family>` tests: a runtime over the built-in pool whose
/// upstream origins are mapped to loopback fixtures, the call options every test uses,
/// and helpers that call a tool and unwrap the outcome it must have.
pub mod parity;

pub mod api {
    use super::{builtin_pool_dir, test_engine};
    use dive_runtime::runtime::ToolErrorKind;
    use dive_runtime::{CallOptions, DeterminismConfig, NetworkConfig, Outcome, Runtime, RuntimeConfig, SecretSource};
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// Split a request target (`/path?a=1&b=x%20y`, or a whole URL) into its path (or
    /// everything before the `?`) and its form-decoded query parameters (empty without a
    /// `?`). A repeated parameter keeps its last value.
    pub fn query(path_and_query: &str) -> (String, BTreeMap<String, String>) {
        let (path, q) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        (path.to_string(), url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
    }

    /// A runtime over the built-in pool in which each `(origin, url)` of `upstreams` sends
    /// the requests for `origin` (e.g. `https://api.openalex.org`) to `url` (a
    /// [`Fixture::url`](super::Fixture::url)), private addresses allowed, with `secrets`.
    /// Every package must load.
    pub async fn runtime(upstreams: &[(&str, String)], secrets: SecretSource) -> Runtime {
        let upstreams = upstreams
            .iter()
            .map(|(origin, url)| {
                dive_runtime::config::parse_upstream(&format!("{origin}={url}"))
                    .unwrap_or_else(|e| panic!("upstream {origin}={url}: {e}"))
            })
            .collect();
        runtime_with_network(NetworkConfig { upstreams, allow_private: true, rates: vec![] }, secrets).await
    }

    /// A runtime over the built-in pool with the given network settings and secrets,
    /// compiled components cached in target/test-component-cache. Every package must load.
    pub async fn runtime_with_network(network: NetworkConfig, secrets: SecretSource) -> Runtime {
        let rt = Runtime::new(RuntimeConfig {
            builtin_sources: vec![builtin_pool_dir()],
            network,
            secrets,
            engine: test_engine(),
            ..Default::default()
        })
        .await
        .expect("the runtime starts");
        assert!(rt.load_issues().is_empty(), "packages failed to load: {:?}", rt.load_issues());
        rt
    }

    /// The secret `name` with `value`, or no secrets at all when `value` is None.
    pub fn secret(name: &str, value: Option<&str>) -> SecretSource {
        match value {
            Some(v) => SecretSource::none().with_values([(name.to_string(), v.to_string())]),
            None => SecretSource::none(),
        }
    }

    /// Live calls with a fixed seed and clock.
    pub fn call_opts() -> CallOptions {
        CallOptions::live(DeterminismConfig { seed: 0, clock_ns: 0 })
    }

    /// The outcome of calling `tool` with `args`; panics when the call is refused before
    /// it runs (unknown tool, arguments the schema rejects).
    pub async fn outcome(rt: &Runtime, tool: &str, args: Value) -> Outcome {
        match rt.call(tool, &args.to_string(), &call_opts()).await {
            Ok(record) => record.outcome,
            Err(e) => panic!("{tool} {args}: the call was refused: {e}"),
        }
    }

    /// The JSON result of a successful outcome; panics on any other outcome, naming
    /// `context` (the tool, say).
    #[track_caller]
    pub fn ok_value(context: &str, o: &Outcome) -> Value {
        match o {
            Outcome::Ok(t) => serde_json::from_str(t).expect("tool results are JSON"),
            other => panic!("{context}: expected success, got {other:?}"),
        }
    }

    /// The message of an upstream tool error; panics on any other outcome, naming
    /// `context` (the tool, say).
    #[track_caller]
    pub fn upstream_message(context: &str, o: &Outcome) -> String {
        match o {
            Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => message.clone(),
            other => panic!("{context}: expected an upstream error, got {other:?}"),
        }
    }

    /// Call `tool` with `args` and return its JSON result; panics unless it succeeds, or
    /// when the result lacks a field the parity table maps (tests/parity/parity.tsv).
    pub async fn ok(rt: &Runtime, tool: &str, args: Value) -> Value {
        let context = format!("{tool} {args}");
        let value = ok_value(&context, &outcome(rt, tool, args.clone()).await);
        check_parity(rt, tool, &args, &value);
        value
    }

    /// Panic when `value`, a result of `tool` called with `args`, lacks a field the
    /// parity table maps.
    #[track_caller]
    pub fn check_parity(rt: &Runtime, tool: &str, args: &Value, value: &Value) {
        let schema = &rt.tool(tool).unwrap_or_else(|| panic!("no tool {tool}")).spec.input_schema;
        super::parity::Table::load().check_output(tool, args, schema, value);
    }

    /// Call `tool` with `args` and return the message of the upstream error it must end
    /// in; panics on any other outcome.
    pub async fn upstream_error(rt: &Runtime, tool: &str, args: Value) -> String {
        let context = format!("{tool} {args}");
        upstream_message(&context, &outcome(rt, tool, args).await)
    }
}

/// Shared harness of the Biopython differential tests.
pub mod bio {
    use super::repo_root;
    use dive_runtime::runtime::ToolErrorKind;
    use dive_runtime::{CallError, NetworkConfig, Outcome, Runtime, SecretSource};
    use serde_json::Value;
    use std::process::{Command, Stdio};

    pub use super::api::call_opts;

    /// A runtime over the built-in pool (default network, no secrets), with every
    /// package loaded.
    pub async fn builtin_runtime() -> Runtime {
        super::api::runtime_with_network(NetworkConfig::default(), SecretSource::none()).await
    }

    /// One oracle line: a tool call and what Biopython says it must give.
    pub struct OracleCase {
        pub tool: String,
        pub args: Value,
        pub expected: Value,
    }

    /// Run an oracle script (repository-relative) and read its JSON lines. The Python
    /// modules it needs are required: their absence fails the test, saying how to
    /// install them.
    pub fn oracle_cases(script: &str, modules: &str) -> Vec<OracleCase> {
        let has = Command::new(crate::python())
            .args(["-c", &format!("import {modules}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has,
            "python3 with {modules} is required for this test (the expected results come from Biopython): \
             `make setup` installs them (pip install -r requirements.txt)"
        );
        let out = Command::new(crate::python())
            .arg(repo_root().join(script))
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        assert!(out.status.success(), "{script} failed: {}", out.status);
        let text = String::from_utf8(out.stdout).expect("the oracle writes UTF-8");
        text.lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).expect("the oracle writes JSON lines");
                OracleCase {
                    tool: v["tool"].as_str().expect("tool").to_string(),
                    args: v["args"].clone(),
                    expected: v["expected"].clone(),
                }
            })
            .collect()
    }

    /// At most 400 bytes of a value, for failure reports.
    pub fn short(v: &str) -> String {
        if v.len() <= 400 {
            v.to_string()
        } else {
            let cut = (0..=400).rev().find(|i| v.is_char_boundary(*i)).unwrap_or(0);
            format!("{}... ({} bytes)", &v[..cut], v.len())
        }
    }

    /// Calls in flight at once.
    const CHUNK: usize = 64;

    /// None when the call agrees with the expectation, else a report of the difference.
    pub async fn check(rt: &Runtime, case: &OracleCase) -> Option<String> {
        let args = case.args.to_string();
        let result = rt.call(&case.tool, &args, &call_opts()).await;
        let got = match &result {
            Ok(record) => match &record.outcome {
                Outcome::Ok(text) => {
                    let v: Value = serde_json::from_str(text).expect("results are JSON");
                    let schema = &rt.tool(&case.tool).expect("the tool is in the pool").spec.input_schema;
                    let missing = super::parity::Table::load().missing_fields(&case.tool, &case.args, schema, &v);
                    if !missing.is_empty() {
                        return Some(format!("{}\n  args: {}\n  parity: {}", case.tool, short(&args), missing.join("; ")));
                    }
                    // Text of the parsed value: equal values print equal, key order included.
                    format!("ok {}", serde_json::to_string(&v).unwrap())
                }
                Outcome::ToolError {
                    kind: ToolErrorKind::InvalidArgs,
                    ..
                } => "tool invalid_args".to_string(),
                other => format!("{other:?}"),
            },
            Err(CallError::InvalidArgs { .. }) => "schema invalid_args".to_string(),
            Err(e) => format!("call error: {e}"),
        };
        let want = match (case.expected.get("ok"), case.expected.get("rejected_by")) {
            (Some(ok), _) => format!("ok {}", serde_json::to_string(ok).unwrap()),
            (None, Some(_)) => "schema invalid_args".to_string(),
            (None, None) => "tool invalid_args".to_string(),
        };
        if got == want {
            return None;
        }
        let detail = match &result {
            Ok(record) => match &record.outcome {
                Outcome::ToolError { message, .. } => format!(" ({message})"),
                _ => String::new(),
            },
            Err(e) => format!(" ({e})"),
        };
        Some(format!(
            "{}\n  args:     {}\n  expected: {}\n  got:      {}{}",
            case.tool,
            short(&args),
            short(&want),
            short(&got),
            short(&detail)
        ))
    }

    /// Every tool in the catalog-facts file `facts_file` (repository-relative) keeps its
    /// facts: an object schema with the catalog's required list, additionalProperties
    /// and parameter names, a description on every parameter, and an output schema;
    /// `check_param(tool, parameter, have, want)` compares each parameter's schema with
    /// the catalog's. Returns how many tools were checked.
    pub fn schemas_keep_the_catalog_facts(
        rt: &Runtime,
        facts_file: &str,
        check_param: impl Fn(&str, &str, &Value, &Value),
    ) -> usize {
        let text = std::fs::read_to_string(repo_root().join(facts_file))
            .unwrap_or_else(|e| panic!("cannot read {facts_file}: {e}"));
        let facts: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{facts_file}: {e}"));
        let tools = facts["tools"].as_object().unwrap_or_else(|| panic!("{facts_file}: no tools"));
        for (name, want) in tools {
            let entry = rt.tool(name).unwrap_or_else(|| panic!("no tool {name}"));
            let schema = &entry.spec.input_schema;
            assert_eq!(schema["type"], "object", "{name}");
            assert_eq!(
                schema["additionalProperties"], want["additionalProperties"],
                "{name}: additionalProperties"
            );
            let required = schema.get("required").cloned().unwrap_or(serde_json::json!([]));
            assert_eq!(required, want["required"], "{name}: required");
            let props = schema["properties"].as_object().unwrap_or_else(|| panic!("{name}: properties"));
            let want_props = want["properties"].as_object().unwrap_or_else(|| panic!("{facts_file}: {name}"));
            let mut have: Vec<&String> = props.keys().collect();
            let mut need: Vec<&String> = want_props.keys().collect();
            have.sort();
            need.sort();
            assert_eq!(have, need, "{name}: parameters");
            for (p, want_p) in want_props {
                check_param(name, p, &props[p], want_p);
                assert!(
                    props[p].get("description").is_some_and(|d| d.is_string()),
                    "{name}.{p}: description"
                );
            }
            assert!(entry.spec.output_schema.is_some(), "{name}: output schema");
        }
        tools.len()
    }

    /// Each call is answered by the tool itself with an invalid-args error that says
    /// something (input the schema lets through but the tool must refuse).
    pub async fn tool_refuses(rt: &Runtime, cases: &[(&str, Value)]) {
        for (tool, args) in cases {
            let r = rt.call(tool, &args.to_string(), &call_opts()).await.expect("the call runs");
            match &r.outcome {
                Outcome::ToolError {
                    kind: ToolErrorKind::InvalidArgs,
                    message,
                } => assert!(!message.is_empty(), "{tool}: an empty message"),
                other => panic!("{tool} {}: expected invalid-args, got {other:?}", short(&args.to_string())),
            }
        }
    }

    /// Check every oracle case for `tools` (each must be in the pool and have cases);
    /// fail with the first disagreements.
    pub async fn agree_with_biopython(rt: &Runtime, cases: &[OracleCase], tools: &[&str]) {
        for name in tools {
            assert!(rt.tool(name).is_some(), "the built-in pool has no tool {name}");
            assert!(cases.iter().any(|c| c.tool == *name), "the oracle made no case for {name}");
        }
        let mut failures = Vec::new();
        for chunk in cases.chunks(CHUNK) {
            let reports = futures::future::join_all(chunk.iter().map(|c| check(rt, c))).await;
            failures.extend(reports.into_iter().flatten());
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases disagree with Biopython; the first ones:\n{}",
            failures.len(),
            cases.len(),
            failures.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
        );
        eprintln!("{} cases agree with Biopython", cases.len());
    }
}

/// An imitation of the two NLM medical services (RxNav, Clinical Tables) for synthesis
/// tests: deterministic JSON derived from the request, enough for the built-in policy to
/// chain names into RxNorm ids.
pub fn medical_services(s: &Seen) -> Reply {
    let h = blake3::hash(s.path_and_query.as_bytes());
    let n = u32::from_le_bytes(h.as_bytes()[..4].try_into().unwrap()) % 90000 + 1000;
    if s.path_and_query.starts_with("/api/") {
        return Reply::json(200, &serde_json::json!([2, [format!("C{n}"), format!("D{n}")], null, [[format!("term {n}"), "x"], [format!("term {}", n + 1), "y"]]]));
    }
    Reply::json(200, &serde_json::json!({"idGroup": {"rxnormId": [n.to_string()]}, "propConceptGroup": {"propConcept": [{"propName": "RxNorm Name", "propValue": format!("drug {n}"), "rxcui": (n + 7).to_string()}]}}))
}
