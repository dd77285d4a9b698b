//! `dive serve mcp`: the tools as a Model Context Protocol server (rmcp), over stdio or
//! streamable HTTP. `tools/list` gives each served tool's schemas and annotations (from
//! [`dive_export::mcp`]); `tools/call` runs the tool in a fresh sandbox under the same
//! rules as `dive call` and answers `structuredContent` plus a text copy. A tool that
//! fails, breaks a sandbox rule or gets bad arguments gives an `isError` result: the
//! server keeps serving. With recording, each MCP session is one trace
//! (ref `serve/<session>`), written when the session ends or the server stops.

use crate::edge::{self, Body, Edge};
use crate::session::{new_id, Recording, Session, SessionError};
use crate::ServeError;
use dive_runtime::transport::Transport;
use dive_runtime::store::Store;
use dive_runtime::{CallOptions, DeterminismConfig, Domain, Outcome, Runtime};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, InitializeResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The newest protocol revision served: the last one with sessions, so that a session
/// (and its recording) means the same over both transports.
const NEWEST_REVISION: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// What an MCP server serves and how.
pub struct McpOptions {
    /// The runtime whose tools are served (with the caller's grants, secrets, upstreams).
    pub runtime: Runtime,
    /// The tools to serve, by name.
    pub tools: Vec<String>,
    /// Record each session as a trace in this store.
    pub record: Option<Store>,
    /// Answer every call's HTTP from this recording, with these clocks and seed.
    pub replay: Option<(Arc<dyn Transport>, DeterminismConfig)>,
    /// A session idle this long is ended (HTTP).
    pub idle_timeout: Duration,
    /// At most this many sessions at once (HTTP).
    pub max_sessions: usize,
}

/// Choose the tools to serve: all, or those of `domains`, or those named (both filters
/// apply when both are given). A name the pool lacks is an error naming it.
pub fn select_tools(runtime: &Runtime, domains: &[Domain], names: &[String]) -> Result<Vec<String>, ServeError> {
    for n in names {
        if runtime.tool(n).is_none() {
            return Err(ServeError::UnknownTool(runtime.unknown_tool(n).to_string()));
        }
    }
    let chosen: Vec<String> = runtime
        .tools()
        .filter(|t| domains.is_empty() || domains.contains(&t.domain()))
        .filter(|t| names.is_empty() || names.contains(&t.spec.name))
        .map(|t| t.spec.name.clone())
        .collect();
    if chosen.is_empty() {
        return Err(ServeError::NothingToServe("no loaded tool matches --domain/--tool (`dive tools list` shows them)".into()));
    }
    Ok(chosen)
}

/// What every session of one server shares.
struct Shared {
    runtime: Runtime,
    names: BTreeSet<String>,
    tools: ListToolsResult,
    record: Option<Store>,
    replay: Option<(Arc<dyn Transport>, DeterminismConfig)>,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    max_sessions: usize,
    in_flight: TaskTracker,
}

impl Shared {
    fn new(opts: McpOptions) -> Result<Arc<Shared>, ServeError> {
        let entries: Vec<Value> = opts.tools.iter().filter_map(|n| opts.runtime.tool(n)).map(dive_export::mcp).collect();
        let tools: ListToolsResult = serde_json::from_value(json!({ "tools": entries }))
            .map_err(|e| ServeError::Mcp(format!("a tool entry is not a valid MCP tool: {e}")))?;
        Ok(Arc::new(Shared {
            runtime: opts.runtime,
            names: opts.tools.into_iter().collect(),
            tools,
            record: opts.record,
            replay: opts.replay,
            sessions: Mutex::new(HashMap::new()),
            max_sessions: opts.max_sessions,
            in_flight: TaskTracker::new(),
        }))
    }

