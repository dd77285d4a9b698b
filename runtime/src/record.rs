//! Recording: a session of calls (any order, any concurrency) run through the runtime
//! and written as one evidence trace ([`dive_evidence::trace`]); [`crate::replay`]
//! reads it back.

use crate::runtime::{CallError, CallOptions, CallRecord, Runtime, Usage};
use crate::sandbox::determinism::DeterminismConfig;
use dive_evidence::exchange::HttpExchange;
use dive_evidence::Hash;
use dive_evidence::store::{Store, StoreError};
use dive_evidence::trace::{call_doc, exchange_doc, write_trace, BlobSink, CallDoc, ExchangeDoc, TraceDoc, TRACE_FORMAT};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Records a session of calls (any order, any concurrency) into one trace.
pub struct Recorder<'a> {
    runtime: &'a Runtime,
    store: &'a Store,
    options: CallOptions,
    next: AtomicU64,
    calls: Mutex<Vec<(CallDoc, Usage)>>,
    model: Mutex<Vec<ExchangeDoc>>,
}

/// Why a call was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The call was not run (unknown tool, invalid arguments, missing secret, internal).
    #[error(transparent)]
    Call(#[from] CallError),
    /// Its bodies or result could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A call at this index was already recorded in this session.
    #[error("call index {0} was recorded twice in one trace")]
    DuplicateIndex(u64),
}

impl<'a> Recorder<'a> {
    /// A recorder whose calls use the live network, with `determinism`'s seed and
    /// pinned instant.
    pub fn new(runtime: &'a Runtime, store: &'a Store, determinism: DeterminismConfig) -> Self {
        Self::with_options(runtime, store, CallOptions::live(determinism))
    }

    /// Record with other call options (e.g. a transport answering from cassettes). The
    /// call index of each call is set by the recorder.
    pub fn with_options(runtime: &'a Runtime, store: &'a Store, options: CallOptions) -> Self {
        Recorder {
            runtime,
            store,
            options,
            next: AtomicU64::new(0),
            calls: Mutex::new(Vec::new()),
            model: Mutex::new(Vec::new()),
        }
    }

    /// Run and record a call at the next index.
    pub async fn call(&self, tool: &str, args: &str) -> Result<CallRecord, RecordError> {
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        self.call_at(index, tool, args).await
    }

    /// Run and record a call at an explicit index (for reproducible concurrent sessions).
    pub async fn call_at(&self, index: u64, tool: &str, args: &str) -> Result<CallRecord, RecordError> {
        self.next.fetch_max(index + 1, Ordering::SeqCst);
        let opts = CallOptions {
            call_index: index,
            ..self.options.clone()
        };
        let rec = self.runtime.call(tool, args, &opts).await?;
        let doc = call_doc(index, &rec, &BlobSink::Store(self.store))?;
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if calls.iter().any(|(c, _)| c.index == index) {
            return Err(RecordError::DuplicateIndex(index));
        }
        calls.push((doc, rec.usage.clone()));
        Ok(rec)
    }

    /// Record a model's exchanges (after those recorded before), their bodies stored.
    pub fn record_model(&self, exchanges: &[HttpExchange]) -> Result<(), StoreError> {
        let docs = exchanges.iter().map(|ex| exchange_doc(ex, &BlobSink::Store(self.store))).collect::<Result<Vec<_>, _>>()?;
        self.model.lock().unwrap_or_else(|p| p.into_inner()).extend(docs);
        Ok(())
    }

    /// The id the trace would have if it were finished now (nothing is written).
    pub fn id_so_far(&self) -> Hash {
        self.doc_so_far().id()
    }

    /// The [`TraceDoc::evidence_key`] the trace would have if it were finished now: its
    /// id without response headers (nothing is written).
    pub fn evidence_key_so_far(&self) -> Hash {
        self.doc_so_far().evidence_key()
    }

    /// The trace document of what was recorded so far.
    fn doc_so_far(&self) -> TraceDoc {
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let model = self.model.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.doc(calls, model).0
    }

    /// Write the trace; returns its id.
    pub fn finish(self) -> Result<Hash, StoreError> {
        let calls = self.calls.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_else(|p| std::mem::take(&mut *p.into_inner()));
        let model = self.model.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_else(|p| std::mem::take(&mut *p.into_inner()));
        let (doc, usage) = self.doc(calls, model);
        write_trace(self.store, &doc, usage)
    }

    /// The trace document of these calls (in index order) and model exchanges.
    fn doc(&self, mut calls: Vec<(CallDoc, Usage)>, model: Vec<ExchangeDoc>) -> (TraceDoc, Vec<Usage>) {
        calls.sort_by_key(|(c, _)| c.index);
        let (docs, usage): (Vec<CallDoc>, Vec<Usage>) = calls.into_iter().unzip();
        let doc = TraceDoc {
            format: TRACE_FORMAT,
            runtime: crate::VERSION.to_string(),
            seed: self.options.determinism.seed,
            clock_ns: self.options.determinism.clock_ns,
            calls: docs,
            model,
        };
        (doc, usage)
    }
}

