//! The synthesis loop: for each task index, sample a config from the run seed, collect
//! evidence with a policy over K rounds (recorded as one trace), derive the task.
//! Tasks are written in index order, so the output is the same whatever `--workers`
//! is, and a file cut short by an interruption is a prefix that `--resume` continues.

use crate::derive::{derive, DeriveInput, Derived};
use crate::evidence::{EvidenceCall, ToolInfo};
use crate::llm::{LlmConfig, LlmError, LlmSession, ModelClient};
use crate::rephrase::rephrase;
use crate::policy::{self, PolicyState};
use crate::sample::{self, Seed};
use crate::shard::Shard;
use crate::task::{verifier_for, SynthConfig, Task};
use dive_runtime::replay::ReplayTransport;
use dive_runtime::exchange::HttpExchange;
use dive_runtime::store::{Store, StoreError};
use dive_runtime::record::{RecordError, Recorder};
use dive_runtime::trace::{load_exchanges, load_model_exchanges, read_trace};
use dive_runtime::{CallError, CallOptions, DeterminismConfig, Domain, Outcome, Runtime};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which policy collects evidence.
#[derive(Clone)]
pub enum PolicyKind {
    Builtin,
    Llm(LlmConfig),
}

#[derive(Clone)]
pub struct SynthOptions {
    pub domain: Domain,
    pub count: usize,
    pub run_seed: u64,
    pub workers: usize,
    pub rounds: usize,
    pub steps_per_round: usize,
    pub include_general: bool,
    /// Only tools that need no network (the offline default for the biological domain).
    pub local_only: bool,
    /// The wall-clock instant every task's sandbox sees.
    pub clock_ns: u64,
    pub policy: PolicyKind,
    /// `--rephrase llm`: a model rewrites each question in its exemplars' style.
    pub rephrase: Option<LlmConfig>,
    /// Answer every request from the traces of an earlier run with the same settings.
    pub replay: bool,
    /// A seed pool instead of the built-in one.
    pub seeds: Option<Vec<Seed>>,
    pub toolset_min: usize,
    pub toolset_max: usize,
    /// Which indices to build (`--shard K/N`; the whole run by default).
    pub shard: Shard,
    /// Tasks a shard builds beyond its share (default: [`Shard::default_extra`]).
    pub shard_extra: Option<u64>,
}

impl SynthOptions {
    pub fn new(domain: Domain, count: usize, run_seed: u64) -> SynthOptions {
        SynthOptions {
            domain,
            count,
            run_seed,
            workers: 2,
            rounds: 3,
            steps_per_round: 4,
            include_general: false,
            local_only: false,
            clock_ns: 1_767_225_600_000_000_000, // 2026-01-01T00:00:00Z
            policy: PolicyKind::Builtin,
            rephrase: None,
            replay: false,
            seeds: None,
            toolset_min: 15,
            toolset_max: 50,
            shard: Shard::WHOLE,
            shard_extra: None,
        }
    }

    /// What identifies the run's traces in the store (refs `synth/<key>/<index>`): every
    /// setting that changes a task, but not the count or the worker number.
    pub fn run_key(&self) -> String {
        let policy = match &self.policy {
            PolicyKind::Builtin => "builtin".to_string(),
            PolicyKind::Llm(c) => format!("llm:{}:{}", c.base_url, c.model),
        };
        let mut text = format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.domain, self.run_seed, self.rounds, self.steps_per_round, self.include_general, self.local_only, self.clock_ns, policy, self.toolset_min, self.toolset_max
        );
        // Appended only when set, so the keys of runs without it stay as they were.
        if let Some(c) = &self.rephrase {
            text.push_str(&format!("|rephrase:llm:{}:{}", c.base_url, c.model));
        }
        blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(transparent)]
    Pool(#[from] sample::PoolError),
    #[error("the {domain} domain has no callable tools{detail}: load its packages (make pool) or drop --local-only")]
    NoTools { domain: Domain, detail: String },
    #[error("no task could be derived from {tried} samples in a row: the toolset's tools cannot be chained from the seeds (check that tools tag parameters with x-dive-type and that the seed types match)")]
    NothingDerivable { tried: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("task {index}: {source}")]
    Llm { index: u64, source: LlmError },
    #[error("task {index}: --replay needs the traces of an earlier run with the same settings, but ref {reference} is not in the store: run once without --replay first")]
    NoRecording { index: u64, reference: String },
    #[error("cannot write {path}: {source}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("{path} already holds {lines} task(s): pass --resume to continue it, or choose another --out")]
    OutputExists { path: PathBuf, lines: usize },
    #[error("{path}:{line}: not a task record, so the file cannot be resumed ({message}); move it away or fix that line")]
    BadResume { path: PathBuf, line: usize, message: String },
    #[error("a task worker failed: {0}")]
    Join(String),
    #[error("internal error recording a task: {0}")]
    Record(String),
    #[error("{0}")]
    MissingSecret(String),
    #[error("stopping: {calls} calls failed the same way (e.g. to {origin}) and none was answered, so no task can be derived — {why}")]
    Unreachable { calls: u64, origin: String, why: String },
    #[error("interrupted: {written} task(s) are in the output; run the same command with --resume to finish")]
    Interrupted { written: usize },
}

