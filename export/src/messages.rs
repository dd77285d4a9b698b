//! Tasks as SFT trajectories (ARCHITECTURE.md §11): per task the user's question, the
//! assistant's tool calls along the answer's evidence path with their recorded results
//! as `tool` messages, and the final answer — OpenAI chat-completions messages, with
//! the task's toolset as OpenAI function specs.

use dive_deriver::task::Task;
use dive_runtime::store::{Store, StoreError};
use dive_runtime::trace::{read_trace, BlobCache, OutcomeDoc, TraceDoc};
use dive_runtime::Runtime;
use serde_json::{json, Value};
use thiserror::Error;

/// Why a task could not be written as a trajectory.
#[derive(Debug, Error)]
pub enum MessagesError {
    #[error("task {uuid}: {source}")]
    Store {
        uuid: String,
        #[source]
        source: StoreError,
    },
    #[error("task {uuid}: its evidence names call {index}, which trace {trace} does not have")]
    MissingCall { uuid: String, trace: String, index: usize },
    #[error("task {uuid}: its toolset names '{tool}', which is not in the pool (pass the --tools that built it)")]
    UnknownTool { uuid: String, tool: String },
}

/// A tool call's id, from its content: the same task gives the same ids.
pub fn call_id(trace: &str, index: usize) -> String {
    let h = blake3::hash(format!("{trace}:{index}").as_bytes());
    format!("call_{}", &h.to_hex()[..24])
}

/// One row: `{"uuid", "messages", "tools"}`, plus `policy_conversation` (the
/// model's own messages) when an LLM gathered the evidence.
pub fn row(runtime: &Runtime, store: &Store, task: &Task) -> Result<Value, MessagesError> {
    let store_err = |source| MessagesError::Store { uuid: task.uuid.clone(), source };
    let (doc, _) = read_trace(store, &task.evidence.trace).map_err(store_err)?;
    let results = task.evidence.calls.iter().filter_map(|r| match &find_call(&doc, r.index)?.outcome {
        OutcomeDoc::Ok { result } => Some(result.blake3.as_str()),
        _ => None,
    });
    store.prefetch_blobs(results);
    let mut blobs = BlobCache::new(store);
    let mut messages = vec![json!({ "role": "user", "content": task.question })];
    for r in &task.evidence.calls {
        let call = find_call(&doc, r.index).ok_or_else(|| MessagesError::MissingCall {
            uuid: task.uuid.clone(),
            trace: task.evidence.trace.clone(),
            index: r.index,
        })?;
        let id = call_id(&task.evidence.trace, r.index);
        messages.push(json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": id,
                "type": "function",
                "function": { "name": call.tool.name, "arguments": call.args.to_string() },
            }],
        }));
        let content = match &call.outcome {
            OutcomeDoc::Ok { result } => String::from_utf8_lossy(&blobs.get(&result.blake3).map_err(store_err)?).into_owned(),
            failed => failed.error_report().expect("a failed outcome has an error report").to_json(),
        };
        messages.push(json!({ "role": "tool", "tool_call_id": id, "content": content }));
    }
    messages.push(json!({ "role": "assistant", "content": task.ground_truth }));
    let tools = task
        .tools
        .iter()
        .map(|name| {
            runtime
                .tool(name)
                .map(|t| crate::openai(t, false).0)
                .ok_or_else(|| MessagesError::UnknownTool { uuid: task.uuid.clone(), tool: name.clone() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut row = json!({ "uuid": task.uuid, "messages": messages, "tools": tools });
    if let Some(conversation) = policy_conversation(&doc, &mut blobs).map_err(store_err)? {
        row["policy_conversation"] = Value::Array(conversation);
    }
    Ok(row)
}

/// The model's own conversation when the task's evidence was gathered by `--policy llm`
/// (recorded in the trace's `model` exchanges): the messages of its last request and
/// the message it answered with. None for traces without a model.
fn policy_conversation(doc: &TraceDoc, blobs: &mut BlobCache<'_>) -> Result<Option<Vec<Value>>, StoreError> {
    let Some(last) = doc.model.last() else { return Ok(None) };
    let json_of = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null);
    let request = match &last.request.body {
        Some(b) => json_of(&blobs.get(&b.blake3)?),
        None => Value::Null,
    };
    let mut conversation = match request.get("messages") {
        Some(Value::Array(m)) => m.clone(),
        _ => return Ok(None),
    };
    if let Some(r) = &last.response {
        if let Some(message) = json_of(&blobs.get(&r.body.blake3)?).pointer("/choices/0/message") {
            conversation.push(message.clone());
        }
    }
    Ok(Some(conversation))
}

fn find_call(doc: &TraceDoc, index: usize) -> Option<&dive_runtime::trace::CallDoc> {
    doc.calls.iter().find(|c| c.index == index as u64)
}
