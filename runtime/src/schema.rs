//! A tool's JSON Schema as the pool holds it: its JSON text, parsed into a value only
//! when something reads it. A process that runs one tool of 373 (or lists their names)
//! parses one tool's schemas, not every tool's: the pool index stores the text, and
//! reading it back is a scan, not a tree of maps and strings per tool.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::OnceLock;

/// A JSON Schema (or any JSON value) kept as text until it is first read as a value.
/// It dereferences to the parsed [`Value`]; equality, `Debug` and serialization are those
/// of the value, so a schema read back from the index is the one a full load parsed.
#[derive(Clone)]
pub struct Schema {
    text: Box<RawValue>,
    value: OnceLock<Value>,
}

impl Schema {
    /// A schema from JSON text that is known to be valid JSON (serde_json checked it when
    /// it read the [`RawValue`]).
    pub fn from_raw(text: Box<RawValue>) -> Schema {
        Schema { text, value: OnceLock::new() }
    }

    /// A schema from a parsed value (its text is the value's compact JSON).
    pub fn from_value(value: Value) -> Schema {
        let text = serde_json::value::to_raw_value(&value).expect("a JSON value serializes");
        Schema { text, value: OnceLock::from(value) }
    }

    /// The schema's JSON text.
    pub fn text(&self) -> &RawValue {
        &self.text
    }

    /// Whether the text is a JSON object or a boolean (the two kinds of JSON Schema),
    /// known without parsing it.
    pub fn is_object_or_boolean(&self) -> bool {
        is_object_or_boolean(&self.text)
    }

    /// The parsed value.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            // The text came from serde_json (a RawValue or a value's serialization), so it
            // is valid JSON within serde_json's nesting limit: this parse cannot fail.
            serde_json::from_str(self.text.get()).expect("a schema's text is valid JSON")
        })
    }
}

/// Whether JSON text is an object or a boolean, from its first character.
pub fn is_object_or_boolean(text: &RawValue) -> bool {
    matches!(text.get().trim_start().as_bytes().first(), Some(b'{' | b't' | b'f'))
}

impl std::ops::Deref for Schema {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl PartialEq for Schema {
    fn eq(&self, other: &Schema) -> bool {
        self.text.get() == other.text.get() || self.value() == other.value()
    }
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl Serialize for Schema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl From<Value> for Schema {
    fn from(value: Value) -> Schema {
        Schema::from_value(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_and_value_agree() {
        let v = json!({"type": "object", "properties": {"b": {"type": "number", "maximum": 1.5e300}, "a": {}}});
        let s = Schema::from_value(v.clone());
        let back = Schema::from_raw(RawValue::from_string(s.text().get().to_string()).unwrap());
        assert_eq!(*back, v);
        assert_eq!(back, s);
        assert_eq!(serde_json::to_string(&back).unwrap(), serde_json::to_string(&v).unwrap());
        assert_eq!(back["properties"]["b"]["maximum"], json!(1.5e300));
    }

    #[test]
    fn kinds_are_told_from_the_text() {
        let raw = |t: &str| Schema::from_raw(RawValue::from_string(t.to_string()).unwrap());
        assert!(raw(" {}").is_object_or_boolean());
        assert!(raw("true").is_object_or_boolean());
        assert!(raw("false").is_object_or_boolean());
        assert!(!raw("[1]").is_object_or_boolean());
        assert!(!raw("\"x\"").is_object_or_boolean());
        assert!(!raw("null").is_object_or_boolean());
        assert!(!raw("3").is_object_or_boolean());
    }
}