/// The tools of the pool as the deriver sees them.
pub fn tool_infos(runtime: &Runtime) -> BTreeMap<String, ToolInfo> {
    runtime
        .tools()
        .map(|t| {
            (
                t.spec.name.clone(),
                ToolInfo {
                    name: t.spec.name.clone(),
                    domain: t.package.manifest.domain,
                    description: t.spec.description.clone(),
                    input_schema: t.spec.input_schema.value().clone(),
                    output_schema: t.spec.output_schema.as_ref().map(|s| s.value().clone()),
                    retrieval: !t.policy.network.is_empty(),
                },
            )
        })
        .collect()
}

/// Everything shared by the tasks of a run.
pub struct Synth {
    runtime: Runtime,
    store: Arc<Store>,
    tools: Arc<BTreeMap<String, ToolInfo>>,
    domain_tools: Vec<String>,
    general_tools: Vec<String>,
    seeds: Vec<Seed>,
    exemplars: usize,
    opts: SynthOptions,
    /// Transport failures over the run (see `watch.rs`).
    watch: crate::watch::Watch,
}

impl Synth {
    pub fn new(runtime: Runtime, store: Arc<Store>, opts: SynthOptions) -> Result<Synth, SynthError> {
        let tools = tool_infos(&runtime);
        let domain = opts.domain;
        if domain == Domain::General {
            return Err(sample::PoolError::GeneralHasNoSeeds.into());
        }
        let seeds = match &opts.seeds {
            Some(s) if s.is_empty() => return Err(sample::PoolError::Empty("the given seed pool".into()).into()),
            Some(s) => s.clone(),
            None => sample::builtin_pool(domain)?,
        };
        let keep = |t: &&ToolInfo| !opts.local_only || !t.retrieval;
        let domain_tools: Vec<String> = tools.values().filter(|t| t.domain == domain).filter(keep).map(|t| t.name.clone()).collect();
        let general_tools: Vec<String> = if opts.include_general {
            tools.values().filter(|t| t.domain == Domain::General).filter(keep).map(|t| t.name.clone()).collect()
        } else {
            Vec::new()
        };
        if domain_tools.is_empty() {
            return Err(SynthError::NoTools { domain, detail: if opts.local_only { " without network".into() } else { String::new() } });
        }
        // The built-in policy starts from the seed, so a seed no tool takes can give no
        // task (most of the financial pool is topics, which no Tushare tool takes): keep
        // the seeds some tool takes, unless none is (then the run says so).
        let seeds = if matches!(opts.policy, PolicyKind::Builtin) {
            let taken = |s: &Seed| domain_tools.iter().chain(&general_tools).filter_map(|n| tools.get(n)).any(|t| policy::takes(t, &s.sem_type));
            let kept: Vec<Seed> = seeds.iter().filter(|s| taken(s)).cloned().collect();
            if kept.is_empty() { seeds } else { kept }
        } else {
            seeds
        };
        Ok(Synth {
            runtime,
            store,
            tools: Arc::new(tools),
            domain_tools,
            general_tools,
            seeds,
            exemplars: sample::exemplars().len(),
            opts,
            watch: Default::default(),
        })
    }

