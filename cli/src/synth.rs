//! `dive synth`, `dive verify`, `dive reverify`, `dive stats`: thin wrappers over the
//! deriver crate (argument checks, progress, output).

use crate::{open_runtime, open_store, usage, Global, PolicyChoice, SynthArgs, EXIT_FAILED};
use anyhow::{Context, Result};
use dive_deriver::llm::LlmConfig;
use dive_deriver::reverify::Status;
use dive_deriver::sample::PoolError;
use dive_deriver::synth::{PolicyKind, Synth, SynthError, SynthOptions};
use dive_deriver::verify::{read_answers, read_tasks};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::Arc;

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
    let policy = match a.policy {
        PolicyChoice::Builtin => PolicyKind::Builtin,
        PolicyChoice::Llm => {
            let base_url = a.llm_base_url.clone().ok_or_else(|| usage("--policy llm needs --llm-base-url (or DIVE_LLM_BASE_URL), e.g. https://api.openai.com/v1"))?;
            let model = a.llm_model.clone().ok_or_else(|| usage("--policy llm needs --llm-model (or DIVE_LLM_MODEL)"))?;
            let mut secrets = dive_runtime::SecretSource::from_env();
            if let Some(f) = &g.secrets {
                secrets = secrets.with_file(f).map_err(|e| usage(e.to_string()))?;
            }
            PolicyKind::Llm(LlmConfig { base_url, model, api_key: secrets.get("DIVE_LLM_API_KEY"), timeout: std::time::Duration::from_secs(120) })
        }
    };
    let seeds = match &a.seeds {
        Some(f) => Some(dive_deriver::sample::file_pool(f).map_err(|e: PoolError| usage(e.to_string()))?),
        None => None,
    };
    let mut opts = SynthOptions::new(&a.domain, a.count, a.seed);
    opts.workers = a.workers.max(1);
    opts.rounds = a.rounds;
    opts.steps_per_round = a.steps;
    opts.include_general = a.include_general;
    opts.local_only = a.local_only;
    opts.clock_ns = a.clock.saturating_mul(1_000_000_000);
    opts.policy = policy;
    opts.replay = a.replay;
    opts.seeds = seeds;
    let runtime = open_runtime(g).await?;
    let store = Arc::new(open_store(g)?.with_group_commit());
    let s = Arc::new(Synth::new(runtime, store, opts).map_err(synth_error)?);
    let out = a.out.join("tasks.jsonl");
    let bar = if g.json { ProgressBar::hidden() } else { ProgressBar::new(a.count as u64) };
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
        if plain && (last.elapsed().as_secs() >= 5 || done == a.count) {
            *last = std::time::Instant::now();
            eprintln!("synth: {done}/{} tasks, {} failed calls, {:.0}s", a.count, watched.failed_calls(), started.elapsed().as_secs_f64());
        }
    };
    let summary = dive_deriver::synth::run(s, &out, a.resume, &progress).await.map_err(synth_error)?;
    bar.finish_and_clear();
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

fn load_tasks(path: &Path) -> Result<Vec<dive_deriver::task::Task>> {
    read_tasks(path).map_err(|e| usage(e.to_string()))
}

pub fn verify(g: &Global, tasks: &Path, answers: &Path) -> Result<u8> {
    let tasks = load_tasks(tasks)?;
    let answers = read_answers(answers).map_err(|e| usage(e.to_string()))?;
    let report = dive_deriver::verify::score(&tasks, &answers);
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

pub async fn reverify(g: &Global, tasks: &Path, live: bool, workers: usize) -> Result<u8> {
    let tasks = load_tasks(tasks)?;
    let runtime = open_runtime(g).await?;
    let store = Arc::new(open_store(g)?);
    let bar = if g.json { ProgressBar::hidden() } else { ProgressBar::new(tasks.len() as u64) };
    let mut results = Vec::with_capacity(tasks.len());
    let mut pending = std::collections::VecDeque::new();
    let mut it = tasks.into_iter();
    loop {
        while pending.len() < workers.max(1) {
            let Some(t) = it.next() else { break };
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

pub async fn stats(g: &Global, tasks: &Path) -> Result<u8> {
    let tasks = load_tasks(tasks)?;
    let runtime = open_runtime(g).await?;
    let infos = dive_deriver::synth::tool_infos(&runtime);
    let retrieval = |name: &str| infos.get(name).is_none_or(|t| t.retrieval);
    let s = dive_deriver::stats::stats(&tasks, &retrieval);
    if g.json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!("{s}");
    }
    Ok(0)
}
