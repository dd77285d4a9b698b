//! The runtime: a tool pool plus everything needed to run one call in a fresh sandbox.

use crate::canonical;
use crate::engine::{DiveEngine, EngineError, EngineOptions};
use crate::instances::{self, limit_wall_clock};
use crate::pool::{LoadIssue, ToolEntry, ToolPool};
pub use dive_evidence::record::{CallRecord, Outcome, ToolErrorKind, Usage};
use crate::sandbox::determinism::DeterminismConfig;
use crate::config::NetworkConfig;
use crate::transport::{LiveTransport, Transport};
use crate::index::PoolIndex;
use crate::bindings::dive::tool::types as wit;
use crate::package::{LoadCtx, Runnable, Trust};
use crate::sandbox::secrets::{CallSecrets, Grants, SecretSource, SecretsError};
use crate::sandbox::{CallCtx, CallMonitor, Rule, SandboxSpec, Violation};

use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use wasmtime::component::Linker;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// How a runtime is put together.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Trusted tool sources (the built-in pool), loaded first: their manifests get every
    /// host secret they name. Each is a package directory or a directory of packages.
    pub builtin_sources: Vec<PathBuf>,
    /// Community tool sources in load order (`--tools`, then `DIVE_TOOLS`): a package
    /// from these gets a host secret only when `grants` names it (ARCHITECTURE.md §9).
    pub tool_sources: Vec<PathBuf>,
    /// `--grant PACKAGE:SECRET` / `DIVE_GRANTS`.
    pub grants: Grants,
    /// Upstream overrides, the private-network switch and request rates for live
    /// requests.
    pub network: NetworkConfig,
    /// Where host secret values are read from.
    pub secrets: SecretSource,
    /// How the wasmtime engine and its cache are set up.
    pub engine: EngineOptions,
}

/// Why a runtime could not be built. A package that fails to load is not one: it is a
/// [`LoadIssue`] ([`Runtime::load_issues`]).
#[derive(Debug, Error)]
pub enum RuntimeError {
    /// The engine could not be configured.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The WASI or outgoing-HTTP host functions could not be added to the linker.
    #[error("cannot set up the host imports: {0}")]
    Linker(String),
}

/// Why a call was not run. These are the caller's to fix (exit code 2), except
/// `Internal`.
#[derive(Debug, Error)]
pub enum CallError {
    /// No tool of this name is in the pool.
    #[error("unknown tool '{name}'{hint}")]
    UnknownTool {
        /// The name asked for.
        name: String,
        /// Text appended to the message: the nearest name or where to look, and how
        /// many packages failed to load, when some did.
        hint: String,
    },
    /// The arguments are not a JSON object or do not match the tool's input schema.
    #[error("arguments for '{tool}' are not valid: {message}")]
    InvalidArgs {
        /// The tool called.
        tool: String,
        /// What is wrong: the JSON error, or the first schema problems (up to five),
        /// each naming its field.
        message: String,
    },
    /// A required secret is missing from the host or not granted to the package, or a
    /// secret's value is too short to mask ([`SecretsError::TooShort`]).
    #[error(transparent)]
    MissingSecret(#[from] SecretsError),
    /// The host could not load the package, set up the sandbox or take a call slot.
    #[error("internal error running '{tool}': {message}")]
    Internal {
        /// The tool called.
        tool: String,
        /// What failed.
        message: String,
    },
}

/// Per-call options.
#[derive(Clone)]
pub struct CallOptions {
    /// The trace seed and pinned instant the call sees.
    pub determinism: DeterminismConfig,
    /// The call's index in its session, from which its random streams are derived.
    pub call_index: u64,
    /// Where requests go; None: the live network.
    pub transport: Option<Arc<dyn Transport>>,
    /// Do not look up or inject secrets (a replay needs none).
    pub without_secrets: bool,
}

impl CallOptions {
    /// Options for a live call at index 0: the live network, secrets injected.
    pub fn live(determinism: DeterminismConfig) -> Self {
        CallOptions {
            determinism,
            call_index: 0,
            transport: None,
            without_secrets: false,
        }
    }
}

/// The runtime. Cheap to clone (shared state), so calls can be spawned as tasks and run
/// on every worker thread.
#[derive(Clone)]
pub struct Runtime(Arc<RuntimeInner>);

struct RuntimeInner {
    engine: DiveEngine,
    linker: Linker<CallCtx>,
    /// The pool index in the engine's cache dir (None without a cache dir).
    index: Option<PoolIndex>,
    pool: ToolPool,
    secrets: SecretSource,
    grants: Grants,
    live: Arc<dyn Transport>,
    slots: tokio::sync::Semaphore,
}

impl Runtime {
    /// Set up the engine and load every source in order, built-in first (through the
    /// pool index when the engine has a cache dir). Packages that fail to load are
    /// skipped and listed in [`Runtime::load_issues`].
    pub async fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let engine = DiveEngine::new(config.engine)?;
        let linker = new_linker(&engine)?;
        let slots = tokio::sync::Semaphore::new(engine.concurrent_calls());
        let sources: Vec<(PathBuf, Trust)> = config
            .builtin_sources
            .iter()
            .map(|p| (p.clone(), Trust::Builtin))
            .chain(config.tool_sources.iter().map(|p| (p.clone(), Trust::Community)))
            .collect();
        let index = engine.cache_dir().map(|d| PoolIndex::new(d, engine.compatibility_tag()));
        let pool = ToolPool::open(&sources, LoadCtx { engine: &engine, linker: &linker, index: index.as_ref() }).await;
        Ok(Runtime(Arc::new(RuntimeInner {
            engine,
            linker,
            index,
            pool,
            secrets: config.secrets,
            grants: config.grants,
            live: Arc::new(LiveTransport::new(config.network)),
            slots,
        })))
    }