    /// How many tasks this run writes: the count, or a shard's quota of it.
    pub fn target(&self) -> usize {
        self.opts.shard.quota(self.opts.count, self.opts.shard_extra)
    }

    /// Calls of this run whose requests failed at the transport or were turned away.
    pub fn failed_calls(&self) -> u64 {
        self.watch.failed_calls()
    }

    pub fn tools(&self) -> &BTreeMap<String, ToolInfo> {
        &self.tools
    }

    /// Sample task `index`'s config: seed, toolset, exemplars.
    fn config(&self, index: u64) -> (Seed, Vec<String>, Vec<usize>) {
        let o = &self.opts;
        let mut rng = sample::rng(o.run_seed, index, "config");
        use rand::RngExt;
        // The biological domain also seeds from DNA generated from the run seed (always,
        // offline), unless the user gave a pool of their own.
        let generate = o.domain == Domain::Biological && o.seeds.is_none() && (o.local_only || rng.random_range(0..2) == 0);
        let seed = if generate {
            Seed { value: Value::String(sample::generated_dna(&mut rng)), sem_type: "dna_sequence".into() }
        } else {
            self.seeds[rng.random_range(0..self.seeds.len())].clone()
        };
        let lo = o.toolset_min.min(self.domain_tools.len()).max(1);
        // Leave some tools out even at the top of the range, so toolsets stay diverse.
        let hi = o.toolset_max.min(self.domain_tools.len().saturating_sub(8)).max(lo);
        let k = rng.random_range(lo..=hi);
        let mut toolset = sample::pick(&mut rng, &self.domain_tools, k);
        toolset.extend(self.general_tools.iter().cloned());
        toolset.sort();
        let n_ex = rng.random_range(3..=5);
        let all: Vec<usize> = (0..self.exemplars).collect();
        let mut ex = sample::pick(&mut rng, &all, n_ex);
        ex.sort();
        (seed, toolset, ex)
    }

    fn reference(&self, index: u64) -> String {
        format!("synth/{}/{index}", self.opts.run_key())
    }

    /// Build task `index`. Ok(None): nothing could be derived from its evidence.
    pub async fn task(&self, index: u64) -> Result<Option<Task>, SynthError> {
        let o = &self.opts;
        let (seed, toolset, exemplars) = self.config(index);
        let (call_opts, recorded_model) = self.call_options(index)?;
        let mut model = self.model_client(recorded_model);
        let recorder = Recorder::with_options(&self.runtime, &self.store, call_opts);
        let infos: Vec<&ToolInfo> = toolset.iter().filter_map(|n| self.tools.get(n)).collect();
        let mut calls: Vec<EvidenceCall> = Vec::new();
        let (rounds, policy_name) = match &o.policy {
            PolicyKind::Builtin => {
                let mut policy = BuiltinPolicy::new(&seed, sample::rng(o.run_seed, index, "policy"), &infos, self.runtime.clone());
                (policy.collect(self, &recorder, &mut calls).await?, policy.name())
            }
            PolicyKind::Llm(cfg) => {
                let client = model.as_mut().expect("the LLM policy has a model");
                let mut policy = LlmPolicy { session: LlmSession::new(client, &infos, &seed, o.domain.as_str()), toolset: &toolset, model: &cfg.model, index };
                let collected = policy.collect(self, &recorder, &mut calls).await;
                let name = policy.name();
                drop(policy);
                recorder.record_model(&client.take_exchanges())?;
                (collected?, name)
            }
        };
        let all_exemplars = sample::exemplars();
        let exemplar_texts: Vec<String> = exemplars.iter().filter_map(|&i| all_exemplars.get(i)).map(|(_, q)| q.clone()).collect();
        let input = |evidence_key| DeriveInput {
            evidence_key,
            seed: &seed.value,
            seed_type: &seed.sem_type,
            tools: &self.tools,
            calls: &calls,
            rounds: &rounds,
            exemplars: &exemplar_texts,
        };
        let (trace, derived, question) = match model.as_mut().filter(|_| o.rephrase.is_some()) {
            None => {
                let key = recorder.evidence_key_so_far();
                let trace = recorder_finish(recorder, &self.store, &self.reference(index))?;
                let derived = derive(&input(&key));
                (trace, derived, None)
            }
            // With --rephrase the rewrite's exchange joins the trace after the derivation,
            // so the derivation sees the key of the trace without it (the same on --replay).
            Some(client) => {
                let derived = derive(&input(&recorder.evidence_key_so_far()));
                let mut question = None;
                if let Some(last) = derived.as_ref().and_then(|d| d.rounds.last()) {
                    question = rephrase(client, &last.question, &exemplar_texts, &seed.text(), &last.ground_truth).await.map_err(|source| SynthError::Llm { index, source })?;
                }
                recorder.record_model(&client.take_exchanges())?;
                (recorder_finish(recorder, &self.store, &self.reference(index))?, derived, question)
            }
        };
        let Some(derived) = derived else {
            return Ok(None);
        };
        let config = SynthConfig { index, run_seed: o.run_seed, seed_type: seed.sem_type.clone(), exemplars, policy: policy_name };
        Ok(Some(self.assemble(derived, trace, question, &seed, toolset, &calls, config)))
    }

