//! HTTP for tools, over wasi:http. The host checks every request against the package's
//! policy; secrets are added by the host, never by the tool.
//!
//! The client speaks wasi:http directly with as few host calls as a request needs (a
//! GET never opens a body; headers go in one list) and waits through wstd's reactor, so
//! requests awaited together (e.g. with a join) are in flight together.
//!
//! Requests that answer 429 or 5xx are retried with backoff (each attempt is a real,
//! recorded request).

use crate::ToolError;
use serde::de::DeserializeOwned;
use std::time::Duration;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{OutputStream, StreamError};
use wstd::runtime::AsyncPollable;

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// Header name/value pairs in the order received; values that are not UTF-8 are
    /// decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The whole body, as received (secrets already scrubbed by the host).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text; bytes that are not UTF-8 become U+FFFD.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the status is 2xx.
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
        let resp = send_once(method, url, headers, body.as_deref()).await?;
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

/// The parts of an absolute http(s) URL that wasi:http takes separately.
fn split_url(url: &str) -> Result<(Scheme, &str, &str), ToolError> {
    let bad = || ToolError::internal(format!("cannot request {url}: not an absolute http(s) URL"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return Err(bad()),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err(bad());
    }
    // The fragment stays with the client.
    let path = path.split('#').next().unwrap_or_default();
    Ok((scheme, authority, path))
}

fn method_of(method: &str) -> Method {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        _ => Method::Other(method.to_string()),
    }
}

/// What went wrong, as the guest sees it, for an error message.
fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => "the host's sandbox refused the request".to_string(),
        ErrorCode::InternalError(Some(m)) => m.clone(),
        ErrorCode::DnsError(p) => match &p.rcode {
            Some(rcode) => format!("the host name could not be resolved (DNS: {rcode})"),
            None => "the host name could not be resolved (DNS)".to_string(),
        },
        ErrorCode::DnsTimeout => "resolving the host name timed out (DNS)".to_string(),
        ErrorCode::DestinationNotFound => "the host was not found".to_string(),
        ErrorCode::DestinationUnavailable => "the host is unavailable".to_string(),
        ErrorCode::DestinationIpProhibited => "the host's address is not allowed (a private or loopback address)".to_string(),
        ErrorCode::DestinationIpUnroutable => "the host's address cannot be reached".to_string(),
        ErrorCode::ConnectionRefused => "the connection was refused".to_string(),
        ErrorCode::ConnectionTerminated => "the connection was closed before the answer came".to_string(),
        ErrorCode::ConnectionTimeout => "connecting timed out".to_string(),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => "the answer did not come in time".to_string(),
        ErrorCode::TlsProtocolError => "the TLS handshake failed".to_string(),
        ErrorCode::TlsCertificateError => "the server's TLS certificate was not accepted".to_string(),
        ErrorCode::TlsAlertReceived(a) => format!("the server ended TLS with an alert ({})", a.alert_message.as_deref().unwrap_or("no message")),
        ErrorCode::HttpResponseBodySize(_) => "the answer is larger than the sandbox allows (max_response_bytes)".to_string(),
        other => words(&format!("{other:?}")),
    }
}

/// A variant's Debug name in words: `HttpProtocolError` -> "http protocol error".
fn words(debug: &str) -> String {
    let name = debug.split(['(', ' ']).next().unwrap_or(debug);
    let name = name.rsplit("::").next().unwrap_or(name);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Until `pollable` is ready, letting other futures of the call run.
async fn ready(pollable: Pollable) {
    AsyncPollable::new(pollable).wait_for().await
}

async fn send_once(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Result<Response, ToolError> {
    let (scheme, authority, path) = split_url(url)?;
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&entries)
        .map_err(|e| ToolError::internal(format!("cannot send these headers to {url}: {e:?}")))?;
    let request = OutgoingRequest::new(fields);
    let refused = |what: &str| ToolError::internal(format!("cannot build the request for {url}: bad {what}"));
    request.set_method(&method_of(method)).map_err(|_| refused("method"))?;
    request.set_scheme(Some(&scheme)).map_err(|_| refused("scheme"))?;
    request.set_authority(Some(authority)).map_err(|_| refused("host"))?;
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    request.set_path_with_query(Some(&path)).map_err(|_| refused("path"))?;
    let outgoing = match body {
        Some(_) => Some(request.body().map_err(|_| refused("body"))?),
        None => None,
    };
    let failed = |e: &ErrorCode| ToolError::upstream(format!("request to {url} failed: {}", describe(e)));
    let pending = outgoing_handler::handle(request, None).map_err(|e| failed(&e))?;
    if let (Some(outgoing), Some(bytes)) = (outgoing, body) {
        let stream = outgoing.write().map_err(|_| refused("body"))?;
        write_all(&stream, bytes).await.map_err(|e| ToolError::upstream(format!("sending the body to {url} failed: {e}")))?;
        drop(stream);
        OutgoingBody::finish(outgoing, None).map_err(|e| failed(&e))?;
    }
    ready(pending.subscribe()).await;
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(failed(&e)),
        Some(Err(())) | None => return Err(ToolError::internal(format!("the answer from {url} was lost"))),
    };
    read_response(response).await.map_err(|e| ToolError::upstream(format!("reading the response from {url} failed: {e}")))
}

/// Write `bytes` as fast as the host takes them, then flush.
async fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), String> {
    let error = |e: StreamError| match e {
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
        StreamError::Closed => "the host closed the body".to_string(),
    };
    while !bytes.is_empty() {
        let room = stream.check_write().map_err(error)? as usize;
        if room == 0 {
            ready(stream.subscribe()).await;
            continue;
        }
        let n = room.min(bytes.len());
        stream.write(&bytes[..n]).map_err(error)?;
        bytes = &bytes[n..];
    }
    stream.flush().map_err(error)?;
    ready(stream.subscribe()).await;
    stream.check_write().map(|_| ()).map_err(error)
}

async fn read_response(response: IncomingResponse) -> Result<Response, String> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let body = response.consume().map_err(|_| "the body was already taken".to_string())?;
    let mut bytes = Vec::new();
    {
        let stream = body.stream().map_err(|_| "the body stream was already taken".to_string())?;
        loop {
            match stream.read(1 << 20) {
                Ok(chunk) if chunk.is_empty() => ready(stream.subscribe()).await,
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
            }
        }
    }
    let _trailers = IncomingBody::finish(body);
    Ok(Response { status, headers, body: bytes })
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
