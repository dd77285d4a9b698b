//! One session of calls (an MCP session, an env episode) run in fresh sandboxes and,
//! when recording, kept as one trace written when the session ends.

use dive_runtime::store::{Store, StoreError};
use dive_runtime::trace::{call_doc, write_trace, BlobSink, CallDoc, TraceDoc, TRACE_FORMAT};
use dive_runtime::{CallError, CallOptions, CallRecord, Runtime, Usage};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Most calls one recorded session may make: a recording's memory is bounded (a session
/// that does not record keeps nothing per call).
pub const MAX_CALLS_PER_SESSION: u64 = 10_000;

/// A new random id (128 bits, hex) for a session or an episode.
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Where a session's trace goes, and under which ref.
pub struct Recording {
    /// The store.
    pub store: Store,
    /// The ref the trace is named by (`serve/<session>`, `env/<episode>`).
    pub ref_name: String,
}

/// A session: its calls run one by one or concurrently, each in a fresh sandbox.
pub struct Session {
    runtime: Runtime,
    options: CallOptions,
    recording: Option<Recording>,
    next: AtomicU64,
    calls: Mutex<Option<Vec<(CallDoc, Usage)>>>,
}

/// Why a session's call did not run.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The call was refused before it ran (unknown tool, bad arguments, a secret).
    #[error(transparent)]
    Call(#[from] CallError),
    /// The call ran but its record cannot be stored.
    #[error("cannot record the call: {0}")]
    Store(#[from] StoreError),
    /// The recorded session made [`MAX_CALLS_PER_SESSION`] calls.
    #[error("this recorded session made {MAX_CALLS_PER_SESSION} calls, the most one recorded session may make; start a new session")]
    TooManyCalls,
    /// The session has ended (its trace is written).
    #[error("this session has ended")]
    Ended,
}

impl Session {
    /// A session whose calls run with `options` (the call index is set per call).
    pub fn new(runtime: Runtime, options: CallOptions, recording: Option<Recording>) -> Session {
        Session { runtime, options, recording, next: AtomicU64::new(0), calls: Mutex::new(Some(Vec::new())) }
    }

    /// Calls made so far.
    pub fn calls_made(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// Run one call; when recording, keep its record for the session's trace.
    pub async fn call(&self, tool: &str, args: &str) -> Result<CallRecord, SessionError> {
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        if self.recording.is_some() && index >= MAX_CALLS_PER_SESSION {
            return Err(SessionError::TooManyCalls);
        }
        let opts = CallOptions { call_index: index, ..self.options.clone() };
        let rec = self.runtime.call(tool, args, &opts).await?;
        if let Some(r) = &self.recording {
            let doc = call_doc(index, &rec, &BlobSink::Store(&r.store))?;
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            calls.as_mut().ok_or(SessionError::Ended)?.push((doc, rec.usage.clone()));
        }
        Ok(rec)
    }

    /// End the session: write its trace and ref (once; later calls return None). A
    /// session without calls or without recording writes nothing.
    pub fn finish(&self) -> Result<Option<String>, StoreError> {
        let Some(mut calls) = self.calls.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(None);
        };
        let Some(r) = &self.recording else { return Ok(None) };
        if calls.is_empty() {
            return Ok(None);
        }
        calls.sort_by_key(|(c, _)| c.index);
        let (docs, usage): (Vec<CallDoc>, Vec<Usage>) = calls.into_iter().unzip();
        let doc = TraceDoc {
            format: TRACE_FORMAT,
            runtime: dive_runtime::VERSION.to_string(),
            seed: self.options.determinism.seed,
            clock_ns: self.options.determinism.clock_ns,
            calls: docs,
            model: Vec::new(),
        };
        let id = write_trace(&r.store, &doc, usage)?;
        r.store.set_ref(&r.ref_name, &id)?;
        Ok(Some(id.into()))
    }

    /// The ref this session records under, when it records.
    pub fn ref_name(&self) -> Option<&str> {
        self.recording.as_ref().map(|r| r.ref_name.as_str())
    }
}
