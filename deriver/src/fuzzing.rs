//! Entry points for the fuzz targets (`fuzz/`) and the test that replays their corpora:
//! arbitrary bytes through the readers of task and answers files, which must return
//! without panicking, hanging or allocating without bound.

use std::path::Path;

/// A task file (JSON Lines), then the figures `dive stats` computes from it.
pub fn task_lines(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tasks) = crate::verify::parse_tasks(text, Path::new("/fuzz/tasks.jsonl")) {
        let _ = crate::stats::stats(&tasks, &|name: &str| name.len() % 2 == 0);
    }
}

/// An answers file (JSON Lines or one object).
pub fn answers(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::verify::parse_answers(text, Path::new("/fuzz/answers.jsonl"));
    }
}
