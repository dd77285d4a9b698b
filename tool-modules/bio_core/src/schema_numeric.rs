//! Keep generated argument schemas of numeric tools in the catalog's plain style.

use schemars::Schema;
use serde_json::Value;

fn strip(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            let numeric = matches!(
                obj.get("type").and_then(|t| t.as_str()),
                Some("number" | "integer")
            );
            if numeric {
                obj.remove("format");
            }
            for child in obj.values_mut() {
                strip(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Drop schemars' numeric `format` annotations ("double", "uint32", ...) everywhere in
/// the properties, nested array items included: the catalog states numbers as plain
/// `{"type": "number"}` and bounds with `minimum`/`maximum` only. Use as
/// `#[schemars(transform = bio_core::schema_numeric::plain_numbers)]`.
pub fn plain_numbers(schema: &mut Schema) {
    if let Some(props) = schema.get_mut("properties") {
        strip(props);
    }
}
