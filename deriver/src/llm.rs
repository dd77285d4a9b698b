//! The LLM evidence policy: a model speaking the OpenAI-compatible chat-completions
//! tool-calling protocol chooses the calls; dive runs them in the sandbox and answers
//! with their results. The endpoint, model and key come from configuration/secrets.

use crate::evidence::ToolInfo;
use crate::sample::Seed;
use dive_runtime::exchange::{HttpExchange, HttpOutcome, RequestRecord, ResponseRecord};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct LlmConfig {
    /// e.g. https://api.openai.com/v1 (the path /chat/completions is added).
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig").field("base_url", &self.base_url).field("model", &self.model).field("api_key", &self.api_key.as_ref().map(|_| "<set>")).finish()
    }
}

impl LlmConfig {
    /// The key as the Authorization header. The same secret serves browse, which needs
    /// the whole header value: "Bearer sk-..." is accepted as well as a bare key. The
    /// key is never recorded.
    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            None => req,
            Some(k) => match k.split_once(' ') {
                Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => req.header(reqwest::header::AUTHORIZATION, k.as_str()),
                _ => req.bearer_auth(k),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM endpoint {url} could not be reached: {message}")]
    Unreachable { url: String, message: String },
    #[error("the LLM endpoint {url} answered HTTP {status}: {body}")]
    Status { url: String, status: u16, body: String },
    #[error("the LLM endpoint {url} answered something that is not a chat completion ({message}): {body}")]
    Malformed { url: String, message: String, body: String },
    #[error("the model sent {count} malformed tool calls in a row; last: {last}")]
    TooManyMalformed { count: usize, last: String },
    #[error("the LLM endpoint {url} answered more than {limit} bytes; a chat completion is far smaller: check --llm-base-url")]
    TooLarge { url: String, limit: usize },
    #[error("the recorded model conversation has no answer for request {number} to {url} ({why}); the run's settings or toolset changed since it was recorded: rebuild without --replay")]
    NotRecorded { url: String, number: usize, why: &'static str },
}

/// A tool call the model asked for. `args` is Err with a message when the model's
/// arguments were not a JSON object.
#[derive(Debug, Clone)]
pub struct WantedCall {
    pub id: String,
    pub tool: String,
    pub args: Result<Value, String>,
}

/// The LLM evidence policy's conversation with the model.
pub struct LlmSession<'m> {
    model: &'m mut ModelClient,
    tools: Vec<Value>,
    messages: Vec<Value>,
    malformed_in_a_row: usize,
}

/// One task's connection to the model: the endpoint, or the recording of an earlier run
/// (`--replay`), and every exchange so far — the task trace's `model` evidence.
pub struct ModelClient {
    config: LlmConfig,
    source: ModelSource,
    exchanges: Vec<HttpExchange>,
}

/// Where the model's answers come from.
enum ModelSource {
    /// The endpoint, over HTTP.
    Live(reqwest::Client),
    /// A recorded conversation, answered in order (`--replay`): the model is never called.
    Recorded(VecDeque<HttpExchange>),
}

/// The start of a model's answer, for an error message.
fn snippet(s: &str) -> String {
    dive_runtime::untrusted::snippet(s.trim(), 300)
}

fn client(timeout: Duration) -> reqwest::Client {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder().use_preconfigured_tls(tls).timeout(timeout).build().expect("an HTTP client builds")
}

impl ModelClient {
    /// Ask the endpoint.
    pub fn live(config: LlmConfig) -> ModelClient {
        ModelClient { source: ModelSource::Live(client(config.timeout)), config, exchanges: Vec::new() }
    }

    /// Answer from a recorded conversation (the `model` exchanges of the task's trace)
    /// instead of the endpoint: each request must be the recorded one, in order.
    pub fn replaying(config: LlmConfig, recorded: Vec<HttpExchange>) -> ModelClient {
        ModelClient { source: ModelSource::Recorded(recorded.into()), config, exchanges: Vec::new() }
    }

    /// The exchanges with the model so far (to record in the trace), leaving none.
    pub fn take_exchanges(&mut self) -> Vec<HttpExchange> {
        std::mem::take(&mut self.exchanges)
    }

    /// The model's name (what requests ask for).
    pub fn model(&self) -> &str {
        &self.config.model
    }

    fn url(&self) -> String {
        format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'))
    }

    /// One chat completion: the message the model answered `body` with.
    pub async fn complete(&mut self, body: &Value) -> Result<Value, LlmError> {
        let url = self.url();
        let (status, text) = self.exchange(&url, serde_json::to_vec(body).expect("a request body serializes")).await?;
        if !(200..300).contains(&status) {
            return Err(LlmError::Status { url, status, body: snippet(&text) });
        }
        let malformed = |message: &str| LlmError::Malformed { url: url.clone(), message: message.to_string(), body: snippet(&text) };
        let v: Value = serde_json::from_str(&text).map_err(|e| malformed(&format!("not JSON: {e}")))?;
        v.pointer("/choices/0/message").cloned().ok_or_else(|| malformed("no choices[0].message"))
    }

