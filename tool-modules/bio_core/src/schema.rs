//! Keep generated argument schemas in the catalog's plain style.

use schemars::Schema;

/// Drop schemars' numeric `format` annotations ("uint32", "uint64") from the
/// properties: the catalog states integer bounds with `minimum`/`maximum` only.
/// Use as `#[schemars(transform = bio_core::schema::plain_integers)]` on an
/// argument struct.
pub fn plain_integers(schema: &mut Schema) {
    if let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for prop in props.values_mut() {
            if let Some(obj) = prop.as_object_mut() {
                if obj.get("type").and_then(|t| t.as_str()) == Some("integer") {
                    obj.remove("format");
                }
            }
        }
    }
}
