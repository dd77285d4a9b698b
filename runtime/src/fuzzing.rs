//! Entry points for the fuzz targets (`fuzz/`, cargo-fuzz) and for the test that replays
//! their corpora in `make test`. Each takes arbitrary bytes, runs the same parser dive
//! runs on a stranger's file, and must return (an `Err` is fine) without panicking,
//! hanging or allocating without bound.

use std::path::Path;

/// `dive-tool.toml` text.
pub fn manifest(data: &[u8]) {
    if data.len() as u64 > crate::untrusted::caps::MANIFEST_BYTES {
        return; // refused before parsing (tested in manifest.rs)
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::manifest::Manifest::parse(text, Path::new("/fuzz/dive-tool.toml"));
    }
}

/// A trace file as `read_trace` reads it: JSON, then the canonical-form check.
pub fn trace(data: &[u8]) {
    if let Ok(doc) = serde_json::from_slice::<crate::trace::TraceDoc>(data) {
        let _ = doc.canonical_bytes() == data;
        let _ = crate::trace::blob_refs(&doc).len();
    }
}

/// A VCR cassette, imported into a throwaway store.
pub fn cassette(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(store) = crate::store::Store::open(dir.path()) else { return };
    let _ = crate::cassette::import_text(&store, text, Path::new("/fuzz/cassette.yaml"));
}

/// Call arguments: JSON, checked against a schema with the keywords tools use, then
/// made canonical (what `Runtime::check_args` does before a call).
pub fn args(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "sequence": {"type": "string", "pattern": "^[A-Za-z*-]*$", "maxLength": 100000},
            "table": {"type": "integer", "minimum": 1, "maximum": 33},
            "ids": {"type": "array", "items": {"type": "string"}, "maxItems": 200},
            "options": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
        },
        "required": ["sequence"],
        "additionalProperties": false
    });
    if let Ok(v) = jsonschema::draft202012::new(&schema) {
        let _ = v.is_valid(&value);
        let _ = v.iter_errors(&value).take(5).count();
    }
    let _ = crate::canonical::to_string(&value);
}
