//! Answering a call's HTTP from recorded exchanges: an env episode's steps from its
//! task's evidence, `dive serve mcp --replay TRACE` from a trace. Unlike a replay of
//! one call, a request may be asked any number of times (an agent repeats itself): the
//! first recorded exchange with the same method, URL and body answers it every time.
//! A request the recording lacks fails with an error saying so, or, when a live
//! transport is given (`--live`), is sent for real.

use dive_runtime::exchange::{FailureCode, HttpExchange, HttpOutcome, RequestRecord};
use dive_runtime::transport::{SendContext, Transport, TransportError, TransportFuture};
use dive_runtime::store::{Store, StoreError};
use dive_runtime::trace::{exchange_blob_refs, load_exchanges_cached, read_trace, BlobCache, TraceDoc};
use std::sync::Arc;

/// Answers requests from a recording.
pub struct EvidenceTransport {
    recorded: Vec<HttpExchange>,
    live: Option<Arc<dyn Transport>>,
}

impl EvidenceTransport {
    /// Answer from `recorded`; requests it lacks go to `live` when given.
    pub fn new(recorded: Vec<HttpExchange>, live: Option<Arc<dyn Transport>>) -> Self {
        EvidenceTransport { recorded, live }
    }

    /// Every exchange of a stored trace (bodies checked against their hashes), with the
    /// trace itself.
    pub fn load(store: &Store, trace: &str) -> Result<(TraceDoc, Vec<HttpExchange>), StoreError> {
        let (doc, _) = read_trace(store, trace)?;
        store.prefetch_blobs(exchange_blob_refs(&doc).map(|b| b.blake3.as_str()));
        let mut cache = BlobCache::new(store);
        let mut all = Vec::new();
        for call in &doc.calls {
            all.extend(load_exchanges_cached(&mut cache, call)?);
        }
        Ok((doc, all))
    }

    /// How many exchanges it answers from.
    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    /// Whether it has no exchanges.
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }
}

impl Transport for EvidenceTransport {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, ctx: &'a SendContext) -> TransportFuture<'a> {
        let found = self.recorded.iter().find(|ex| ex.request.same_request(req));
        match (found, &self.live) {
            (Some(ex), _) => {
                let answer = match &ex.outcome {
                    HttpOutcome::Response(r) => Ok(r.clone()),
                    HttpOutcome::Failed { code, message } => Err(TransportError::failed(*code, message.clone())),
                };
                Box::pin(async move { answer })
            }
            (None, Some(live)) => live.exchange(req, ctx),
            (None, None) => {
                let message = format!(
                    "{} {} is not in the recorded evidence (no request leaves this server; `--live` sends such requests to the real service)",
                    req.method, req.url
                );
                Box::pin(async move { Err(TransportError::failed(FailureCode::InternalError, message)) })
            }
        }
    }
}