    /// All tools, sorted by name.
    pub fn tools(&self) -> impl Iterator<Item = &ToolEntry> {
        self.0.pool.tools.values()
    }

    /// The tool of this name, if the pool has it.
    pub fn tool(&self, name: &str) -> Option<&ToolEntry> {
        self.0.pool.tools.get(name)
    }

    /// Packages that were refused at load.
    pub fn load_issues(&self) -> &[LoadIssue] {
        &self.0.pool.issues
    }

    /// The packages that loaded, in load order.
    pub fn packages(&self) -> &[Arc<crate::package::Package>] {
        &self.0.pool.packages
    }

    /// Whether a call of a tool from `package` would get host secret `secret`.
    pub fn is_granted(&self, package: &crate::package::Package, secret: &str) -> bool {
        package.trust == Trust::Builtin || self.0.grants.allows(&package.name, secret)
    }

    /// The engine calls run on.
    pub fn engine(&self) -> &DiveEngine {
        &self.0.engine
    }

    fn load_ctx(&self) -> LoadCtx<'_> {
        LoadCtx {
            engine: &self.0.engine,
            linker: &self.0.linker,
            index: self.0.index.as_ref(),
        }
    }

    fn lookup(&self, name: &str) -> Result<&ToolEntry, CallError> {
        self.tool(name).ok_or_else(|| self.unknown_tool(name))
    }

    /// The error for a tool name the pool lacks, with the nearest name when one is close
    /// (and how many packages failed to load, when some did).
    pub fn unknown_tool(&self, name: &str) -> CallError {
        let mut hint = String::new();
        if let Some(close) = self
            .0
            .pool
            .tools
            .keys()
            .min_by_key(|k| edit_distance(k, name))
            .filter(|k| edit_distance(k, name) <= 3)
        {
            hint.push_str(&format!("; did you mean '{close}'?"));
        } else {
            hint.push_str("; `dive tools list` shows the tools there are");
        }
        if let Some(issue) = self.0.pool.issues.first() {
            hint.push_str(&format!(
                " ({} package(s) failed to load, e.g. {})",
                self.0.pool.issues.len(),
                issue.path.display()
            ));
        }
        CallError::UnknownTool {
            name: name.to_string(),
            hint,
        }
    }

    /// Parse and check arguments against the tool's input schema; returns their
    /// canonical JSON.
    pub fn check_args(&self, tool: &str, args: &str) -> Result<String, CallError> {
        let entry = self.lookup(tool)?;
        check_args(entry, args)
    }

    /// Run one call in a fresh sandbox.
    pub async fn call(&self, tool: &str, args: &str, opts: &CallOptions) -> Result<CallRecord, CallError> {
        let entry = self.lookup(tool)?;
        let args = check_args(entry, args)?;
        self.call_checked(entry, args, opts).await
    }

    async fn call_checked(
        &self,
        entry: &ToolEntry,
        args: String,
        opts: &CallOptions,
    ) -> Result<CallRecord, CallError> {
        let internal = |message: String| CallError::Internal { tool: entry.spec.name.clone(), message };
        let runnable = entry.package.runnable(self.load_ctx()).await.map_err(|e| internal(format!("cannot load its package: {e}")))?;
        let ctx = CallCtx::new(SandboxSpec {
            policy: entry.policy.clone(),
            mounts: entry.mounts.clone(),
            secrets: self.secrets_for(entry, opts)?,
            transport: opts.transport.clone().unwrap_or_else(|| self.0.live.clone()),
            determinism: opts.determinism,
            call_index: opts.call_index,
        })
        .map_err(|e| internal(format!("cannot set up the sandbox: {e:#}")))?;
        let monitor = ctx.monitor.clone();
        let stderr = ctx.stderr.clone();
        let _permit = self.0.slots.acquire().await.map_err(|_| internal("the runtime is shutting down".into()))?;
        let started = Instant::now();
        let timeout = Duration::from_millis(entry.policy.timeout_ms);
        let ran = tokio::time::timeout(timeout, run_in_fresh_instance(runnable, entry, ctx, &args)).await;
        let wall = started.elapsed();
        let ready_instance = matches!(ran, Ok(Ran { ready_instance: true, .. }));
        let outcome = classify(entry, &monitor, &stderr, ran.map(|r| r.result));
        let usage = Usage {
            wall_us: wall.as_micros() as u64,
            http_requests: monitor.requests_made(),
            peak_memory_bytes: monitor.peak_memory() as u64,
            output_bytes: match &outcome {
                Outcome::Ok(t) => t.len() as u64,
                _ => 0,
            },
            ready_instance,
        };
        Ok(CallRecord { tool: entry.identity.clone(), args, exchanges: monitor.take_exchanges(), usage, outcome })
    }

    /// The host secrets this call may use: none for a replay, else those the tool's
    /// policy names that its package is trusted with, resolved from the host.
    fn secrets_for(&self, entry: &ToolEntry, opts: &CallOptions) -> Result<CallSecrets, CallError> {
        if opts.without_secrets {
            return Ok(CallSecrets::default());
        }
        let pkg = &entry.package;
        let granted = self.0.grants.filter(pkg.trust, &pkg.name, &pkg.manifest, &entry.spec.name, &entry.policy.secrets)?;
        Ok(self.0.secrets.resolve(&pkg.manifest, &entry.spec.name, &granted)?)
    }
}

