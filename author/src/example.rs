//! The arguments `dive tool check` calls a tool with: the input schema's own `examples`
//! when it has them (the author's choice), otherwise a value made from the schema.

use serde_json::{json, Map, Value};

/// Where a tool's example arguments came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The first item of the input schema's `examples`.
    Schema,
    /// Made from the schema: required properties only, each from its `default`,
    /// `examples`, `enum` or `const`, else the smallest value of its type.
    Made,
}

/// How deep a made value may nest (a recursive schema would never end).
const MAX_DEPTH: usize = 8;

/// The example arguments of a tool with this input schema.
pub fn arguments(input_schema: &Value) -> (Value, Source) {
    match input_schema.get("examples").and_then(Value::as_array).and_then(|a| a.first()) {
        Some(example) => (example.clone(), Source::Schema),
        None => (made(input_schema, 0), Source::Made),
    }
}

fn made(schema: &Value, depth: usize) -> Value {
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(v) = given(s) {
        return v;
    }
    if depth >= MAX_DEPTH {
        return Value::Null;
    }
    if let Some(first) = ["anyOf", "oneOf", "allOf"].iter().find_map(|k| s.get(*k)?.as_array()?.first()) {
        return made(first, depth + 1);
    }
    match type_of(s) {
        Some("object") => object(s, depth),
        Some("array") => array(s, depth),
        Some("string") => string(s),
        Some("integer") => json!(number_within(s).ceil() as i64),
        Some("number") => json!(number_within(s)),
        Some("boolean") => json!(false),
        _ if s.contains_key("properties") => object(s, depth),
        _ => Value::Null,
    }
}

/// A value the schema itself offers.
fn given(s: &Map<String, Value>) -> Option<Value> {
    s.get("default")
        .or_else(|| s.get("examples").and_then(|e| e.as_array()?.first()))
        .or_else(|| s.get("const"))
        .or_else(|| s.get("enum").and_then(|e| e.as_array()?.first()))
        .cloned()
}

/// The schema's type: a string, or the first non-null of a list.
fn type_of(s: &Map<String, Value>) -> Option<&str> {
    match s.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

fn object(s: &Map<String, Value>, depth: usize) -> Value {
    let props = s.get("properties").and_then(Value::as_object);
    let required = s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    let mut out = Map::new();
    for name in required {
        let schema = props.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
        out.insert(name.to_string(), made(schema, depth + 1));
    }
    Value::Object(out)
}

fn array(s: &Map<String, Value>, depth: usize) -> Value {
    let n = s.get("minItems").and_then(Value::as_u64).unwrap_or(1).clamp(1, 16);
    let item = made(s.get("items").unwrap_or(&Value::Null), depth + 1);
    Value::Array(vec![item; n as usize])
}

fn string(s: &Map<String, Value>) -> Value {
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(1).clamp(1, 1024) as usize;
    let text = match s.get("format").and_then(Value::as_str) {
        Some("date") => "2024-01-01".to_string(),
        Some("date-time") => "2024-01-01T00:00:00Z".to_string(),
        Some("uri" | "url") => "https://example.org/".to_string(),
        Some("email") => "someone@example.org".to_string(),
        _ => "example".to_string(),
    };
    if text.len() >= min {
        return json!(text);
    }
    json!(text.repeat(min.div_ceil(text.len())))
}

/// 1, moved inside the schema's bounds.
fn number_within(s: &Map<String, Value>) -> f64 {
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    let mut v: f64 = 1.0;
    if let Some(min) = bound("minimum") {
        v = v.max(min);
    }
    if let Some(min) = bound("exclusiveMinimum") {
        v = v.max(min + 1.0);
    }
    if let Some(max) = bound("maximum") {
        v = v.min(max);
    }
    if let Some(max) = bound("exclusiveMaximum") {
        v = v.min(max - 1.0);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_own_example_wins() {
        let schema = json!({"type": "object", "examples": [{"q": "x"}], "required": ["q"]});
        assert_eq!(arguments(&schema), (json!({"q": "x"}), Source::Schema));
    }

    #[test]
    fn made_arguments_fill_required_fields_within_bounds() {
        let schema = json!({
            "type": "object",
            "properties": {
                "sequence": {"type": "string", "minLength": 10},
                "frame": {"type": "integer", "minimum": 1, "maximum": 3},
                "mode": {"enum": ["fast", "slow"]},
                "limit": {"type": "integer", "default": 5},
                "ids": {"type": "array", "items": {"type": "integer", "minimum": 7}, "minItems": 2},
                "when": {"type": ["null", "string"], "format": "date"},
                "optional": {"type": "string"}
            },
            "required": ["sequence", "frame", "mode", "limit", "ids", "when"]
        });
        let (args, source) = arguments(&schema);
        assert_eq!(source, Source::Made);
        assert_eq!(
            args,
            json!({"sequence": "exampleexample", "frame": 1, "mode": "fast", "limit": 5, "ids": [7, 7], "when": "2024-01-01"})
        );
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        assert!(validator.is_valid(&args));
    }

    #[test]
    fn a_recursive_schema_ends() {
        let schema = json!({"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]});
        let (args, _) = arguments(&schema);
        assert_eq!(args, json!({"next": null}));
    }
}
