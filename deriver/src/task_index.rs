//! A task file read by index: where each task's line lies, so that a server over a
//! large task file (`dive serve env`) holds a few bytes per task instead of the tasks,
//! and reads a task again from the file when it is asked for.
//!
//! The file is read once, whole and with every bound [`open_tasks`] keeps, and stays
//! open: a file renamed over it later does not change what is served. Each line's
//! BLAKE3 is kept, so a line rewritten in place is refused
//! ([`TaskFileError::LineChanged`]) rather than served as a different task.

use crate::task::Task;
use crate::verify::{open_tasks, task_of_line, LineSpan, TaskFileError};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A task file's tasks, read one at a time from the file by index or uuid.
pub struct TaskIndex {
    path: PathBuf,
    file: File,
    lines: Vec<IndexedLine>,
    /// Task position by the key of its uuid ([`uuid_key`]); where uuids repeat, the last.
    by_uuid: HashMap<u128, u32>,
    /// Every tool a toolset names, with the uuid of the first task naming it.
    tools: BTreeMap<String, String>,
}

/// Where one task's line lies and what it hashed to when it was indexed.
struct IndexedLine {
    offset: u64,
    len: u32,
    line: u32,
    digest: [u8; 16],
}

/// A uuid as a key: 128 bits of its BLAKE3 (the task read back is checked to carry the
/// uuid asked for, so a collision is refused rather than served).
fn uuid_key(uuid: &str) -> u128 {
    let mut key = [0u8; 16];
    key.copy_from_slice(&blake3::hash(uuid.as_bytes()).as_bytes()[..16]);
    u128::from_le_bytes(key)
}

fn line_digest(bytes: &[u8]) -> [u8; 16] {
    let mut d = [0u8; 16];
    d.copy_from_slice(&blake3::hash(bytes).as_bytes()[..16]);
    d
}

impl TaskIndex {
    /// Read the task file at `path` whole (each task is checked as [`open_tasks`] checks
    /// it) and keep where each task lies. A broken line is an error naming it.
    pub fn open(path: &Path) -> Result<TaskIndex, TaskFileError> {
        let mut reader = open_tasks(path)?;
        let (mut lines, mut by_uuid, mut tools) = (Vec::new(), HashMap::new(), BTreeMap::new());
        while let Some(next) = reader.next_spanned() {
            let (task, span) = next?;
            let position = u32::try_from(lines.len()).expect("a task file under the cap has fewer than 2^32 lines");
            lines.push(IndexedLine::of(span, reader.line_bytes()));
            by_uuid.insert(uuid_key(&task.uuid), position);
            for tool in task.tools {
                tools.entry(tool).or_insert_with(|| task.uuid.clone());
            }
        }
        Ok(TaskIndex { path: path.to_path_buf(), file: reader.into_file(), lines, by_uuid, tools })
    }

    /// How many tasks the file holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the file holds no task.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The position of the task with this uuid (the last such task if uuids repeat).
    pub fn position(&self, uuid: &str) -> Option<usize> {
        self.by_uuid.get(&uuid_key(uuid)).map(|&p| p as usize)
    }

    /// Every tool the tasks' toolsets name, each with the uuid of the first task naming it.
    pub fn tools(&self) -> &BTreeMap<String, String> {
        &self.tools
    }

    /// The task at `position`, read again from the file. Its line must be the bytes
    /// indexed: a line changed since is [`TaskFileError::LineChanged`].
    ///
    /// # Panics
    /// If `position` is not below [`TaskIndex::len`].
    pub fn get(&self, position: usize) -> Result<Task, TaskFileError> {
        let at = &self.lines[position];
        let mut bytes = vec![0u8; at.len as usize];
        let changed = || TaskFileError::LineChanged { path: self.path.display().to_string(), line: at.line as usize };
        match self.file.read_exact_at(&mut bytes, at.offset) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(changed()),
            Err(source) => return Err(TaskFileError::Io { path: self.path.display().to_string(), source }),
        }
        if line_digest(&bytes) != at.digest {
            return Err(changed());
        }
        task_of_line(&bytes, &self.path, at.line as usize)?.ok_or_else(changed)
    }

    /// The task with this uuid, read again from the file; None if no task has it.
    pub fn by_uuid(&self, uuid: &str) -> Option<Result<Task, TaskFileError>> {
        let position = self.position(uuid)?;
        Some(self.get(position).and_then(|t| if t.uuid == uuid { Ok(t) } else { Err(self.collision(position)) }))
    }

    fn collision(&self, position: usize) -> TaskFileError {
        TaskFileError::LineChanged { path: self.path.display().to_string(), line: self.lines[position].line as usize }
    }
}

