//! Training data out (ARCHITECTURE.md §11): tasks as OpenAI chat-completions
//! trajectories, checked with the real `openai` package's message types.

use dive_integration_tests::{builtin_pool_dir, dive_bin};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn dive(home: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(dive_bin())
        .args(args)
        .current_dir(home)
        .env("DIVE_BUILTIN_TOOLS", builtin_pool_dir())
        .output()
        .unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn tasks_export_as_openai_trajectories() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (code, _, err) = dive(h, &["synth", "--domain", "biological", "--local-only", "--count", "20", "--seed", "4", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = dive(h, &["export", "o/tasks.jsonl", "--format", "messages", "--out", "m.jsonl"]);
    assert_eq!(code, 0, "{err}");
    let tasks = lines(&h.join("o/tasks.jsonl"));
    let rows = lines(&h.join("m.jsonl"));
    assert_eq!(rows.len(), tasks.len());
    for (t, r) in tasks.iter().zip(&rows) {
        assert_eq!(r["uuid"], t["uuid"]);
        let m = r["messages"].as_array().unwrap();
        assert_eq!((m[0]["role"].as_str(), &m[0]["content"]), (Some("user"), &t["question"]));
        let last = m.last().unwrap();
        assert_eq!((last["role"].as_str(), &last["content"]), (Some("assistant"), &t["ground_truth"]));
        let calls = t["evidence"]["calls"].as_array().unwrap();
        assert_eq!(m.len(), 2 + 2 * calls.len(), "a call and its result per evidence call");
        for (i, c) in calls.iter().enumerate() {
            let (call, result) = (&m[1 + 2 * i], &m[2 + 2 * i]);
            assert_eq!(call["tool_calls"][0]["function"]["name"], c["tool"]);
            assert_eq!(result["tool_call_id"], call["tool_calls"][0]["id"]);
            assert!(serde_json::from_str::<Value>(result["content"].as_str().unwrap()).is_ok(), "the recorded result");
        }
        let offered: Vec<&Value> = r["tools"].as_array().unwrap().iter().map(|x| &x["function"]["name"]).collect();
        assert_eq!(offered, t["tools"].as_array().unwrap().iter().collect::<Vec<_>>(), "the task's toolset");
    }
    // Ids come from the content: exporting again gives the same bytes.
    let (code, _, err) = dive(h, &["export", "o/tasks.jsonl", "--format", "messages", "--out", "again.jsonl"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(h.join("m.jsonl")).unwrap(), std::fs::read(h.join("again.jsonl")).unwrap());

    // The openai package's own types accept every row.
    let check = r#"
import json, sys, pydantic
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
messages = pydantic.TypeAdapter(list[ChatCompletionMessageParam])
tools = pydantic.TypeAdapter(list[ChatCompletionToolParam])
n = 0
for line in open(sys.argv[1]):
    row = json.loads(line)
    messages.validate_python(row["messages"], strict=True)
    tools.validate_python(row["tools"], strict=True)
    n += 1
print(n)
"#;
    let o = Command::new(dive_integration_tests::python()).args(["-c", check, h.join("m.jsonl").to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "openai types reject a row (is `openai` installed? `make setup`): {}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), rows.len().to_string());
}

#[test]
fn tasks_export_as_a_hugging_face_dataset_that_loads_offline() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // A run seed of 2^63: it must stay exact, never a float.
    let (code, _, err) = dive(h, &["synth", "--domain", "biological", "--local-only", "--count", "12", "--seed", "9223372036854775808", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = dive(h, &["export", "o/tasks.jsonl", "--format", "hf", "--out", "ds"]);
    assert_eq!(code, 0, "{err}");
    let card = std::fs::read_to_string(h.join("ds/README.md")).unwrap();
    assert!(card.starts_with("---\n") && card.contains("configs:") && card.contains("features:"), "{card}");
    for needed in ["dive: `0.1.0 (commit", "dive synth --domain biological --seed 9223372036854775808", "evidence digest", "| bio_seq |", "unique call graphs", "dive reverify"] {
        assert!(card.contains(needed), "the card says {needed:?}:\n{card}");
    }
    let tasks = lines(&h.join("o/tasks.jsonl"));
    let check = r#"
import json, os, sys, datasets
ds = datasets.load_dataset(sys.argv[1], split="train")
rows = [json.loads(l) for l in open(sys.argv[2])]
assert len(ds) == len(rows), (len(ds), len(rows))
assert ds.features["question"].dtype == "string"
assert ds.features["rounds_completed"].dtype == "int64"
assert [r["uuid"] for r in ds] == [r["uuid"] for r in rows]
assert ds[0]["tools"] == rows[0]["tools"]
config = json.loads(ds[0]["config"])
assert config["run_seed"] == 9223372036854775808, config["run_seed"]
df = ds.to_pandas()
assert str(df["rounds_completed"].dtype) == "int64", df.dtypes
print(len(ds))
"#;
    let o = Command::new(dive_integration_tests::python())
        .args(["-c", check, h.join("ds").to_str().unwrap(), h.join("o/tasks.jsonl").to_str().unwrap()])
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HOME", h.join("hf-home"))
        .output()
        .unwrap();
    assert!(o.status.success(), "datasets.load_dataset fails (is `datasets` installed? `make setup`): {}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), tasks.len().to_string());
}

#[test]
fn exports_of_tasks_whose_evidence_is_missing_fail_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (code, _, err) = dive(h, &["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "3", "--seed", "5", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
    // Another (empty) store: the traces are not there.
    for (format, out) in [("messages", "m.jsonl"), ("hf", "ds")] {
        let (code, _, err) = dive(h, &["--store", "empty", "export", "o/tasks.jsonl", "--format", format, "--out", out]);
        assert_eq!(code, 2, "{format}: {err}");
        assert!(err.contains("not in the store"), "{format}: {err}");
        assert!(!h.join(out).exists(), "{format}: nothing partial at --out");
    }
    let (code, _, err) = dive(h, &["--store", "s", "export", "o/tasks.jsonl", "--format", "csv", "--out", "x"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn exports_stream_the_task_file_and_a_broken_line_leaves_no_output() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (code, _, err) = dive(h, &["synth", "--domain", "biological", "--local-only", "--count", "3", "--seed", "6", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(h.join("o/tasks.jsonl")).unwrap();
    let tasks: Vec<&str> = text.lines().collect();
    assert_eq!(tasks.len(), 3);
    // CRLF endings, blank lines and no final newline read as the same three tasks.
    std::fs::write(h.join("crlf.jsonl"), format!("{}\r\n\r\n{}\r\n\n{}", tasks[0], tasks[1], tasks[2])).unwrap();
    for (file, out) in [("o/tasks.jsonl", "m.jsonl"), ("crlf.jsonl", "m-crlf.jsonl")] {
        let (code, _, err) = dive(h, &["export", file, "--format", "messages", "--out", out]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("wrote 3 trajectories"), "{err}");
    }
    assert_eq!(std::fs::read(h.join("m.jsonl")).unwrap(), std::fs::read(h.join("m-crlf.jsonl")).unwrap());
    let (code, _, err) = dive(h, &["export", "crlf.jsonl", "--format", "hf", "--out", "ds"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote 3 tasks"), "{err}");
    let split = h.join("ds/data/train-00000-of-00001.parquet");
    let before = (std::fs::read(h.join("m.jsonl")).unwrap(), std::fs::read(&split).unwrap());

    // Line 4 is broken, after three good tasks were already turned into rows: the
    // exports end with the line named, and what was at --out is untouched.
    std::fs::write(h.join("bad.jsonl"), format!("{}\n{}\n{}\n{{\"uuid\": \"half a task\"\n", tasks[0], tasks[1], tasks[2])).unwrap();
    let (code, _, err) = dive(h, &["export", "bad.jsonl", "--format", "messages", "--out", "m.jsonl"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.jsonl:4"), "{err}");
    let (code, _, err) = dive(h, &["export", "bad.jsonl", "--format", "hf", "--out", "ds"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.jsonl:4"), "{err}");
    assert_eq!((std::fs::read(h.join("m.jsonl")).unwrap(), std::fs::read(&split).unwrap()), before);
    let leftovers: Vec<_> = std::fs::read_dir(h.join("ds/data")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
}
