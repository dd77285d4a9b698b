//! The cassette transport: requests answered from the cassettes imported into a store
//! ([`dive_evidence::cassette`]), with no network.

use super::{SendContext, Transport, TransportError, TransportFuture};
use dive_evidence::cassette::CassetteAnswers;
use dive_evidence::exchange::{FailureCode, RequestRecord};
use dive_evidence::store::{Store, StoreError};

/// Answers requests from the cassettes in a store; nothing goes to the network. A
/// request no unused interaction matches fails the way a network fails.
pub struct CassetteTransport(CassetteAnswers);

impl CassetteTransport {
    /// Load every imported cassette's interactions (bodies checked).
    pub fn from_store(store: &Store) -> Result<CassetteTransport, StoreError> {
        CassetteAnswers::from_store(store).map(CassetteTransport)
    }

    /// How many interactions can answer.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no interaction can answer.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Transport for CassetteTransport {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, _ctx: &'a SendContext) -> TransportFuture<'a> {
        let result = self.0.answer(req).ok_or_else(|| {
            TransportError::failed(
                FailureCode::InternalError,
                format!(
                    "no imported cassette interaction matches {} {} (matching on method, scheme, host, port, path and query); import one with `dive store import-cassette`",
                    req.method, req.url
                ),
            )
        });
        Box::pin(async move { result })
    }
}
