//! `browse` with its optional language model: a loopback imitation of an OpenAI-compatible
//! chat-completions server, mapped over the logical origin `https://llm.dive.invalid`
//! (`--upstream https://llm.dive.invalid=http://127.0.0.1:PORT/v1`), next to a loopback
//! web site. Checks what the model server receives (model name and key from the host's
//! secrets, the page text), that secrets reach only that origin and never the trace or the
//! output, the fallback to the lexical passages when no endpoint is mapped, and the notes
//! when the endpoint errs or answers something that is not a completion.

use dive_integration_tests::{builtin_pool_dir, Fixture, Reply, Seen};
use dive_runtime::exchange::HttpOutcome;
use dive_runtime::replay::ReplayTransport;
use dive_runtime::runtime::CallRecord;
use dive_runtime::{CallOptions, DeterminismConfig, NetworkConfig, Outcome, Runtime, RuntimeConfig, SecretSource};
use serde_json::{json, Value};
use std::sync::Arc;

const SITE: &str = "https://site.example.test";
const LLM: &str = "https://llm.dive.invalid";
const KEY: &str = "sk-test-llm-key-9c1e77";
const MODEL: &str = "gpt-test-mini";
const ANSWER: &str = "The bridge was completed in April 1937 (section \"Construction\": \"completed in April 1937\").";

const PAGE: &str = r##"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Golden Gate Bridge</title>
<script>var marker = "SCRIPT_MARKER";</script></head>
<body>
  <h1>Golden Gate Bridge</h1>
  <p>The Golden Gate Bridge is a suspension bridge spanning the Golden Gate strait.</p>
  <h2>Construction</h2>
  <p>Construction began on January 5, 1933. The bridge was completed in April 1937 and opened on May 27, 1937.</p>
  <h2>Design</h2>
  <p>Irving Morrow designed the Art Deco towers and chose the International Orange colour.</p>
</body></html>"##;

fn site(s: &Seen) -> Reply {
    if s.path_and_query.starts_with("/bridges/golden-gate") {
        Reply::text(200, "text/html; charset=utf-8", PAGE)
    } else if s.path_and_query == "/empty" {
        Reply::text(200, "text/html", "<html><head><title>Nothing</title></head><body></body></html>")
    } else {
        Reply::text(404, "text/plain", "no such page")
    }
}

fn openai_error(status: u16, message: &str, code: &str) -> Reply {
    Reply::json(status, &json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}}))
}

/// An OpenAI-compatible chat-completions server. The model name picks the behaviour.
fn chat(s: &Seen) -> Reply {
    if s.method != "POST" || s.path_and_query != "/v1/chat/completions" {
        return openai_error(404, &format!("Invalid URL ({} {})", s.method, s.path_and_query), "unknown_url");
    }
    let auth = s.header("authorization").unwrap_or_default().to_string();
    if auth.is_empty() {
        return openai_error(401, "You didn't provide an API key.", "missing_api_key");
    }
    if auth != format!("Bearer {KEY}") {
        // Echoes what it got, as careless servers do: the host must scrub it.
        return openai_error(401, &format!("Incorrect API key provided: {auth}"), "invalid_api_key");
    }
    let body: Value = match serde_json::from_slice(&s.body) {
        Ok(v) => v,
        Err(_) => return openai_error(400, "We could not parse the JSON body of your request.", "invalid_json"),
    };
    let model = body["model"].as_str().unwrap_or_default().to_string();
    match model.as_str() {
        MODEL => Reply::json(200, &json!({
            "id": "chatcmpl-test-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": MODEL,
            // A server that echoes the key somewhere: the host scrubs it before the guest.
            "system_fingerprint": format!("fp_{KEY}"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 212, "completion_tokens": 21, "total_tokens": 233}
        })),
        "broken-model" => Reply::json(500, &json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}})),
        "html-model" => Reply::text(200, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "no-choices-model" => Reply::json(200, &json!({"id": "chatcmpl-x", "object": "chat.completion", "model": "no-choices-model", "choices": []})),
        other => openai_error(404, &format!("The model `{other}` does not exist or you do not have access to it."), "model_not_found"),
    }
}