    /// One request to the model: (status, body), from the endpoint or the recording.
    async fn exchange(&mut self, url: &str, body: Vec<u8>) -> Result<(u16, String), LlmError> {
        let request = RequestRecord {
            method: "POST".into(),
            url: url.to_string(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        };
        let number = self.exchanges.len() + 1;
        let answered = match &mut self.source {
            ModelSource::Live(client) => {
                let resp = self.config.authorize(client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(request.body.clone())).send().await;
                let resp = resp.map_err(|e| LlmError::Unreachable { url: url.to_string(), message: cause(e) })?;
                let status = resp.status().as_u16();
                let text = read_bounded(resp, url).await?;
                HttpExchange { request, outcome: HttpOutcome::Response(ResponseRecord { status, headers: vec![], body: text.into() }) }
            }
            ModelSource::Recorded(queue) => match queue.pop_front() {
                Some(recorded) if recorded.request.same_request(&request) => recorded,
                Some(_) => return Err(LlmError::NotRecorded { url: url.to_string(), number, why: "the recorded request differs" }),
                None => return Err(LlmError::NotRecorded { url: url.to_string(), number, why: "the recording ends before it" }),
            },
        };
        let out = match &answered.outcome {
            HttpOutcome::Response(r) => Ok((r.status, String::from_utf8_lossy(&r.body).into_owned())),
            HttpOutcome::Failed { message, .. } => Err(LlmError::Unreachable { url: url.to_string(), message: message.clone() }),
        };
        self.exchanges.push(answered);
        out
    }
}

impl<'m> LlmSession<'m> {
    pub fn new(model: &'m mut ModelClient, tools: &[&ToolInfo], seed: &Seed, domain: &str) -> LlmSession<'m> {
        let specs = tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}))
            .collect();
        let seed_text = seed.text();
        let system = format!(
            "You gather evidence for {domain} research questions by calling tools. Start from the given seed, \
             call tools whose inputs you can fill from the seed or from earlier results, and chain results into \
             further calls. Prefer tools you have not used yet. Call tools only; do not answer in prose."
        );
        LlmSession {
            model,
            tools: specs,
            messages: vec![json!({"role": "system", "content": system}), json!({"role": "user", "content": format!("Seed ({}): {seed_text}", seed.sem_type)})],
            malformed_in_a_row: 0,
        }
    }

    pub fn start_round(&mut self, round: usize) {
        if round > 0 {
            self.messages.push(json!({"role": "user", "content": format!("Round {}: go further from what the last round found (new tools, results of results).", round + 1)}));
        }
    }

    /// Ask the model for its next calls (empty: it is done).
    pub async fn next_calls(&mut self) -> Result<Vec<WantedCall>, LlmError> {
        let body = json!({"model": self.model.model(), "messages": self.messages, "tools": self.tools, "tool_choice": "auto", "temperature": 0});
        let message = self.model.complete(&body).await?;
        let calls = match message.get("tool_calls") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(LlmError::Malformed { url: self.model.url(), message: "tool_calls is not a list".into(), body: snippet(&message.to_string()) }),
        };
        self.messages.push(message);
        let mut out = Vec::new();
        for (i, c) in calls.iter().enumerate() {
            let id = c.get("id").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("call_{i}"));
            let Some(name) = c.pointer("/function/name").and_then(Value::as_str) else {
                self.malformed_in_a_row += 1;
                self.tool_result(&id, &json!({"error": "a tool call needs function.name"}));
                continue;
            };
            let raw = c.pointer("/function/arguments").cloned().unwrap_or(Value::String("{}".into()));
            let args = match raw {
                Value::String(s) => match serde_json::from_str::<Value>(&s) {
                    Ok(v) if v.is_object() => Ok(v),
                    Ok(_) => Err("the arguments must be a JSON object".to_string()),
                    Err(e) => Err(format!("the arguments are not JSON: {e}")),
                },
                v @ Value::Object(_) => Ok(v),
                _ => Err("the arguments must be a JSON object".to_string()),
            };
            if let Err(m) = &args {
                self.malformed_in_a_row += 1;
                if self.malformed_in_a_row >= 5 {
                    return Err(LlmError::TooManyMalformed { count: self.malformed_in_a_row, last: m.clone() });
                }
            } else {
                self.malformed_in_a_row = 0;
            }
            out.push(WantedCall { id, tool: name.to_string(), args });
        }
        Ok(out)
    }

    /// Give the model the result of one of its calls.
    pub fn tool_result(&mut self, id: &str, result: &Value) {
        self.messages.push(json!({"role": "tool", "tool_call_id": id, "content": result.to_string()}));
    }
}

/// The most of a model's answer dive reads (and records as evidence).
pub const MAX_ANSWER_BYTES: usize = 8 << 20;

/// A model's answer, read chunk by chunk up to [`MAX_ANSWER_BYTES`].
async fn read_bounded(mut resp: reqwest::Response, url: &str) -> Result<Vec<u8>, LlmError> {
    let too_large = || LlmError::TooLarge { url: url.to_string(), limit: MAX_ANSWER_BYTES };
    if resp.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| LlmError::Unreachable { url: url.to_string(), message: cause(e) })? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What went wrong with a request, without the URL the error already names (reqwest puts
/// it in its message), down to the root cause: "error sending request: connection refused".
fn cause(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
