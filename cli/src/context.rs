//! What every command shares: the global flags over the `DIVE_*` variables, and the
//! runtime and store they describe; usage errors (exit 2).

use anyhow::{Context, Result};
use dive_runtime::config::BuiltinTools;
use dive_runtime::engine::EngineOptions;
use dive_runtime::{DiveEnv, NetworkConfig, Runtime, RuntimeConfig, SecretSource};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Global {
    /// Load tool packages from DIR (a package, or a directory of packages). Repeatable;
    /// DIVE_TOOLS (colon-separated) adds more.
    #[arg(long = "tools", value_name = "DIR", global = true)]
    pub(crate) tools: Vec<PathBuf>,
    /// Do not load the built-in tool pool.
    #[arg(long, global = true)]
    pub(crate) no_builtin: bool,
    /// The evidence store: a directory, or s3://BUCKET/PREFIX on an S3-compatible object
    /// store (credentials and endpoint from AWS_*; default: .dive/store; env DIVE_STORE).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX", global = true)]
    pub(crate) store: Option<PathBuf>,
    /// Send an allowed origin's requests to another base URL: ORIGIN=URL. Repeatable;
    /// DIVE_UPSTREAM (comma-separated) adds more.
    #[arg(long = "upstream", value_name = "ORIGIN=URL", global = true)]
    pub(crate) upstream: Vec<String>,
    /// Politeness: at most N requests per second to ORIGIN (ORIGIN=N). Repeatable;
    /// DIVE_RATE (comma-separated) adds more. E-utilities defaults to 3/s (10/s with
    /// NCBI_API_KEY).
    #[arg(long = "rate", value_name = "ORIGIN=N", global = true)]
    pub(crate) rate: Vec<String>,
    /// Let allowed origins and upstream targets resolve to loopback/private addresses
    /// (tests and local mirrors only). Env: DIVE_ALLOW_PRIVATE_NETWORK=1.
    #[arg(long, global = true)]
    pub(crate) allow_private_network: bool,
    /// Read secrets from FILE (NAME=VALUE lines) as well as from the environment.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) secrets: Option<PathBuf>,
    /// Trust a community package (from --tools/DIVE_TOOLS) with one host secret:
    /// PACKAGE:SECRET, PACKAGE being the package directory's name. Repeatable;
    /// DIVE_GRANTS (comma-separated) adds more. The built-in pool needs no grants.
    #[arg(long = "grant", value_name = "PACKAGE:SECRET", global = true)]
    pub(crate) grant: Vec<String>,
    /// Run only the packages FILE pins (written by `dive tools lock`): any package it
    /// does not list, or whose component or policy digest differs, is refused (exit 2).
    /// Env: DIVE_LOCKED.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) locked: Option<PathBuf>,
    /// Machine-readable output where it fits.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Log what the runtime does (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// The `DIVE_*` variables, under the flags above (a flag wins over its variable).
    #[arg(skip)]
    pub(crate) env: DiveEnv,
}

impl Global {
    /// The store: `--store`, else `DIVE_STORE`, else `.dive/store`.
    pub(crate) fn store_location(&self) -> PathBuf {
        self.store.clone().or_else(|| self.env.store.clone()).unwrap_or_else(dive_runtime::store::Store::default_root)
    }

    /// The lock file: `--locked`, else `DIVE_LOCKED`.
    pub(crate) fn lock_file(&self) -> Option<&std::path::Path> {
        self.locked.as_deref().or(self.env.locked.as_deref())
    }
}

/// An error in what the user asked for (exit code 2).
#[derive(Debug)]
pub(crate) struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// A task file's tasks, one line at a time; see [`bad_tasks`] for its errors.
pub(crate) fn open_task_file(path: &std::path::Path) -> anyhow::Result<dive_deriver::verify::TaskFileReader> {
    dive_deriver::verify::open_tasks(path).map_err(bad_tasks)
}

/// A task file that cannot be read, or a line of it that is no task: a usage error
/// (exit 2) whose message names the file and line.
pub(crate) fn bad_tasks(e: dive_deriver::verify::TaskFileError) -> anyhow::Error {
    usage(e.to_string())
}

/// The log on stderr: `DIVE_LOG` (a tracing filter) when set, else by `-v`.
pub(crate) fn init_logging(verbose: u8, dive_log: Option<&str>) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = dive_log
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default));
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
fn builtin_dir(env: &DiveEnv) -> Option<PathBuf> {
    match &env.builtin_tools {
        BuiltinTools::None => None,
        BuiltinTools::At(dir) => Some(dir.clone()),
        BuiltinTools::BesideTheExecutable => {
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

/// The network settings of the global flags, then their environment variables.
pub(crate) fn network_config(g: &Global) -> Result<NetworkConfig> {
    NetworkConfig::parse(
        g.upstream.iter().chain(&g.env.upstreams).map(String::as_str),
        g.rate.iter().chain(&g.env.rates).map(String::as_str),
        g.allow_private_network || g.env.allow_private_network,
    )
    .map_err(usage)
}

pub(crate) async fn open_runtime(g: &Global) -> Result<Runtime> {
    start_runtime(g, runtime_config(g)?).await
}

/// The runtime of a command that runs at most one call at a time (`dive call`, `dive
/// tools`): its engine sets up one fiber stack instead of one per possible call.
pub(crate) async fn open_runtime_for_one_call(g: &Global) -> Result<Runtime> {
    let mut config = runtime_config(g)?;
    config.engine.concurrent_calls = 1;
    start_runtime(g, config).await
}

/// The runtime settings of the global flags and their environment variables.
pub(crate) fn runtime_config(g: &Global) -> Result<RuntimeConfig> {
    let builtin_sources: Vec<PathBuf> = if g.no_builtin { Vec::new() } else { builtin_dir(&g.env).into_iter().collect() };
    let sources: Vec<PathBuf> = g.tools.iter().chain(&g.env.tools).cloned().collect();
    for s in &g.tools {
        if !s.is_dir() {
            return Err(usage(format!("--tools {}: no such directory", s.display())));
        }
    }
    let grants = dive_runtime::Grants::parse(g.grant.iter().chain(&g.env.grants).map(String::as_str)).map_err(usage)?;
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
        engine: EngineOptions::of_env(&g.env),
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
    if let Some(path) = g.lock_file() {
        let lock = dive_runtime::lock::Lock::read(path).map_err(|e| usage(e.to_string()))?;
        lock.check(path, runtime.packages().iter().map(|p| &**p)).map_err(|e| usage(e.to_string()))?;
    }
    Ok(runtime)
}

/// The store `--store`/`DIVE_STORE` names: a directory or `s3://BUCKET/PREFIX`. A bad
/// location is a usage error (exit 2); a store that cannot be reached is exit 1.
pub(crate) fn open_store(g: &Global) -> Result<dive_runtime::store::Store> {
    use dive_runtime::store::{Store, StoreError};
    use dive_runtime::store_s3::S3Error;
    let root = g.store_location();
    Store::open_location(&root, &g.env.s3_cache_root()).map_err(|e| match e {
        StoreError::Remote(S3Error::BadUrl { .. } | S3Error::Config { .. }) => usage(e.to_string()),
        other => anyhow::Error::new(other).context(format!("cannot open the store at {}", root.display())),
    })
}

