//! `dive serve mcp|env`: arguments to options, then the dive-serve library runs it.

use crate::context::{open_runtime, open_store, usage, Global};
use anyhow::Result;
use dive_runtime::Domain;
use dive_serve::edge::Edge;
use dive_serve::ServeError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default port of `dive serve env` (MCP over HTTP needs an explicit --listen).
const ENV_PORT: u16 = 8760;
/// Default port of `dive serve mcp --listen` given only a host is not supported; this is
/// the port documented for MCP.
const MCP_PORT: u16 = 8761;

#[derive(clap::Subcommand)]
pub(crate) enum ServeCommand {
    /// A Model Context Protocol server: stdio (default) or streamable HTTP at /mcp.
    Mcp(McpArgs),
    /// A reinforcement-learning environment over HTTP/JSON: POST /reset, /step,
    /// /submit, GET /health. Steps are answered from each task's recorded evidence.
    Env(EnvArgs),
}

/// Where and how to listen (shared by both servers).
#[derive(clap::Args)]
pub(crate) struct ListenArgs {
    /// Listen on ADDR (HOST:PORT or a port; 127.0.0.1 by default). An address off this
    /// machine needs --token-file.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Require `Authorization: Bearer <token>` on every request, the token being this
    /// file's one line.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// End a session or episode idle this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
}

#[derive(clap::Args)]
pub(crate) struct McpArgs {
    /// Speak MCP on stdin/stdout (the default without --listen).
    #[arg(long, conflicts_with = "listen")]
    stdio: bool,
    #[command(flatten)]
    listen: ListenArgs,
    /// Serve only this domain's tools (repeatable).
    #[arg(long = "domain", value_name = "D")]
    domains: Vec<Domain>,
    /// Serve only these tools (repeatable).
    #[arg(long = "tool", id = "tool_names", value_name = "NAME")]
    tool_names: Vec<String>,
    /// Record each MCP session as one trace (ref serve/<session>).
    #[arg(long)]
    record: bool,
    /// Answer every call's HTTP from this recorded trace (id, prefix or ref): no network.
    #[arg(long, value_name = "TRACE")]
    replay: Option<String>,
    /// Most MCP sessions open at once over HTTP.
    #[arg(long, default_value_t = 256)]
    max_sessions: usize,
}

#[derive(clap::Args)]
pub(crate) struct EnvArgs {
    /// The task file (JSON Lines, from `dive synth`).
    tasks: PathBuf,
    #[command(flatten)]
    listen: ListenArgs,
    /// Send requests the recorded evidence lacks to the real service (default: they
    /// fail with an upstream error saying so).
    #[arg(long)]
    live: bool,
    /// Steps per episode; after them only /submit is left.
    #[arg(long, default_value_t = 32)]
    max_steps: u32,
    /// Record each episode as one trace (ref env/<episode>).
    #[arg(long)]
    record: bool,
    /// Most episodes open at once.
    #[arg(long, default_value_t = 1024)]
    max_episodes: usize,
}

/// A serving error at the edge: a usage error (exit 2) when the caller asked wrongly,
/// else a failure (exit 1).
fn explained(e: ServeError) -> anyhow::Error {
    if e.is_callers_fault() {
        usage(e.to_string())
    } else {
        anyhow::Error::new(e)
    }
}

fn edge(l: &ListenArgs, default_port: u16) -> Result<Edge> {
    Edge::new(l.listen.as_deref(), default_port, l.token_file.as_deref()).map_err(explained)
}

pub(crate) async fn serve(g: &Global, command: &ServeCommand) -> Result<u8> {
    match command {
        ServeCommand::Mcp(a) => mcp(g, a).await,
        ServeCommand::Env(a) => env(g, a).await,
    }
}

async fn mcp(g: &Global, a: &McpArgs) -> Result<u8> {
    let http = a.listen.listen.is_some();
    let edge = if http { Some(edge(&a.listen, MCP_PORT)?) } else { None };
    let runtime = open_runtime(g).await?;
    let tools = dive_serve::mcp::select_tools(&runtime, &a.domains, &a.tool_names).map_err(explained)?;
    let store = if a.record || a.replay.is_some() { Some(open_store(g)?) } else { None };
    let replay = match (&a.replay, &store) {
        (Some(what), Some(st)) => {
            let id = st.resolve_trace(what).map_err(|e| usage(format!("--replay: {e}")))?;
            let (doc, exchanges) = dive_serve::evidence::EvidenceTransport::load(st, &id).map_err(|e| usage(format!("--replay {id}: {e}")))?;
            let t: Arc<dyn dive_runtime::transport::Transport> = Arc::new(dive_serve::evidence::EvidenceTransport::new(exchanges, None));
            Some((t, doc.determinism()))
        }
        _ => None,
    };
    let opts = dive_serve::mcp::McpOptions {
        runtime,
        tools,
        record: if a.record { store } else { None },
        replay,
        idle_timeout: Duration::from_secs(a.listen.idle_timeout),
        max_sessions: a.max_sessions,
    };
    let n = opts.tools.len();
    match edge {
        None => dive_serve::mcp::serve_stdio(opts).await.map_err(explained)?,
        Some(edge) => dive_serve::mcp::serve_http(opts, edge, |addr| eprintln!("dive serve mcp: {n} tools at http://{addr}/mcp"))
            .await
            .map_err(explained)?,
    }
    Ok(0)
}

async fn env(g: &Global, a: &EnvArgs) -> Result<u8> {
    let edge = edge(&a.listen, ENV_PORT)?;
    let tasks = dive_deriver::task_index::TaskIndex::open(&a.tasks).map_err(crate::context::bad_tasks)?;
    if tasks.is_empty() {
        return Err(usage(format!("{}: no tasks in it", a.tasks.display())));
    }
    let runtime = open_runtime(g).await?;
    let live: Option<Arc<dyn dive_runtime::transport::Transport>> = if a.live {
        Some(Arc::new(dive_runtime::transport::LiveTransport::new(crate::context::network_config(g)?)))
    } else {
        None
    };
    let opts = dive_serve::env::EnvOptions {
        runtime,
        store: open_store(g)?,
        tasks,
        live,
        record: a.record,
        max_steps: a.max_steps,
        idle_timeout: Duration::from_secs(a.listen.idle_timeout),
        max_episodes: a.max_episodes,
    };
    let n = opts.tasks.len();
    dive_serve::env::serve(opts, edge, |addr| eprintln!("dive serve env: {n} tasks at http://{addr}"))
        .await
        .map_err(explained)?;
    Ok(0)
}