impl IndexedLine {
    fn of(span: LineSpan, bytes: &[u8]) -> IndexedLine {
        IndexedLine {
            offset: span.offset,
            len: u32::try_from(span.len).expect("a line under the line cap fits in 32 bits"),
            line: u32::try_from(span.line).expect("a task file under the cap has fewer than 2^32 lines"),
            digest: line_digest(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::read_tasks;
    use std::io::Write;

    /// A task file of `n` tasks from the test fixtures' task, each with its own uuid
    /// and question; blank and CRLF lines among them.
    fn task_file(dir: &Path, n: usize) -> (PathBuf, Vec<Task>) {
        let line = include_str!("../../tests/data/pre-split/tasks.jsonl").lines().next().unwrap();
        let base: Task = serde_json::from_str(line).unwrap();
        let tasks: Vec<Task> = (0..n)
            .map(|i| {
                let mut t = base.clone();
                t.uuid = format!("uuid-{i}");
                t.question = format!("question {i}?");
                t
            })
            .collect();
        let path = dir.join("tasks.jsonl");
        let mut f = File::create(&path).unwrap();
        for (i, t) in tasks.iter().enumerate() {
            let ending = if i % 2 == 0 { "\r\n" } else { "\n" };
            write!(f, "{}{ending}", serde_json::to_string(t).unwrap()).unwrap();
            if i % 3 == 0 {
                f.write_all(b"\n").unwrap();
            }
        }
        (path, tasks)
    }

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn every_task_reads_back_as_the_whole_file_reader_reads_it() {
        let dir = tempdir();
        let (path, written) = task_file(dir.path(), 25);
        let index = TaskIndex::open(&path).unwrap();
        let whole = read_tasks(&path).unwrap();
        assert_eq!(index.len(), 25);
        for (i, t) in whole.iter().enumerate() {
            let again = index.get(i).unwrap();
            assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(t).unwrap());
            assert_eq!(again.uuid, written[i].uuid);
            assert_eq!(index.position(&t.uuid), Some(i));
            assert_eq!(index.by_uuid(&t.uuid).unwrap().unwrap().question, written[i].question);
        }
        assert!(index.by_uuid("no-such-uuid").is_none());
        let first = &written[0].uuid;
        assert!(written[0].tools.iter().all(|tool| index.tools().get(tool) == Some(first)));
    }

    #[test]
    fn a_line_rewritten_in_place_is_refused_and_a_file_renamed_over_it_is_not_seen() {
        let dir = tempdir();
        let (path, _) = task_file(dir.path(), 6);
        let index = TaskIndex::open(&path).unwrap();
        // Rename a different file over the path: the index keeps reading the one it opened.
        let other = dir.path().join("other.jsonl");
        std::fs::write(&other, "").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(index.get(5).unwrap().uuid, "uuid-5");

        let again = dir.path().join("again");
        std::fs::create_dir(&again).unwrap();
        let (path, _) = task_file(&again, 6);
        let index = TaskIndex::open(&path).unwrap();
        // Rewrite task 2's question in place, keeping every byte offset.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().write_all(text.replace("question 2?", "question X?").as_bytes()).unwrap();
        match index.get(2) {
            Err(TaskFileError::LineChanged { line, .. }) => assert_eq!(line, 4, "task 2 is on line 4 (a blank line follows task 0)"),
            other => panic!("expected LineChanged, got {:?}", other.map(|t| t.uuid)),
        }
        assert_eq!(index.get(1).unwrap().uuid, "uuid-1", "the lines that did not change still read");
        // Truncated: the line is gone.
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(10).unwrap();
        assert!(matches!(index.get(5), Err(TaskFileError::LineChanged { .. })));
    }

    #[test]
    fn a_broken_line_is_refused_when_indexing_naming_it() {
        let dir = tempdir();
        let (path, _) = task_file(dir.path(), 3);
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"not\": \"a task\"}\n").unwrap();
        match TaskIndex::open(&path) {
            Err(TaskFileError::BadLine { line, .. }) => assert_eq!(line, 5, "three tasks and the blank line after the first"),
            other => panic!("expected BadLine, got {:?}", other.map(|i| i.len())),
        }
    }
}
