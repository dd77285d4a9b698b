//! Transports: where a request that passed the sandbox's network rule
//! ([`crate::sandbox::network`]) is sent or answered. The live network, a replayed trace
//! and imported cassettes are the same [`Transport`] to the sandbox.
//!
//! - [`live`]: the real network — secrets, `--upstream`, [`dns`] and the address rule,
//!   [`connections`] kept alive between requests, [`pacing`] per origin, TLS, no redirects
//! - [`replay`]: answers from a trace's recorded exchanges
//! - [`cassette`]: answers from imported vcrpy cassettes

pub mod cassette;
pub mod connections;
pub mod dns;
pub mod live;
pub mod pacing;
pub mod replay;

use crate::sandbox::secrets::CallSecrets;
use dive_evidence::exchange::{FailureCode, RequestRecord, ResponseRecord};
use dive_policy::rules::{Rule, Violation};
use std::future::Future;
use std::pin::Pin;
use wasmtime_wasi_http::p2::bindings::http::types::{DnsErrorPayload, ErrorCode};

pub use cassette::CassetteTransport;
pub use live::LiveTransport;
pub use replay::ReplayTransport;

/// What a transport needs to know about the call it sends for.
pub struct SendContext {
    /// The secrets this request may carry (none for a wildcard origin).
    pub secrets: CallSecrets,
    /// The policy's cap on a response body.
    pub max_response_bytes: u64,
}

/// Why a transport did not produce a response.
#[derive(Debug)]
pub enum TransportError {
    /// A sandbox rule was broken: the call ends.
    Violation(Violation),
    /// The request failed the way networks fail; the guest is told and may carry on.
    Failed {
        /// Which way it failed.
        code: FailureCode,
        /// What happened.
        message: String,
    },
}

impl TransportError {
    /// A network failure of this kind.
    pub fn failed(code: FailureCode, message: impl Into<String>) -> TransportError {
        TransportError::Failed { code, message: message.into() }
    }
}

/// The answer a transport gives, later.
pub type TransportFuture<'a> = Pin<Box<dyn Future<Output = Result<ResponseRecord, TransportError>> + Send + 'a>>;

/// Sends (or answers) one checked, logical request.
pub trait Transport: Send + Sync {
    /// The response to `req`, or why there is none.
    fn exchange<'a>(&'a self, req: &'a RequestRecord, ctx: &'a SendContext) -> TransportFuture<'a>;
}

/// A transport that refuses everything (used where no request may leave, e.g. while
/// listing a package's tools).
pub struct NoNetwork;

impl Transport for NoNetwork {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, _ctx: &'a SendContext) -> TransportFuture<'a> {
        Box::pin(async move {
            Err(TransportError::Violation(Violation::new(
                Rule::Network,
                format!("no network is available here (request to {})", req.url),
            )))
        })
    }
}

/// The wasi:http error a guest sees for a failure (recorded or live): the code's own
/// error where wasi:http has one with no payload to fill, else an internal error that
/// carries the message.
pub fn error_for_guest(code: FailureCode, message: &str) -> ErrorCode {
    match code {
        FailureCode::ConnectionRefused => ErrorCode::ConnectionRefused,
        FailureCode::ConnectionTimeout => ErrorCode::ConnectionTimeout,
        FailureCode::ConnectionTerminated => ErrorCode::ConnectionTerminated,
        FailureCode::DestinationNotFound => ErrorCode::DestinationNotFound,
        FailureCode::DnsError => ErrorCode::DnsError(DnsErrorPayload { rcode: Some(message.to_string()), info_code: None }),
        FailureCode::TlsProtocolError => ErrorCode::TlsProtocolError,
        FailureCode::TlsCertificateError => ErrorCode::TlsCertificateError,
        FailureCode::HttpProtocolError => ErrorCode::HttpProtocolError,
        FailureCode::HttpRequestUriInvalid | FailureCode::InternalError => ErrorCode::InternalError(Some(message.to_string())),
    }
}
