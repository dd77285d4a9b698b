//! Scoring answers with each task's verifier, and reading task files.

use crate::graph::topological_order;
use crate::task::Task;
use dive_runtime::untrusted::{caps, open_regular, read_text_bounded, Follow, UntrustedError};
use serde::Serialize;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
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
    #[error("{path} changed while it was being read twice; run the command again once nothing writes to it")]
    Changed { path: String },
    #[error("{path}:{line} changed since the file was indexed; restart with the file as it is now, and write task files to a new name and rename them into place")]
    LineChanged { path: String, line: usize },
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
    open_tasks(path)?.collect()
}

/// [`read_tasks`] of bytes already read, as if from `path`: the same reader, over memory.
pub fn parse_tasks(bytes: &[u8], path: &Path) -> Result<Vec<Task>, TaskFileError> {
    TaskReader::new(bytes, path).collect()
}

/// One line of a task file: None when it is blank, else a task whose graph is a DAG.
fn parse_line(line: &str, path: &Path, number: usize) -> Result<Option<Task>, TaskFileError> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let bad = |message: String| TaskFileError::BadLine { path: path.display().to_string(), line: number, message };
    let t: Task = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
    let edges = t.tool_graph.edges.iter().copied().collect();
    topological_order(t.tool_graph.nodes.len(), &edges).map_err(|e| bad(e.to_string()))?;
    Ok(Some(t))
}

/// One line's bytes, with or without its line ending: None when it is blank, else a task
/// whose graph is a DAG; a line over [`caps::TASK_LINE_BYTES`] or not UTF-8 is refused.
pub(crate) fn task_of_line(bytes: &[u8], path: &Path, number: usize) -> Result<Option<Task>, TaskFileError> {
    let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let bad = |message: String| TaskFileError::BadLine { path: path.display().to_string(), line: number, message };
    if text.len() > caps::TASK_LINE_BYTES {
        return Err(bad(format!("the line is over {} bytes", caps::TASK_LINE_BYTES)));
    }
    let text = std::str::from_utf8(text).map_err(|e| bad(format!("it is not UTF-8 text ({e})")))?;
    parse_line(text, path, number)
}

/// Open a task file to read its tasks one line at a time, so that a reader that handles
/// each task in turn (`dive export`) holds one line and one task, not the file. The same
/// bounds as [`read_tasks`]: a regular file of at most [`caps::TASK_FILE_BYTES`], lines
/// of at most [`caps::TASK_LINE_BYTES`] (a longer line is refused before it is all read),
/// UTF-8, graphs that are bounded DAGs.
pub fn open_tasks(path: &Path) -> Result<TaskFileReader, TaskFileError> {
    let file = open_regular(path, Follow::Yes)?;
    let size = file.metadata().map_err(|source| TaskFileError::Io { path: path.display().to_string(), source })?.len();
    if size > caps::TASK_FILE_BYTES {
        return Err(too_large(path, size).into());
    }
    // One byte past the cap, so that a file that grew past it is noticed.
    Ok(TaskReader::new(BufReader::new(file.take(caps::TASK_FILE_BYTES + 1)), path))
}

fn too_large(path: &Path, size: u64) -> UntrustedError {
    UntrustedError::TooLarge { path: path.to_path_buf(), size, limit: caps::TASK_FILE_BYTES, what: "the task file cap" }
}

/// Where a task's line lies in its file: what [`TaskReader::next_spanned`] gives with
/// each task, so that the task can be read again alone ([`crate::task_index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    /// The line's number, from 1.
    pub line: usize,
    /// The byte offset of its first byte.
    pub offset: u64,
    /// Its length in bytes, with its line ending.
    pub len: usize,
}

/// A task file opened by [`open_tasks`].
pub type TaskFileReader = TaskReader<BufReader<std::io::Take<File>>>;

impl TaskFileReader {
    /// The open file, once read: a reader that keeps reading the same file (not one
    /// renamed over its path since) takes it from here.
    pub fn into_file(self) -> File {
        self.reader.into_inner().into_inner()
    }
}

/// The tasks of a task file, one line at a time ([`open_tasks`], [`parse_tasks`]). It
/// stops after the first error.
pub struct TaskReader<R> {
    path: std::path::PathBuf,
    reader: R,
    /// Lines read so far.
    line: usize,
    /// Bytes read so far.
    read: u64,
    buf: Vec<u8>,
    hasher: blake3::Hasher,
    /// What an earlier full read of the file hashed to ([`TaskReader::expecting`]).
    expected: Option<blake3::Hash>,
    /// [`TaskReader::complete_lines_only`].
    complete_only: bool,
    done: bool,
}

impl<R: BufRead> TaskReader<R> {
    /// The tasks in `reader`, named as if read from `path` in errors.
    pub fn new(reader: R, path: &Path) -> TaskReader<R> {
        TaskReader {
            path: path.to_path_buf(),
            reader,
            line: 0,
            read: 0,
            buf: Vec::new(),
            hasher: blake3::Hasher::new(),
            expected: None,
            complete_only: false,
            done: false,
        }
    }

    /// End at a last line that has no line ending instead of reading it as a task: a
    /// shard file an interrupted run cut off (`dive merge`). A line over the cap is still
    /// refused.
    pub fn complete_lines_only(mut self) -> TaskReader<R> {
        self.complete_only = true;
        self
    }

    /// Read the file again expecting the bytes an earlier full read hashed to
    /// ([`TaskReader::digest`]): if the file changed in between, the last item is
    /// [`TaskFileError::Changed`], so a reader making two passes never mixes two files.
    pub fn expecting(mut self, digest: blake3::Hash) -> TaskReader<R> {
        self.expected = Some(digest);
        self
    }

