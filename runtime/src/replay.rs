//! Replay: re-run every call of a trace on the same component with its HTTP answered
//! from the recording (no network at all), and check that the outcome — and so the
//! trace id — is byte-identical. Live re-verification re-runs against the upstream and
//! reports which calls drifted.

use crate::exchange::HttpExchange;
use crate::runtime::{CallOptions, Runtime};
pub use crate::transport::ReplayTransport;
use crate::store::{Store, StoreError};
use crate::trace::{call_doc, exchange_blob_refs, load_exchanges_cached, read_trace, result_blob_refs, BlobCache, BlobSink, CallDoc, OutcomeDoc, TraceDoc};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// What happened to one call on replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Identical outcome (and, offline, identical requests).
    Same,
    /// Offline: the replay did not reproduce the recording. Live: the answer drifted.
    Diverged {
        /// The first difference found (a changed component or policy, a request not in
        /// the recording, the first differing exchange, the differing outcome), or why
        /// the call could not run again.
        reason: String,
    },
}

/// The verdict on one call of the trace.
#[derive(Debug, Clone, Serialize)]
pub struct CallReplay {
    /// The call's index in the trace.
    pub index: u64,
    /// The tool's name.
    pub tool: String,
    /// Whether it reproduced, and if not, why.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The result of replaying (or live re-verifying) one trace.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// The id of the trace replayed.
    pub trace: String,
    /// Whether the calls went to the live upstream rather than the recording.
    pub live: bool,
    /// Offline: the id of the trace rebuilt from the replay (equal to `trace` when
    /// everything matched; empty when a call diverged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed_trace: Option<String>,
    /// One verdict per call, in trace order.
    pub calls: Vec<CallReplay>,
}

impl ReplayReport {
    /// Every call reproduced and, offline, the rebuilt trace has the recorded id.
    pub fn all_same(&self) -> bool {
        self.calls.iter().all(|c| c.verdict == Verdict::Same)
            && self.replayed_trace.as_ref().is_none_or(|r| *r == self.trace)
    }

    /// The first call, in trace order, that did not reproduce.
    pub fn first_divergence(&self) -> Option<&CallReplay> {
        self.calls.iter().find(|c| c.verdict != Verdict::Same)
    }
}

/// Why a trace could not be replayed at all (a call that does not reproduce is a
/// [`Verdict`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The trace or one of its blobs is missing, corrupt or too large to load.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replay a stored trace, offline (`live = false`) or against the upstream.
pub async fn replay(runtime: &Runtime, store: &Store, trace_id: &str, live: bool) -> Result<ReplayReport, ReplayError> {
    let (doc, _usage) = read_trace(store, trace_id)?;
    replay_doc(runtime, store, trace_id, &doc, live).await
}

/// [`replay`] of the trace `trace_id`, already read (and checked) with [`read_trace`].
pub async fn replay_doc(runtime: &Runtime, store: &Store, trace_id: &str, doc: &TraceDoc, live: bool) -> Result<ReplayReport, ReplayError> {
    // Load every recording first: a missing or corrupt blob is an error, not a divergence.
    // One cache for the whole trace: a blob named by many calls is held once.
    store.prefetch_blobs(exchange_blob_refs(doc).chain(result_blob_refs(doc)).map(|b| b.blake3.as_str()));
    let mut cache = BlobCache::new(store);
    let mut recordings = Vec::with_capacity(doc.calls.len());
    for c in &doc.calls {
        let old_result = match &c.outcome {
            OutcomeDoc::Ok { result } => Some(cache.get(&result.blake3)?),
            _ => None,
        };
        recordings.push((load_exchanges_cached(&mut cache, c)?, old_result));
    }
    drop(cache);
    // One task per call, so calls run on every worker thread.
    let handles: Vec<_> = doc
        .calls
        .iter()
        .cloned()
        .zip(recordings)
        .map(|(call, (recorded, old_result))| {
            let runtime = runtime.clone();
            let det = doc.determinism();
            tokio::spawn(async move { replay_call(&runtime, det, &call, recorded, old_result, live).await })
        })
        .collect();
    let mut results = Vec::with_capacity(handles.len());
    for h in handles {
        results.push(h.await.unwrap_or_else(|e| {
            (Verdict::Diverged { reason: format!("the replay task failed: {e}") }, None)
        }));
    }

    let mut calls = Vec::new();
    let mut rebuilt = Vec::new();
    for (call, (verdict, new_doc)) in doc.calls.iter().zip(results) {
        calls.push(CallReplay {
            index: call.index,
            tool: call.tool.name.clone(),
            verdict,
        });
        rebuilt.push(new_doc);
    }
    let replayed_trace = if live {
        None
    } else {
        let all: Option<Vec<CallDoc>> = rebuilt.into_iter().collect();
        Some(match all {
            Some(calls) => TraceDoc {
                format: doc.format,
                runtime: doc.runtime.clone(),
                seed: doc.seed,
                clock_ns: doc.clock_ns,
                calls,
                model: doc.model.clone(),
            }
            .id().to_string(),
            None => String::new(),
        })
    };
    Ok(ReplayReport {
        trace: trace_id.to_string(),
        live,
        replayed_trace,
        calls,
    })
}