    /// How a task's calls run: the run's seed and pinned instant; on `--replay`, every
    /// request answered from the task's earlier trace (no secrets needed), whose model
    /// exchanges are returned too.
    fn call_options(&self, index: u64) -> Result<(CallOptions, Option<Vec<HttpExchange>>), SynthError> {
        let o = &self.opts;
        let determinism = DeterminismConfig { seed: sample::derive_u64(o.run_seed, index, "trace"), clock_ns: o.clock_ns };
        let mut call_opts = CallOptions::live(determinism);
        if !o.replay {
            return Ok((call_opts, None));
        }
        let reference = self.reference(index);
        let id = self.store.get_ref(&reference)?.ok_or(SynthError::NoRecording { index, reference })?;
        let (doc, _) = read_trace(&self.store, &id)?;
        let mut exchanges = Vec::new();
        for c in &doc.calls {
            exchanges.extend(load_exchanges(&self.store, c)?);
        }
        call_opts.transport = Some(Arc::new(ReplayTransport::new(exchanges)));
        call_opts.without_secrets = true;
        Ok((call_opts, Some(load_model_exchanges(&self.store, &doc)?)))
    }

    /// One connection to the model for the task (the policy's and the rephrasing's
    /// exchanges, in order): the endpoint, or on --replay the recording. None when the
    /// run uses no model.
    fn model_client(&self, recorded: Option<Vec<HttpExchange>>) -> Option<ModelClient> {
        let config = match &self.opts.policy {
            PolicyKind::Llm(c) => Some(c.clone()),
            PolicyKind::Builtin => self.opts.rephrase.clone(),
        };
        config.map(|c| match recorded {
            Some(recorded) => ModelClient::replaying(c, recorded),
            None => ModelClient::live(c),
        })
    }

    /// The task of a derivation: its last round's question (or the rephrasing), answer,
    /// answer path and verifier, with the evidence and the config that built it.
    #[allow(clippy::too_many_arguments)]
    fn assemble(&self, mut d: Derived, trace: String, question: Option<String>, seed: &Seed, toolset: Vec<String>, calls: &[EvidenceCall], config: SynthConfig) -> Task {
        d.evidence.trace = trace.clone();
        let last = d.rounds.last().expect("derive returns at least one round").clone();
        let truth_value = last.answer_path.evaluate(calls).unwrap_or(Value::Null);
        let mut task = Task {
            uuid: String::new(),
            question: question.unwrap_or_else(|| last.question.clone()),
            ground_truth: last.ground_truth.clone(),
            domain: self.opts.domain,
            seed: seed.text(),
            tools: toolset,
            evidence: d.evidence,
            rounds_completed: d.rounds.len(),
            derivation_history: d.rounds,
            trace,
            answer_path: last.answer_path,
            verifier: verifier_for(&truth_value),
            tool_graph: d.tool_graph,
            config,
        };
        task.uuid = task.content_uuid();
        task
    }

