//! HTTP for tools, over wasi:http (wstd). The host checks every request against the
//! package's policy; secrets are added by the host, never by the tool.
//!
//! Requests that answer 429 or 5xx are retried with backoff (each attempt is a real,
//! recorded request).

use crate::ToolError;
use serde::de::DeserializeOwned;
use std::time::Duration;
use wstd::http::{Body, Client, Method, Request};

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, or an `upstream` error quoting the start of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ToolError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ToolError::upstream(format!(
                "the service answered something that is not the expected JSON ({e}): {}",
                snippet(&self.body)
            ))
        })
    }

    /// Ok for 2xx; otherwise an `upstream` error with the status and the body's start.
    pub fn error_for_status(self) -> Result<Response, ToolError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(ToolError::upstream(format!("HTTP {}: {}", self.status, snippet(&self.body))))
        }
    }
}

/// The first 300 characters of a body, for error messages.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// How many times a request is tried when the service answers 429 or 5xx.
pub const MAX_ATTEMPTS: u32 = 3;

/// Percent-encode a query component (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `base?k=v&...` with each key and value percent-encoded.
pub fn url_with_query(base: &str, params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return base.to_string();
    }
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", q.join("&"))
}

/// Send one request (retrying 429/5xx) and read the whole response.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Result<Response, ToolError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let resp = send_once(method, url, headers, body.clone()).await?;
        let retryable = resp.status == 429 || (500..600).contains(&resp.status);
        if !retryable || attempt >= MAX_ATTEMPTS {
            return Ok(resp);
        }
        let wait = resp
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(5)))
            .unwrap_or(Duration::from_millis(250 << (attempt - 1)));
        wstd::task::sleep(wait.into()).await;
    }
}

async fn send_once(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Result<Response, ToolError> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| ToolError::internal(format!("bad HTTP method {method}")))?;
    let mut builder = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder
        .body(match body {
            Some(b) => Body::from(b),
            None => Body::empty(),
        })
        .map_err(|e| ToolError::internal(format!("cannot build the request for {url}: {e}")))?;
    let response = Client::new()
        .send(request)
        .await
        .map_err(|e| ToolError::upstream(format!("request to {url} failed: {e:#}")))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut body = response.into_body();
    let bytes = body
        .contents()
        .await
        .map_err(|e| ToolError::upstream(format!("reading the response from {url} failed: {e:#}")))?
        .to_vec();
    Ok(Response {
        status,
        headers,
        body: bytes,
    })
}

/// GET a URL.
pub async fn get(url: &str) -> Result<Response, ToolError> {
    send("GET", url, &[], None).await
}

/// GET a URL and decode its JSON body (non-2xx is an `upstream` error).
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ToolError> {
    get(url).await?.error_for_status()?.json()
}

/// POST a JSON body and decode the JSON answer (non-2xx is an `upstream` error).
pub async fn post_json<T: DeserializeOwned>(url: &str, body: &serde_json::Value) -> Result<T, ToolError> {
    send(
        "POST",
        url,
        &[("content-type", "application/json")],
        Some(body.to_string().into_bytes()),
    )
    .await?
    .error_for_status()?
    .json()
}