    /// A new session (and its handler), or an error when there are too many.
    fn open_session(self: &Arc<Self>) -> Result<McpSession, std::io::Error> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if sessions.len() >= self.max_sessions {
            return Err(std::io::Error::other(format!(
                "this server has {} sessions open, its most (--max-sessions); close one or wait for idle ones to be ended",
                sessions.len()
            )));
        }
        let id = new_id();
        // A replayed session needs no secrets: nothing leaves the server.
        let options = match &self.replay {
            Some((t, d)) => CallOptions { transport: Some(t.clone()), without_secrets: true, ..CallOptions::live(*d) },
            None => CallOptions::live(DeterminismConfig::now(0)),
        };
        let recording = self.record.clone().map(|store| Recording { store, ref_name: format!("serve/{id}") });
        let session = Arc::new(Session::new(self.runtime.clone(), options, recording));
        sessions.insert(id.clone(), session.clone());
        Ok(McpSession { shared: self.clone(), guard: Arc::new(SessionGuard { id, session, shared: self.clone() }) })
    }

    /// End one session: write its trace (when recording) and forget it.
    fn close_session(&self, id: &str) {
        let session = self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        if let Some(s) = session {
            finish(&s);
        }
    }

    /// Stop: let calls in flight finish (bounded), then write every open session's trace.
    async fn drain(&self) {
        self.in_flight.close();
        let _ = tokio::time::timeout(edge::DRAIN_TIMEOUT, self.in_flight.wait()).await;
        let open: Vec<Arc<Session>> = self.sessions.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(_, s)| s).collect();
        open.iter().for_each(|s| finish(s));
    }
}

fn finish(s: &Session) {
    match s.finish() {
        Ok(Some(id)) => eprintln!("recorded session {} as trace {id}", s.ref_name().unwrap_or_default()),
        Ok(None) => {}
        Err(e) => eprintln!("error: cannot write the trace of {}: {e}", s.ref_name().unwrap_or_default()),
    }
}

/// Ends its session when the last handler of it is dropped (the transport closed, the
/// session was idle too long, or the server stopped).
struct SessionGuard {
    id: String,
    session: Arc<Session>,
    shared: Arc<Shared>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.shared.close_session(&self.id);
    }
}

/// The handler of one MCP session.
#[derive(Clone)]
struct McpSession {
    shared: Arc<Shared>,
    guard: Arc<SessionGuard>,
}

impl ServerHandler for McpSession {
    fn get_info(&self) -> ServerConfig {
        let mut info = InitializeResult::new(ServerCapabilities::builder().enable_tools().build());
        info.protocol_version = NEWEST_REVISION;
        info.server_info = Implementation::new("dive", dive_runtime::VERSION);
        info.instructions = Some(
            "dive's tools, each call run in a fresh WebAssembly sandbox under its package's capability policy. \
             Results are JSON (structuredContent); a failed call is a result with isError."
                .into(),
        );
        info
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&NEWEST_REVISION))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(self.shared.tools.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        if !self.shared.names.contains(&name) {
            return Err(McpError::invalid_params(
                format!("unknown tool '{name}': tools/list names the tools this server serves"),
                None,
            ));
        }
        let args = Value::Object(request.arguments.unwrap_or_default()).to_string();
        let session = self.guard.session.clone();
        let ran = self.shared.in_flight.track_future(async move { session.call(&name, &args).await }).await;
        Ok(tool_result(ran).into())
    }
}

/// A call's end as an MCP result: the result JSON as `structuredContent` (when it is an
/// object) plus a text copy; any failure as `isError` with the error JSON as text.
fn tool_result(ran: Result<dive_runtime::CallRecord, SessionError>) -> CallToolResult {
    let (text, structured, is_error) = match ran {
        Ok(rec) => match &rec.outcome {
            Outcome::Ok(text) => {
                let value = serde_json::from_str::<Value>(text).ok().filter(Value::is_object);
                (text.clone(), value, false)
            }
            other => (other.error_report().map(|r| r.to_json()).unwrap_or_default(), None, true),
        },
        Err(e) => (session_error_json(&e).to_string(), None, true),
    };
    let mut v = json!({ "content": [{ "type": "text", "text": text }], "isError": is_error });
    if let Some(s) = structured {
        v["structuredContent"] = s;
    }
    serde_json::from_value(v).expect("a text result is a valid CallToolResult")
}

