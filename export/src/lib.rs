//! dive's tools in the formats agents and trainers already speak (ARCHITECTURE.md §11):
//! OpenAI function specs (optionally strict-mode), Anthropic tool specs and MCP
//! `tools/list` entries, all from a tool's spec and policy; and tasks as SFT
//! trajectories ([`messages`]).

pub mod hf;
pub mod messages;
pub mod strict;

use dive_runtime::ToolEntry;
use serde_json::{json, Value};

/// A tool format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI chat-completions `tools` entries.
    OpenAi,
    /// Anthropic messages `tools` entries.
    Anthropic,
    /// MCP `tools/list` entries (revision 2025-06-18).
    Mcp,
}

/// A schema as a function's parameters: the `$schema` and `title` keywords dropped
/// (function parameters are a plain object schema).
pub fn parameters(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(m) = s.as_object_mut() {
        m.remove("$schema");
        m.remove("title");
    }
    s
}

/// An OpenAI function spec; with `strict`, its parameters in strict mode when they can
/// be (see [`strict::strict_schema`]), else the plain schema with `strict: false`.
pub fn openai(t: &ToolEntry, strict: bool) -> (Value, Option<strict::StrictError>) {
    let mut function = json!({
        "name": t.spec.name,
        "description": t.spec.description,
        "parameters": parameters(&t.spec.input_schema),
    });
    let mut why_not = None;
    if strict {
        match strict::strict_schema(&t.spec.input_schema) {
            Ok(s) => {
                function["parameters"] = s;
                function["strict"] = json!(true);
            }
            Err(e) => {
                function["strict"] = json!(false);
                why_not = Some(e);
            }
        }
    }
    (json!({ "type": "function", "function": function }), why_not)
}

/// An Anthropic tool spec.
pub fn anthropic(t: &ToolEntry) -> Value {
    json!({
        "name": t.spec.name,
        "description": t.spec.description,
        "input_schema": parameters(&t.spec.input_schema),
    })
}

/// An MCP tool: name, description, schemas and annotations (every dive tool only reads;
/// it is open-world when its policy allows any network).
pub fn mcp(t: &ToolEntry) -> Value {
    let mut v = json!({
        "name": t.spec.name,
        "title": title(&t.spec.name),
        "description": t.spec.description,
        "inputSchema": t.spec.input_schema,
        "annotations": {
            "title": title(&t.spec.name),
            "readOnlyHint": true,
            "destructiveHint": false,
            "idempotentHint": t.policy.network.is_empty(),
            "openWorldHint": !t.policy.network.is_empty(),
        },
    });
    if let Some(o) = &t.spec.output_schema {
        v["outputSchema"] = o.value().clone();
    }
    v
}

/// A tool name as a title: `bio_seq_translate` → "Bio seq translate".
fn title(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut c = words.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}
