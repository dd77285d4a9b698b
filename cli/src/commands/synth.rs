//! `dive synth`, `dive verify`, `dive reverify`, `dive stats`: thin wrappers over the
//! deriver crate (argument checks, progress, output).

use crate::context::{bad_tasks, open_runtime, open_store, open_task_file, usage, Global};
use crate::exit::FAILED as EXIT_FAILED;
use clap::ValueEnum;
use std::path::PathBuf;
use anyhow::{Context, Result};
use dive_deriver::llm::LlmConfig;
use dive_deriver::reverify::Status;
use dive_deriver::sample::PoolError;
use dive_deriver::shard::{manifest_name, Shard, ShardError, ShardInput, ShardManifest, ShardSource, MANIFEST_FORMAT};
use dive_runtime::store::Store;
use dive_runtime::untrusted::{caps, open_regular, read_bounded, Follow};
use dive_deriver::synth::{PolicyKind, Synth, SynthError, SynthOptions};
use dive_deriver::verify::read_answers;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::Arc;

/// Build verifiable tasks: sample seeds and toolsets, collect evidence in the sandbox,
/// derive questions bound to trace values (DIR/tasks.jsonl).
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
    #[arg(long)]
    llm_base_url: Option<String>,
    /// LLM policy and rephrasing: the model name; env DIVE_LLM_MODEL.
    #[arg(long)]
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

fn synth_error(e: SynthError) -> anyhow::Error {
    match e {
        SynthError::Pool(_) | SynthError::MissingSecret(_) | SynthError::NoTools { .. } | SynthError::OutputExists { .. } | SynthError::BadResume { .. } | SynthError::NoRecording { .. } => usage(e.to_string()),
        other => anyhow::Error::new(other),
    }
}

