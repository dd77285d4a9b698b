//! OpenAI strict-mode function schemas: every object closed (`additionalProperties:
//! false`) with every property required, optional properties made nullable, and the
//! keywords strict mode does not take left out (their limits stay in the description
//! the model reads, and dive still checks the real schema before every call).

use serde_json::{json, Map, Value};
use thiserror::Error;

/// Why a schema has no strict-mode form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StrictError {
    #[error("{at}: an object with free-form keys (additionalProperties is a schema) has no strict-mode form")]
    OpenObject { at: String },
    #[error("the parameters are not an object schema")]
    NotAnObject,
}

/// Keywords strict mode does not accept; dropped.
const UNSUPPORTED: &[&str] = &[
    "$schema", "title", "default", "examples", "format", "pattern", "minLength", "maxLength",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "patternProperties", "unevaluatedProperties", "propertyNames", "minProperties",
    "maxProperties", "unevaluatedItems", "contains", "minContains", "maxContains",
    "minItems", "maxItems", "uniqueItems", "dependentRequired", "dependentSchemas", "if",
    "then", "else", "not",
];

/// The strict-mode form of a tool's input schema.
pub fn strict_schema(schema: &Value) -> Result<Value, StrictError> {
    if schema.get("type") != Some(&json!("object")) {
        return Err(StrictError::NotAnObject);
    }
    convert(schema, "$")
}

fn convert(schema: &Value, at: &str) -> Result<Value, StrictError> {
    let Some(obj) = schema.as_object() else { return Ok(schema.clone()) };
    let mut out = Map::new();
    for (k, v) in obj {
        if UNSUPPORTED.contains(&k.as_str()) || k.starts_with("x-") {
            continue;
        }
        let v = match k.as_str() {
            "properties" => continue, // below, with `required`
            "items" => convert(v, &format!("{at}[]"))?,
            "anyOf" | "oneOf" => Value::Array(each(v, at)?),
            "allOf" => match v.as_array().map(Vec::as_slice) {
                Some([only]) => {
                    merge(&mut out, convert(only, at)?);
                    continue;
                }
                _ => Value::Array(each(v, at)?),
            },
            "$defs" | "definitions" => Value::Object(
                v.as_object()
                    .map(|m| m.iter().map(|(n, d)| Ok((n.clone(), convert(d, &format!("{at}/{n}"))?))).collect::<Result<_, _>>())
                    .transpose()?
                    .unwrap_or_default(),
            ),
            _ => v.clone(),
        };
        // Strict mode takes anyOf, not oneOf (the same for disjoint branches).
        out.insert(if k == "oneOf" { "anyOf".into() } else { k.clone() }, v);
    }
    if is_object(schema) {
        close_object(obj, &mut out, at)?;
    }
    Ok(Value::Object(out))
}

fn each(v: &Value, at: &str) -> Result<Vec<Value>, StrictError> {
    v.as_array().into_iter().flatten().map(|s| convert(s, at)).collect()
}

fn merge(out: &mut Map<String, Value>, v: Value) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            out.entry(k).or_insert(v);
        }
    }
}

fn is_object(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => schema.get("properties").is_some(),
    }
}

/// Every property required, the optional ones nullable; no other keys.
fn close_object(obj: &Map<String, Value>, out: &mut Map<String, Value>, at: &str) -> Result<(), StrictError> {
    if matches!(obj.get("additionalProperties"), Some(Value::Object(_))) {
        return Err(StrictError::OpenObject { at: at.to_string() });
    }
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut props = Map::new();
    for (name, p) in obj.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let converted = convert(p, &format!("{at}.{name}"))?;
        let converted = if required.contains(&name.as_str()) { converted } else { nullable(converted) };
        props.insert(name.clone(), converted);
    }
    out.insert("required".into(), Value::Array(props.keys().map(|k| json!(k)).collect()));
    out.insert("properties".into(), Value::Object(props));
    out.insert("additionalProperties".into(), json!(false));
    Ok(())
}

/// A schema that also admits null (how strict mode says "optional").
fn nullable(mut s: Value) -> Value {
    let Some(m) = s.as_object_mut() else { return s };
    match m.get("type").cloned() {
        Some(Value::String(t)) if t != "null" => {
            m.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(mut ts)) => {
            if !ts.contains(&json!("null")) {
                ts.push(json!("null"));
            }
            m.insert("type".into(), Value::Array(ts));
        }
        Some(_) => {}
        None => return json!({ "anyOf": [s, {"type": "null"}] }),
    }
    if let Some(Value::Array(e)) = m.get_mut("enum") {
        if !e.contains(&Value::Null) {
            e.push(Value::Null);
        }
    }
    s
}

/// Whether a schema keeps strict mode's rules (for tests and `tools export --strict`
/// reports): every object closed with all properties required, no unsupported keyword.
pub fn check_strict(schema: &Value) -> Result<(), String> {
    fn walk(s: &Value, at: &str) -> Result<(), String> {
        match s {
            Value::Object(m) => {
                for k in m.keys() {
                    if UNSUPPORTED.contains(&k.as_str()) || k == "oneOf" || k.starts_with("x-") {
                        return Err(format!("{at}: keyword {k} is not allowed in strict mode"));
                    }
                }
                if is_object(s) {
                    if m.get("additionalProperties") != Some(&json!(false)) {
                        return Err(format!("{at}: an object without additionalProperties: false"));
                    }
                    let props: Vec<&String> = m.get("properties").and_then(Value::as_object).map(|p| p.keys().collect()).unwrap_or_default();
                    let req: Vec<&str> = m.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
                    if let Some(p) = props.iter().find(|p| !req.contains(&p.as_str())) {
                        return Err(format!("{at}: property {p} is not required"));
                    }
                }
                for (k, v) in m {
                    let child = format!("{at}/{k}");
                    match k.as_str() {
                        "properties" | "$defs" | "definitions" => {
                            for (n, c) in v.as_object().into_iter().flatten() {
                                walk(c, &format!("{child}/{n}"))?;
                            }
                        }
                        "items" => walk(v, &child)?,
                        "anyOf" | "allOf" => {
                            for c in v.as_array().into_iter().flatten() {
                                walk(c, &child)?;
                            }
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(schema, "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_properties_become_nullable_and_limits_are_left_out() {
        let s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "sequence": {"type": "string", "minLength": 1, "description": "DNA", "x-dive-type": "dna_sequence"},
                "table": {"type": "integer", "minimum": 1, "maximum": 33, "default": 1},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "ids": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}, "maxItems": 5},
                "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]}
            },
            "required": ["sequence"]
        });
        let out = strict_schema(&s).unwrap();
        check_strict(&out).unwrap();
        assert_eq!(out["required"], json!(["sequence", "table", "mode", "ids", "either"]));
        assert_eq!(out["properties"]["sequence"], json!({"type": "string", "description": "DNA"}));
        assert_eq!(out["properties"]["table"], json!({"type": ["integer", "null"]}));
        assert_eq!(out["properties"]["mode"]["enum"], json!(["a", "b", null]));
        assert_eq!(out["properties"]["ids"]["items"]["additionalProperties"], json!(false));
        assert_eq!(out["properties"]["either"]["anyOf"][1], json!({"type": "null"}));
        assert!(check_strict(&s).is_err(), "the original is not strict");
    }

    #[test]
    fn free_form_maps_have_no_strict_form() {
        let s = json!({"type": "object", "properties": {"params": {"type": "object", "additionalProperties": {"type": "string"}}}});
        assert!(matches!(strict_schema(&s), Err(StrictError::OpenObject { .. })));
    }
}