    /// Run and record one call. Ok(None) when the runtime refused the arguments (nothing
    /// ran, nothing recorded).
    async fn run_call(&self, recorder: &Recorder<'_>, index: usize, tool: &str, args: &Value) -> Result<Option<EvidenceCall>, SynthError> {
        match recorder.call_at(index as u64, tool, &args.to_string()).await {
            Ok(rec) => {
                if let Some((failure, calls, origin)) = self.watch.note(&rec.exchanges) {
                    return Err(SynthError::Unreachable { calls, origin, why: failure.explain() });
                }
                let args: Value = serde_json::from_str(&rec.args).unwrap_or(Value::Null);
                let result = match &rec.outcome {
                    Outcome::Ok(text) => serde_json::from_str(text).ok(),
                    _ => None,
                };
                Ok(Some(EvidenceCall { index, tool: tool.to_string(), args, result }))
            }
            Err(RecordError::Store(e)) => Err(e.into()),
            Err(RecordError::Call(CallError::InvalidArgs { .. })) | Err(RecordError::Call(CallError::UnknownTool { .. })) => Ok(None),
            // A secret the domain's tools need is not set: no task of this run can
            // gather evidence, so say which one rather than sampling on.
            Err(RecordError::Call(e @ CallError::MissingSecret(_))) => Err(SynthError::MissingSecret(e.to_string())),
            Err(RecordError::Call(e)) => {
                tracing::warn!("{tool}: {e}");
                Ok(None)
            }
            Err(e @ RecordError::DuplicateIndex(_)) => Err(SynthError::Record(e.to_string())),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    pub written: usize,
    pub resumed: usize,
    pub samples: u64,
}

/// Count the complete task lines of an output file, cut a partial last line, and give
/// the index after the last task. Broken lines in the middle are an error.
fn prepare_resume(path: &Path, shard: Shard) -> Result<(usize, u64), SynthError> {
    use dive_runtime::untrusted::{caps, read_bounded, Follow, UntrustedError};
    // The file to resume is bounded like any task file (a regular file, at most the cap).
    let bytes = match read_bounded(path, caps::TASK_FILE_BYTES, "the task file cap", Follow::Yes) {
        Ok(b) => b,
        Err(UntrustedError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => return Ok((0, shard.first())),
        Err(e) => return Err(SynthError::Output { path: path.into(), source: std::io::Error::other(e.to_string()) }),
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let text = String::from_utf8_lossy(&bytes[..complete]);
    let mut lines = 0;
    let mut next = shard.first();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let t: Task = serde_json::from_str(line).map_err(|e| SynthError::BadResume { path: path.into(), line: i + 1, message: e.to_string() })?;
        if !shard.owns(t.config.index) {
            let message = format!("task index {} is not in shard {}/{}; resume with the --shard that wrote it", t.config.index, shard.index, shard.of);
            return Err(SynthError::BadResume { path: path.into(), line: i + 1, message });
        }
        lines += 1;
        next = t.config.index + shard.of;
    }
    if complete < bytes.len() {
        let f = std::fs::OpenOptions::new().write(true).open(path).map_err(|source| SynthError::Output { path: path.into(), source })?;
        f.set_len(complete as u64).map_err(|source| SynthError::Output { path: path.into(), source })?;
    }
    Ok((lines, next))
}

/// Consecutive samples without a task before a run gives up.
const GIVE_UP_AFTER: usize = 100;

/// Tasks per group commit.
const COMMIT_EVERY: usize = 64;

/// Run the loop: write `count` tasks to `out` (JSON Lines), calling `progress(done)`
/// after each. With `resume`, keep the tasks already in `out` and go on from there.
/// A shard builds only its own indices, [`Synth::target`] tasks of them.
pub async fn run(synth: Arc<Synth>, out: &Path, resume: bool, progress: &(dyn Fn(usize) + Sync)) -> Result<RunSummary, SynthError> {
    let shard = synth.opts.shard;
    let (have, mut next) = if resume { prepare_resume(out, shard)? } else { (0, shard.first()) };
    if !resume {
        if let Ok(meta) = std::fs::metadata(out) {
            if meta.len() > 0 {
                let lines = std::fs::read_to_string(out).map(|t| t.lines().count()).unwrap_or(0);
                return Err(SynthError::OutputExists { path: out.into(), lines });
            }
        }
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SynthError::Output { path: dir.into(), source })?;
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(out).map_err(|source| SynthError::Output { path: out.into(), source })?;
    let count = synth.target();
    let workers = synth.opts.workers.max(1);
    let mut summary = RunSummary { resumed: have, ..Default::default() };
    let mut done = have;
    progress(done);
    let mut pending: VecDeque<tokio::task::JoinHandle<Result<Option<Task>, SynthError>>> = VecDeque::new();
    // Group commit: finished task lines wait until the store has made their traces
    // durable (one commit per batch), then go to the file together.
    let mut batch: Vec<u8> = Vec::new();
    let mut batched = 0usize;
    let write_batch = |batch: &mut Vec<u8>, batched: &mut usize, file: &mut std::fs::File| -> Result<(), SynthError> {
        if batch.is_empty() {
            return Ok(());
        }
        synth.store.commit()?;
        file.write_all(batch).and_then(|_| file.flush()).map_err(|source| SynthError::Output { path: out.into(), source })?;
        batch.clear();
        *batched = 0;
        Ok(())
    };
    let mut misses = 0;
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    while done < count {
        while pending.len() < workers {
            let s = synth.clone();
            let i = next;
            next += shard.of;
            pending.push_back(tokio::spawn(async move { s.task(i).await }));
        }
        let handle = pending.pop_front().expect("a worker is pending");
        let joined = tokio::select! {
            r = handle => r,
            _ = &mut interrupt => {
                pending.iter().for_each(|h| h.abort());
                write_batch(&mut batch, &mut batched, &mut file)?;
                return Err(SynthError::Interrupted { written: done });
            }
        };
        let result = match joined.map_err(|e| SynthError::Join(e.to_string())).and_then(|r| r) {
            Ok(r) => r,
            Err(e) => {
                pending.iter().for_each(|h| h.abort());
                write_batch(&mut batch, &mut batched, &mut file)?;
                return Err(e);
            }
        };
        summary.samples += 1;
        match result {
            Some(task) => {
                misses = 0;
                serde_json::to_writer(&mut batch, &task).expect("a task serializes");
                batch.push(b'\n');
                batched += 1;
                done += 1;
                summary.written += 1;
                if batched >= COMMIT_EVERY || done == count {
                    write_batch(&mut batch, &mut batched, &mut file)?;
                }
                progress(done);
            }
            None => {
                misses += 1;
                if misses >= GIVE_UP_AFTER {
                    pending.iter().for_each(|h| h.abort());
                    write_batch(&mut batch, &mut batched, &mut file)?;
                    return Err(SynthError::NothingDerivable { tried: misses });
                }
            }
        }
    }
    pending.iter().for_each(|h| h.abort());
    write_batch(&mut batch, &mut batched, &mut file)?;
    file.sync_all().map_err(|source| SynthError::Output { path: out.into(), source })?;
    Ok(summary)
}

/// Who picks a task's evidence calls (`--policy`). Each call a policy makes is run and
/// recorded in the sandbox ([`Synth::run_call`]) and pushed to `calls`; a policy stops
/// early when a round adds nothing.
trait EvidencePolicy {
    /// The policy's name in the task's config (`builtin`, `llm:MODEL`).
    fn name(&self) -> String;

    /// Collect the evidence; the call indices of each round.
    async fn collect(&mut self, synth: &Synth, recorder: &Recorder<'_>, calls: &mut Vec<EvidenceCall>) -> Result<Vec<Vec<usize>>, SynthError>;
}

/// The built-in policy: typed values from the seed and from earlier results, offered to
/// the toolset's parameters that take their type ([`policy::propose`]).
struct BuiltinPolicy<'t> {
    state: PolicyState,
    rng: rand_chacha::ChaCha20Rng,
    tools: &'t [&'t ToolInfo],
    runtime: Runtime,
}

impl<'t> BuiltinPolicy<'t> {
    fn new(seed: &Seed, rng: rand_chacha::ChaCha20Rng, tools: &'t [&'t ToolInfo], runtime: Runtime) -> Self {
        BuiltinPolicy { state: PolicyState::new(seed.value.clone(), &seed.sem_type), rng, tools, runtime }
    }
}

impl EvidencePolicy for BuiltinPolicy<'_> {
    fn name(&self) -> String {
        "builtin".to_string()
    }