/// What running the guest gave: its answer (or trap), and whether the instance was made
/// ahead of time.
struct Ran {
    result: wasmtime::Result<Result<String, wit::ToolError>>,
    ready_instance: bool,
}

/// Take a fresh instance of the package, give it the call's sandbox and run the call
/// in it; the instance is discarded after.
async fn run_in_fresh_instance(runnable: &Runnable, entry: &ToolEntry, ctx: CallCtx, args: &str) -> Ran {
    let policy = &entry.policy;
    let mut fresh = match runnable.fresh_instance(policy.memory_bytes(), policy.timeout_ms).await {
        Ok(fresh) => fresh,
        Err(failure) => {
            if let Some(v) = failure.violation {
                ctx.monitor.violate(v);
            }
            return Ran { result: Err(failure.error), ready_instance: false };
        }
    };
    let ready_instance = fresh.made_ahead;
    fresh.store.data_mut().adopt(ctx);
    limit_wall_clock(&mut fresh.store, policy.timeout_ms);
    let result = fresh.provider.dive_tool_tool().call_call(&mut fresh.store, &entry.spec.name, args).await;
    instances::discard(fresh.store);
    Ran { result, ready_instance }
}

/// How the call ended: a broken rule first (the wall clock, or what the monitor saw),
/// then a trap, a tool error, or the result checked against the output schema.
fn classify(
    entry: &ToolEntry,
    monitor: &CallMonitor,
    stderr: &MemoryOutputPipe,
    ran: Result<wasmtime::Result<Result<String, wit::ToolError>>, tokio::time::error::Elapsed>,
) -> Outcome {
    let Ok(result) = ran else {
        monitor.violate(Violation::new(
            Rule::Timeout,
            format!("the call ran longer than timeout_ms = {} (it was still waiting)", entry.policy.timeout_ms),
        ));
        return Outcome::from(monitor.violation().expect("just set"));
    };
    if let Some(v) = monitor.violation() {
        return Outcome::from(v);
    }
    match result {
        // The guest's stderr is copied out only for a trap, not on every call.
        Err(trap) => Outcome::Trap { message: trap_message(&trap, &stderr.contents()) },
        Ok(Err(e)) => tool_error(e),
        Ok(Ok(text)) => check_result(entry, text),
    }
}

