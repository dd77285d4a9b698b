//! Evidence: the calls of one trace as the deriver sees them (tool, arguments, result),
//! and the typed values their results hold.

use dive_runtime::Domain;
use crate::types;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the deriver needs to know about a tool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub domain: Domain,
    pub description: String,
    pub input_schema: Value,
    #[serde(default)]
    pub output_schema: Option<Value>,
    /// Whether the tool reaches the network (Retrieval) or only computes (Processing).
    pub retrieval: bool,
}

/// One call of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceCall {
    pub index: usize,
    pub tool: String,
    pub args: Value,
    /// The result when the call succeeded.
    pub result: Option<Value>,
}

/// A scalar found in a result, with where it was and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// JSON Pointer (RFC 6901) into the result.
    pub path: String,
    /// The name of the field holding it (the nearest object key).
    pub key: String,
    pub value: Value,
    pub sem_type: String,
    /// The output schema's description of the field, when it has one.
    pub description: Option<String>,
}

/// Escape one JSON Pointer token.
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Follow `$ref: #/$defs/X` (schemars puts shared types there).
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..8 {
        match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(ptr) => match root.pointer(ptr) {
                Some(n) => node = n,
                None => break,
            },
            None => break,
        }
    }
    node
}

fn child_schema<'a>(root: &'a Value, schema: Option<&'a Value>, key: Option<&str>) -> Option<&'a Value> {
    let s = resolve(root, schema?);
    match key {
        Some(k) => s.get("properties").and_then(|p| p.get(k)).map(|c| resolve(root, c)),
        None => s.get("items").map(|c| resolve(root, c)),
    }
}

/// Every scalar of a result (in document order, at most `cap`), typed from the output
/// schema's `x-dive-type` where present, else from the field name. Arrays are leaves
/// too (their `count` can be an answer); the caller decides what to use.
pub fn leaves(result: &Value, output_schema: Option<&Value>, cap: usize) -> Vec<Leaf> {
    let mut out = Vec::new();
    // The schema is only read (for `$ref`s): borrow it, never copy it per result.
    let root = output_schema.unwrap_or(&Value::Null);
    walk(result, root, output_schema, "", "", &mut out, cap, 0);
    out
}

fn leaf(path: &str, key: &str, v: &Value, schema: Option<&Value>) -> Leaf {
    Leaf {
        path: path.to_string(),
        key: key.to_string(),
        value: v.clone(),
        sem_type: types::type_of(key, schema),
        description: schema.and_then(|s| s.get("description")).and_then(Value::as_str).map(str::to_string),
    }
}

#[allow(clippy::too_many_arguments)]
fn walk(v: &Value, root: &Value, schema: Option<&Value>, path: &str, key: &str, out: &mut Vec<Leaf>, cap: usize, depth: usize) {
    if out.len() >= cap || depth > 12 {
        return;
    }
    let here = schema.map(|s| resolve(root, s));
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{path}/{}", pointer_token(k));
                walk(child, root, child_schema(root, schema, Some(k)), &p, k, out, cap, depth + 1);
            }
        }
        Value::Array(items) => {
            out.push(leaf(path, key, v, here));
            for (i, child) in items.iter().enumerate() {
                walk(child, root, child_schema(root, schema, None), &format!("{path}/{i}"), key, out, cap, depth + 1);
            }
        }
        Value::Null => {}
        _ => out.push(leaf(path, key, v, here)),
    }
}

/// The description of a parameter in an input schema.
pub fn param_description(input_schema: &Value, name: &str) -> Option<String> {
    input_schema.get("properties")?.get(name)?.get("description")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leaves_carry_types_from_the_schema_and_names() {
        let schema = json!({"type": "object", "properties": {
            "protein": {"type": "string", "x-dive-type": "protein_sequence", "description": "The protein."},
            "hits": {"type": "array", "items": {"$ref": "#/$defs/Hit"}}},
            "$defs": {"Hit": {"type": "object", "properties": {"id": {"x-dive-type": "rxcui"}}}}});
        let result = json!({"protein": "MK*", "hits": [{"id": "161", "a/b": 2}], "none": null});
        let l = leaves(&result, Some(&schema), 100);
        let find = |p: &str| l.iter().find(|x| x.path == p).unwrap();
        assert_eq!(find("/protein").sem_type, "protein_sequence");
        assert_eq!(find("/protein").description.as_deref(), Some("The protein."));
        assert_eq!(find("/hits/0/id").sem_type, "rxcui");
        assert_eq!(find("/hits/0/a~1b").value, json!(2));
        assert_eq!(find("/hits").value.as_array().unwrap().len(), 1);
        assert!(l.iter().all(|x| x.path != "/none"));
        assert_eq!(result.pointer("/hits/0/a~1b"), Some(&json!(2)));
        assert_eq!(leaves(&result, None, 2).len(), 2);
    }
}
