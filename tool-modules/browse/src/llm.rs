//! The optional language-model answer: one OpenAI-compatible chat-completions request to
//! the logical origin `https://llm.dive.invalid` (declared first in dive-tool.toml's
//! network list, so it is the exactly-named origin the host gives the secrets to).
//!
//! The guest never learns whether a model is configured, nor its key or name. It always
//! asks `https://llm.dive.invalid/chat/completions`, and the host decides what happens:
//! - the user mapped the origin (`--upstream https://llm.dive.invalid=https://api.openai.com/v1`):
//!   the request goes to `BASE/chat/completions`, with the secret `DIVE_LLM_API_KEY` (when
//!   set) added as the whole `authorization` header and `{{DIVE_LLM_MODEL}}` in the body
//!   replaced by the secret `DIVE_LLM_MODEL` (both secrets go only to this exactly-named
//!   origin, never to the pages read under `*`);
//! - not mapped: `.invalid` names are reserved (RFC 2606), so the host fails the request
//!   at once with a network error ("... is not configured"), no lookup made.
//!
//! Without `DIVE_LLM_MODEL` the placeholder is sent as written; a server that serves one
//! model and ignores the field still answers, one that needs the name refuses it, and
//! that refusal comes back as a note. Any failure leaves browse with its lexical answer.

use crate::rank::Passage;
use dive_tool_sdk::http;
use serde_json::{json, Value};

/// Where the chat completion is asked for (`--upstream` keeps the base URL's path).
pub const ENDPOINT: &str = "https://llm.dive.invalid/chat/completions";
/// Replaced by the host with the secret DIVE_LLM_MODEL.
pub const MODEL_PLACEHOLDER: &str = "{{DIVE_LLM_MODEL}}";
/// Characters of page text sent to the model at most.
pub const PAGE_BUDGET: usize = 24_000;

const SYSTEM: &str = "You answer one question using only the text of one web page, which the user \
message gives. Do not use anything you know from elsewhere. If the page does not answer the \
question, say that it does not. Keep the answer short and support it by quoting the page's own \
words (name the section heading when there is one).";

/// What became of the request.
#[derive(Debug, PartialEq)]
pub enum Reply {
    /// The model's answer.
    Answer(String),
    /// The host has no endpoint for the logical origin: answer lexically, nothing to report.
    NotConfigured,
    /// The endpoint was configured but gave no answer; why, in words.
    Failed(String),
}

/// The page text the model reads: all of it when it fits the budget; otherwise the best
/// passages first, then the start of the page up to the budget.
pub fn page_context(full: &str, best: &[&Passage]) -> String {
    if full.chars().count() <= PAGE_BUDGET {
        return full.to_string();
    }
    let mut out = String::from("(The page is long. First the passages that best match the question, then the start of the page.)\n\n");
    for p in best {
        if let Some(s) = &p.section {
            out.push_str(&format!("[{s}]\n"));
        }
        out.push_str(&p.text);
        out.push_str("\n\n");
    }
    out.push_str("--- Start of the page ---\n");
    let room = PAGE_BUDGET.saturating_sub(out.chars().count());
    let start: String = full.chars().take(room).collect();
    out.push_str(&start);
    out
}

/// The chat-completions request body.
pub fn request_body(question: &str, title: Option<&str>, url: &str, context: &str) -> Value {
    let mut user = format!("Question: {question}\n\nPage address: {url}\n");
    if let Some(t) = title {
        user.push_str(&format!("Page title: {t}\n"));
    }
    user.push_str("\nPage text:\n");
    user.push_str(context);
    json!({
        "model": MODEL_PLACEHOLDER,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user},
        ],
        "temperature": 0,
    })
}

