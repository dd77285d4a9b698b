//! The `dive` command line: argument parsing, output and exit codes over the runtime
//! library (ARCHITECTURE.md §6).

mod author;
mod export;
mod report;
mod serve;
mod synth;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use dive_runtime::{
    CallError, CallOptions, DeterminismConfig, Domain, NetworkConfig, Runtime, RuntimeConfig, SecretSource,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// `dive --version`: this build's version, commit, wasmtime and WIT package.
const VERSION_TEXT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DIVE_COMMIT"),
    ", wasmtime ",
    env!("DIVE_WASMTIME"),
    ", WIT ",
    env!("DIVE_WIT"),
    ")"
);

#[derive(Parser)]
#[command(name = "dive", version = VERSION_TEXT, about = "Run DIVE tools in a WebAssembly sandbox, record and replay their evidence")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
pub(crate) struct Global {
    /// Load tool packages from DIR (a package, or a directory of packages). Repeatable;
    /// DIVE_TOOLS (colon-separated) adds more.
    #[arg(long = "tools", value_name = "DIR", global = true)]
    tools: Vec<PathBuf>,
    /// Do not load the built-in tool pool.
    #[arg(long, global = true)]
    no_builtin: bool,
    /// The evidence store: a directory, or s3://BUCKET/PREFIX on an S3-compatible object
    /// store (credentials and endpoint from AWS_*; default: .dive/store; env DIVE_STORE).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX", env = "DIVE_STORE", global = true)]
    store: Option<PathBuf>,
    /// Send an allowed origin's requests to another base URL: ORIGIN=URL. Repeatable;
    /// DIVE_UPSTREAM (comma-separated) adds more.
    #[arg(long = "upstream", value_name = "ORIGIN=URL", global = true)]
    upstream: Vec<String>,
    /// Politeness: at most N requests per second to ORIGIN (ORIGIN=N). Repeatable;
    /// DIVE_RATE (comma-separated) adds more. E-utilities defaults to 3/s (10/s with
    /// NCBI_API_KEY).
    #[arg(long = "rate", value_name = "ORIGIN=N", global = true)]
    rate: Vec<String>,
    /// Let allowed origins and upstream targets resolve to loopback/private addresses
    /// (tests and local mirrors only). Env: DIVE_ALLOW_PRIVATE_NETWORK=1.
    #[arg(long, global = true)]
    allow_private_network: bool,
    /// Read secrets from FILE (NAME=VALUE lines) as well as from the environment.
    #[arg(long, value_name = "FILE", global = true)]
    secrets: Option<PathBuf>,
    /// Trust a community package (from --tools/DIVE_TOOLS) with one host secret:
    /// PACKAGE:SECRET, PACKAGE being the package directory's name. Repeatable;
    /// DIVE_GRANTS (comma-separated) adds more. The built-in pool needs no grants.
    #[arg(long = "grant", value_name = "PACKAGE:SECRET", global = true)]
    grant: Vec<String>,
    /// Run only the packages FILE pins (written by `dive tools lock`): any package it
    /// does not list, or whose component or policy digest differs, is refused (exit 2).
    /// Env: DIVE_LOCKED.
    #[arg(long, value_name = "FILE", env = "DIVE_LOCKED", global = true)]
    locked: Option<PathBuf>,
    /// Machine-readable output where it fits.
    #[arg(long, global = true)]
    json: bool,
    /// Log what the runtime does (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Subcommand)]
enum Command {
    /// List, inspect and export the tools.
    Tools {
        #[command(subcommand)]
        command: ToolsCommand,
    },
    /// Run one tool call in a fresh sandbox; the result JSON goes to stdout.
    Call {
        /// The tool's name.
        tool: String,
        /// The arguments, a JSON object; `@FILE` reads them from a file, `-` from stdin
        /// (for arguments too large for a command line).
        #[arg(default_value = "{}")]
        args: String,
        /// Seed of the guest's random streams.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Pin the guest's wall clock to this instant (seconds since the Unix epoch);
        /// default: now, to the second.
        #[arg(long, value_name = "UNIX_SECONDS")]
        clock: Option<u64>,
        /// Also store a one-call evidence trace; its id is printed on stderr.
        #[arg(long)]
        record: bool,
        /// With --record: name the trace (refs/NAME) as well.
        #[arg(long = "ref", value_name = "NAME", requires = "record")]
        ref_name: Option<String>,
        /// Answer the tool's HTTP requests from the cassettes imported into the store
        /// (`dive store import-cassette`), with no network at all.
        #[arg(long)]
        cassettes: bool,
    },
    /// Re-run a trace offline (byte-for-byte) or --live (report drift).
    Replay {
        /// A trace id, a unique prefix of one, or a ref name.
        trace: String,
        /// Re-run against the real upstream (or --upstream) and report drift per call.
        #[arg(long)]
        live: bool,
    },
    /// Build verifiable tasks: sample seeds and toolsets, collect evidence in the
    /// sandbox, derive questions bound to trace values (DIR/tasks.jsonl).
    Synth(SynthArgs),
    /// Score answers with each task's verifier.
    Verify {
        /// The task file (JSON Lines).
        tasks: PathBuf,
        /// Answers: JSON Lines of {"uuid", "answer"}, or one JSON object uuid -> answer.
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
    },
    /// Replay each task's evidence offline (or --live) and check its answer still holds.
    Reverify {
        tasks: PathBuf,
        #[arg(long)]
        live: bool,
        /// Tasks re-verified at once.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// Diversity and coverage figures of a task set (DIVE's table).
    Stats { tasks: PathBuf },
    /// Join the task files of `dive synth --shard K/N` (one per shard, each with its
    /// manifest beside it) into the file one process would have written. A name
    /// `store:NAME` reads (or, for OUT, writes) the store's file NAME instead of a path.
    Merge {
        /// Where to write the merged task file (a path, or store:NAME).
        out: String,
        /// The shard task files, in any order (paths, or store:NAME).
        #[arg(required = true)]
        shards: Vec<String>,
    },
    /// Write tasks as training data: `messages` = one OpenAI chat-completions
    /// trajectory per task (question, tool calls along the evidence path with their
    /// recorded results, answer) with the task's toolset.
    Export {
        /// The task file (JSON Lines).
        tasks: PathBuf,
        #[arg(long, value_enum)]
        format: TaskFormat,
        /// Where to write: a JSON Lines file (messages) or a directory (hf).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Serve the tools to agents: `mcp` (Model Context Protocol, stdio or HTTP) or
    /// `env` (an RL environment over a task file, rewards from the verifiers).
    Serve {
        #[command(subcommand)]
        command: serve::ServeCommand,
    },
    /// Write a tool: scaffold a package (Rust, Python or JavaScript), build its
    /// component, check it in the sandbox.
    Tool {
        #[command(subcommand)]
        command: author::ToolCommand,
    },
    /// Maintain the evidence store.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Print a shell completion script (e.g. `dive completions bash > /etc/bash_completion.d/dive`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; e.g. `dive man | man -l -`).
    Man,
}

#[derive(clap::Args)]
pub(crate) struct SynthArgs {
    /// academic, biological, financial or medical.
    #[arg(long)]
    domain: String,
    /// Number of tasks to write.
    #[arg(long, default_value_t = 10)]
    count: usize,
    /// The run seed: it fixes every sampled seed, toolset and policy choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Tasks built at once (the output does not depend on it).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Output directory; tasks go to DIR/tasks.jsonl.
    #[arg(long, value_name = "DIR", default_value = "dive-tasks")]
    out: PathBuf,
    /// Evidence rounds per task.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Calls per round.
    #[arg(long, default_value_t = 4)]
    steps: usize,
    /// Add the general tools (search, browse, code execution) to every toolset.
    #[arg(long)]
    include_general: bool,
    /// Use only tools that need no network (offline; the biological domain's local tools).
    #[arg(long)]
    local_only: bool,
    /// Who picks the calls: the built-in typed-value policy, or an LLM.
    #[arg(long, value_enum, default_value = "builtin")]
    policy: PolicyChoice,
    /// `llm`: a model rewrites each derived question in the style of the task's
    /// exemplars (same endpoint flags and key as --policy llm); a rewrite is kept only
    /// when it keeps the question's entities and does not contain the answer.
    #[arg(long, value_enum, default_value = "none")]
    rephrase: RephraseChoice,
    /// LLM policy and rephrasing: the OpenAI-compatible base URL (…/v1); env
    /// DIVE_LLM_BASE_URL. The key is the secret DIVE_LLM_API_KEY (environment or
    /// --secrets file).
    #[arg(long, env = "DIVE_LLM_BASE_URL")]
    llm_base_url: Option<String>,
    /// LLM policy and rephrasing: the model name; env DIVE_LLM_MODEL.
    #[arg(long, env = "DIVE_LLM_MODEL")]
    llm_model: Option<String>,
    /// Answer every request from the traces an earlier run with the same settings stored
    /// (no network): rebuilds the same tasks file.
    #[arg(long)]
    replay: bool,
    /// Continue DIR/tasks.jsonl: keep its tasks, build the rest.
    #[arg(long)]
    resume: bool,
    /// A seed pool file (JSON Lines of {"value", "type"}) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    seeds: Option<PathBuf>,
    /// The wall clock every sandbox sees (seconds since the Unix epoch).
    #[arg(long, value_name = "UNIX_SECONDS", default_value_t = 1_767_225_600)]
    clock: u64,
    /// Build only shard K of N (task indices i with i mod N = K) into
    /// DIR/tasks.shard-K-of-N.jsonl and its manifest; `dive merge` joins the N shards.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// With --shard: tasks to build beyond the shard's share of --count (default: 5% of
    /// the share plus 2), so the shards together reach the count.
    #[arg(long, value_name = "E", requires = "shard")]
    shard_extra: Option<u64>,
    /// When done, also copy the task file (and a shard's manifest) into the store as
    /// files/NAME/<file name>, for `dive merge OUT store:NAME/<file name>...`.
    #[arg(long, value_name = "NAME")]
    publish: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PolicyChoice {
    Builtin,
    Llm,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RephraseChoice {
    /// The derived question as it is.
    None,
    /// A model's rewrite, when it passes the checks.
    Llm,
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Re-hash every object and trace; name each bad one.
    Fsck,
    /// Remove objects no trace or cassette reaches (dry run unless --apply).
    Gc {
        #[arg(long)]
        apply: bool,
        /// Keep unreachable objects younger than this many seconds (a recording in
        /// progress writes its blobs before its trace).
        #[arg(long, default_value_t = 3600)]
        grace_secs: u64,
    },
    /// Import VCR-style (vcrpy) YAML cassettes so tools can be answered from them.
    ImportCassette {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List traces and refs.
    Ls,
}

#[derive(Subcommand)]
enum ToolsCommand {
    /// One line per tool (--json: an array of tool specs).
    List {
        #[arg(long)]
        domain: Option<Domain>,
    },
    /// A tool's spec, schemas, component hash and effective policy.
    Show { name: String },
    /// Pin every loaded package's component and policy digests in a lock file, for
    /// `--locked FILE`.
    Lock {
        /// Where to write it.
        #[arg(long, value_name = "FILE", default_value = dive_runtime::lock::LOCK_FILE)]
        out: PathBuf,
    },
    /// Tool specs in another ecosystem's format (all, or those chosen).
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Only this domain's tools.
        #[arg(long)]
        domain: Option<Domain>,
        /// Only these tools (repeatable).
        #[arg(long = "tool", value_name = "NAME")]
        names: Vec<String>,
        /// OpenAI strict mode: every property required, optional ones nullable,
        /// additionalProperties false, keywords strict mode lacks left out.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TaskFormat {
    /// OpenAI chat-completions messages, one row per task (--out FILE.jsonl).
    Messages,
    /// A Hugging Face dataset: Parquet under DIR/data/ and a dataset card (--out DIR).
    Hf,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Openai,
    Anthropic,
    Mcp,
}

/// Exit codes (ARCHITECTURE.md §6).
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`dive tools list | head`) instead of failing to print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at start-up, before any
    // thread exists, is sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.global.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.downcast_ref::<UsageError>().map(|_| EXIT_USAGE).unwrap_or(EXIT_FAILED))
        }
    }
}

/// An error in what the user asked for (exit code 2).
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DIVE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a person at a terminal: piped logs stay plain text.
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Where the built-in pool lives: `DIVE_BUILTIN_TOOLS` (empty: none), else found from
/// the executable, so a copied, installed or unpacked `dive` finds its own pool.
fn builtin_dir() -> Option<PathBuf> {
    match std::env::var_os("DIVE_BUILTIN_TOOLS") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => {
            let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
            builtin_candidates(exe.parent()?).into_iter().find_map(|d| d.canonicalize().ok().filter(|d| d.is_dir()))
        }
    }
}

/// Where a pool may sit relative to the executable's dir, in order: an install
/// (`PREFIX/bin/dive` with `PREFIX/share/dive/tools`, what `make install` and the
/// `make dist` archive lay out), then a build tree (`target/release/dive` with
/// `build/tools`, what `make` assembles).
fn builtin_candidates(bin_dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = vec![bin_dir.join("../share/dive/tools")];
    if let Some(target) = bin_dir.parent() {
        out.push(target.join("../build/tools"));
    }
    out
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

/// The network settings of the global flags (and their environment variables).
pub(crate) fn network_config(g: &Global) -> Result<NetworkConfig> {
    let mut upstream_specs: Vec<String> = g.upstream.clone();
    if let Ok(env) = std::env::var("DIVE_UPSTREAM") {
        upstream_specs.extend(env.split(',').map(str::to_string));
    }
    let upstreams = NetworkConfig::parse_upstreams(upstream_specs.iter().map(String::as_str)).map_err(usage)?;
    let mut rate_specs: Vec<String> = g.rate.clone();
    if let Ok(env) = std::env::var("DIVE_RATE") {
        rate_specs.extend(env.split(',').map(str::to_string));
    }
    let rates = rate_specs
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(NetworkConfig::parse_rate)
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    Ok(NetworkConfig {
        upstreams,
        allow_private: g.allow_private_network || env_flag("DIVE_ALLOW_PRIVATE_NETWORK"),
        rates,
    })
}

pub(crate) async fn open_runtime(g: &Global) -> Result<Runtime> {
    start_runtime(g, runtime_config(g)?).await
}

/// The runtime settings of the global flags and their environment variables.
pub(crate) fn runtime_config(g: &Global) -> Result<RuntimeConfig> {
    let builtin_sources: Vec<PathBuf> = if g.no_builtin { Vec::new() } else { builtin_dir().into_iter().collect() };
    let mut sources = Vec::new();
    sources.extend(g.tools.iter().cloned());
    if let Some(extra) = std::env::var_os("DIVE_TOOLS") {
        sources.extend(std::env::split_paths(&extra).filter(|p| !p.as_os_str().is_empty()));
    }
    for s in &g.tools {
        if !s.is_dir() {
            return Err(usage(format!("--tools {}: no such directory", s.display())));
        }
    }
    let mut grant_specs: Vec<String> = g.grant.clone();
    if let Ok(env) = std::env::var("DIVE_GRANTS") {
        grant_specs.extend(env.split(',').map(str::to_string));
    }
    let grants = dive_runtime::Grants::parse(grant_specs.iter().map(String::as_str)).map_err(usage)?;
    let mut secrets = SecretSource::from_env();
    if let Some(f) = &g.secrets {
        secrets = secrets.with_file(f).map_err(|e| usage(e.to_string()))?;
    }
    let config = RuntimeConfig {
        builtin_sources,
        tool_sources: sources,
        grants,
        network: network_config(g)?,
        secrets,
        engine: Default::default(),
    };
    Ok(config)
}

/// Start a runtime: report what did not load, and hold it to `--locked`.
pub(crate) async fn start_runtime(g: &Global, config: RuntimeConfig) -> Result<Runtime> {
    let runtime = Runtime::new(config).await.context("cannot start the runtime")?;
    // The runtime lives until the process exits: freeing a pool of hundreds of tool specs
    // and the engine's reservations one by one at exit costs a short command a third of
    // its time, and the OS takes the memory back at once anyway.
    std::mem::forget(runtime.clone());
    for issue in runtime.load_issues() {
        eprintln!("warning: {issue}");
    }
    if let Some(path) = &g.locked {
        let lock = dive_runtime::lock::Lock::read(path).map_err(|e| usage(e.to_string()))?;
        lock.check(path, runtime.packages().iter().map(|p| &**p)).map_err(|e| usage(e.to_string()))?;
    }
    Ok(runtime)
}

async fn run(cli: Cli) -> Result<u8> {
    let g = &cli.global;
    match &cli.command {
        Command::Tools { command } => {
            let runtime = open_runtime(g).await?;
            match command {
                ToolsCommand::List { domain } => export::list(&runtime, *domain, g.json),
                ToolsCommand::Show { name } => {
                    let Some(entry) = runtime.tool(name) else {
                        return Err(usage(runtime.unknown_tool(name).to_string()));
                    };
                    export::show(&runtime, entry, g.json)
                }
                ToolsCommand::Lock { out } => {
                    let lock = dive_runtime::lock::Lock::of(runtime.packages().iter().map(|p| &**p));
                    dive_runtime::fsutil::write_atomic(out, lock.to_toml().as_bytes())
                        .with_context(|| format!("cannot write {}", out.display()))?;
                    eprintln!("locked {} packages in {}", lock.packages.len(), out.display());
                    Ok(0)
                }
                ToolsCommand::Export { format, domain, names, strict } => {
                    let format = match format {
                        ExportFormat::Openai => dive_export::Format::OpenAi,
                        ExportFormat::Anthropic => dive_export::Format::Anthropic,
                        ExportFormat::Mcp => dive_export::Format::Mcp,
                    };
                    if *strict && format != dive_export::Format::OpenAi {
                        return Err(usage("--strict is OpenAI's strict mode: use it with --format openai"));
                    }
                    export::export(&runtime, format, &export::Selection { domain: *domain, tools: names }, *strict)
                }
            }
        }
        Command::Call {
            tool,
            args,
            seed,
            clock,
            record,
            ref_name,
            cassettes,
        } => {
            let args = &read_args(args)?;
            // A bad ref name is the caller's mistake: say so before anything runs.
            if let Some(name) = ref_name {
                dive_runtime::store::Store::check_ref_name(name).map_err(|e| usage(e.to_string()))?;
            }
            let runtime = open_runtime(g).await?;
            let determinism = match clock {
                Some(secs) => DeterminismConfig {
                    seed: *seed,
                    clock_ns: secs.saturating_mul(1_000_000_000),
                },
                None => DeterminismConfig::now(*seed),
            };
            let mut opts = CallOptions::live(determinism);
            let store = if *record || *cassettes { Some(open_store(g)?) } else { None };
            if *cassettes {
                let t = dive_runtime::cassette::CassetteTransport::from_store(store.as_ref().expect("opened"))?;
                if t.is_empty() {
                    return Err(usage("--cassettes: the store has no imported cassettes; run `dive store import-cassette FILE` first"));
                }
                opts.transport = Some(std::sync::Arc::new(t));
            }
            let result = match &store {
                Some(st) if *record => {
                    let recorder = dive_runtime::trace::Recorder::with_options(&runtime, st, opts.clone());
                    let r = recorder.call(tool, args).await;
                    match r {
                        Ok(rec) => {
                            let id = recorder.finish()?;
                            if let Some(name) = ref_name {
                                st.set_ref(name, &id)?;
                            }
                            eprintln!("trace {id}");
                            Ok(rec)
                        }
                        Err(dive_runtime::trace::RecordError::Call(e)) => Err(e),
                        Err(e) => return Err(e.into()),
                    }
                }
                _ => runtime.call(tool, args, &opts).await,
            };
            let record = match result {
                Ok(r) => r,
                Err(e) => return Ok(report_call_error(&e)),
            };
            let code = record.outcome.exit_code() as u8;
            match &record.outcome {
                dive_runtime::Outcome::Ok(text) => println!("{text}"),
                other => {
                    let err = other.error_json().expect("failed outcomes have error JSON");
                    println!("{err}");
                    eprintln!("error: {}", describe_failure(tool, other));
                }
            }
            Ok(code)
        }
        Command::Replay { trace, live } => {
            let store = open_store(g)?;
            let id = store.resolve_trace(trace).map_err(|e| usage(e.to_string()))?;
            let runtime = open_runtime(g).await?;
            let report = dive_runtime::replay::replay(&runtime, &store, &id, *live).await.map_err(|e| {
                use dive_runtime::store::StoreError as S;
                let dive_runtime::replay::ReplayError::Store(inner) = &e;
                match inner {
                    // A trace that is not a trace, or asks for more than the bounds: bad
                    // input, exit 2 (ARCHITECTURE.md §9); a store fault stays exit 1.
                    S::CorruptTrace { .. } | S::Untrusted(_) | S::EvidenceTooLarge { .. } | S::Unsafe { .. } => usage(format!(
                        "cannot replay trace {id}: {e} (`dive store fsck` checks the whole store)"
                    )),
                    _ => anyhow::Error::new(e),
                }
            })?;
            report::replay(&report, g.json)
        }
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "dive", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut std::io::stdout())?;
            Ok(0)
        }
        Command::Serve { command } => serve::serve(g, command).await,
        Command::Tool { command } => author::run(g, command).await,
        Command::Synth(args) => synth::synth(g, args).await,
        Command::Verify { tasks, answers } => synth::verify(g, tasks, answers),
        Command::Reverify { tasks, live, workers } => synth::reverify(g, tasks, *live, *workers).await,
        Command::Stats { tasks } => synth::stats(g, tasks).await,
        Command::Merge { out, shards } => synth::merge(g, out, shards),
        Command::Export { tasks, format: TaskFormat::Messages, out } => export::messages(g, tasks, out).await,
        Command::Export { tasks, format: TaskFormat::Hf, out } => export::hf(g, tasks, out, VERSION_TEXT).await,
        Command::Store { command } => {
            let store = open_store(g)?;
            match command {
                StoreCommand::Fsck => report::fsck(&dive_runtime::fsck::fsck(&store)?, g.json),
                StoreCommand::Gc { apply, grace_secs } => report::gc(
                    &dive_runtime::fsck::gc(&store, *apply, std::time::Duration::from_secs(*grace_secs))?,
                    g.json,
                ),
                StoreCommand::ImportCassette { files } => {
                    let mut failed = 0;
                    for f in files {
                        match dive_runtime::cassette::import(&store, f) {
                            Ok((name, c)) => eprintln!("imported {} ({} interactions) as cassette {name}", f.display(), c.interactions.len()),
                            Err(e) => {
                                failed += 1;
                                eprintln!("error: {e}");
                            }
                        }
                    }
                    Ok(if failed > 0 { EXIT_USAGE } else { 0 })
                }
                StoreCommand::Ls => report::ls(&store, g.json),
            }
        }
    }
}