/// A call that did not run, as `{"error": {"kind", "message"}}` (the form `dive call` prints).
pub fn session_error_json(e: &SessionError) -> Value {
    use dive_runtime::CallError;
    let kind = match e {
        SessionError::Call(CallError::UnknownTool { .. }) => "unknown_tool",
        SessionError::Call(CallError::InvalidArgs { .. }) => "invalid_args",
        SessionError::Call(CallError::MissingSecret(_)) => "missing_secret",
        SessionError::Call(CallError::Internal { .. }) | SessionError::Store(_) | SessionError::Ended => "internal",
        SessionError::TooManyCalls => "session_limit",
    };
    json!({ "error": { "kind": kind, "message": e.to_string() } })
}

/// Serve one session over stdin/stdout until the client closes it or a stop signal.
pub async fn serve_stdio(opts: McpOptions) -> Result<(), ServeError> {
    let shared = Shared::new(opts)?;
    let handler = shared.open_session().map_err(|e| ServeError::Mcp(e.to_string()))?;
    let running = handler.serve(rmcp::transport::stdio()).await.map_err(|e| ServeError::Mcp(e.to_string()))?;
    let token = running.cancellation_token();
    tokio::select! {
        _ = running.waiting() => {},
        () = edge::stop_signal() => {
            shared.in_flight.close();
            let _ = tokio::time::timeout(edge::DRAIN_TIMEOUT, shared.in_flight.wait()).await;
            tokio::time::sleep(edge::FLUSH_GRACE).await;
            token.cancel();
        }
    }
    shared.drain().await;
    Ok(())
}

/// Serve streamable HTTP at `/mcp` until a stop signal; `ready` is told the bound
/// address once the server listens.
pub async fn serve_http(opts: McpOptions, edge: Edge, ready: impl FnOnce(std::net::SocketAddr)) -> Result<(), ServeError> {
    let idle = opts.idle_timeout;
    let shared = Shared::new(opts)?;
    let listener = edge::bind(&edge).await?;
    let cancel = CancellationToken::new();
    let mut manager = LocalSessionManager::default();
    manager.session_config.keep_alive = Some(idle);
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel.clone())
        .with_max_request_body_bytes(edge::MAX_BODY_BYTES);
    if edge.token.is_some() && !edge.addr.ip().is_loopback() {
        // Off this machine the bearer token guards every request; Host names are the
        // deployer's choice.
        config = config.disable_allowed_hosts();
    }
    let factory_shared = shared.clone();
    let service = StreamableHttpService::new(move || factory_shared.open_session(), Arc::new(manager), config);
    let handler: edge::Handler = Arc::new(move |req: Request<Incoming>| {
        let service = service.clone();
        Box::pin(async move { route(&service, req).await })
    });
    ready(listener.local_addr()?);
    let drain_shared = shared.clone();
    let stop = async move {
        edge::stop_signal().await;
        drain_shared.in_flight.close();
        let _ = tokio::time::timeout(edge::DRAIN_TIMEOUT, drain_shared.in_flight.wait()).await;
        tokio::time::sleep(edge::FLUSH_GRACE).await;
        cancel.cancel();
    };
    edge::serve(listener, edge, handler, stop).await;
    shared.drain().await;
    Ok(())
}

async fn route(service: &StreamableHttpService<McpSession, LocalSessionManager>, req: Request<Incoming>) -> Response<Body> {
    if req.uri().path() != "/mcp" {
        return edge::error(StatusCode::NOT_FOUND, "not_found", format!("no endpoint {}; the MCP endpoint is /mcp", req.uri().path()));
    }
    if edge::declares_oversize(&req) {
        return edge::refuse_oversize(req).await;
    }
    service.handle(req).await
}
