//! `dive export`: tasks as training data (chat-completions messages, or a Hugging Face
//! dataset with its card).

use crate::context::{bad_tasks, open_runtime, open_store, open_task_file, usage, Global};
use anyhow::Result;
use clap::ValueEnum;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// `dive export TASKS --format messages --out FILE`. The task file is read one line at
/// a time and each row written as it is made (one task and one row in memory: a row
/// carries its tool results), into one atomic write: a broken line leaves no file.
async fn messages(g: &Global, tasks: &Path, out: &Path) -> Result<u8> {
    use std::io::Write;
    let reader = open_task_file(tasks)?;
    let runtime = open_runtime(g).await?;
    let store = open_store(g)?;
    let mut bad_task: Option<String> = None;
    let mut rows = 0usize;
    let wrote = dive_runtime::fsutil::write_atomic_with(out, 0o666, |f| {
        let mut w = std::io::BufWriter::new(f);
        for t in reader {
            let row = t.map_err(|e| e.to_string()).and_then(|t| dive_export::messages::row(&runtime, &store, &t).map_err(|e| e.to_string()));
            let row = row.map_err(|message| {
                bad_task = Some(message.clone());
                std::io::Error::other(message)
            })?;
            serde_json::to_writer(&mut w, &row)?;
            w.write_all(b"\n")?;
            rows += 1;
        }
        w.flush()
    });
    if let Some(message) = bad_task {
        return Err(usage(message));
    }
    wrote.map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {rows} trajectories to {}", out.display());
    Ok(0)
}

/// What the first pass over a task file learns for the dataset card and the Parquet
/// columns, holding no task.
#[derive(Default)]
struct FirstPass {
    tasks: usize,
    traces: BTreeSet<String>,
    runs: BTreeMap<(dive_runtime::Domain, u64, String), usize>,
    stats: dive_deriver::stats::StatsBuilder,
    columns: dive_export::hf::Columns,
}

/// `dive export TASKS --format hf --out DIR`: Parquet and a dataset card with provenance.
/// Two passes over the task file, one task at a time: the first learns the columns and
/// the provenance, the second writes the rows; a file that changed in between is an
/// error, not a mixed dataset.
async fn hf(g: &Global, tasks_path: &Path, out: &Path, version: &str) -> Result<u8> {
    let mut reader = open_task_file(tasks_path)?;
    let runtime = open_runtime(g).await?;
    let store = open_store(g)?;
    let infos = dive_deriver::synth::tool_infos(&runtime);
    let retrieval = |name: &str| infos.get(name).is_none_or(|t| t.retrieval);
    let mut first = FirstPass::default();
    for t in reader.by_ref() {
        let t = t.map_err(bad_tasks)?;
        first.columns.add(&dive_export::hf::row(first.tasks, &t)?);
        first.stats.add(&t, &retrieval);
        first.traces.insert(t.evidence.trace.clone());
        *first.runs.entry((t.domain, t.config.run_seed, t.config.policy.clone())).or_default() += 1;
        first.tasks += 1;
    }
    let digest = reader.digest();
    let stats = std::mem::take(&mut first.stats).finish().to_string();
    let prov = provenance(&runtime, &store, &first, stats, tasks_path, version)?;
    let again = open_task_file(tasks_path)?.expecting(digest);
    let rows = again.enumerate().map(|(i, t)| dive_export::hf::row(i, &t?));
    match dive_export::hf::write_rows(out, first.columns.finish(), first.tasks, rows, &prov) {
        Err(dive_export::hf::HfError::Tasks(e)) => return Err(bad_tasks(e)),
        other => other?,
    }
    eprintln!("wrote {} tasks to {}/data/ with a dataset card {}/README.md", first.tasks, out.display(), out.display());
    Ok(0)
}

/// The card's provenance: the runs that built the tasks, the evidence they stand on, the
/// components it ran and the `dive stats` table (`stats`).
fn provenance(
    runtime: &dive_runtime::Runtime,
    store: &dive_runtime::store::Store,
    first: &FirstPass,
    stats: String,
    tasks_path: &Path,
    version: &str,
) -> Result<dive_export::hf::Provenance> {
    let ids: Vec<&str> = first.traces.iter().map(String::as_str).collect();
    let evidence_digest = blake3::hash(ids.join("\n").as_bytes()).to_hex().to_string();
    let names: BTreeMap<String, String> =
        runtime.packages().iter().map(|p| (p.component_hash.to_hex().to_string(), p.name.clone())).collect();
    let mut components = BTreeSet::new();
    for id in &ids {
        let (doc, _) = dive_runtime::trace::read_trace(store, id).map_err(|e| usage(format!("trace {id}: {e}")))?;
        for c in &doc.calls {
            let name = names.get(&c.tool.component).cloned().unwrap_or_else(|| "(not in the pool)".into());
            components.insert((name, c.tool.component.clone()));
        }
    }
    let commands = first
        .runs
        .iter()
        .map(|((d, s, p), n)| format!("dive synth --domain {d} --seed {s} --policy {p} ({n} tasks)"))
        .collect();
    Ok(dive_export::hf::Provenance {
        dive_version: version.to_string(),
        commands,
        evidence_digest,
        components: components.into_iter().collect(),
        stats,
        source: tasks_path.display().to_string(),
    })
}