/// `@FILE` and `-` (stdin) forms of the call arguments.
fn read_args(args: &str) -> Result<String> {
    use dive_runtime::untrusted::{caps, read_at_most, read_text_bounded};
    if args == "-" {
        let bytes = read_at_most(std::io::stdin(), caps::ARGS_BYTES)
            .map_err(|e| usage(format!("cannot read the arguments from stdin: {e}")))?
            .ok_or_else(|| usage(format!("the arguments on stdin are over {} bytes", caps::ARGS_BYTES)))?;
        return String::from_utf8(bytes).map_err(|_| usage("the arguments on stdin are not UTF-8 text"));
    }
    if let Some(path) = args.strip_prefix('@') {
        return read_text_bounded(std::path::Path::new(path), caps::ARGS_BYTES, "the arguments size cap")
            .map_err(|e| usage(format!("cannot read the arguments: {e}")));
    }
    Ok(args.to_string())
}

/// The store `--store`/`DIVE_STORE` names: a directory or `s3://BUCKET/PREFIX`. A bad
/// location is a usage error (exit 2); a store that cannot be reached is exit 1.
pub(crate) fn open_store(g: &Global) -> Result<dive_runtime::store::Store> {
    use dive_runtime::store::{Store, StoreError};
    use dive_runtime::store_s3::S3Error;
    let root = g.store.clone().unwrap_or_else(Store::default_root);
    Store::open_location(&root).map_err(|e| match e {
        StoreError::Remote(S3Error::BadUrl { .. } | S3Error::Config { .. }) => usage(e.to_string()),
        other => anyhow::Error::new(other).context(format!("cannot open the store at {}", root.display())),
    })
}

fn describe_failure(tool: &str, outcome: &dive_runtime::Outcome) -> String {
    use dive_runtime::Outcome;
    match outcome {
        Outcome::Ok(_) => String::new(),
        Outcome::ToolError { kind, message } => format!("{tool} failed ({kind:?}): {message}"),
        Outcome::Violation { rule, message } => format!("{tool} broke sandbox rule '{rule}': {message}"),
        Outcome::Trap { message } => format!("{tool}: {message}"),
    }
}

fn report_call_error(e: &CallError) -> u8 {
    let kind = match e {
        CallError::UnknownTool { .. } => "unknown_tool",
        CallError::InvalidArgs { .. } => "invalid_args",
        CallError::MissingSecret(_) => "missing_secret",
        CallError::Internal { .. } => "internal",
    };
    println!("{}", serde_json::json!({ "error": { "kind": kind, "message": e.to_string() } }));
    eprintln!("error: {e}");
    e.exit_code() as u8
}
