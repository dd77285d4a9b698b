//! `dive serve env TASKS.jsonl`: a reinforcement-learning environment over HTTP/JSON.
//!
//! - `POST /reset {"task": UUID or index}` → `{"episode", "question", "tools", "max_steps"}`
//! - `POST /step {"episode", "tool", "arguments"}` → `{"result"}` or `{"error"}`: the call
//!   runs in a fresh sandbox with its HTTP answered from the task's recorded evidence
//! - `POST /submit {"episode", "answer"}` → `{"reward", "correct"}` from the task's verifier
//! - `GET /health` → `{"status": "ok", "tasks", "episodes", "evidence_loaded"}`
//!
//! Episodes are bounded in number and reaped when idle; each may take `max_steps` steps,
//! then only `/submit` is left. With recording, each episode is one trace (ref
//! `env/<episode>`) holding only its own calls.

use crate::edge::{self, Body, Edge};
use crate::evidence::EvidenceTransport;
use crate::mcp::session_error_json;
use crate::session::{new_id, Recording, Session};
use crate::ServeError;
use bytes::Bytes;
use dive_deriver::task::{answer_text, Task};
use dive_deriver::task_index::TaskIndex;
use dive_deriver::verify::TaskFileError;
use dive_runtime::transport::Transport;
use dive_runtime::store::Store;
use dive_runtime::{CallOptions, DeterminismConfig, Outcome, Runtime};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio_util::task::TaskTracker;

/// How an environment serves its tasks.
pub struct EnvOptions {
    /// The runtime whose tools the steps run.
    pub runtime: Runtime,
    /// The store holding the tasks' evidence (and, with `record`, the episodes' traces).
    pub store: Store,
    /// The tasks: where each lies in its file, read again at `/reset` (a few bytes a
    /// task are held, not the tasks).
    pub tasks: TaskIndex,
    /// `--live`: send requests the evidence lacks to the real service through this.
    pub live: Option<Arc<dyn Transport>>,
    /// Record each episode as a trace.
    pub record: bool,
    /// Steps per episode.
    pub max_steps: u32,
    /// An episode idle this long is ended.
    pub idle_timeout: Duration,
    /// At most this many episodes at once.
    pub max_episodes: usize,
}

/// How many tasks' evidence stays loaded after their episodes end: the ones loaded last.
const RECENT_EVIDENCE: usize = 64;

/// One episode: a task, its steps so far, and its session of calls.
struct Episode {
    task: Arc<Task>,
    /// The task's evidence: held (never read) so that it stays loaded while the episode
    /// is open; the session's transport is the same evidence.
    _evidence: Replayed,
    session: Session,
    steps: AtomicU32,
    last_used: Mutex<Instant>,
}

impl Episode {
    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_used.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }
}

/// A task's evidence as a transport, with the clock and seed its trace was recorded at.
type Evidence = (Arc<dyn Transport>, DeterminismConfig);
type Replayed = Arc<Evidence>;

/// The environment: tasks, their evidence (loaded once per task) and open episodes.
pub struct Env {
    opts: EnvOptions,
    /// Each tool's function spec, once: tasks name their toolsets, and a copy of the
    /// specs per task took 1.26 GB for 10,000 tasks of 27 tools.
    specs: HashMap<String, Value>,
    /// Each task's evidence while an open episode of it holds it ([`Episode::evidence`])
    /// or it is among the [`RECENT_EVIDENCE`] loaded last: a long run over many tasks
    /// does not keep every task's evidence.
    evidence: Mutex<HashMap<usize, Weak<Evidence>>>,
    recent: Mutex<VecDeque<Replayed>>,
    episodes: Mutex<HashMap<String, Arc<Episode>>>,
    in_flight: TaskTracker,
}

