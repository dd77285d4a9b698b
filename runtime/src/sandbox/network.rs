//! The sandbox's network rule (ARCHITECTURE.md §4): the only way out of the sandbox is
//! wasi:http, whose outgoing handler (`outgoing.rs`) hands every request to
//! [`HttpShared::send`]. There it is counted, checked against the origin allowlist,
//! recorded under its logical URL and handed to a [`Transport`]
//! ([`crate::transport`]: the live network, a replay or cassettes).

use super::secrets::CallSecrets;
use super::{CallMonitor, Rule, Violation};
use crate::manifest::Policy;
use crate::transport::{error_for_guest, SendContext, Transport, TransportError};
use bytes::Bytes;
use dive_evidence::exchange::{HttpExchange, HttpOutcome, RequestRecord, ResponseRecord};
use dive_policy::origin::{Origin, OriginPattern};
use http_body_util::{BodyExt, Full, Limited};
use std::future::Future;
use std::sync::Arc;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};


/// What the guest gets for a request: the response, or the wasi:http error it sees.
pub(crate) type Answer = Result<http::Response<WasiBody>, ErrorCode>;

/// Largest request body a guest may send.
pub const MAX_REQUEST_BODY: usize = 16 << 20;

/// The wasi:http hooks of one call. Requests do not go through them: the outgoing
/// handler in `outgoing.rs` sends them with [`HttpShared::send`]; wasmtime-wasi-http
/// only asks these hooks for limits, and the refusal below only guards against a path
/// that would send without the sandbox's checks.
pub struct SandboxHttp {
    pub(crate) shared: Arc<HttpShared>,
}

pub(crate) struct HttpShared {
    pub policy: Arc<Policy>,
    pub monitor: Arc<CallMonitor>,
    pub transport: Arc<dyn Transport>,
    pub secrets: CallSecrets,
}

impl WasiHttpHooks for SandboxHttp {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>),
                    HttpError,
                >,
            > + Send,
    > {
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

impl HttpShared {
    /// Check, record and send the guest's request number `seq` (numbered when the guest
    /// made it); the response or the error the guest sees. This is §4's network rule:
    /// at most `max_http_requests` requests, request bodies within the host's cap, only
    /// to origins the policy allows, secrets only to origins it names.
    pub(crate) async fn send(&self, seq: u32, req: http::Request<WasiBody>) -> Answer {
        let (parts, body) = req.into_parts();
        // Drain the body first: a refused request must still be read, or the guest sees
        // a reset connection instead of the refusal.
        let body = self.read_body(body).await?;
        self.check_count(seq)?;
        let url = url::Url::parse(&parts.uri.to_string()).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        let origin = Origin::of_url(&url).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        let pattern = self.allowed(&origin)?;
        let request = RequestRecord { method: parts.method.as_str().to_string(), url: url.to_string(), headers: guest_headers(&parts.headers), body };
        let ctx = SendContext { secrets: self.secrets_for(pattern), max_response_bytes: self.policy.max_response_bytes };
        let result = self.transport.exchange(&request, &ctx).await;
        self.answer(seq, request, result)
    }

    /// The request body, refused (a violation) past [`MAX_REQUEST_BODY`].
    async fn read_body(&self, body: WasiBody) -> Result<Bytes, ErrorCode> {
        match Limited::new(body, MAX_REQUEST_BODY).collect().await {
            Ok(b) => Ok(b.to_bytes()),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(self.deny(Violation::new(
                Rule::RequestSize,
                format!("a request body is larger than {} MiB", MAX_REQUEST_BODY >> 20),
            ))),
            Err(e) => Err(ErrorCode::InternalError(Some(format!("reading the request body: {e}")))),
        }
    }

    /// Request number `seq` (from 0) is within `max_http_requests`.
    fn check_count(&self, seq: u32) -> Result<(), ErrorCode> {
        if seq < self.policy.max_http_requests {
            return Ok(());
        }
        Err(self.deny(Violation::new(
            Rule::HttpRequests,
            format!(
                "the tool made more than {} HTTP requests; raise max_http_requests in dive-tool.toml if that is expected",
                self.policy.max_http_requests
            ),
        )))
    }

    /// The policy's pattern that allows `origin`, or a `network` violation.
    fn allowed(&self, origin: &Origin) -> Result<&OriginPattern, ErrorCode> {
        if let Some(pattern) = self.policy.network.iter().find(|p| p.matches(origin)) {
            return Ok(pattern);
        }
        let allowed = if self.policy.network.is_empty() {
            "no network at all".to_string()
        } else {
            self.policy.network.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
        };
        Err(self.deny(Violation::new(
            Rule::Network,
            format!("request to {origin} is not allowed (the policy allows {allowed}); add \"{origin}\" to network in dive-tool.toml if the tool needs it"),
        )))
    }

    /// Secrets go only to origins the policy names exactly or by subdomain, never to
    /// whatever host a wildcard `*` happens to let through.
    fn secrets_for(&self, pattern: &OriginPattern) -> CallSecrets {
        if pattern.names_its_hosts() {
            self.secrets.clone()
        } else {
            CallSecrets::default()
        }
    }

    /// Record the exchange and give the guest its answer.
    fn answer(&self, seq: u32, request: RequestRecord, result: Result<ResponseRecord, TransportError>) -> Answer {
        match result {
            Ok(resp) => {
                let out = guest_response(&resp)?;
                self.monitor.record(seq, HttpExchange { request, outcome: HttpOutcome::Response(resp) });
                Ok(out)
            }
            Err(TransportError::Violation(v)) => Err(self.deny(v)),
            Err(TransportError::Failed { code, message }) => {
                let err = error_for_guest(code, &message);
                self.monitor.record(seq, HttpExchange { request, outcome: HttpOutcome::Failed { code, message } });
                Err(err)
            }
        }
    }

    fn deny(&self, v: Violation) -> ErrorCode {
        self.monitor.violate(v);
        ErrorCode::HttpRequestDenied
    }
}

/// The headers the guest set, as recorded: without `host` and `content-length`, which
/// the transport sets.
fn guest_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| *k != http::header::HOST && *k != http::header::CONTENT_LENGTH)
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// A recorded response as wasi:http hands it to the guest.
fn guest_response(resp: &ResponseRecord) -> Answer {
    let mut builder = http::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body: WasiBody = Full::new(resp.body.clone()).map_err(|never| match never {}).boxed_unsync();
    builder.body(body).map_err(|e| ErrorCode::InternalError(Some(format!("bad response: {e}"))))
}
