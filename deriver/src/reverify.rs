//! Re-verification: does a task's answer still follow from its evidence? Offline, the
//! trace is replayed byte-for-byte and the answer re-read from it; live, the calls are
//! re-run against the upstreams and a task whose answer's calls drifted is reported.

use crate::evidence::EvidenceCall;
use crate::task::{answer_text, Task};
use dive_runtime::replay::{replay_doc, Verdict};
use dive_runtime::store::{Store, StoreError};
use dive_runtime::trace::{read_trace, result_blob_refs, OutcomeDoc, TraceDoc};
use dive_runtime::Runtime;
use serde::Serialize;
use serde_json::Value;

/// The calls of a stored trace with their results.
pub fn evidence_from_trace(store: &Store, id: &str) -> Result<Vec<EvidenceCall>, StoreError> {
    let (doc, _) = read_trace(store, id)?;
    evidence_of(store, &doc)
}

/// [`evidence_from_trace`] of a trace already read.
fn evidence_of(store: &Store, doc: &TraceDoc) -> Result<Vec<EvidenceCall>, StoreError> {
    store.prefetch_blobs(result_blob_refs(doc).map(|b| b.blake3.as_str()));
    let mut out = Vec::with_capacity(doc.calls.len());
    for c in &doc.calls {
        let result = match &c.outcome {
            OutcomeDoc::Ok { result } => {
                let bytes = store.get_blob(&result.blake3)?;
                serde_json::from_slice::<Value>(&bytes).ok()
            }
            _ => None,
        };
        out.push(EvidenceCall { index: c.index as usize, tool: c.tool.name.clone(), args: c.args.clone(), result });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The evidence reproduces and the answer follows from it.
    Holds,
    /// Offline: the trace did not replay identically. Live: a call the answer depends
    /// on returned something else.
    Drifted,
    /// The evidence reproduces but no longer gives the ground truth.
    NotEntailed,
    /// The trace or its blobs are missing or damaged.
    Error,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reverified {
    pub uuid: String,
    pub trace: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Check whether the task's answer is entailed by its stored evidence.
pub fn entailed(store: &Store, task: &Task) -> Result<Result<(), String>, StoreError> {
    let (doc, _) = read_trace(store, &task.trace)?;
    entailed_by(store, &doc, task)
}

/// [`entailed`] by the task's trace, already read.
fn entailed_by(store: &Store, doc: &TraceDoc, task: &Task) -> Result<Result<(), String>, StoreError> {
    let calls = evidence_of(store, doc)?;
    Ok(match task.answer_path.evaluate(&calls) {
        Ok(v) => {
            let got = answer_text(&v);
            if task.verifier.check(&task.ground_truth, &got) {
                Ok(())
            } else {
                Err(format!("the evidence now gives {got:?}, not {:?}", task.ground_truth))
            }
        }
        Err(e) => Err(e.to_string()),
    })
}

/// Re-verify one task (offline, or `live`).
pub async fn reverify(runtime: &Runtime, store: &Store, task: &Task, live: bool) -> Reverified {
    let mk = |status, detail: Option<String>| Reverified { uuid: task.uuid.clone(), trace: task.trace.clone(), status, detail };
    // The trace is read once, for the replay and for the entailment check.
    let doc = match read_trace(store, &task.trace) {
        Ok((doc, _)) => doc,
        Err(e) => return mk(Status::Error, Some(e.to_string())),
    };
    let report = match replay_doc(runtime, store, &task.trace, &doc, live).await {
        Ok(r) => r,
        Err(e) => return mk(Status::Error, Some(e.to_string())),
    };
    let needed: Vec<usize> = task.evidence.calls.iter().map(|c| c.index).collect();
    if live {
        let drifted: Vec<String> = report
            .calls
            .iter()
            .filter(|c| needed.contains(&(c.index as usize)))
            .filter_map(|c| match &c.verdict {
                Verdict::Same => None,
                Verdict::Diverged { reason } => Some(format!("call {} ({}): {reason}", c.index, c.tool)),
            })
            .collect();
        if !drifted.is_empty() {
            return mk(Status::Drifted, Some(drifted.join("; ")));
        }
    } else if !report.all_same() {
        let why = report.first_divergence().map(|c| match &c.verdict {
            Verdict::Diverged { reason } => format!("call {} ({}): {reason}", c.index, c.tool),
            Verdict::Same => String::new(),
        });
        return mk(Status::Drifted, why.or(Some("the replayed trace differs".into())));
    }
    match entailed_by(store, &doc, task) {
        Ok(Ok(())) => mk(Status::Holds, None),
        Ok(Err(why)) => mk(Status::NotEntailed, Some(why)),
        Err(e) => mk(Status::Error, Some(e.to_string())),
    }
}
