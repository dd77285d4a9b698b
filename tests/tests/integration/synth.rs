//! `dive synth`, `verify`, `reverify` and `stats` as a user runs them: reproducible task
//! files (any worker count, replay from the store with the upstream gone), resume after
//! an interruption, scoring, the LLM policy against a fake chat-completions server, and
//! clear errors for bad input.

use dive_integration_tests::{builtin_pool_dir, dive_bin, repo_root, Fixture, Out, Reply, Seen};
use serde_json::{json, Value};
use std::path::Path;

/// Run `dive` with the built-in pool, a store under `home` and a clean environment.
async fn dive(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = tokio::process::Command::new(dive_bin());
    cmd.args(args)
        .current_dir(home)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DIVE_BUILTIN_TOOLS", builtin_pool_dir())
        .env("DIVE_CACHE_DIR", repo_root().join("target/test-component-cache"))
        .env("HOME", home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().await.unwrap();
    Out::of(o)
}

fn tasks(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn ok(o: &Out, what: &str) {
    assert_eq!(o.code, 0, "{what}: exit {}\nstdout: {}\nstderr: {}", o.code, o.stdout, o.stderr);
}

/// Whether `needle` occurs in `hay` as a whole token (the deriver's own leak rule).
fn contains_token(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.to_lowercase(), needle.trim().to_lowercase());
    h.match_indices(&n).any(|(i, _)| {
        let before = h[..i].chars().next_back();
        let after = h[i + n.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '_');
        edge(before) && edge(after)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_synthesis_is_reproducible_reverifies_and_has_stats() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let synth = |store: &'static str, out: &'static str, workers: &'static str, extra: &'static [&'static str]| {
        let mut a = vec!["--store", store, "synth", "--domain", "biological", "--local-only", "--count", "12", "--seed", "5", "--workers", workers, "--out", out];
        a.extend_from_slice(extra);
        a
    };
    ok(&dive(h, &synth("s1", "a", "1", &[]), &[]).await, "first run");
    ok(&dive(h, &synth("s2", "b", "3", &[]), &[]).await, "three workers, fresh store");
    let a = std::fs::read(h.join("a/tasks.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(h.join("b/tasks.jsonl")).unwrap(), "the worker count or the store must not change the tasks");
    ok(&dive(h, &synth("s1", "c", "2", &["--replay"]), &[]).await, "replay from the store");
    assert_eq!(a, std::fs::read(h.join("c/tasks.jsonl")).unwrap(), "a replayed run rebuilds the same file");
    let other = dive(h, &["--store", "s3", "synth", "--domain", "biological", "--local-only", "--count", "12", "--seed", "6", "--out", "d"], &[]).await;
    ok(&other, "another seed");
    assert_ne!(a, std::fs::read(h.join("d/tasks.jsonl")).unwrap(), "another seed gives other tasks");

    let ts = tasks(&h.join("a/tasks.jsonl"));
    assert_eq!(ts.len(), 12);
    let mut uuids = std::collections::BTreeSet::new();
    for t in &ts {
        for field in ["uuid", "question", "ground_truth", "domain", "seed", "tools", "evidence", "derivation_history", "rounds_completed", "trace", "answer_path", "verifier", "tool_graph"] {
            assert!(t.get(field).is_some(), "task lacks {field}: {t}");
        }
        assert!(uuids.insert(t["uuid"].as_str().unwrap().to_string()), "uuids are unique");
        let q = t["question"].as_str().unwrap();
        let truth = t["ground_truth"].as_str().unwrap();
        assert!(!contains_token(q, truth), "the question gives the answer away: {q} => {truth}");
        assert!(q.contains(t["seed"].as_str().unwrap()), "the question starts from the seed");
        let tools = t["tools"].as_array().unwrap().len();
        assert!((15..=50).contains(&tools), "toolset of {tools} tools");
        assert_eq!(t["evidence"]["trace"], t["trace"]);
        let rounds = t["derivation_history"].as_array().unwrap();
        assert_eq!(rounds.len() as u64, t["rounds_completed"].as_u64().unwrap());
        assert!(rounds.windows(2).all(|w| w[0]["round"].as_u64() < w[1]["round"].as_u64()));
        // Every call the question walks through is in the task's graph.
        let nodes = t["tool_graph"]["nodes"].as_array().unwrap();
        for c in t["evidence"]["calls"].as_array().unwrap() {
            assert_eq!(nodes[c["index"].as_u64().unwrap() as usize], c["tool"]);
        }
    }
    // The evidence replays byte-for-byte and every answer still follows from it.
    let r = dive(h, &["--store", "s1", "--json", "reverify", "a/tasks.jsonl"], &[]).await;
    ok(&r, "reverify");
    assert_eq!(r.json()["holds"], json!(12));
    let trace = ts[0]["trace"].as_str().unwrap();
    ok(&dive(h, &["--store", "s1", "replay", trace], &[]).await, "replay one task's trace");

    let s = dive(h, &["--json", "stats", "a/tasks.jsonl"], &[]).await;
    ok(&s, "stats");
    let s = s.json();
    assert_eq!(s["tasks"], json!(12));
    assert!(s["unique_toolsets"].as_u64().unwrap() >= 1 && s["unique_toolsets"].as_u64().unwrap() <= 12);
    assert!(s["tool_types_per_task"].as_f64().unwrap() >= 1.0);
    assert!(s["tools_covered"].as_u64().unwrap() <= s["tools_offered"].as_u64().unwrap());
    let text = dive(h, &["stats", "a/tasks.jsonl"], &[]).await;
    assert!(text.stdout.contains("unique call graphs"), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_evidence_fails_reverification() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    ok(&dive(h, &["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "3", "--seed", "9", "--out", "o"], &[]).await, "synth");
    let ts = tasks(&h.join("o/tasks.jsonl"));
    // Rewrite the first task's ground truth: the evidence no longer entails it.
    let mut bad = ts[0].clone();
    bad["ground_truth"] = json!("definitely not the answer");
    let lines: Vec<String> = std::iter::once(bad).chain(ts[1..].iter().cloned()).map(|t| t.to_string()).collect();
    std::fs::write(h.join("bad.jsonl"), lines.join("\n") + "\n").unwrap();
    let r = dive(h, &["--store", "s", "--json", "reverify", "bad.jsonl"], &[]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["holds"], json!(2));
    assert_eq!(v["results"][0]["status"], json!("not_entailed"));
    // A damaged store is reported, never taken as evidence.
    let trace = ts[1]["trace"].as_str().unwrap();
    let path = h.join("s/traces").join(&trace[..2]).join(format!("{}.json", &trace[2..]));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let r = dive(h, &["--store", "s", "--json", "reverify", "o/tasks.jsonl"], &[]).await;
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["results"][1]["status"], json!("error"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_resumes_to_the_same_file() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let args = |out: &'static str, count: &'static str, resume: bool| {
        let mut a = vec!["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", count, "--seed", "3", "--out", out];
        if resume {
            a.push("--resume");
        }
        a
    };
    ok(&dive(h, &args("full", "6", false), &[]).await, "full run");
    let full = std::fs::read_to_string(h.join("full/tasks.jsonl")).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    // As if killed while writing the fourth task: three whole lines and half of one.
    std::fs::create_dir_all(h.join("cut")).unwrap();
    let cut = format!("{}\n{}\n{}\n{}", lines[0], lines[1], lines[2], &lines[3][..lines[3].len() / 2]);
    std::fs::write(h.join("cut/tasks.jsonl"), cut).unwrap();
    let again = dive(h, &args("cut", "6", false), &[]).await;
    assert_eq!(again.code, 2, "an existing file is not overwritten: {}", again.stderr);
    assert!(again.stderr.contains("--resume"), "{}", again.stderr);
    ok(&dive(h, &args("cut", "6", true), &[]).await, "resume");
    assert_eq!(std::fs::read_to_string(h.join("cut/tasks.jsonl")).unwrap(), full, "resume keeps the finished tasks and adds the same rest");
    ok(&dive(h, &args("cut", "6", true), &[]).await, "resume of a finished file");
    assert_eq!(std::fs::read_to_string(h.join("cut/tasks.jsonl")).unwrap(), full, "nothing is duplicated");
    // A broken line in the middle is not silently dropped.
    std::fs::write(h.join("cut/tasks.jsonl"), format!("{}\nnot a task\n{}\n", lines[0], lines[1])).unwrap();
    let broken = dive(h, &args("cut", "6", true), &[]).await;
    assert_eq!(broken.code, 2);
    assert!(broken.stderr.contains("tasks.jsonl:2"), "{}", broken.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_scores_answers_with_each_tasks_verifier() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    ok(&dive(h, &["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "4", "--seed", "11", "--out", "o"], &[]).await, "synth");
    let ts = tasks(&h.join("o/tasks.jsonl"));
    let right: Vec<String> = ts.iter().map(|t| json!({"uuid": t["uuid"], "answer": t["ground_truth"]}).to_string()).collect();
    std::fs::write(h.join("right.jsonl"), right.join("\n")).unwrap();
    let verdicts = |stdout: &str| -> Vec<Value> { stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect() };
    let r = dive(h, &["--json", "verify", "o/tasks.jsonl", "--answers", "right.jsonl"], &[]).await;
    ok(&r, "verify");
    let v = verdicts(&r.stdout);
    assert_eq!(v.len(), 4, "one verdict per task: {}", r.stdout);
    assert!(v.iter().all(|x| x["correct"] == json!(true) && x["reward"] == json!(1.0)), "{}", r.stdout);
    assert!(r.stderr.contains("4 of 4 correct"), "{}", r.stderr);
    // One wrong, one missing; the map form of an answers file.
    let mut map = serde_json::Map::new();
    map.insert(ts[0]["uuid"].as_str().unwrap().into(), json!("no such answer"));
    map.insert(ts[1]["uuid"].as_str().unwrap().into(), ts[1]["ground_truth"].clone());
    map.insert(ts[2]["uuid"].as_str().unwrap().into(), ts[2]["ground_truth"].clone());
    std::fs::write(h.join("some.json"), Value::Object(map).to_string()).unwrap();
    let r = dive(h, &["--json", "verify", "o/tasks.jsonl", "--answers", "some.json"], &[]).await;
    ok(&r, "verify");
    let v = verdicts(&r.stdout);
    assert!(r.stderr.contains("2 of 4 correct (3 answered)"), "{}", r.stderr);
    assert_eq!((v[0]["correct"].clone(), v[0]["reward"].clone()), (json!(false), json!(0.0)));
    assert_eq!(v[0]["uuid"], ts[0]["uuid"]);
    assert_eq!((v[3]["correct"].clone(), v[3]["reward"].clone()), (Value::Null, json!(0.0)));
    std::fs::write(h.join("broken.jsonl"), "{\"uuid\": 1}\n").unwrap();
    let r = dive(h, &["verify", "o/tasks.jsonl", "--answers", "broken.jsonl"], &[]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let r = dive(h, &["synth", "--domain", "astrology", "--count", "1"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown domain 'astrology'"), "{}", r.stderr);
    std::fs::write(h.join("empty.jsonl"), "\n").unwrap();
    let r = dive(h, &["synth", "--domain", "biological", "--local-only", "--seeds", "empty.jsonl"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("empty"), "{}", r.stderr);
    std::fs::write(h.join("bad-seeds.jsonl"), "{\"value\": \"ATG\", \"type\": \"dna_sequence\"}\n[1, 2]\n").unwrap();
    let r = dive(h, &["synth", "--domain", "biological", "--local-only", "--seeds", "bad-seeds.jsonl"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad-seeds.jsonl:2"), "{}", r.stderr);
    let r = dive(h, &["synth", "--domain", "medical", "--local-only"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no callable tools"), "{}", r.stderr);
    // Seeds no tool can take: nothing derivable, said plainly (not a hang or a panic).
    std::fs::write(h.join("odd-seeds.jsonl"), "{\"value\": \"zzz\", \"type\": \"nothing_takes_this\"}\n").unwrap();
    let r = dive(h, &["--store", "s", "synth", "--domain", "biological", "--local-only", "--seeds", "odd-seeds.jsonl", "--count", "1"], &[]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no task could be derived"), "{}", r.stderr);
    // A domain whose tools need a secret the host lacks: said at once, naming it.
    let r = dive(h, &["--store", "s", "synth", "--domain", "financial", "--count", "1", "--out", "fin"], &[]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("TUSHARE_TOKEN"), "{}", r.stderr);
    let r = dive(h, &["synth", "--domain", "biological", "--policy", "llm"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--llm-base-url"), "{}", r.stderr);
    std::fs::write(h.join("t.jsonl"), "not a task\n").unwrap();
    for cmd in [&["stats", "t.jsonl"][..], &["reverify", "t.jsonl"][..], &["verify", "t.jsonl", "--answers", "t.jsonl"][..]] {
        let r = dive(h, cmd, &[]).await;
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stderr);
        assert!(r.stderr.contains("t.jsonl:1"), "{cmd:?}: {}", r.stderr);
    }
}

use dive_integration_tests::medical_services as medical;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_domain_rebuilds_offline_from_the_store_after_the_upstream_is_gone() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut fx = Fixture::start(medical).await;
    let up1 = format!("https://rxnav.nlm.nih.gov={}", fx.url());
    let up2 = format!("https://clinicaltables.nlm.nih.gov={}", fx.url());
    let run = |out: &'static str, replay: bool| {
        let mut a = vec!["--store".to_string(), "s".into(), "--allow-private-network".into(), "--upstream".into(), up1.clone(), "--upstream".into(), up2.clone()];
        a.extend(["synth", "--domain", "medical", "--count", "4", "--seed", "2", "--out", out].map(String::from));
        if replay {
            a.push("--replay".into());
        }
        a
    };
    let a1 = run("live", false);
    let o = dive(h, &a1.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    ok(&o, "synth against the fixture");
    assert!(!fx.seen().is_empty(), "the tools reached the fixture");
    fx.stop();
    drop(fx);
    let a2 = run("again", true);
    let o = dive(h, &a2.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    ok(&o, "synth --replay with the upstream gone");
    assert_eq!(std::fs::read(h.join("live/tasks.jsonl")).unwrap(), std::fs::read(h.join("again/tasks.jsonl")).unwrap());
    let r = dive(h, &["--store", "s", "--json", "reverify", "live/tasks.jsonl"], &[]).await;
    ok(&r, "offline reverify");
    assert_eq!(r.json()["holds"], json!(4));
    // Live re-verification: the same upstream answers hold; a changed one is drift.
    let same = Fixture::start(medical).await;
    let changed = Fixture::start(|s: &Seen| {
        let mut r = medical(s);
        r.body = String::from_utf8_lossy(&r.body).replace('1', "2").into_bytes();
        r
    })
    .await;
    for (fx, holds) in [(&same, true), (&changed, false)] {
        let (u1, u2) = (format!("https://rxnav.nlm.nih.gov={}", fx.url()), format!("https://clinicaltables.nlm.nih.gov={}", fx.url()));
        let r = dive(h, &["--store", "s", "--allow-private-network", "--upstream", &u1, "--upstream", &u2, "--json", "reverify", "live/tasks.jsonl", "--live"], &[]).await;
        let v = r.json();
        if holds {
            ok(&r, "live reverify against the same answers");
            assert_eq!(v["holds"], json!(4));
        } else {
            assert_eq!(r.code, 1, "{}", r.stderr);
            assert!(v["results"].as_array().unwrap().iter().any(|t| t["status"] == json!("drifted")), "{v}");
        }
    }
    let retrieval = tasks(&h.join("live/tasks.jsonl")).iter().any(|t| t["tool_graph"]["nodes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with("rx")));
    assert!(retrieval, "the tasks used the API tools");
    // Replay needs the earlier run's traces: another seed has none.
    let mut a3 = run("none", true);
    let i = a3.iter().position(|x| x == "2").unwrap();
    a3[i] = "99".into();
    let o = dive(h, &a3.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("run once without --replay"), "{}", o.stderr);
}

/// A fake chat-completions model: it calls the first offered tool that takes a
/// `sequence`, with the seed from the first user message; after a tool result it stops.
fn fake_model(s: &Seen) -> Reply {
    let body: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let seed = messages.iter().find(|m| m["role"] == "user").and_then(|m| m["content"].as_str()).and_then(|c| c.rsplit(": ").next()).unwrap_or("").to_string();
    let last_is_tool = messages.last().is_some_and(|m| m["role"] == "tool");
    let rounds = messages.iter().filter(|m| m["role"] == "user").count();
    const TAKE_A_SEQUENCE: [&str; 7] = ["bio_seq_transcribe", "bio_seq_translate", "bio_seq_reverse_complement", "bio_seq_complement", "bio_sequtils_gc_content", "bio_sequtils_gc123", "bio_sequtils_six_frame"];
    let offered: Vec<&str> = body["tools"].as_array().into_iter().flatten().filter_map(|t| t["function"]["name"].as_str()).collect();
    let tool = TAKE_A_SEQUENCE.iter().filter(|n| offered.contains(n)).nth(rounds - 1).unwrap_or(&"bio_seq_transcribe").to_string();
    let message = if last_is_tool {
        json!({"role": "assistant", "content": "done"})
    } else {
        json!({"role": "assistant", "content": null, "tool_calls": [{"id": format!("c{rounds}"), "type": "function", "function": {"name": tool, "arguments": json!({"sequence": seed}).to_string()}}]})
    };
    Reply::json(200, &json!({"id": "x", "object": "chat.completion", "model": body["model"], "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_llm_policy_runs_the_models_tool_calls_in_the_sandbox() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let fx = Fixture::start(fake_model).await;
    let base = format!("{}/v1", fx.url());
    let args = ["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "2", "--seed", "4", "--out", "o", "--policy", "llm", "--llm-base-url", &base, "--llm-model", "fake-model"];
    let o = dive(h, &args, &[("DIVE_LLM_API_KEY", "Bearer sk-test-123")]).await;
    ok(&o, "llm synth");
    let ts = tasks(&h.join("o/tasks.jsonl"));
    assert_eq!(ts.len(), 2);
    for t in &ts {
        assert_eq!(t["config"]["policy"], json!("llm:fake-model"));
        assert!(t["tool_graph"]["from_seed"].as_array().is_some_and(|a| !a.is_empty()), "the model's call used the seed: {t}");
    }
    let seen = fx.seen();
    assert!(seen.iter().all(|s| s.path_and_query == "/v1/chat/completions" && s.header("authorization") == Some("Bearer sk-test-123")));
    let first: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(first["model"], json!("fake-model"));
    assert!(first["tools"].as_array().unwrap().len() >= 15, "the toolset is offered as functions");
    // The key never reaches the store.
    for entry in walk(&h.join("s")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("sk-test-123"), "{}", entry.display());
    }
    let r = dive(h, &["--store", "s", "--json", "reverify", "o/tasks.jsonl"], &[]).await;
    ok(&r, "reverify");

    // The model's exchanges are evidence in each task's trace: a rebuild with --replay
    // answers them from there, with the model endpoint gone and no key.
    let asked = fx.seen().len();
    let store = dive_runtime::store::Store::open(h.join("s")).unwrap();
    for t in &ts {
        let (doc, _) = dive_runtime::trace::read_trace(&store, t["trace"].as_str().unwrap()).unwrap();
        assert!(!doc.model.is_empty(), "the trace holds the model's exchanges");
        assert!(doc.model.iter().all(|ex| ex.request.url == format!("{base}/chat/completions") && ex.response.as_ref().is_some_and(|r| r.status == 200)));
        assert!(doc.model.iter().all(|ex| ex.request.headers.iter().all(|(k, _)| !k.eq_ignore_ascii_case("authorization"))));
    }
    let mut fx = fx;
    fx.stop();
    drop(fx);
    let mut again: Vec<&str> = args.to_vec();
    let out = again.iter().position(|a| *a == "o").unwrap();
    again[out] = "replayed";
    again.push("--replay");
    ok(&dive(h, &again, &[]).await, "llm synth --replay with the model gone");
    assert_eq!(std::fs::read(h.join("o/tasks.jsonl")).unwrap(), std::fs::read(h.join("replayed/tasks.jsonl")).unwrap(), "the same tasks, byte for byte");
    assert!(asked > 0);

    // A changed request (another model name) is not in the recording: said so, not sent.
    let mut changed = again.clone();
    let m = changed.iter().position(|a| *a == "fake-model").unwrap();
    changed[m] = "other-model";
    let o = dive(h, &changed, &[]).await;
    assert_eq!(o.code, 2, "no recording of another model's run: {}", o.stderr);

    // The trajectory export carries the model's own conversation.
    ok(&dive(h, &["--store", "s", "export", "o/tasks.jsonl", "--format", "messages", "--out", "m.jsonl"], &[]).await, "export");
    let rows: Vec<Value> = std::fs::read_to_string(h.join("m.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let conv = row["policy_conversation"].as_array().unwrap_or_else(|| panic!("{row}"));
        assert_eq!(conv[0]["role"], "system");
        assert!(conv.iter().any(|m| m["role"] == "tool"), "{row}");
        assert!(conv.iter().any(|m| m["tool_calls"].is_array()), "{row}");
        assert_eq!(conv.last().unwrap()["content"], "done", "ends with the model's last answer: {row}");
    }
    // The openai package's own types accept the conversation, as they do the trajectory.
    let check = r#"
import json, sys, pydantic
from openai.types.chat import ChatCompletionMessageParam
messages = pydantic.TypeAdapter(list[ChatCompletionMessageParam])
for line in open(sys.argv[1]):
    messages.validate_python(json.loads(line)["policy_conversation"], strict=True)
"#;
    let o = std::process::Command::new(dive_integration_tests::python()).args(["-c", check, h.join("m.jsonl").to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "openai types reject a conversation: {}", String::from_utf8_lossy(&o.stderr));
}

/// A fake rephrasing model: it rewrites a question as "Tell me: <question>" when the
/// question's hash is even, and answers with a question that drops every entity when
/// it is odd (which dive must not keep).
fn fake_rephraser(s: &Seen) -> Reply {
    let body: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
    let asked = body["messages"][1]["content"].as_str().unwrap_or_default();
    let question = asked.rsplit_once("Question: ").map(|(_, q)| q).unwrap_or_default();
    let content = if rewrites(question) { format!("Tell me: {question}") } else { "What is it?".to_string() };
    Reply::json(200, &json!({"id": "x", "object": "chat.completion", "model": body["model"], "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}))
}

fn rewrites(question: &str) -> bool {
    blake3::hash(question.as_bytes()).as_bytes()[0].is_multiple_of(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rephrase_llm_keeps_faithful_rewrites_and_replays_them_without_the_model() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let base_args = ["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "6", "--seed", "8"];
    ok(&dive(h, &[&base_args[..], &["--out", "plain"][..]].concat(), &[]).await, "synth without rephrasing");
    let mut fx = Fixture::start(fake_rephraser).await;
    let base = format!("{}/v1", fx.url());
    let args: Vec<&str> = [&base_args[..], &["--out", "o", "--rephrase", "llm", "--llm-base-url", base.as_str(), "--llm-model", "rewriter"][..]].concat();
    ok(&dive(h, &args, &[]).await, "synth --rephrase llm");
    let (plain, rephrased) = (tasks(&h.join("plain/tasks.jsonl")), tasks(&h.join("o/tasks.jsonl")));
    assert_eq!(plain.len(), rephrased.len());
    let mut kept = 0;
    for (p, r) in plain.iter().zip(&rephrased) {
        let original = p["question"].as_str().unwrap();
        let want = if rewrites(original) { format!("Tell me: {original}") } else { original.to_string() };
        assert_eq!(r["question"].as_str().unwrap(), want, "a rewrite that drops the entities is not kept");
        kept += usize::from(rewrites(original));
        // Everything but the question (and the trace holding the model's exchange) is the
        // task the plain run derived.
        assert_eq!((&r["ground_truth"], &r["answer_path"], &r["tool_graph"]), (&p["ground_truth"], &p["answer_path"], &p["tool_graph"]));
    }
    assert!(kept > 0 && kept < plain.len(), "both outcomes occur with this seed ({kept} of {})", plain.len());
    // One rephrasing request per derived task: each written task's question was asked
    // (a worker may also have started a task past the count, which is not written).
    let seen = fx.seen();
    let asked: Vec<String> = seen
        .iter()
        .filter_map(|s| serde_json::from_slice::<Value>(&s.body).ok())
        .filter_map(|b| b["messages"][1]["content"].as_str().and_then(|c| c.rsplit_once("Question: ")).map(|(_, q)| q.to_string()))
        .collect();
    assert_eq!(asked.len(), seen.len(), "every request is a rephrasing request");
    for p in &plain {
        assert_eq!(asked.iter().filter(|q| *q == p["question"].as_str().unwrap()).count(), 1, "asked once: {}", p["question"]);
    }
    let first: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert!(first.get("tools").is_none() && first["messages"][1]["content"].as_str().unwrap().contains("Examples:\n- "), "{first}");
    let r = dive(h, &["--store", "s", "--json", "reverify", "o/tasks.jsonl"], &[]).await;
    ok(&r, "reverify");
    assert_eq!(r.json()["holds"], json!(plain.len()));

    fx.stop();
    drop(fx);
    let mut again = args.clone();
    let out = again.iter().position(|a| *a == "o").unwrap();
    again[out] = "replayed";
    again.push("--replay");
    ok(&dive(h, &again, &[]).await, "--replay with the model gone");
    assert_eq!(std::fs::read(h.join("o/tasks.jsonl")).unwrap(), std::fs::read(h.join("replayed/tasks.jsonl")).unwrap());
    let r = dive(h, &["synth", "--domain", "biological", "--local-only", "--rephrase", "llm"], &[]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--rephrase llm needs --llm-base-url"), "{}", r.stderr);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_malformed_model_endpoint_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let down = Fixture::start(|_| Reply::text(500, "application/json", "{\"error\": {\"message\": \"model overloaded\"}}")).await;
    let base = format!("{}/v1", down.url());
    let args = ["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "1", "--out", "o", "--policy", "llm", "--llm-base-url", &base, "--llm-model", "m"];
    let o = dive(h, &args, &[("DIVE_LLM_API_KEY", "bare-key-1")]).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("HTTP 500") && o.stderr.contains("model overloaded"), "{}", o.stderr);
    assert_eq!(down.seen()[0].header("authorization"), Some("Bearer bare-key-1"), "a bare key is sent as a bearer token");
    let garbled = Fixture::start(|_| {
        Reply::json(200, &json!({"choices": [{"message": {"role": "assistant", "tool_calls": [{"id": "1", "type": "function", "function": {"name": "bio_seq_transcribe", "arguments": "{not json"}}]}}]}))
    })
    .await;
    let base = format!("{}/v1", garbled.url());
    let args = ["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "1", "--out", "o2", "--policy", "llm", "--llm-base-url", &base, "--llm-model", "m"];
    let o = dive(h, &args, &[]).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("malformed tool calls"), "{}", o.stderr);
    let not_chat = Fixture::start(|_| Reply::text(200, "text/html", "<html>login</html>")).await;
    let base = format!("{}/v1", not_chat.url());
    let args = ["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "1", "--out", "o3", "--policy", "llm", "--llm-base-url", &base, "--llm-model", "m"];
    let o = dive(h, &args, &[]).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("not a chat completion"), "{}", o.stderr);
    // An endless answer is cut at the bound, said so, and nothing of it is kept.
    let huge = Fixture::start(|_| Reply::text(200, "application/json", "x".repeat(9 << 20))).await;
    let base = format!("{}/v1", huge.url());
    let args = ["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "1", "--out", "o4", "--policy", "llm", "--llm-base-url", &base, "--llm-model", "m"];
    let o = dive(h, &args, &[]).await;
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("answered more than 8388608 bytes"), "{}", o.stderr);
}

/// The tools of `dive tools list --json` (name, domain, schemas).
async fn tool_specs(h: &Path) -> Vec<Value> {
    let o = dive(h, &["tools", "list", "--json"], &[]).await;
    ok(&o, "tools list");
    serde_json::from_str(&o.stdout).unwrap()
}

/// Every property name of a schema, recursively.
fn property_names(schema: &Value, out: &mut std::collections::BTreeSet<String>) {
    match schema {
        Value::Object(m) => {
            if let Some(Value::Object(p)) = m.get("properties") {
                out.extend(p.keys().cloned());
            }
            m.values().for_each(|v| property_names(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| property_names(v, out)),
        _ => {}
    }
}

/// Whether a name reads as code (`reverse_complement`, `rxnormId`), not as a word.
fn identifier_shaped(name: &str) -> bool {
    let underscore = name.trim_matches('_').contains('_');
    // camelCase starts lower-case; "PubMed" and "RxNorm" are names, not identifiers.
    let camel = name.starts_with(|c: char| c.is_ascii_lowercase()) && name.chars().zip(name.chars().skip(1)).any(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase());
    (underscore || camel) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every scalar of a JSON value, as answer text.
fn scalar_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.values().for_each(|c| scalar_texts(c, out)),
        Value::Array(a) => a.iter().for_each(|c| scalar_texts(c, out)),
        Value::String(s) => out.push(s.clone()),
        Value::Null => {}
        other => out.push(other.to_string()),
    }
}

/// The relation-phrase table names exactly the tools of the pool: one phrase per tool,
/// no phrase for a tool that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_has_exactly_one_relation_phrase() {
    let home = tempfile::tempdir().unwrap();
    let tools: std::collections::BTreeSet<String> = tool_specs(home.path()).await.iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(tools.len(), 373);
    let table = std::fs::read_to_string(repo_root().join("deriver/data/phrases.tsv")).unwrap();
    let mut phrased = std::collections::BTreeSet::new();
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let name = line.split('\t').next().unwrap().to_string();
        assert!(phrased.insert(name.clone()), "{name} has two phrases");
    }
    let missing: Vec<_> = tools.difference(&phrased).collect();
    let stale: Vec<_> = phrased.difference(&tools).collect();
    assert!(missing.is_empty() && stale.is_empty(), "tools without a phrase: {missing:?}; phrases of no tool: {stale:?}");
}

/// Over a biological build: questions are questions (no tool names, steps, backticks,
/// JSON paths or field identifiers; they end with "?"), answers are worth asking for (no
/// single characters, no echo of an argument on the answer's path, not in the question),
/// most answers need two or more tools, every local tool is called, and every task still
/// re-verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_read_as_questions_and_every_local_tool_is_called() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let specs = tool_specs(h).await;
    let count = 400;
    let n = count.to_string();
    ok(&dive(h, &["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", &n, "--seed", "1", "--out", "o"], &[]).await, "synth");
    let ts = tasks(&h.join("o/tasks.jsonl"));
    assert_eq!(ts.len(), count);
    let names: Vec<&str> = specs.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut identifiers = std::collections::BTreeSet::new();
    for t in &specs {
        property_names(&t["input_schema"], &mut identifiers);
        property_names(&t["output_schema"], &mut identifiers);
    }
    identifiers.retain(|n| identifier_shaped(n));
    assert!(identifiers.contains("reverse_complement"), "the schemas were read");
    let path_like = |q: &str| q.split_whitespace().any(|w| w.starts_with('/') && w[1..].starts_with(|c: char| c.is_ascii_alphabetic()));
    let mut multi_tool = 0;
    let mut called = std::collections::BTreeSet::new();
    for t in &ts {
        let q = t["question"].as_str().unwrap();
        let truth = t["ground_truth"].as_str().unwrap();
        assert!(q.ends_with('?'), "{q}");
        assert!(!q.contains('`') && !path_like(q), "{q}");
        let lower = q.to_lowercase();
        assert!(!lower.split(|c: char| !c.is_alphanumeric()).any(|w| w == "step"), "{q}");
        for name in &names {
            assert!(!contains_token(q, name) || !name.contains('_'), "names the tool {name}: {q}");
        }
        for id in &identifiers {
            assert!(!contains_token(q, id), "names the field {id}: {q}");
        }
        assert!(truth.trim().chars().count() >= 2 || truth.trim().parse::<f64>().is_ok(), "a single character: {truth:?} for {q}");
        assert!(!contains_token(q, truth), "{q} => {truth}");
        // No echo of an argument of a call on the answer's path.
        let trace = t["trace"].as_str().unwrap();
        let doc: Value = serde_json::from_slice(&std::fs::read(h.join("s/traces").join(&trace[..2]).join(format!("{}.json", &trace[2..]))).unwrap()).unwrap();
        let path: Vec<u64> = t["evidence"]["calls"].as_array().unwrap().iter().map(|c| c["index"].as_u64().unwrap()).collect();
        let mut args = Vec::new();
        for c in doc["calls"].as_array().unwrap().iter().filter(|c| path.contains(&c["index"].as_u64().unwrap())) {
            scalar_texts(&c["args"], &mut args);
        }
        assert!(!args.contains(&truth.to_string()), "the answer {truth} is an argument: {q}");
        let tools_on_path: std::collections::BTreeSet<&str> = t["evidence"]["calls"].as_array().unwrap().iter().map(|c| c["tool"].as_str().unwrap()).collect();
        multi_tool += (tools_on_path.len() >= 2) as usize;
        called.extend(t["tool_graph"]["nodes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()));
    }
    assert!(multi_tool * 2 >= count, "only {multi_tool} of {count} answers need two or more tools");
    // With --local-only the toolsets are drawn from the local tools: their union is them.
    let local: std::collections::BTreeSet<&str> = ts.iter().flat_map(|t| t["tools"].as_array().unwrap().iter().map(|n| n.as_str().unwrap())).collect();
    assert_eq!(local.len(), 47, "the local biological tools");
    let never: Vec<&&str> = local.iter().filter(|n| !called.contains(**n)).collect();
    assert!(never.is_empty(), "local tools never called in {count} tasks: {never:?}");
    let r = dive(h, &["--store", "s", "--json", "reverify", "o/tasks.jsonl"], &[]).await;
    ok(&r, "reverify");
    assert_eq!(r.json()["holds"], json!(count));
}

/// A number from a request, so imitations answer each request differently but always
/// the same way.
fn figure(s: &Seen, salt: &str) -> u32 {
    let h = blake3::hash(format!("{salt}{}{}", s.path_and_query, String::from_utf8_lossy(&s.body)).as_bytes());
    u32::from_le_bytes(h.as_bytes()[..4].try_into().unwrap())
}

/// A Semantic Scholar paper record.
fn s2_paper(n: u32) -> Value {
    json!({
        "paperId": format!("{:040x}", n as u128 * 7919),
        "title": format!("Deep representations number {}", n % 1000),
        "year": 2000 + n % 24,
        "venue": (["Nature", "NeurIPS", "ICML", "Science"][(n % 4) as usize]),
        "citationCount": n % 50000,
        "externalIds": {"DOI": format!("10.{}/x{}", 1000 + n % 9000, n % 100000)},
        "authors": [{"authorId": format!("{}", 1000 + n % 90000), "name": format!("Author {}", n % 500)}, {"authorId": format!("{}", 2000 + n % 80000), "name": format!("Author {}", (n >> 3) % 500)}],
    })
}

/// An imitation of api.semanticscholar.org (graph v1): searches give `data` lists,
/// single records their object, citations and references wrap papers.
fn semantic_scholar(s: &Seen) -> Reply {
    let n = figure(s, "s2");
    let path = s.path_and_query.split('?').next().unwrap_or("");
    let papers = |k: u32| (0..k).map(|i| s2_paper(n.wrapping_add(i * 7))).collect::<Vec<_>>();
    let v = if path.ends_with("/author/search") {
        json!({"total": 2, "offset": 0, "data": [{"authorId": format!("{}", 1000 + n % 90000), "name": format!("Author {}", n % 500), "paperCount": n % 400, "hIndex": n % 90}]})
    } else if path.contains("/author/") && path.ends_with("/papers") {
        json!({"offset": 0, "data": papers(3)})
    } else if path.contains("/author/") {
        json!({"authorId": format!("{}", 1000 + n % 90000), "name": format!("Author {}", n % 500), "paperCount": n % 400, "hIndex": n % 90, "citationCount": n % 90000})
    } else if path.ends_with("/citations") {
        json!({"offset": 0, "data": papers(3).into_iter().map(|p| json!({"citingPaper": p})).collect::<Vec<_>>()})
    } else if path.ends_with("/references") {
        json!({"offset": 0, "data": papers(2).into_iter().map(|p| json!({"citedPaper": p})).collect::<Vec<_>>()})
    } else if path.contains("/search") {
        json!({"total": 3, "offset": 0, "data": papers(3)})
    } else if path.contains("/paper/") {
        s2_paper(n)
    } else {
        json!({"data": papers(2)})
    };
    Reply::json(200, &v)
}

/// An imitation of api.openalex.org: lists as {meta, results}, single records by id.
fn openalex(s: &Seen) -> Reply {
    let n = figure(s, "oa");
    let work = |k: u32| {
        json!({"id": format!("https://openalex.org/W{}", 2_000_000 + k % 900_000), "doi": format!("https://doi.org/10.{}/oa{}", 1000 + k % 9000, k % 10000), "title": format!("A study of learning {}", k % 1000), "publication_year": 1995 + k % 29, "cited_by_count": k % 20000,
            "authorships": [{"author": {"id": format!("https://openalex.org/A{}", 5_000_000 + k % 900_000), "display_name": format!("Researcher {}", k % 300)}}]})
    };
    let path = s.path_and_query.split('?').next().unwrap_or("");
    let v = match path {
        "/works" => json!({"meta": {"count": 2, "page": 1, "per_page": 25}, "results": [work(n), work(n >> 4)]}),
        "/authors" => json!({"meta": {"count": 1}, "results": [{"id": format!("https://openalex.org/A{}", 5_000_000 + n % 900_000), "display_name": format!("Researcher {}", n % 300), "works_count": n % 700, "cited_by_count": n % 90000}]}),
        p if p.starts_with("/works/") => work(n),
        p if p.starts_with("/authors/") => json!({"id": format!("https://openalex.org/A{}", 5_000_000 + n % 900_000), "display_name": format!("Researcher {}", n % 300), "works_count": n % 700, "cited_by_count": n % 90000}),
        _ => json!({"meta": {"count": 1}, "results": [{"id": format!("https://openalex.org/I{}", n % 100000), "display_name": format!("Institute {}", n % 40), "works_count": n % 5000}]}),
    };
    Reply::json(200, &v)
}

/// An imitation of api.crossref.org: {status, message-type, message}.
fn crossref(s: &Seen) -> Reply {
    let n = figure(s, "cr");
    let item = |k: u32| json!({"DOI": format!("10.{}/cr{}", 1000 + k % 9000, k % 10000), "title": [format!("On representations {}", k % 1000)], "container-title": [(["Nature", "Cell", "PNAS"][(k % 3) as usize])], "publisher": (["Springer Nature", "Elsevier", "PNAS"][(k % 3) as usize]), "is-referenced-by-count": k % 30000, "published": {"date-parts": [[1990 + k % 34, 1 + k % 12, 1]]}, "type": "journal-article"});
    let path = s.path_and_query.split('?').next().unwrap_or("");
    let v = if path.starts_with("/works/") || path.starts_with("/types/") {
        json!({"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": item(n)})
    } else {
        json!({"status": "ok", "message-type": "work-list", "message-version": "1.0.0", "message": {"total-results": 2, "items": [item(n), item(n >> 5)], "items-per-page": 20}})
    };
    Reply::json(200, &v)
}

/// An imitation of api.tushare.pro: one POST endpoint; every api answers a table of one
/// to five trading days for the asked ts_code (or a code of its own), with prices,
/// volumes and names derived from the request, honouring `fields`.
fn tushare(s: &Seen) -> Reply {
    let body: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
    let api = body["api_name"].as_str().unwrap_or_default();
    let n = figure(s, "ts");
    let code = body["params"]["ts_code"].as_str().map(str::to_string).unwrap_or_else(|| ["600000.SH", "000001.SZ", "300750.SZ", "601318.SH"][(n % 4) as usize].to_string());
    let all = ["ts_code", "trade_date", "open", "close", "vol", "name", "industry"];
    let rows: Vec<Vec<Value>> = (0..1 + n % 5)
        .map(|i| {
            let k = n.wrapping_mul(2654435761).wrapping_add(i * 40503);
            vec![
                json!(code),
                json!(format!("202401{:02}", 2 + i)),
                json!(f64::from(500 + k % 5000) / 100.0),
                json!(f64::from(500 + (k >> 7) % 5000) / 100.0),
                json!(k % 100000),
                json!(format!("Company {}", k % 97)),
                json!(["Bank", "Chemicals", "Autos", "Insurance"][(k % 4) as usize]),
            ]
        })
        .collect();
    let (fields, items) = dive_integration_tests::tushare_table(&body, &all, &rows);
    let data = json!({
        "fields": fields,
        "items": items,
        "has_more": false,
    });
    Reply::json(200, &json!({"request_id": format!("r{n}"), "code": 0, "msg": if api.is_empty() { "no api" } else { "" }, "data": data}))
}

/// Every domain gets questions in words: against loopback imitations of its services,
/// the academic, medical and financial builds hold no tool name, step, backtick, path or
/// field identifier, end with "?", and never contain their answer; ten questions of each
/// are printed (`--nocapture`) for the README.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_domain_gets_questions_in_words() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let specs = tool_specs(h).await;
    let mut identifiers = std::collections::BTreeSet::new();
    for t in &specs {
        property_names(&t["input_schema"], &mut identifiers);
        property_names(&t["output_schema"], &mut identifiers);
    }
    identifiers.retain(|n| identifier_shaped(n));
    let names: Vec<&str> = specs.iter().map(|t| t["name"].as_str().unwrap()).filter(|n| n.contains('_')).collect();
    type Handler = fn(&Seen) -> Reply;
    let domains: [(&str, Vec<(&str, Handler)>); 3] = [
        ("medical", vec![("https://rxnav.nlm.nih.gov", medical as Handler), ("https://clinicaltables.nlm.nih.gov", medical)]),
        ("academic", vec![("https://api.semanticscholar.org", semantic_scholar as Handler), ("https://api.openalex.org", openalex), ("https://api.crossref.org", crossref)]),
        ("financial", vec![("https://api.tushare.pro", tushare as Handler)]),
    ];
    for (domain, services) in domains {
        let mut fixtures = Vec::new();
        let mut args: Vec<String> = vec!["--store".into(), "s".into(), "--allow-private-network".into()];
        for (origin, handler) in services {
            let fx = Fixture::start(handler).await;
            args.extend(["--upstream".to_string(), format!("{origin}={}", fx.url())]);
            fixtures.push(fx);
        }
        args.extend(["synth", "--domain", domain, "--count", "12", "--seed", "3", "--out", domain].map(String::from));
        let env = [("TUSHARE_TOKEN", "test-token"), ("SEMANTIC_SCHOLAR_API_KEY", "test-key")];
        ok(&dive(h, &args.iter().map(String::as_str).collect::<Vec<_>>(), &env).await, domain);
        let ts = tasks(&h.join(domain).join("tasks.jsonl"));
        assert_eq!(ts.len(), 12, "{domain}");
        println!("\n{domain}:");
        for t in &ts {
            let q = t["question"].as_str().unwrap();
            let truth = t["ground_truth"].as_str().unwrap();
            assert!(q.ends_with('?') && !q.contains('`'), "{q}");
            // Dates feeding dates once made questions of 200 words (MAX_QUESTION_WORDS).
            assert!(q.split_whitespace().count() <= 60, "{domain}: a question of {} words: {q}", q.split_whitespace().count());
            assert!(!q.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w == "step"), "{q}");
            assert!(q.contains(t["seed"].as_str().unwrap()), "{q}");
            for name in names.iter().chain(identifiers.iter().map(String::as_str).collect::<Vec<_>>().iter()) {
                assert!(!contains_token(q, name), "{domain}: names {name}: {q}");
            }
            assert!(truth.trim().chars().count() >= 2 || truth.trim().parse::<f64>().is_ok(), "{domain}: {truth:?} for {q}");
            assert!(!contains_token(q, truth), "{domain}: {q} => {truth}");
        }
        for t in ts.iter().take(10) {
            println!("- {} → {}", t["question"].as_str().unwrap(), t["ground_truth"].as_str().unwrap());
        }
        let r = dive(h, &["--store", "s", "--json", "reverify", &format!("{domain}/tasks.jsonl")], &[]).await;
        ok(&r, "reverify");
        assert_eq!(r.json()["holds"], json!(12), "{domain}");
    }
}

/// Two live builds whose upstreams give the same answers with different headers (a
/// request id, as real services send, and `date`) derive the same tasks: the derivation
/// breaks ties by the evidence without response headers, not by the trace id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_builds_from_the_same_answers_derive_the_same_tasks() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let served = Arc::new(AtomicU64::new(0));
    #[allow(clippy::type_complexity)]
    let services: [(&str, fn(&Seen) -> Reply); 3] =
        [("https://api.semanticscholar.org", semantic_scholar), ("https://api.openalex.org", openalex), ("https://api.crossref.org", crossref)];
    // Each build gets its own imitations (other ports), as two runs on two days would.
    let mut fixtures = Vec::new();
    let mut upstreams: Vec<Vec<String>> = Vec::new();
    for _ in 0..2 {
        let mut these = Vec::new();
        for (origin, handler) in services {
            let served = served.clone();
            let fx = Fixture::start(move |s: &Seen| {
                let mut reply = handler(s);
                reply.headers.push(("x-request-id".into(), served.fetch_add(1, Ordering::Relaxed).to_string()));
                reply
            })
            .await;
            these.extend(["--upstream".to_string(), format!("{origin}={}", fx.url())]);
            fixtures.push(fx);
        }
        upstreams.push(these);
    }
    let build = |n: &str| {
        let mut args: Vec<String> = vec!["--store".into(), format!("store-{n}"), "--allow-private-network".into()];
        args.extend(upstreams[usize::from(n == "two")].iter().cloned());
        args.extend(["synth", "--domain", "academic", "--count", "12", "--seed", "3", "--out", n].map(String::from));
        args
    };
    let env = [("SEMANTIC_SCHOLAR_API_KEY", "test-key-0123")];
    // What a task is without the ids that name its trace (which hash the headers too).
    let derived = |dir: &str| -> Vec<Value> {
        tasks(&h.join(dir).join("tasks.jsonl"))
            .into_iter()
            .map(|mut t| {
                let o = t.as_object_mut().unwrap();
                for key in ["uuid", "trace"] {
                    o.remove(key);
                }
                o["evidence"].as_object_mut().unwrap().remove("trace");
                t
            })
            .collect()
    };
    let traces = |dir: &str| -> Vec<String> { tasks(&h.join(dir).join("tasks.jsonl")).iter().map(|t| t["trace"].as_str().unwrap().to_string()).collect() };
    for n in ["one", "two"] {
        let args = build(n);
        ok(&dive(h, &args.iter().map(String::as_str).collect::<Vec<_>>(), &env).await, n);
    }
    let (one, two) = (derived("one"), derived("two"));
    assert_eq!(one.len(), 12);
    assert!(traces("one").iter().zip(traces("two")).all(|(a, b)| *a != b), "the headers differed, so every trace did");
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a, b, "the same answers give the same task");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_whose_upstream_is_unreachable_stops_early_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // Every academic origin sent to a closed loopback port: each request is refused.
    let closed = ["https://export.arxiv.org", "https://api.openalex.org", "https://api.crossref.org", "https://api.semanticscholar.org"]
        .map(|o| format!("{o}=http://127.0.0.1:1"))
        .join(",");
    let r = dive(
        h,
        &["--allow-private-network", "--store", "s", "synth", "--domain", "academic", "--count", "50", "--out", "o"],
        &[("DIVE_UPSTREAM", closed.as_str())],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("none was answered") && r.stderr.contains("refused the connection"), "{}", r.stderr);
    // It stopped after a dozen or so calls, not after sampling 50 tasks' worth.
    let traces = walk_files(&h.join("s/traces"));
    assert!(traces < 40, "{traces} trace files");
    // Progress goes to stderr as plain lines when it is not a terminal.
    let r = dive(h, &["--store", "s", "synth", "--domain", "biological", "--local-only", "--count", "3", "--out", "ok"], &[]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("synth: 3/3 tasks, 0 failed calls"), "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "no terminal control codes: {:?}", r.stderr);
}

fn walk_files(d: &std::path::Path) -> usize {
    std::fs::read_dir(d)
        .map(|rd| rd.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { walk_files(&p) } else { 1 }).sum())
        .unwrap_or(0)
}
