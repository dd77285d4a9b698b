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
    /// A schema from JSON text that passed [`is_usable`]. serde_json checked the text is
    /// JSON when it read the [`RawValue`], but not how deeply it nests; `is_usable` did,
    /// so parsing it later ([`Schema::value`]) cannot fail.
    pub(crate) fn from_raw(text: Box<RawValue>) -> Schema {
        debug_assert!(is_usable(&text));
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


    /// The parsed value.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            // The text is a value's serialization or passed `is_usable`: JSON within
            // serde_json's nesting limit, so this parse cannot fail.
            serde_json::from_str(self.text.get()).expect("a schema's text is valid JSON")
        })
    }
}

/// The deepest nesting of arrays and objects serde_json parses into a [`Value`].
const MAX_NESTING: usize = 127;

/// Whether JSON text (already checked to be JSON, as a [`RawValue`] is) can be a tool's
/// schema: an object or a boolean (the two kinds of JSON Schema) that serde_json can parse
/// into a value (no deeper than [`MAX_NESTING`]; reading a `RawValue` does not check
/// depth). One pass over the bytes, no allocation: what the pool index checks of every
/// schema it reads, instead of parsing them all.
pub fn is_usable(text: &RawValue) -> bool {
    let text = text.get().trim_start();
    matches!(text.as_bytes().first(), Some(b'{' | b't' | b'f')) && nesting(text) <= MAX_NESTING
}

/// The deepest nesting of arrays and objects in valid JSON text.
fn nesting(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &c in json.as_bytes() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
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
        assert!(is_usable(back.text()));
        assert_eq!(*back, v);
        assert_eq!(back, s);
        assert_eq!(serde_json::to_string(&back).unwrap(), serde_json::to_string(&v).unwrap());
        assert_eq!(back["properties"]["b"]["maximum"], json!(1.5e300));
    }

    fn usable(t: &str) -> bool {
        is_usable(&RawValue::from_string(t.to_string()).unwrap())
    }

    #[test]
    fn kinds_are_told_from_the_text() {
        assert!(usable(" {}"));
        assert!(usable("true"));
        assert!(usable("false"));
        assert!(!usable("[1]"));
        assert!(!usable("\"x\""));
        assert!(!usable("null"));
        assert!(!usable("3"));
    }

    /// A `RawValue` accepts any depth; a schema deeper than serde_json parses into a
    /// value is refused up front, so `Schema::value` never meets it.
    #[test]
    fn nesting_is_bounded_where_serde_json_bounds_it() {
        for n in [1, 126, 127, 128, 129, 5000] {
            let nested = format!("{}{{}}{}", "{\"a\":".repeat(n - 1), "}".repeat(n - 1));
            let parses = serde_json::from_str::<Value>(&nested).is_ok();
            assert_eq!(usable(&nested), parses, "depth {n}");
            assert_eq!(parses, n <= MAX_NESTING, "depth {n}");
        }
        let deep_array = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(!usable(&deep_array));
        // Brackets inside strings (escaped quotes too) are not nesting.
        let in_strings = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(300), "{".repeat(300));
        assert!(usable(&in_strings), "{in_strings}");
        let back = Schema::from_raw(RawValue::from_string(in_strings).unwrap());
        assert!(back.value().is_object());
    }
}