/// A request the environment refuses: the status and a JSON error naming the problem.
struct Refusal(StatusCode, &'static str, String);

type Answer = Result<Value, Refusal>;

impl Env {
    /// Check the tasks against the pool (every toolset tool must be loaded).
    pub fn new(opts: EnvOptions) -> Result<Arc<Env>, ServeError> {
        let mut specs = HashMap::new();
        for (name, uuid) in opts.tasks.tools() {
            let entry = opts.runtime.tool(name).ok_or_else(|| ServeError::TaskTool { uuid: uuid.clone(), tool: name.clone() })?;
            specs.insert(name.clone(), dive_export::openai(entry, false).0);
        }
        Ok(Arc::new(Env { opts, specs, evidence: Default::default(), recent: Default::default(), episodes: Default::default(), in_flight: TaskTracker::new() }))
    }

    /// A task's toolset as the function specs `/reset` gives.
    fn toolset(&self, task: &Task) -> Value {
        Value::Array(task.tools.iter().map(|name| self.specs.get(name).cloned().expect("Env::new found every toolset tool")).collect())
    }

    /// Answer one HTTP request.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let answer = match (method, path.as_str()) {
            (Method::GET, "/health") => Ok(self.health()),
            (Method::POST, "/reset" | "/step" | "/submit") => match edge::read_body(req).await {
                Err(refused) => return *refused,
                Ok(body) => self.post(&path, body).await,
            },
            (_, "/health" | "/reset" | "/step" | "/submit") => {
                Err(Refusal(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", format!("{path} takes {}", if path == "/health" { "GET" } else { "POST" })))
            }
            _ => Err(Refusal(StatusCode::NOT_FOUND, "not_found", format!("no endpoint {path}; the endpoints are POST /reset, /step, /submit and GET /health"))),
        };
        match answer {
            Ok(v) => edge::json(StatusCode::OK, &v),
            Err(Refusal(status, code, message)) => edge::error(status, code, message),
        }
    }

    async fn post(self: &Arc<Self>, path: &str, body: Bytes) -> Answer {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| Refusal(StatusCode::BAD_REQUEST, "bad_json", format!("the body is not JSON: {e}")))?;
        if !v.is_object() {
            return Err(Refusal(StatusCode::BAD_REQUEST, "bad_json", "the body must be a JSON object".into()));
        }
        match path {
            "/reset" => self.reset(&v).await,
            "/step" => self.step(&v).await,
            _ => self.submit(&v),
        }
    }

    fn health(&self) -> Value {
        json!({
            "status": "ok",
            "tasks": self.opts.tasks.len(),
            "episodes": self.episodes.lock().unwrap_or_else(|p| p.into_inner()).len(),
            "evidence_loaded": self.evidence_loaded(),
        })
    }

    fn task_index(&self, v: &Value) -> Result<usize, Refusal> {
        let unknown = |what: String| Refusal(StatusCode::NOT_FOUND, "unknown_task", what);
        match v.get("task") {
            Some(Value::String(uuid)) => self.opts.tasks.position(uuid).ok_or_else(|| unknown(format!("no task has uuid {uuid}"))),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(|i| i as usize)
                .filter(|i| *i < self.opts.tasks.len())
                .ok_or_else(|| unknown(format!("task index {n} is not in 0..{}", self.opts.tasks.len()))),
            _ => Err(Refusal(StatusCode::BAD_REQUEST, "bad_request", "\"task\" must be a task uuid (string) or index (number)".into())),
        }
    }

    async fn reset(self: &Arc<Self>, v: &Value) -> Answer {
        let index = self.task_index(v)?;
        if self.episodes.lock().unwrap_or_else(|p| p.into_inner()).len() >= self.opts.max_episodes {
            return Err(Refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_episodes",
                format!("{} episodes are open, the most this server holds (--max-episodes); submit or abandon some (idle ones are ended after {} s)", self.opts.max_episodes, self.opts.idle_timeout.as_secs()),
            ));
        }
        let task = self.task(index, v.get("task").and_then(Value::as_str)).await?;
        let evidence = self.evidence_of(index, &task).await?;
        let (transport, determinism) = &*evidence;
        let id = new_id();
        // Answered from the evidence, a step needs no secrets; with --live it may.
        let options = CallOptions {
            transport: Some(transport.clone()),
            without_secrets: self.opts.live.is_none(),
            ..CallOptions::live(*determinism)
        };
        let recording = self.opts.record.then(|| Recording { store: self.opts.store.clone(), ref_name: format!("env/{id}") });
        let episode = Arc::new(Episode {
            task: task.clone(),
            _evidence: evidence.clone(),
            session: Session::new(self.opts.runtime.clone(), options, recording),
            steps: AtomicU32::new(0),
            last_used: Mutex::new(Instant::now()),
        });
        self.episodes.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), episode);
        Ok(json!({ "episode": id, "task": task.uuid, "question": task.question, "tools": self.toolset(&task), "max_steps": self.opts.max_steps }))
    }

    /// The task at `index`, read again from the task file; `uuid` is the one asked for,
    /// if it was asked for by uuid.
    async fn task(self: &Arc<Self>, index: usize, uuid: Option<&str>) -> Result<Arc<Task>, Refusal> {
        let (env, uuid) = (self.clone(), uuid.map(str::to_string));
        // By uuid, the index checks that the line read back is the task asked for.
        let read = tokio::task::spawn_blocking(move || match uuid {
            Some(u) => env.opts.tasks.by_uuid(&u).expect("task_index found this uuid in the same index"),
            None => env.opts.tasks.get(index),
        })
        .await;
        let unreadable = |e: String| Refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("reading the task failed: {e}; check that the task file is still readable, then restart the server on it"));
        match read {
            Ok(Ok(task)) => Ok(Arc::new(task)),
            Ok(Err(e @ (TaskFileError::LineChanged { .. } | TaskFileError::BadLine { .. }))) => Err(Refusal(StatusCode::CONFLICT, "task_file_changed", e.to_string())),
            Ok(Err(e)) => Err(unreadable(e.to_string())),
            Err(e) => Err(unreadable(e.to_string())),
        }
    }

    /// A task's evidence as a transport: the copy an open episode or the recent ones
    /// hold, else loaded from the store.
    async fn evidence_of(&self, index: usize, task: &Task) -> Result<Replayed, Refusal> {
        if let Some(e) = self.evidence.lock().unwrap_or_else(|p| p.into_inner()).get(&index).and_then(Weak::upgrade) {
            return Ok(e);
        }
        let (store, trace) = (self.opts.store.clone(), task.evidence.trace.clone());
        let loaded = tokio::task::spawn_blocking(move || EvidenceTransport::load(&store, &trace)).await;
        let (doc, exchanges) = match loaded {
            Ok(Ok(l)) => l,
            Ok(Err(e)) => return Err(Refusal(StatusCode::UNPROCESSABLE_ENTITY, "evidence_unavailable", format!("task {}: its evidence cannot be read: {e} (serve with the --store the tasks were built in)", task.uuid))),
            Err(e) => return Err(Refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("loading the evidence failed: {e}"))),
        };
        let transport: Arc<dyn Transport> = Arc::new(EvidenceTransport::new(exchanges, self.opts.live.clone()));
        let entry = Arc::new((transport, doc.determinism()));
        {
            let mut known = self.evidence.lock().unwrap_or_else(|p| p.into_inner());
            known.insert(index, Arc::downgrade(&entry));
            // Forget tasks whose evidence is gone once they outnumber the live ones.
            if known.len() > 2 * (self.opts.max_episodes + RECENT_EVIDENCE) {
                known.retain(|_, e| e.strong_count() > 0);
            }
        }
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.push_back(entry.clone());
        if recent.len() > RECENT_EVIDENCE {
            recent.pop_front();
        }
        Ok(entry)
    }

    /// How many tasks' evidence is loaded now (for `/health`).
    fn evidence_loaded(&self) -> usize {
        self.evidence.lock().unwrap_or_else(|p| p.into_inner()).values().filter(|e| e.strong_count() > 0).count()
    }

    fn episode(&self, v: &Value) -> Result<(String, Arc<Episode>), Refusal> {
        let id = v
            .get("episode")
            .and_then(Value::as_str)
            .ok_or_else(|| Refusal(StatusCode::BAD_REQUEST, "bad_request", "\"episode\" (the id /reset gave) is missing".into()))?;
        let ep = self.episodes.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned();
        let ep = ep.ok_or_else(|| Refusal(StatusCode::NOT_FOUND, "unknown_episode", format!("no open episode {id} (it was never opened, was submitted, or was ended after {} s idle)", self.opts.idle_timeout.as_secs())))?;
        ep.touch();
        Ok((id.to_string(), ep))
    }

    async fn step(self: &Arc<Self>, v: &Value) -> Answer {
        let (_, ep) = self.episode(v)?;
        let task = &ep.task;
        let tool = v.get("tool").and_then(Value::as_str).ok_or_else(|| Refusal(StatusCode::BAD_REQUEST, "bad_request", "\"tool\" (a tool name) is missing".into()))?;
        if !task.tools.iter().any(|t| t == tool) {
            return Err(Refusal(StatusCode::BAD_REQUEST, "unknown_tool", format!("'{tool}' is not in this task's toolset ({})", task.tools.join(", "))));
        }
        let args = arguments(v.get("arguments"))?;
        let step = ep.steps.fetch_add(1, Ordering::SeqCst);
        if step >= self.opts.max_steps {
            ep.steps.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal(StatusCode::CONFLICT, "step_limit", format!("this episode took its {} steps (--max-steps); /submit an answer", self.opts.max_steps)));
        }
        let (ep2, tool2) = (ep.clone(), tool.to_string());
        let ran = self.in_flight.track_future(async move { ep2.session.call(&tool2, &args).await }).await;
        ep.touch();
        let mut out = match ran {
            Ok(rec) => match &rec.outcome {
                Outcome::Ok(text) => {
                    let result = serde_json::from_str::<Value>(text.as_str()).unwrap_or_else(|_| Value::String(text.clone()));
                    json!({ "result": result })
                }
                other => other.error_report().map(|r| serde_json::to_value(r).expect("an error report is JSON")).unwrap_or(Value::Null),
            },
            Err(e) => session_error_json(&e),
        };
        out["steps_left"] = json!(self.opts.max_steps - step - 1);
        Ok(out)
    }

    fn submit(&self, v: &Value) -> Answer {
        let (id, ep) = self.episode(v)?;
        let answer = match v.get("answer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => return Err(Refusal(StatusCode::BAD_REQUEST, "bad_request", "\"answer\" is missing".into())),
            Some(other) => answer_text(other),
        };
        let Some(ep) = self.episodes.lock().unwrap_or_else(|p| p.into_inner()).remove(&id).filter(|e| Arc::ptr_eq(e, &ep)) else {
            return Err(Refusal(StatusCode::CONFLICT, "episode_ended", format!("episode {id} was already submitted")));
        };
        let task = &ep.task;
        let correct = task.verifier.check(&task.ground_truth, &answer);
        let mut out = json!({ "reward": if correct { 1.0 } else { 0.0 }, "correct": correct, "steps": ep.steps.load(Ordering::SeqCst) });
        if let Some(trace) = end(&ep) {
            out["trace"] = json!(trace);
        }
        Ok(out)
    }

    /// End episodes idle longer than the idle timeout; returns how many.
    pub fn reap(&self) -> usize {
        let idle: Vec<Arc<Episode>> = {
            let mut eps = self.episodes.lock().unwrap_or_else(|p| p.into_inner());
            let ids: Vec<String> = eps.iter().filter(|(_, e)| e.idle_for() > self.opts.idle_timeout).map(|(k, _)| k.clone()).collect();
            ids.iter().filter_map(|k| eps.remove(k)).collect()
        };
        idle.iter().for_each(|e| {
            end(e);
        });
        idle.len()
    }

    /// Stop: let steps in flight finish (bounded), then end every open episode.
    pub async fn drain(&self) {
        self.in_flight.close();
        let _ = tokio::time::timeout(edge::DRAIN_TIMEOUT, self.in_flight.wait()).await;
        let open: Vec<Arc<Episode>> = self.episodes.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(_, e)| e).collect();
        open.iter().for_each(|e| {
            end(e);
        });
    }
}