fn secrets(pairs: &[(&str, &str)]) -> SecretSource {
    SecretSource::none().with_values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn key_and(model: &str) -> SecretSource {
    secrets(&[("DIVE_LLM_API_KEY", &format!("Bearer {KEY}")), ("DIVE_LLM_MODEL", model)])
}

/// The site mapped, and the model endpoint too when `llm` is given (base URL with /v1).
fn network(site: &Fixture, llm: Option<&Fixture>) -> NetworkConfig {
    let mut upstreams = vec![dive_runtime::config::parse_upstream(&format!("{SITE}={}", site.url())).unwrap()];
    if let Some(l) = llm {
        upstreams.push(dive_runtime::config::parse_upstream(&format!("{LLM}={}/v1", l.url())).unwrap());
    }
    NetworkConfig { upstreams, allow_private: true, rates: vec![] }
}

async fn runtime(network: NetworkConfig, secrets: SecretSource) -> Runtime {
    let rt = Runtime::new(RuntimeConfig {
        builtin_sources: vec![builtin_pool_dir().join("browse")],
        network,
        secrets,
        engine: dive_integration_tests::test_engine(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(rt.load_issues().is_empty(), "{:?}", rt.load_issues());
    rt
}

fn opts() -> CallOptions {
    CallOptions::live(DeterminismConfig { seed: 0, clock_ns: 0 })
}

async fn browse(rt: &Runtime, url: &str, query: &str) -> CallRecord {
    rt.call("browse", &json!({"url": url, "query": query}).to_string(), &opts()).await.expect("the call runs")
}

fn ok(o: &Outcome) -> Value {
    match o {
        Outcome::Ok(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected success, got {other:?}"),
    }
}

/// Neither the key nor the configured model name appears anywhere in the call record.
fn assert_no_secret(rec: &CallRecord, also: &[&str]) {
    let all = format!("{rec:?}");
    for s in [KEY].iter().chain(also) {
        assert!(!all.contains(s), "'{s}' leaked into the call record: {all}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_asks_the_configured_model_with_the_host_secrets() {
    let site_f = Fixture::start(site).await;
    let llm_f = Fixture::start(chat).await;
    let rt = runtime(network(&site_f, Some(&llm_f)), key_and(MODEL)).await;
    // The placeholder text in the page address is not a secret slot: "*" gets no secrets.
    let page = format!("{SITE}/bridges/golden-gate?ref={{{{DIVE_LLM_MODEL}}}}");
    let rec = browse(&rt, &page, "When was the bridge completed?").await;
    let out = ok(&rec.outcome);

    // The page fetch carried no secret at all.
    let pages = site_f.seen();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].header("authorization"), None, "the key goes only to the model origin");
    assert!(!pages[0].path_and_query.contains(MODEL), "{}", pages[0].path_and_query);
    assert!(pages[0].path_and_query.contains("DIVE_LLM_MODEL"), "{}", pages[0].path_and_query);

    // The model server got one OpenAI-style request with the host's key and model name.
    let asked = llm_f.seen();
    assert_eq!(asked.len(), 1);
    let req = &asked[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path_and_query, "/v1/chat/completions", "the mapped base URL's path is kept");
    assert_eq!(req.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["model"], MODEL, "the placeholder was replaced by the secret");
    assert_eq!(body["temperature"], 0);
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["role"], "system");
    assert!(msgs[0]["content"].as_str().unwrap().contains("only the text of one web page"), "{}", msgs[0]);
    assert_eq!(msgs[1]["role"], "user");
    let user = msgs[1]["content"].as_str().unwrap();
    assert!(user.starts_with("Question: When was the bridge completed?"), "{user}");
    assert!(user.contains("Page title: Golden Gate Bridge"), "{user}");
    assert!(user.contains("## Construction\n\nConstruction began on January 5, 1933."), "the page text is sent: {user}");
    assert!(!user.contains("SCRIPT_MARKER"), "{user}");

    // The answer, and the lexical passages still.
    assert_eq!(out["answered_by"], "llm");
    assert_eq!(out["answer"], ANSWER);
    assert_eq!(out["method"], "bm25");
    assert_eq!(out["passages"][0]["section"], "Construction");
    assert!(out.get("note").is_none(), "{out}");

    // The trace has the logical request with the placeholder, no key, no model name.
    assert_eq!(rec.exchanges.len(), 2);
    let x = &rec.exchanges[1];
    assert_eq!(x.request.url, format!("{LLM}/chat/completions"));
    assert!(String::from_utf8_lossy(&x.request.body).contains("\"model\":\"{{DIVE_LLM_MODEL}}\""));
    assert!(x.request.headers.iter().all(|(k, _)| !k.eq_ignore_ascii_case("authorization")), "{:?}", x.request.headers);
    match &x.outcome {
        HttpOutcome::Response(r) => {
            let b = String::from_utf8_lossy(&r.body);
            assert!(b.contains("fp_[secret DIVE_LLM_API_KEY]"), "the echoed key is scrubbed: {b}");
        }
        other => panic!("{other:?}"),
    }
    assert_no_secret(&rec, &[MODEL]);

    // Replayed offline from the record: the same result, no request to anyone.
    let mut o = opts();
    o.transport = Some(Arc::new(ReplayTransport::new(rec.exchanges.clone())));
    let again = rt.call("browse", &json!({"url": page, "query": "When was the bridge completed?"}).to_string(), &o).await.unwrap();
    assert_eq!(again.outcome, rec.outcome);
    assert_eq!((site_f.seen().len(), llm_f.seen().len()), (1, 1));

    // A page with no text: nothing to ask the model about.
    let rec = browse(&rt, &format!("{SITE}/empty"), "anything").await;
    let out = ok(&rec.outcome);
    assert_eq!(out["answered_by"], "passages");
    assert_eq!(llm_f.seen().len(), 1);
    assert_eq!(rec.exchanges.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_without_a_model_endpoint_answers_from_the_passages() {
    let site_f = Fixture::start(site).await;
    // Secrets set, but the logical model origin is not mapped.
    let rt = runtime(network(&site_f, None), key_and(MODEL)).await;
    let rec = browse(&rt, &format!("{SITE}/bridges/golden-gate"), "When was the bridge completed?").await;
    let out = ok(&rec.outcome);
    assert_eq!(out["answered_by"], "passages");
    assert!(out.get("answer").is_none(), "{out}");
    assert!(out.get("note").is_none(), "an unconfigured model is not worth a note: {out}");
    assert_eq!(out["passages"][0]["section"], "Construction");
    assert!(out["passages"][0]["text"].as_str().unwrap().contains("completed in April 1937"));

    // The one attempt failed on the host, at once, as a network error (not a violation).
    assert_eq!(rec.exchanges.len(), 2);
    assert_eq!(rec.exchanges[1].request.url, format!("{LLM}/chat/completions"));
    match &rec.exchanges[1].outcome {
        HttpOutcome::Failed { code, message } => {
            assert_eq!(code.as_str(), "dns-error");
            assert!(message.contains("https://llm.dive.invalid is not configured: map it with --upstream https://llm.dive.invalid=URL"), "{message}");
        }
        other => panic!("expected a network failure, got {other:?}"),
    }
    assert_no_secret(&rec, &[MODEL]);

    // The same with no secrets at all.
    let rt = runtime(network(&site_f, None), SecretSource::none()).await;
    let out = ok(&browse(&rt, &format!("{SITE}/bridges/golden-gate"), "Who designed the towers?").await.outcome);
    assert_eq!(out["answered_by"], "passages");
    assert_eq!(out["passages"][0]["section"], "Design");
}

/// One browse against a model server configured with `secrets`: the output, and what
/// the model server saw.
async fn with_model(secrets: SecretSource) -> (Value, Vec<Seen>, CallRecord) {
    let site_f = Fixture::start(site).await;
    let llm_f = Fixture::start(chat).await;
    let rt = runtime(network(&site_f, Some(&llm_f)), secrets).await;
    let rec = browse(&rt, &format!("{SITE}/bridges/golden-gate"), "When was the bridge completed?").await;
    let out = ok(&rec.outcome);
    // Whatever the model did, the lexical answer is there.
    assert_eq!(out["answered_by"], "passages", "{out}");
    assert!(out.get("answer").is_none(), "{out}");
    assert_eq!(out["passages"][0]["section"], "Construction", "{out}");
    (out, llm_f.seen(), rec)
}

fn note(out: &Value) -> String {
    out["note"].as_str().unwrap_or_else(|| panic!("expected a note: {out}")).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_falls_back_to_the_passages_with_a_note_when_the_model_errs() {
    // HTTP 500: retried as the SDK retries every request (3 attempts), then a note.
    let (out, seen, rec) = with_model(key_and("broken-model")).await;
    let n = note(&out);
    assert!(n.contains("answered HTTP 500") && n.contains("The server had an error while processing your request"), "{n}");
    assert_eq!(seen.len(), 3, "no retries beyond the SDK's 429/5xx policy");
    assert_no_secret(&rec, &[]);

    // 200 but not JSON.
    let (out, seen, _) = with_model(key_and("html-model")).await;
    let n = note(&out);
    assert!(n.contains("no usable answer") && n.contains("not JSON") && n.contains("502 Bad Gateway"), "{n}");
    assert_eq!(seen.len(), 1);

    // 200 JSON without choices.
    let (out, _, _) = with_model(key_and("no-choices-model")).await;
    assert!(note(&out).contains("not a chat completion"), "{out}");

    // An unknown model (the service's own message).
    // The configured model name is a host secret, so the host masks it in the reply too.
    let (out, _, _) = with_model(key_and("no-such-model")).await;
    let n = note(&out);
    assert!(n.contains("HTTP 404") && n.contains("The model `[secret DIVE_LLM_MODEL]` does not exist"), "{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_reports_missing_or_wrong_model_settings_in_the_note() {
    // No DIVE_LLM_MODEL: the placeholder is sent as written, the server refuses it.
    let (out, seen, rec) = with_model(secrets(&[("DIVE_LLM_API_KEY", &format!("Bearer {KEY}"))])).await;
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["model"], "{{DIVE_LLM_MODEL}}");
    let n = note(&out);
    assert!(n.contains("HTTP 404") && n.contains("does not exist") && n.contains("set the secret DIVE_LLM_MODEL"), "{n}");
    assert_no_secret(&rec, &[]);

    // No key: no Authorization header at all; the server's message and a hint.
    let (out, seen, _) = with_model(secrets(&[("DIVE_LLM_MODEL", MODEL)])).await;
    assert_eq!(seen[0].header("authorization"), None);
    let n = note(&out);
    assert!(n.contains("HTTP 401") && n.contains("You didn't provide an API key") && n.contains("DIVE_LLM_API_KEY"), "{n}");

    // A wrong key that the server echoes: scrubbed before the guest sees it.
    let wrong = "sk-wrong-key-5d2f";
    let (out, seen, rec) = with_model(secrets(&[("DIVE_LLM_API_KEY", wrong), ("DIVE_LLM_MODEL", MODEL)])).await;
    assert_eq!(seen[0].header("authorization"), Some(wrong));
    let n = note(&out);
    assert!(n.contains("Incorrect API key provided: [secret DIVE_LLM_API_KEY]"), "{n}");
    assert!(!n.contains(wrong) && !format!("{rec:?}").contains(wrong), "{n}");
}