async fn replay_call(
    runtime: &Runtime,
    determinism: crate::sandbox::determinism::DeterminismConfig,
    call: &CallDoc,
    recorded: Vec<HttpExchange>,
    old_result: Option<bytes::Bytes>,
    live: bool,
) -> (Verdict, Option<CallDoc>) {
    let diverged = |reason: String| (Verdict::Diverged { reason }, None);
    let Some(entry) = runtime.tool(&call.tool.name) else {
        return diverged(format!("tool '{}' is not in the pool any more", call.tool.name));
    };
    if !live {
        if entry.identity.component != call.tool.component {
            return diverged(format!(
                "the component changed: recorded {}, now {}",
                short(&call.tool.component),
                short(&entry.identity.component)
            ));
        }
        if entry.identity.policy != call.tool.policy {
            return diverged(format!(
                "the effective policy changed: recorded {}, now {}",
                short(&call.tool.policy),
                short(&entry.identity.policy)
            ));
        }
    }
    let args = crate::canonical::to_string(&call.args);
    let transport = Arc::new(ReplayTransport::new(recorded));
    let opts = CallOptions {
        determinism,
        call_index: call.index,
        transport: if live { None } else { Some(transport.clone()) },
        without_secrets: !live,
    };
    let rec = match runtime.call(&call.tool.name, &args, &opts).await {
        Ok(r) => r,
        Err(e) => return diverged(format!("the call no longer runs: {e}")),
    };
    let new_doc = match call_doc(call.index, &rec, &BlobSink::HashOnly) {
        Ok(d) => d,
        Err(e) => return diverged(e.to_string()),
    };
    if !live {
        if let Some(first) = transport.unmatched().first() {
            return diverged(format!("the tool made a request that is not in the recording: {first}"));
        }
        if let Some(reason) = first_http_difference(&call.http, &new_doc.http) {
            return diverged(reason);
        }
    }
    if new_doc.outcome != call.outcome {
        let reason = describe_outcome_difference(
            &call.outcome,
            &new_doc.outcome,
            old_result.as_ref().map(|b| String::from_utf8_lossy(b)).as_deref(),
            &rec.outcome,
        );
        return diverged(reason);
    }
    (Verdict::Same, Some(new_doc))
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

fn first_http_difference(old: &[crate::trace::ExchangeDoc], new: &[crate::trace::ExchangeDoc]) -> Option<String> {
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        if a != b {
            return Some(format!(
                "HTTP exchange #{i} differs: recorded {} {}, now {} {}",
                a.request.method, a.request.url, b.request.method, b.request.url
            ));
        }
    }
    if old.len() > new.len() {
        let a = &old[new.len()];
        return Some(format!(
            "recorded request #{} ({} {}) was not made",
            new.len(),
            a.request.method,
            a.request.url
        ));
    }
    None
}

fn describe_outcome_difference(
    old: &OutcomeDoc,
    new: &OutcomeDoc,
    old_result: Option<&str>,
    new_outcome: &crate::runtime::Outcome,
) -> String {
    let kind = |o: &OutcomeDoc| match o {
        OutcomeDoc::Ok { .. } => "a result",
        OutcomeDoc::ToolError { .. } => "a tool error",
        OutcomeDoc::Violation { .. } => "a sandbox violation",
        OutcomeDoc::Trap { .. } => "a trap",
    };
    match (old, new) {
        (OutcomeDoc::Ok { result: a }, OutcomeDoc::Ok { result: b }) => {
            if let (Some(old_text), crate::runtime::Outcome::Ok(new_text)) = (old_result, new_outcome) {
                if let (Ok(x), Ok(y)) = (serde_json::from_str::<Value>(old_text), serde_json::from_str::<Value>(new_text)) {
                    if let Some(d) = first_difference(&x, &y) {
                        return format!("the result changed at {d}");
                    }
                }
            }
            format!("the result changed (recorded {}, now {})", short(&a.blake3), short(&b.blake3))
                + &match new_outcome {
                    crate::runtime::Outcome::Ok(text) => format!("; now: {}", crate::untrusted::snippet(text, 200)),
                    _ => String::new(),
                }
        }
        (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {
            format!("the error changed: recorded {a:?}, now {b:?}")
        }
        (a, b) => format!("recorded {}, now {}: {:?}", kind(a), kind(b), b),
    }
}


/// The first place two JSON values differ, as `$.path: recorded X, now Y`.
pub fn first_difference(old: &Value, new: &Value) -> Option<String> {
    fn walk(a: &Value, b: &Value, path: &mut String) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    let r = match (x.get(k), y.get(k)) {
                        (Some(p), Some(q)) => walk(p, q, path),
                        (Some(p), None) => Some(format!("{path}: recorded {}, now absent", crate::untrusted::snippet(&p.to_string(), 80))),
                        (None, Some(q)) => Some(format!("{path}: absent in the recording, now {}", crate::untrusted::snippet(&q.to_string(), 80))),
                        (None, None) => None,
                    };
                    if r.is_some() {
                        return r;
                    }
                    path.truncate(len);
                }
                None
            }
            (Value::Array(x), Value::Array(y)) => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if let Some(r) = walk(p, q, path) {
                        return Some(r);
                    }
                    path.truncate(len);
                }
                (x.len() != y.len()).then(|| format!("{path}: recorded {} items, now {}", x.len(), y.len()))
            }
            _ if a == b => None,
            _ => Some(format!(
                "{path}: recorded {}, now {}",
                crate::untrusted::snippet(&a.to_string(), 80),
                crate::untrusted::snippet(&b.to_string(), 80)
            )),
        }
    }
    walk(old, new, &mut "$".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_difference_names_the_path() {
        let a = json!({"items": [{"t": "x"}, {"t": "y"}], "n": 2});
        let b = json!({"items": [{"t": "x"}, {"t": "z"}], "n": 2});
        assert_eq!(first_difference(&a, &b).unwrap(), "$.items[1].t: recorded \"y\", now \"z\"");
        assert_eq!(first_difference(&a, &a), None);
        let c = json!({"items": [{"t": "x"}], "n": 2});
        assert!(first_difference(&a, &c).unwrap().contains("recorded 2 items, now 1"));
    }
}