/// Send the request (the SDK retries 429/5xx as for every request, nothing more).
pub async fn ask(body: &Value) -> Reply {
    let resp = match http::send(
        "POST",
        ENDPOINT,
        &[("content-type", "application/json"), ("accept", "application/json")],
        Some(body.to_string().into_bytes()),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let m = e.to_string();
            // The host's fixed message for an unmapped reserved name.
            return if m.contains("is not configured") {
                Reply::NotConfigured
            } else {
                Reply::Failed(format!("the language model endpoint could not be reached: {m}"))
            };
        }
    };
    if !resp.is_success() {
        let msg = error_message(&resp.body);
        let hint = match resp.status {
            401 | 403 => " (check DIVE_LLM_API_KEY: it is sent as the whole Authorization header, e.g. \"Bearer sk-...\")",
            _ if msg.contains(MODEL_PLACEHOLDER) => " (set the secret DIVE_LLM_MODEL to the model's name)",
            _ => "",
        };
        return Reply::Failed(format!("the language model endpoint answered HTTP {}: {msg}{hint}", resp.status));
    }
    match completion_text(&resp.body) {
        Ok(a) => Reply::Answer(a),
        Err(m) => Reply::Failed(format!("the language model endpoint gave no usable answer: {m}")),
    }
}

/// The text of the first choice of a chat completion.
pub fn completion_text(body: &[u8]) -> Result<String, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not JSON ({e}): {}", http::snippet(body)))?;
    if v.get("error").is_some_and(|e| !e.is_null()) {
        return Err(error_message(body));
    }
    let msg = &v["choices"][0]["message"];
    let text = match &msg["content"] {
        Value::String(s) => s.clone(),
        // Content given as parts: keep the text parts.
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(""),
        _ => String::new(),
    };
    let text = text.trim();
    if !text.is_empty() {
        return Ok(text.to_string());
    }
    if let Some(r) = msg["refusal"].as_str().filter(|r| !r.trim().is_empty()) {
        return Err(format!("the model declined: {}", r.trim()));
    }
    if msg.is_object() {
        return Err("the completion's message has no text".into());
    }
    Err(format!("not a chat completion (no choices[0].message): {}", http::snippet(body)))
}

/// The service's own message from an error body (OpenAI `{"error": {"message"}}`, or
/// `{"error": "..."}`, `{"message"}`, `{"detail"}`), else the start of the body.
pub fn error_message(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let found = [&v["error"]["message"], &v["error"], &v["message"], &v["detail"]]
        .into_iter()
        .find_map(|x| x.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string));
    match found {
        Some(m) => m,
        None if body.iter().all(u8::is_ascii_whitespace) => "(empty body)".into(),
        None => http::snippet(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_and_error_shapes() {
        let ok = br#"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":" It opened in 1937. "},"finish_reason":"stop"}]}"#;
        assert_eq!(completion_text(ok).unwrap(), "It opened in 1937.");
        let parts = br#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#;
        assert_eq!(completion_text(parts).unwrap(), "ab");
        assert!(completion_text(b"<html>oops</html>").unwrap_err().contains("not JSON"));
        assert!(completion_text(br#"{"choices":[]}"#).unwrap_err().contains("not a chat completion"));
        assert!(completion_text(br#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#).unwrap_err().contains("declined"));
        assert_eq!(completion_text(br#"{"error":{"message":"overloaded"}}"#).unwrap_err(), "overloaded");
        assert_eq!(error_message(br#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#), "bad key");
        assert_eq!(error_message(br#"{"object":"error","message":"no model"}"#), "no model");
        assert_eq!(error_message(br#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(b"  "), "(empty body)");
    }

    #[test]
    fn long_pages_send_the_best_passages_first_within_budget() {
        let p = Passage { index: 7, section: Some("Facts".into()), text: "needle here".into() };
        assert_eq!(page_context("short page", &[&p]), "short page");
        let long = "x".repeat(PAGE_BUDGET * 2);
        let c = page_context(&long, &[&p]);
        assert!(c.chars().count() <= PAGE_BUDGET);
        assert!(c.find("[Facts]\nneedle here").unwrap() < c.find("--- Start of the page ---").unwrap());
        let b = request_body("When?", Some("T"), "https://e.org/", "ctx");
        assert_eq!(b["model"], MODEL_PLACEHOLDER);
        assert_eq!(b["temperature"], 0);
        assert!(b["messages"][1]["content"].as_str().unwrap().starts_with("Question: When?"));
    }
}