    /// BLAKE3 of the bytes read so far: of the whole file once every task was read.
    pub fn digest(&self) -> blake3::Hash {
        self.hasher.finalize()
    }

    /// The next task with where its line lies; its bytes are [`TaskReader::line_bytes`]
    /// until the next read. None at the end of the file; it stops after the first error.
    pub fn next_spanned(&mut self) -> Option<Result<(Task, LineSpan), TaskFileError>> {
        while !self.done {
            let start = self.read;
            match self.next_line() {
                Ok(Some(None)) => continue,
                Ok(Some(Some(task))) => return Some(Ok((task, LineSpan { line: self.line, offset: start, len: self.buf.len() }))),
                Ok(None) => {
                    self.done = true;
                    return self.check_unchanged().err().map(Err);
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }

    /// The bytes of the line read last, with its line ending.
    pub fn line_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The next line, read and parsed; None at the end of the file.
    fn next_line(&mut self) -> Result<Option<Option<Task>>, TaskFileError> {
        let path = &self.path;
        self.buf.clear();
        let cap = caps::TASK_LINE_BYTES as u64;
        // At most the cap, its line ending and one byte more: enough to tell a line over
        // the cap without reading the rest of it.
        let n = (&mut self.reader)
            .take(cap + 3)
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| TaskFileError::Io { path: path.display().to_string(), source })?;
        if n == 0 || (self.complete_only && self.buf.last() != Some(&b'\n') && self.buf.len() as u64 <= cap + 2) {
            return Ok(None);
        }
        self.line += 1;
        self.read += n as u64;
        self.hasher.update(&self.buf);
        if self.read > caps::TASK_FILE_BYTES {
            return Err(too_large(path, self.read).into());
        }
        task_of_line(&self.buf, path, self.line).map(Some)
    }

    /// At the end of the file: the file is the one [`TaskReader::expecting`] named.
    fn check_unchanged(&self) -> Result<(), TaskFileError> {
        match self.expected {
            Some(want) if want != self.digest() => Err(TaskFileError::Changed { path: self.path.display().to_string() }),
            _ => Ok(()),
        }
    }
}

impl<R: BufRead> Iterator for TaskReader<R> {
    type Item = Result<Task, TaskFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_spanned().map(|r| r.map(|(task, _)| task))
    }
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

/// One task's verdict: None when `answers` has none for it.
pub fn score_one(t: &Task, answers: &BTreeMap<String, String>) -> Score {
    Score { uuid: t.uuid.clone(), correct: answers.get(&t.uuid).map(|a| t.verifier.check(&t.ground_truth, a)) }
}

impl ScoreReport {
    /// The totals of these verdicts, one per task.
    pub fn of(results: Vec<Score>) -> ScoreReport {
        let answered = results.iter().filter(|r| r.correct.is_some()).count();
        let correct = results.iter().filter(|r| r.correct == Some(true)).count();
        let tasks = results.len();
        ScoreReport {
            tasks,
            answered,
            correct,
            accuracy: if tasks == 0 { 0.0 } else { correct as f64 / tasks as f64 },
            results,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn errors(path: &Path) -> Vec<String> {
        open_tasks(path).unwrap().filter_map(Result::err).map(|e| e.to_string()).collect()
    }

    #[test]
    fn a_second_read_of_a_changed_file_ends_in_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(dir.path(), "t.jsonl", b"\n  \r\n\n");
        let mut first = open_tasks(&p).unwrap();
        assert_eq!(first.by_ref().count(), 0, "blank lines are no tasks");
        let digest = first.digest();
        assert_eq!(digest, blake3::hash(b"\n  \r\n\n"), "the digest covers every byte read");
        assert_eq!(open_tasks(&p).unwrap().expecting(digest).filter(Result::is_err).count(), 0, "unchanged");
        std::fs::write(&p, b"\n\n\n").unwrap();
        let again: Vec<_> = open_tasks(&p).unwrap().expecting(digest).collect();
        assert!(matches!(again.as_slice(), [Err(TaskFileError::Changed { .. })]), "{again:?}");
    }

    #[test]
    fn bad_lines_are_named_and_end_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(dir.path(), "u.jsonl", b"\n\xff\xfe\n{}\n");
        assert_eq!(errors(&p).len(), 1, "the read stops at the first error");
        assert!(errors(&p)[0].contains("u.jsonl:2") && errors(&p)[0].contains("not UTF-8"), "{:?}", errors(&p));
        let p = file(dir.path(), "n.jsonl", b"\n\n{\"uuid\": 1}");
        assert!(errors(&p)[0].contains("n.jsonl:3: not a task record"), "{:?}", errors(&p));
        // A line one byte over the cap, then a line the reader never reaches.
        let mut long = vec![b' '; caps::TASK_LINE_BYTES + 1];
        long.extend_from_slice(b"\r\nnot json\n");
        let p = file(dir.path(), "l.jsonl", &long);
        assert_eq!(errors(&p), [format!("{}:1: not a task record (the line is over {} bytes); fix or remove that line", p.display(), caps::TASK_LINE_BYTES)]);
        // Exactly the cap (with a CRLF ending) is a line like any other: blank here.
        long.truncate(caps::TASK_LINE_BYTES);
        long.extend_from_slice(b"\r\n");
        let p = file(dir.path(), "c.jsonl", &long);
        assert!(errors(&p).is_empty(), "{:?}", errors(&p));
    }
}
