//! `dive export`: tasks as training data (chat-completions messages, or a Hugging Face
//! dataset with its card).

use crate::context::{open_runtime, open_store, usage, Global};
use anyhow::Result;
use clap::ValueEnum;
use std::path::PathBuf;

/// Write tasks as training data: `messages` = one OpenAI chat-completions trajectory per
/// task (question, tool calls along the evidence path with their recorded results,
/// answer) with the task's toolset.
#[derive(clap::Args)]
pub(crate) struct ExportArgs {
    /// The task file (JSON Lines).
    tasks: PathBuf,
    #[arg(long, value_enum)]
    format: TaskFormat,
    /// Where to write: a JSON Lines file (messages) or a directory (hf).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TaskFormat {
    /// OpenAI chat-completions messages, one row per task (--out FILE.jsonl).
    Messages,
    /// A Hugging Face dataset: Parquet under DIR/data/ and a dataset card (--out DIR).
    Hf,
}

/// `dive export`.
pub(crate) async fn run(g: &Global, a: &ExportArgs, version: &str) -> Result<u8> {
    match a.format {
        TaskFormat::Messages => messages(g, &a.tasks, &a.out).await,
        TaskFormat::Hf => hf(g, &a.tasks, &a.out, version).await,
    }
}

/// `dive export TASKS --format messages --out FILE`. Rows are written as they are made
/// (one in memory at a time: a row carries its tool results) into one atomic write.
async fn messages(g: &Global, tasks: &std::path::Path, out: &std::path::Path) -> Result<u8> {
    use std::io::Write;
    let tasks = dive_deriver::verify::read_tasks(tasks).map_err(|e| usage(e.to_string()))?;
    let runtime = open_runtime(g).await?;
    let store = open_store(g)?;
    let mut bad_task = None;
    let wrote = dive_runtime::fsutil::write_atomic_with(out, 0o666, |f| {
        let mut w = std::io::BufWriter::new(f);
        for t in &tasks {
            let row = dive_export::messages::row(&runtime, &store, t).map_err(|e| {
                let message = e.to_string();
                bad_task = Some(e);
                std::io::Error::other(message)
            })?;
            serde_json::to_writer(&mut w, &row)?;
            w.write_all(b"\n")?;
        }
        w.flush()
    });
    if let Some(e) = bad_task {
        return Err(usage(e.to_string()));
    }
    wrote.map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {} trajectories to {}", tasks.len(), out.display());
    Ok(0)
}

/// `dive export TASKS --format hf --out DIR`: Parquet and a dataset card with provenance.
async fn hf(g: &Global, tasks_path: &std::path::Path, out: &std::path::Path, version: &str) -> Result<u8> {
    use std::collections::{BTreeMap, BTreeSet};
    let tasks = dive_deriver::verify::read_tasks(tasks_path).map_err(|e| usage(e.to_string()))?;
    let runtime = open_runtime(g).await?;
    let store = open_store(g)?;
    let traces: BTreeSet<&str> = tasks.iter().map(|t| t.evidence.trace.as_str()).collect();
    let evidence_digest = blake3::hash(traces.iter().copied().collect::<Vec<_>>().join("\n").as_bytes()).to_hex().to_string();
    let names: BTreeMap<String, String> =
        runtime.packages().iter().map(|p| (p.component_hash.to_hex().to_string(), p.name.clone())).collect();
    let mut components = BTreeSet::new();
    for id in &traces {
        let (doc, _) = dive_runtime::trace::read_trace(&store, id).map_err(|e| usage(format!("trace {id}: {e}")))?;
        for c in &doc.calls {
            let name = names.get(&c.tool.component).cloned().unwrap_or_else(|| "(not in the pool)".into());
            components.insert((name, c.tool.component.clone()));
        }
    }
    let mut runs: BTreeMap<(dive_runtime::Domain, u64, String), usize> = BTreeMap::new();
    for t in &tasks {
        *runs.entry((t.domain, t.config.run_seed, t.config.policy.clone())).or_default() += 1;
    }
    let commands = runs
        .iter()
        .map(|((d, s, p), n)| format!("dive synth --domain {d} --seed {s} --policy {p} ({n} tasks)"))
        .collect();
    let infos = dive_deriver::synth::tool_infos(&runtime);
    let retrieval = |name: &str| infos.get(name).is_none_or(|t| t.retrieval);
    let stats = dive_deriver::stats::stats(&tasks, &retrieval).to_string();
    let prov = dive_export::hf::Provenance {
        dive_version: version.to_string(),
        commands,
        evidence_digest,
        components: components.into_iter().collect(),
        stats,
        source: tasks_path.display().to_string(),
    };
    dive_export::hf::write(out, &tasks, &prov)?;
    eprintln!("wrote {} tasks to {}/data/ with a dataset card {}/README.md", tasks.len(), out.display(), out.display());
    Ok(0)
}
