//! One HTTP exchange as the sandbox saw it: the logical request (the URL the guest asked
//! for, without secrets) and what came back. These are what traces record and replay
//! answers from.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A request as the guest made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: String,
    /// The logical URL: the origin the guest addressed, even when `--upstream` sent the
    /// request elsewhere; secrets never appear in it.
    pub url: String,
    /// The headers the guest set (no `host`, no `content-length`).
    pub headers: Vec<(String, String)>,
    /// The body (a blob in traces).
    #[serde(skip)]
    pub body: Bytes,
}

/// A response as the guest received it (secrets scrubbed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: Vec<(String, String)>,
    /// The body (a blob in traces).
    #[serde(skip)]
    pub body: Bytes,
}

/// How a request ended: a response, or a transport failure the guest was told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    /// The upstream answered.
    Response(ResponseRecord),
    /// The request failed the way networks fail.
    Failed {
        /// Which way it failed.
        code: FailureCode,
        /// What happened, as the transport explained it.
        message: String,
    },
}

/// How a request failed: the wasi:http `error-code` it reached the guest as, named as
/// wasi:http names it (e.g. `connection-refused`) in traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureCode {
    /// The host name did not resolve.
    DnsError,
    /// The host resolved to no address.
    DestinationNotFound,
    /// Nothing listened at the address.
    ConnectionRefused,
    /// Connecting took too long.
    ConnectionTimeout,
    /// The connection failed or ended early.
    ConnectionTerminated,
    /// TLS could not be set up.
    TlsProtocolError,
    /// The server's certificate was not accepted.
    TlsCertificateError,
    /// The server did not speak HTTP/1.1 properly.
    HttpProtocolError,
    /// The request could not be written as HTTP.
    HttpRequestUriInvalid,
    /// Anything else (a replay or cassette with no matching answer among them).
    InternalError,
}

impl FailureCode {
    /// Every code.
    pub const ALL: [FailureCode; 10] = [
        FailureCode::DnsError,
        FailureCode::DestinationNotFound,
        FailureCode::ConnectionRefused,
        FailureCode::ConnectionTimeout,
        FailureCode::ConnectionTerminated,
        FailureCode::TlsProtocolError,
        FailureCode::TlsCertificateError,
        FailureCode::HttpProtocolError,
        FailureCode::HttpRequestUriInvalid,
        FailureCode::InternalError,
    ];

    /// The wasi:http name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::DnsError => "dns-error",
            FailureCode::DestinationNotFound => "destination-not-found",
            FailureCode::ConnectionRefused => "connection-refused",
            FailureCode::ConnectionTimeout => "connection-timeout",
            FailureCode::ConnectionTerminated => "connection-terminated",
            FailureCode::TlsProtocolError => "tls-protocol-error",
            FailureCode::TlsCertificateError => "tls-certificate-error",
            FailureCode::HttpProtocolError => "http-protocol-error",
            FailureCode::HttpRequestUriInvalid => "http-request-uri-invalid",
            FailureCode::InternalError => "internal-error",
        }
    }
}

impl std::fmt::Display for FailureCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpExchange {
    /// What the guest asked for.
    pub request: RequestRecord,
    /// What it got.
    pub outcome: HttpOutcome,
}

impl RequestRecord {
    /// Whether `other` is the same request for replay matching: method, URL and body.
    pub fn same_request(&self, other: &RequestRecord) -> bool {
        self.method == other.method && self.url == other.url && self.body == other.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_keep_their_wasi_names() {
        for code in FailureCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<FailureCode>(&json).unwrap(), code);
        }
    }
}
