//! The replay transport: requests answered from a trace's recorded exchanges, with no
//! network at all ([`crate::replay`] re-runs a trace through it).

use super::{SendContext, Transport, TransportError, TransportFuture};
use dive_evidence::exchange::{FailureCode, HttpExchange, HttpOutcome, RequestRecord};
use std::sync::Mutex;

/// Answers requests from recorded exchanges: the first unused one with the same method,
/// URL and body. A request that is not in the recording fails, and is remembered.
pub struct ReplayTransport {
    recorded: Vec<HttpExchange>,
    used: Mutex<Vec<bool>>,
    unmatched: Mutex<Vec<String>>,
}

impl ReplayTransport {
    /// A transport answering from these exchanges, each once.
    pub fn new(recorded: Vec<HttpExchange>) -> Self {
        let n = recorded.len();
        ReplayTransport { recorded, used: Mutex::new(vec![false; n]), unmatched: Mutex::new(Vec::new()) }
    }

    /// Requests the guest made that the recording does not have.
    pub fn unmatched(&self) -> Vec<String> {
        self.unmatched.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The first unused recorded exchange for this request, now used.
    fn take_match(&self, req: &RequestRecord) -> Option<&HttpExchange> {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let i = (0..self.recorded.len()).find(|&i| !used[i] && self.recorded[i].request.same_request(req))?;
        used[i] = true;
        Some(&self.recorded[i])
    }
}

impl Transport for ReplayTransport {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, _ctx: &'a SendContext) -> TransportFuture<'a> {
        let result = match self.take_match(req) {
            Some(ex) => match &ex.outcome {
                HttpOutcome::Response(r) => Ok(r.clone()),
                HttpOutcome::Failed { code, message } => Err(TransportError::failed(*code, message.clone())),
            },
            None => {
                let what = format!("{} {}", req.method, req.url);
                self.unmatched.lock().unwrap_or_else(|p| p.into_inner()).push(what.clone());
                Err(TransportError::failed(FailureCode::InternalError, format!("replay: {what} is not in the recording")))
            }
        };
        Box::pin(async move { result })
    }
}