/// Write an episode's trace (when recording); its id.
fn end(ep: &Episode) -> Option<String> {
    match ep.session.finish() {
        Ok(id) => id,
        Err(e) => {
            eprintln!("error: cannot write the trace of {}: {e}", ep.session.ref_name().unwrap_or_default());
            None
        }
    }
}

/// A step's arguments: a JSON object, or (as chat-completions tool calls carry them) a
/// string holding one; absent is `{}`.
fn arguments(v: Option<&Value>) -> Result<String, Refusal> {
    let bad = |m: String| Refusal(StatusCode::BAD_REQUEST, "bad_arguments", m);
    match v {
        None | Some(Value::Null) => Ok("{}".into()),
        Some(o @ Value::Object(_)) => Ok(o.to_string()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(o @ Value::Object(_)) => Ok(o.to_string()),
            _ => Err(bad("\"arguments\" is a string that does not hold a JSON object".into())),
        },
        Some(_) => Err(bad("\"arguments\" must be a JSON object (or a string holding one)".into())),
    }
}

/// Serve the environment until a stop signal; `ready` is told the bound address.
pub async fn serve(opts: EnvOptions, edge: Edge, ready: impl FnOnce(std::net::SocketAddr)) -> Result<(), ServeError> {
    let idle = opts.idle_timeout;
    let env = Env::new(opts)?;
    let listener = edge::bind(&edge).await?;
    let reaper = {
        let env = env.clone();
        let every = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                env.reap();
            }
        })
    };
    let handler_env = env.clone();
    let handler: edge::Handler = Arc::new(move |req| Box::pin(handler_env.clone().handle(req)));
    ready(listener.local_addr()?);
    let drain_env = env.clone();
    let stop = async move {
        edge::stop_signal().await;
        drain_env.in_flight.close();
        let _ = tokio::time::timeout(edge::DRAIN_TIMEOUT, drain_env.in_flight.wait()).await;
    };
    edge::serve(listener, edge, handler, stop).await;
    reaper.abort();
    env.drain().await;
    Ok(())
}