/// A WIT `tool-error` as an outcome.
fn tool_error(e: wit::ToolError) -> Outcome {
    let (kind, message) = match e {
        wit::ToolError::InvalidArgs(m) => (ToolErrorKind::InvalidArgs, m),
        wit::ToolError::Upstream(m) => (ToolErrorKind::Upstream, m),
        wit::ToolError::Internal(m) => (ToolErrorKind::Internal, m),
    };
    Outcome::ToolError { kind, message }
}

fn new_linker(engine: &DiveEngine) -> Result<Linker<CallCtx>, RuntimeError> {
    let mut linker = Linker::new(engine.engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| RuntimeError::Linker(format!("{e:#}")))?;
    crate::sandbox::outgoing::add_to_linker(&mut linker).map_err(|e| RuntimeError::Linker(format!("{e:#}")))?;
    Ok(linker)
}

fn check_args(entry: &ToolEntry, args: &str) -> Result<String, CallError> {
    let invalid = |message: String| CallError::InvalidArgs {
        tool: entry.spec.name.clone(),
        message,
    };
    let value: Value = serde_json::from_str(args)
        .map_err(|e| invalid(format!("they are not JSON ({e}); pass a JSON object such as '{{\"name\": \"value\"}}'")))?;
    if !value.is_object() {
        return Err(invalid("they must be a JSON object".into()));
    }
    let validator = entry
        .input_validator()
        .map_err(|e| invalid(format!("the tool's input schema cannot be used: {e}")))?;
    if validator.is_valid(&value) {
        return Ok(canonical::to_string(&value));
    }
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .take(5)
        .map(|e| {
            let path = e.instance_path().to_string();
            let field = if path.is_empty() { "(top level)".to_string() } else { path };
            format!("{field}: {e}")
        })
        .collect();
    if !problems.is_empty() {
        return Err(invalid(format!(
            "{}; `dive tools show {}` prints the schema",
            problems.join("; "),
            entry.spec.name
        )));
    }
    Ok(canonical::to_string(&value))
}

fn check_result(entry: &ToolEntry, text: String) -> Outcome {
    if text.len() as u64 > entry.policy.max_output_bytes {
        return Outcome::from(Violation::new(
            Rule::OutputSize,
            format!(
                "the result is {} bytes; the policy allows max_output_bytes = {}",
                text.len(),
                entry.policy.max_output_bytes
            ),
        ));
    }
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::ToolError {
                kind: ToolErrorKind::Internal,
                message: format!("the tool returned a result that is not JSON: {e}"),
            }
        }
    };
    if let Some(v) = entry.output_validator() {
        match v {
            Ok(validator) => {
                // The fast check first; the error walk only for a result that fails it.
                if validator.is_valid(&value) {
                    return Outcome::Ok(text);
                }
                if let Some(e) = validator.iter_errors(&value).next() {
                    return Outcome::ToolError {
                        kind: ToolErrorKind::Internal,
                        message: format!(
                            "the tool's result does not match its own output schema at {}: {e}",
                            e.instance_path()
                        ),
                    };
                }
            }
            Err(e) => {
                return Outcome::ToolError {
                    kind: ToolErrorKind::Internal,
                    message: format!("the tool's output schema cannot be used: {e}"),
                }
            }
        }
    }
    Outcome::Ok(text)
}

fn trap_message(trap: &wasmtime::Error, stderr: &[u8]) -> String {
    let mut msg = format!("the tool crashed: {}", trap.root_cause());
    let tail = String::from_utf8_lossy(stderr);
    let tail = tail.trim();
    if !tail.is_empty() {
        let start = tail.len().saturating_sub(2000);
        let start = (start..tail.len()).find(|i| tail.is_char_boundary(*i)).unwrap_or(0);
        msg.push_str(&format!("; guest stderr: {}", &tail[start..]));
    }
    msg
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
