//! Entry points for the fuzz targets (`fuzz/`) and the test that replays their corpora:
//! arbitrary bytes through the readers of task and answers files, which must return
//! without panicking, hanging or allocating without bound.

use std::path::Path;

/// A task file (JSON Lines) through the reader the commands use, then the figures
/// `dive stats` computes from its tasks.
pub fn task_lines(data: &[u8]) {
    let mut table = crate::stats::StatsBuilder::default();
    for task in crate::verify::TaskReader::new(data, Path::new("/fuzz/tasks.jsonl")).map_while(Result::ok) {
        table.add(&task, &|name: &str| name.len().is_multiple_of(2));
    }
    let _ = table.finish();
}

/// An answers file (JSON Lines or one object).
pub fn answers(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::verify::parse_answers(text, Path::new("/fuzz/answers.jsonl"));
    }
}