    async fn collect(&mut self, synth: &Synth, recorder: &Recorder<'_>, calls: &mut Vec<EvidenceCall>) -> Result<Vec<Vec<usize>>, SynthError> {
        let o = &synth.opts;
        let runtime = self.runtime.clone();
        let valid = move |tool: &str, args: &Value| runtime.check_args(tool, &args.to_string()).is_ok();
        let mut rounds = Vec::new();
        for _ in 0..o.rounds {
            let mut this_round = Vec::new();
            for _ in 0..o.steps_per_round {
                let Some(p) = policy::propose(&self.state, self.tools, &mut self.rng, &valid) else { break };
                policy::mark(&mut self.state, &p);
                if let Some(call) = synth.run_call(recorder, calls.len(), &p.tool, &p.args).await? {
                    if let Some(r) = &call.result {
                        self.state.observe(call.index, r, synth.tools.get(&call.tool).and_then(|t| t.output_schema.as_ref()));
                    }
                    this_round.push(call.index);
                    calls.push(call);
                }
            }
            if this_round.is_empty() {
                break;
            }
            rounds.push(this_round);
        }
        Ok(rounds)
    }
}

/// The LLM policy: the model chooses calls round by round; each is run (and recorded)
/// in the sandbox and its result given back.
struct LlmPolicy<'s, 'm> {
    session: LlmSession<'m>,
    toolset: &'s [String],
    model: &'s str,
    /// The task's index (for errors).
    index: u64,
}

