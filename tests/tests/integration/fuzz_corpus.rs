//! The fuzz targets' corpora (`fuzz/corpus/<target>/`), replayed as ordinary tests: each
//! input goes through the same entry point the fuzzer drives, which must return without
//! panicking. Nightly fuzzing (`cargo +nightly fuzz run TARGET` in fuzz/) grows the
//! corpora; whatever it finds is committed there and checked here from then on.

use dive_integration_tests::repo_root;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = repo_root().join("fuzz/corpus").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 3, "{target}: the corpus has {} inputs", inputs.len());
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        run(&data);
        // Every prefix too: truncated files are what a crash or a partial download leaves.
        for cut in [data.len() / 3, data.len() / 2, data.len().saturating_sub(1)] {
            run(&data[..cut]);
        }
    }
}

#[test]
fn manifest_corpus() {
    replay("manifest", dive_runtime::fuzzing::manifest);
}

#[test]
fn trace_corpus() {
    replay("trace", dive_runtime::fuzzing::trace);
}

#[test]
fn cassette_corpus() {
    replay("cassette", dive_runtime::fuzzing::cassette);
}

#[test]
fn args_corpus() {
    replay("args", dive_runtime::fuzzing::args);
}

#[test]
fn task_lines_corpus() {
    replay("task_lines", dive_deriver::fuzzing::task_lines);
}

#[test]
fn answers_corpus() {
    replay("answers", dive_deriver::fuzzing::answers);
}
