//! One HTTP exchange as the sandbox saw it: the logical request (the URL the guest asked
//! for, without secrets) and what came back. These are what traces record and replay
//! answers from.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    /// The logical URL: the origin the guest addressed, even when `--upstream` sent the
    /// request elsewhere; secrets never appear in it.
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Bytes,
}

/// How a request ended: a response, or a transport failure the guest was told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    Response(ResponseRecord),
    /// `code` is a wasi:http error-code name (e.g. `connection-refused`).
    Failed { code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpExchange {
    pub request: RequestRecord,
    pub outcome: HttpOutcome,
}

impl RequestRecord {
    /// Whether `other` is the same request for replay matching: method, URL and body.
    pub fn same_request(&self, other: &RequestRecord) -> bool {
        self.method == other.method && self.url == other.url && self.body == other.body
    }
}