impl EvidencePolicy for LlmPolicy<'_, '_> {
    fn name(&self) -> String {
        format!("llm:{}", self.model)
    }

    async fn collect(&mut self, synth: &Synth, recorder: &Recorder<'_>, calls: &mut Vec<EvidenceCall>) -> Result<Vec<Vec<usize>>, SynthError> {
        let o = &synth.opts;
        let (session, toolset, index) = (&mut self.session, self.toolset, self.index);
        let mut rounds = Vec::new();
        for round in 0..o.rounds {
            let mut this_round = Vec::new();
            session.start_round(round);
            let mut steps = 0;
            while steps < o.steps_per_round {
                let wanted = session.next_calls().await.map_err(|source| SynthError::Llm { index, source })?;
                if wanted.is_empty() {
                    break;
                }
                for w in wanted {
                    let answer = match w.args {
                        Err(message) => serde_json::json!({"error": message}),
                        Ok(args) if steps < o.steps_per_round && toolset.contains(&w.tool) => {
                            steps += 1;
                            match synth.run_call(recorder, calls.len(), &w.tool, &args).await? {
                                Some(call) => {
                                    let out = call.result.clone().unwrap_or_else(|| serde_json::json!({"error": "the call failed"}));
                                    this_round.push(call.index);
                                    calls.push(call);
                                    out
                                }
                                None => serde_json::json!({"error": "the arguments do not match the tool's schema"}),
                            }
                        }
                        Ok(_) if !toolset.contains(&w.tool) => serde_json::json!({"error": format!("there is no tool named '{}' in this toolset", w.tool)}),
                        Ok(_) => serde_json::json!({"error": "the step budget of this round is spent"}),
                    };
                    session.tool_result(&w.id, &answer);
                }
            }
            if this_round.is_empty() {
                break;
            }
            rounds.push(this_round);
        }
        Ok(rounds)
    }
}

/// Write the task's trace and name it with the run's ref; its id.
fn recorder_finish(recorder: Recorder<'_>, store: &Store, reference: &str) -> Result<String, SynthError> {
    let trace = recorder.finish()?;
    store.set_ref(reference, &trace)?;
    Ok(trace.into())
}
