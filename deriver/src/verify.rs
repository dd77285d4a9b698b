//! Scoring answers with each task's verifier, and reading task files.

use crate::graph::topological_order;
use crate::task::Task;
use dive_runtime::untrusted::{caps, read_text_bounded};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TaskFileError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Untrusted(#[from] dive_runtime::untrusted::UntrustedError),
    #[error("{path}:{line}: not a task record ({message}); fix or remove that line")]
    BadLine { path: String, line: usize, message: String },
    #[error("{path}: answers must be JSON Lines of {{\"uuid\", \"answer\"}} or one JSON object mapping uuid to answer ({message})")]
    BadAnswers { path: String, message: String },
}

/// Read a file a task or answers file may be: a regular file of at most
/// [`caps::TASK_FILE_BYTES`], UTF-8, each line at most [`caps::TASK_LINE_BYTES`].
fn read_lines_file(path: &Path) -> Result<String, TaskFileError> {
    let text = read_text_bounded(path, caps::TASK_FILE_BYTES, "the task file cap")?;
    if let Some((i, _)) = text.lines().enumerate().find(|(_, l)| l.len() > caps::TASK_LINE_BYTES) {
        return Err(TaskFileError::BadLine {
            path: path.display().to_string(),
            line: i + 1,
            message: format!("the line is over {} bytes", caps::TASK_LINE_BYTES),
        });
    }
    Ok(text)
}

/// Read a task file; a broken line is an error naming the line. Each task's tool graph
/// must be a bounded DAG (a task file may come from anywhere).
pub fn read_tasks(path: &Path) -> Result<Vec<Task>, TaskFileError> {
    let text = read_lines_file(path)?;
    parse_tasks(&text, path)
}

/// [`read_tasks`] of text already read, as if from `path`.
pub fn parse_tasks(text: &str, path: &Path) -> Result<Vec<Task>, TaskFileError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| TaskFileError::BadLine { path: path.display().to_string(), line: i + 1, message };
        let t: Task = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let edges = t.tool_graph.edges.iter().copied().collect();
        topological_order(t.tool_graph.nodes.len(), &edges).map_err(|e| bad(e.to_string()))?;
        out.push(t);
    }
    Ok(out)
}

/// Answers by task uuid: JSON Lines of {"uuid", "answer"} or one object uuid → answer.
pub fn read_answers(path: &Path) -> Result<BTreeMap<String, String>, TaskFileError> {
    let text = read_lines_file(path)?;
    parse_answers(&text, path)
}

/// [`read_answers`] of text already read, as if from `path`.
pub fn parse_answers(text: &str, path: &Path) -> Result<BTreeMap<String, String>, TaskFileError> {
    let bad = |message: String| TaskFileError::BadAnswers { path: path.display().to_string(), message };
    let as_text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => crate::task::answer_text(other),
    };
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) {
        if !m.contains_key("uuid") {
            return Ok(m.iter().map(|(k, v)| (k.clone(), as_text(v))).collect());
        }
    }
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", i + 1)))?;
        let uuid = v.get("uuid").and_then(Value::as_str).ok_or_else(|| bad(format!("line {}: no \"uuid\"", i + 1)))?;
        let answer = v.get("answer").ok_or_else(|| bad(format!("line {}: no \"answer\"", i + 1)))?;
        out.insert(uuid.to_string(), as_text(answer));
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Score {
    pub uuid: String,
    /// None: no answer was given.
    pub correct: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoreReport {
    pub tasks: usize,
    pub answered: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub results: Vec<Score>,
}

pub fn score(tasks: &[Task], answers: &BTreeMap<String, String>) -> ScoreReport {
    let results: Vec<Score> = tasks
        .iter()
        .map(|t| Score { uuid: t.uuid.clone(), correct: answers.get(&t.uuid).map(|a| t.verifier.check(&t.ground_truth, a)) })
        .collect();
    let answered = results.iter().filter(|r| r.correct.is_some()).count();
    let correct = results.iter().filter(|r| r.correct == Some(true)).count();
    ScoreReport {
        tasks: tasks.len(),
        answered,
        correct,
        accuracy: if tasks.is_empty() { 0.0 } else { correct as f64 / tasks.len() as f64 },
        results,
    }
}