pub async fn synth(g: &Global, a: &SynthArgs) -> Result<u8> {
    if a.count == 0 {
        return Err(usage("--count must be at least 1"));
    }
    if a.rounds == 0 || a.steps == 0 {
        return Err(usage("--rounds and --steps must be at least 1"));
    }
    let llm = |what: &str| -> Result<LlmConfig> {
        let base_url = a.llm_base_url.clone().or_else(|| g.env.llm_base_url.clone()).ok_or_else(|| usage(format!("{what} needs --llm-base-url (or DIVE_LLM_BASE_URL), e.g. https://api.openai.com/v1")))?;
        let model = a.llm_model.clone().or_else(|| g.env.llm_model.clone()).ok_or_else(|| usage(format!("{what} needs --llm-model (or DIVE_LLM_MODEL)")))?;
        let mut secrets = dive_runtime::SecretSource::from_env();
        if let Some(f) = &g.secrets {
            secrets = secrets.with_file(f).map_err(|e| usage(e.to_string()))?;
        }
        Ok(LlmConfig { base_url, model, api_key: secrets.get("DIVE_LLM_API_KEY"), timeout: std::time::Duration::from_secs(120) })
    };
    let policy = match a.policy {
        PolicyChoice::Builtin => PolicyKind::Builtin,
        PolicyChoice::Llm => PolicyKind::Llm(llm("--policy llm")?),
    };
    let rephrase = match a.rephrase {
        RephraseChoice::None => None,
        RephraseChoice::Llm => Some(llm("--rephrase llm")?),
    };
    let seeds = match &a.seeds {
        Some(f) => Some(dive_deriver::sample::file_pool(f).map_err(|e: PoolError| usage(e.to_string()))?),
        None => None,
    };
    let domain: dive_runtime::Domain = a.domain.parse().map_err(|_| usage(dive_deriver::sample::PoolError::UnknownDomain(a.domain.clone()).to_string()))?;
    let mut opts = SynthOptions::new(domain, a.count, a.seed);
    opts.workers = a.workers.max(1);
    opts.rounds = a.rounds;
    opts.steps_per_round = a.steps;
    opts.include_general = a.include_general;
    opts.local_only = a.local_only;
    opts.clock_ns = a.clock.saturating_mul(1_000_000_000);
    opts.policy = policy;
    opts.rephrase = rephrase;
    opts.replay = a.replay;
    opts.seeds = seeds;
    let shard = match &a.shard {
        Some(spec) => Shard::parse(spec).map_err(|e| usage(e.to_string()))?,
        None => Shard::WHOLE,
    };
    opts.shard = shard;
    opts.shard_extra = a.shard_extra;
    if let Some(name) = &a.publish {
        Store::check_ref_name(name).map_err(|e| usage(format!("--publish: {e}")))?;
    }
    let run_key = opts.run_key();
    let runtime = open_runtime(g).await?;
    let store = Arc::new(open_store(g)?.with_group_commit());
    let s = Arc::new(Synth::new(runtime, store.clone(), opts).map_err(synth_error)?);
    let file_name = if a.shard.is_some() { shard.file_name() } else { "tasks.jsonl".to_string() };
    let out = a.out.join(&file_name);
    let target = s.target();
    let bar = if g.json { ProgressBar::hidden() } else { ProgressBar::new(target as u64) };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tasks  {per_sec}  eta {eta}")
            .expect("a valid template"),
    );
    let started = std::time::Instant::now();
    // Without a terminal the bar is hidden: say how it goes in plain lines instead, every
    // 5 seconds, with the failed calls (a run that cannot reach its upstream stops early).
    use std::io::IsTerminal;
    let plain = !g.json && !std::io::stderr().is_terminal();
    let last_line = std::sync::Mutex::new(std::time::Instant::now());
    let watched = s.clone();
    let progress = |done: usize| {
        bar.set_position(done as u64);
        let mut last = last_line.lock().unwrap_or_else(|p| p.into_inner());
        if plain && (last.elapsed().as_secs() >= 5 || done == target) {
            *last = std::time::Instant::now();
            eprintln!("synth: {done}/{target} tasks, {} failed calls, {:.0}s", watched.failed_calls(), started.elapsed().as_secs_f64());
        }
    };
    let summary = dive_deriver::synth::run(s, &out, a.resume, &progress).await.map_err(synth_error)?;
    bar.finish_and_clear();
    if a.shard.is_some() {
        let manifest = ShardManifest { format: MANIFEST_FORMAT.into(), shard, count: a.count, run_key, tasks: summary.resumed + summary.written };
        let path = a.out.join(manifest_name(&file_name));
        dive_runtime::fsutil::write_atomic(&path, &manifest.to_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(name) = &a.publish {
        publish(&store, name, &out, a.shard.is_some())?;
    }
    let secs = started.elapsed().as_secs_f64();
    let rate = summary.written as f64 / secs.max(1e-9);
    if g.json {
        println!("{}", serde_json::json!({"out": out, "written": summary.written, "resumed": summary.resumed, "samples": summary.samples, "seconds": secs, "tasks_per_second": rate}));
    } else {
        eprintln!(
            "wrote {} task(s) to {} ({} kept from before, {} samples) in {:.2}s, {:.1} tasks/s",
            summary.written,
            out.display(),
            summary.resumed,
            summary.samples,
            secs,
            rate
        );
    }
    Ok(0)
}

/// Copy a finished task file (and its shard manifest) into the store as files/NAME/….
fn publish(store: &Store, name: &str, out: &Path, sharded: bool) -> Result<()> {
    let file = out.file_name().and_then(|f| f.to_str()).expect("the task file has a name");
    let mut files = vec![file.to_string()];
    if sharded {
        files.push(manifest_name(file));
    }
    for f in files {
        let local = out.with_file_name(&f);
        let bytes = read_bounded(&local, caps::TASK_FILE_BYTES, "the task file cap", Follow::Yes)?;
        store.put_file(&format!("{name}/{f}"), &bytes)?;
        eprintln!("published {} as store:{name}/{f}", local.display());
    }
    Ok(())
}

/// A task file or manifest named on the command line: a path, or `store:NAME`.
fn read_named(store: &mut Option<Store>, g: &Global, name: &str) -> Result<Vec<u8>> {
    match name.strip_prefix("store:") {
        Some(key) => {
            if store.is_none() {
                *store = Some(open_store(g)?);
            }
            let st = store.as_ref().expect("opened");
            st.get_file(key)
                .map_err(|e| usage(format!("{name}: {e}")))?
                .ok_or_else(|| usage(format!("{name}: the store {} has no file {key}", st.location())))
        }
        None => read_bounded(Path::new(name), caps::TASK_FILE_BYTES, "the task file cap", Follow::Yes).map_err(|e| usage(e.to_string())),
    }
}

/// A shard's task lines for `dive merge`: a store file's bytes, or a local file kept
/// open (checked to be a regular file under the task file cap).
fn shard_source(store: &mut Option<Store>, g: &Global, name: &str) -> Result<ShardSource> {
    if name.starts_with("store:") {
        return Ok(ShardSource::Bytes(read_named(store, g, name)?));
    }
    let path = Path::new(name);
    let file = open_regular(path, Follow::Yes).map_err(|e| usage(e.to_string()))?;
    let size = file.metadata().with_context(|| format!("cannot read {name}"))?.len();
    if size > caps::TASK_FILE_BYTES {
        return Err(usage(format!("{name}: the file is {size} bytes, over the task file cap of {} bytes", caps::TASK_FILE_BYTES)));
    }
    Ok(ShardSource::File(file))
}

/// `dive merge OUT SHARD...`: the one-process task file from the shard files, streamed
/// from the shard files to OUT (a local OUT appears whole or not at all).
pub fn merge(g: &Global, out: &str, shards: &[String]) -> Result<u8> {
    let mut store = None;
    let mut inputs = Vec::with_capacity(shards.len());
    for name in shards {
        let source = shard_source(&mut store, g, name)?;
        let manifest_file = manifest_name(name);
        let manifest = ShardManifest::parse(&manifest_file, &read_named(&mut store, g, &manifest_file)?).map_err(|e| usage(e.to_string()))?;
        inputs.push(ShardInput { name: name.clone(), manifest, source });
    }
    let merge_error = |e: ShardError| match e {
        ShardError::Write(source) => anyhow::Error::from(source).context(format!("cannot write {out}")),
        other => usage(other.to_string()),
    };
    let lines = match out.strip_prefix("store:") {
        Some(key) => {
            let mut merged = Vec::new();
            let lines = dive_deriver::shard::merge(&inputs, &mut merged).map_err(merge_error)?;
            if store.is_none() {
                store = Some(open_store(g)?);
            }
            store.as_ref().expect("opened").put_file(key, &merged)?;
            lines
        }
        None => {
            // The merge's own error, kept apart from the file's (the temp file is removed
            // and OUT left as it was on either).
            let mut merged = Ok(0);
            let written = dive_runtime::fsutil::write_atomic_with(Path::new(out), 0o666, |f| {
                use std::io::Write as _;
                let mut w = std::io::BufWriter::new(f);
                merged = dive_deriver::shard::merge(&inputs, &mut w).and_then(|n| w.flush().map(|_| n).map_err(ShardError::Write));
                merged.as_ref().map(drop).map_err(|_| std::io::Error::other("the merge stopped"))
            });
            let lines = merged.map_err(merge_error)?;
            written.with_context(|| format!("cannot write {out}"))?;
            lines
        }
    };
    if g.json {
        println!("{}", serde_json::json!({"out": out, "tasks": lines, "shards": inputs.len()}));
    } else {
        eprintln!("merged {} shard(s) into {out}: {lines} task(s)", inputs.len());
    }
    Ok(0)
}

/// `dive verify TASKS --answers FILE`: the task file is read one task at a time and
/// only each task's verdict kept.
pub fn verify(g: &Global, tasks: &Path, answers: &Path) -> Result<u8> {
    let mut reader = open_task_file(tasks)?;
    // The first task before the answers: a file that is no task file is said first.
    let first = reader.next().transpose().map_err(bad_tasks)?;
    let answers = read_answers(answers).map_err(|e| usage(e.to_string()))?;
    let mut verdicts = Vec::new();
    for t in first.map(Ok).into_iter().chain(reader) {
        verdicts.push(dive_deriver::verify::score_one(&t.map_err(bad_tasks)?, &answers));
    }
    let report = dive_deriver::verify::ScoreReport::of(verdicts);
    if g.json {
        // One verdict per task, for reward functions (§11); the totals go to stderr.
        for r in &report.results {
            let reward = if r.correct == Some(true) { 1.0 } else { 0.0 };
            println!("{}", serde_json::json!({ "uuid": r.uuid, "correct": r.correct, "reward": reward }));
        }
        eprintln!("{} of {} correct ({} answered), accuracy {:.1}%", report.correct, report.tasks, report.answered, 100.0 * report.accuracy);
    } else {
        for r in &report.results {
            let mark = match r.correct {
                Some(true) => "correct",
                Some(false) => "wrong",
                None => "unanswered",
            };
            println!("{}  {mark}", r.uuid);
        }
        println!("{} of {} correct ({} answered), accuracy {:.1}%", report.correct, report.tasks, report.answered, 100.0 * report.accuracy);
    }
    Ok(0)
}

/// `dive reverify TASKS`: a first pass checks every line and counts the tasks (a broken
/// file is refused before any replay), a second feeds the workers one task at a time,
/// so memory holds the tasks in flight, not the file.
pub async fn reverify(g: &Global, tasks: &Path, live: bool, workers: usize) -> Result<u8> {
    let mut check = open_task_file(tasks)?;
    let count = check.by_ref().try_fold(0u64, |n, t| t.map(|_| n + 1)).map_err(bad_tasks)?;
    let mut it = open_task_file(tasks)?.expecting(check.digest());
    let runtime = open_runtime(g).await?;
    let store = Arc::new(open_store(g)?);
    let bar = if g.json { ProgressBar::hidden() } else { ProgressBar::new(count) };
    let mut results = Vec::with_capacity(count as usize);
    let mut pending = std::collections::VecDeque::new();
    loop {
        while pending.len() < workers.max(1) {
            let Some(t) = it.next() else { break };
            let t = t.map_err(bad_tasks)?;
            let (rt, st) = (runtime.clone(), store.clone());
            pending.push_back(tokio::spawn(async move { dive_deriver::reverify::reverify(&rt, &st, &t, live).await }));
        }
        let Some(h) = pending.pop_front() else { break };
        results.push(h.await.context("a re-verification worker failed")?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let holds = results.iter().filter(|r| r.status == Status::Holds).count();
    if g.json {
        println!("{}", serde_json::json!({"tasks": results.len(), "holds": holds, "live": live, "results": results}));
    } else {
        for r in results.iter().filter(|r| r.status != Status::Holds) {
            println!("{}  {:?}  {}", r.uuid, r.status, r.detail.as_deref().unwrap_or(""));
        }
        println!("{holds} of {} tasks hold ({})", results.len(), if live { "live" } else { "offline replay" });
    }
    Ok(if holds == results.len() { 0 } else { EXIT_FAILED })
}

/// `dive stats TASKS`: the task file is read one task at a time.
pub async fn stats(g: &Global, tasks: &Path) -> Result<u8> {
    let reader = open_task_file(tasks)?;
    let runtime = open_runtime(g).await?;
    let infos = dive_deriver::synth::tool_infos(&runtime);
    let retrieval = |name: &str| infos.get(name).is_none_or(|t| t.retrieval);
    let mut table = dive_deriver::stats::StatsBuilder::default();
    for t in reader {
        table.add(&t.map_err(bad_tasks)?, &retrieval);
    }
    let s = table.finish();
    if g.json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!("{s}");
    }
    Ok(0)
}
