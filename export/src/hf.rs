//! Tasks as a Hugging Face dataset (ARCHITECTURE.md §11): Parquet under `DIR/data/` and
//! a dataset card `DIR/README.md` whose YAML header names the files (`configs`) and the
//! columns (`dataset_info.features`), followed by the provenance a reader needs to trust
//! and rebuild it.
//!
//! Columns come from the task records themselves, so a new task field becomes a column
//! without code here: a field that is text in every task is a `string` column, an integer
//! that fits in i64 an `int64` column, a list of text a list of `string`; anything else
//! (objects, mixed lists, integers past i64 such as a run seed ≥ 2^63) is its exact JSON
//! text in a `string` column. Every column has one type in every row.

use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// Why a dataset could not be written.
#[derive(Debug, Error)]
pub enum HfError {
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
    #[error("there are no tasks to write")]
    Empty,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    TextList,
    /// The value's JSON text.
    Json,
}

impl Kind {
    fn of(v: &Value) -> Option<Kind> {
        match v {
            Value::Null => None, // fits any kind
            Value::String(_) => Some(Kind::Text),
            Value::Number(n) if n.as_i64().is_some() => Some(Kind::Int),
            Value::Array(a) if a.iter().all(Value::is_string) => Some(Kind::TextList),
            _ => Some(Kind::Json),
        }
    }

    /// The Arrow type of the column.
    fn arrow(self) -> DataType {
        match self {
            Kind::Text | Kind::Json => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::TextList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }

    /// The feature in the card's YAML.
    fn feature(self) -> &'static str {
        match self {
            Kind::Text | Kind::Json => "dtype: string",
            Kind::Int => "dtype: int64",
            Kind::TextList => "list: string",
        }
    }
}

/// The columns of a set of rows: every key of every row, in first-seen order, each with
/// the one kind all its values have (Json when they differ).
pub fn columns(rows: &[serde_json::Map<String, Value>]) -> Vec<(String, Kind)> {
    let mut out: Vec<(String, Option<Kind>)> = Vec::new();
    for row in rows {
        for (k, v) in row {
            let kind = Kind::of(v);
            match out.iter_mut().find(|(name, _)| name == k) {
                None => out.push((k.clone(), kind)),
                Some((_, seen)) => {
                    *seen = match (*seen, kind) {
                        (None, k) | (k, None) => k,
                        (Some(a), Some(b)) if a == b => Some(a),
                        _ => Some(Kind::Json),
                    }
                }
            }
        }
    }
    out.into_iter().map(|(k, kind)| (k, kind.unwrap_or(Kind::Text))).collect()
}

fn column(rows: &[serde_json::Map<String, Value>], name: &str, kind: Kind) -> ArrayRef {
    let values = rows.iter().map(|r| r.get(name).filter(|v| !v.is_null()));
    match kind {
        Kind::Text => {
            let mut b = StringBuilder::new();
            values.for_each(|v| b.append_option(v.and_then(Value::as_str)));
            Arc::new(b.finish())
        }
        Kind::Json => {
            let mut b = StringBuilder::new();
            values.for_each(|v| b.append_option(v.map(|v| v.to_string())));
            Arc::new(b.finish())
        }
        Kind::Int => {
            let mut b = Int64Builder::new();
            values.for_each(|v| b.append_option(v.and_then(Value::as_i64)));
            Arc::new(b.finish())
        }
        Kind::TextList => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v.and_then(Value::as_array) {
                    Some(items) => {
                        items.iter().for_each(|s| b.values().append_option(s.as_str()));
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
    }
}

/// Provenance for the card.
pub struct Provenance {
    /// `dive --version` text.
    pub dive_version: String,
    /// The commands that built the tasks, one per distinct run.
    pub commands: Vec<String>,
    /// BLAKE3 over the sorted trace ids the tasks bind to: the evidence they stand on.
    pub evidence_digest: String,
    /// (package, component BLAKE3) of every component the evidence ran.
    pub components: Vec<(String, String)>,
    /// The `dive stats` table.
    pub stats: String,
    /// The task file's name, for the re-verify instructions.
    pub source: String,
}

/// Write `DIR/data/train-00000-of-00001.parquet` and `DIR/README.md`.
pub fn write(dir: &Path, tasks: &[Value], prov: &Provenance) -> Result<(), HfError> {
    let rows: Vec<serde_json::Map<String, Value>> = tasks.iter().filter_map(|t| t.as_object().cloned()).collect();
    if rows.is_empty() {
        return Err(HfError::Empty);
    }
    let cols = columns(&rows);
    let schema = Arc::new(Schema::new(cols.iter().map(|(n, k)| Field::new(n, k.arrow(), true)).collect::<Vec<_>>()));
    let arrays: Vec<ArrayRef> = cols.iter().map(|(n, k)| column(&rows, n, *k)).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| write_err(dir, e))?;

    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| write_err(&data, e))?;
    let file = data.join("train-00000-of-00001.parquet");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_created_by(format!("dive {}", prov.dive_version))
        .build();
    // Streamed into the one atomic write (temp file, fsync, rename): a reader sees the
    // old split or the new one, and the Parquet bytes are never held in memory.
    dive_runtime::fsutil::write_atomic_with(&file, 0o666, |f| {
        let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, Some(props)).map_err(std::io::Error::other)?;
        w.write(&batch).map_err(std::io::Error::other)?;
        w.close().map(drop).map_err(std::io::Error::other)
    })
    .map_err(|e| write_err(&file, e))?;

    let card = card(&cols, rows.len(), prov);
    dive_runtime::fsutil::write_atomic(&dir.join("README.md"), card.as_bytes()).map_err(|e| write_err(dir, e))?;
    Ok(())
}

fn write_err(p: &Path, e: impl std::fmt::Display) -> HfError {
    HfError::Write { path: p.display().to_string(), message: e.to_string() }
}

/// The dataset card: YAML header, then what the data is and where it came from.
pub fn card(cols: &[(String, Kind)], n: usize, p: &Provenance) -> String {
    let mut y = String::from("---\npretty_name: dive verifiable tool-use tasks\ntask_categories:\n- question-answering\ntags:\n- tool-use\n- agents\n- dive\n");
    y.push_str("configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*.parquet\n");
    y.push_str("dataset_info:\n  features:\n");
    for (name, kind) in cols {
        y.push_str(&format!("  - name: {name}\n    {}\n", kind.feature()));
    }
    y.push_str(&format!("  splits:\n  - name: train\n    num_examples: {n}\n---\n\n"));
    let json_cols: Vec<&str> = cols.iter().filter(|(_, k)| *k == Kind::Json).map(|(n, _)| n.as_str()).collect();
    let mut body = format!(
        "# dive verifiable tool-use tasks\n\n{n} tasks built by dive from sandboxed, recorded tool calls: each \
         question's answer is bound to a value in an evidence trace and checked by the task's verifier.\n\n\
         Columns are the task record's fields; {} hold their exact JSON text.\n\n## Provenance\n\n\
         - dive: `{}`\n- built with: {}\n- evidence digest (BLAKE3 over the sorted trace ids): `{}`\n\n### Components the evidence ran\n\n| package | component BLAKE3 |\n|---|---|\n",
        if json_cols.is_empty() { "no columns".to_string() } else { json_cols.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ") },
        p.dive_version,
        p.commands.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
        p.evidence_digest,
    );
    for (name, hash) in &p.components {
        body.push_str(&format!("| {name} | `{hash}` |\n"));
    }
    body.push_str(&format!(
        "\n### Diversity (`dive stats`)\n\n```\n{}\n```\n\n## Re-verifying\n\nWith the evidence store the tasks were built into \
         (`--store`, default `.dive/store`) and the same tool packages:\n\n```sh\ndive reverify {}          # offline: replays every task's evidence\n\
         dive reverify {} --live   # against the live services: what drifted\n```\n",
        p.stats.trim_end(),
        p.source,
        p.source
    ));
    y + &body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_column_has_one_kind() {
        let rows: Vec<_> = [
            json!({"a": "x", "n": 1, "l": ["p"], "o": {"k": 1}, "big": 9223372036854775807u64, "m": null}),
            json!({"a": "y", "n": 2, "l": [], "o": [1], "big": 9223372036854775808u64, "m": "z"}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let cols = columns(&rows);
        let kinds: Vec<(&str, Kind)> = cols.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(
            kinds,
            [("a", Kind::Text), ("n", Kind::Int), ("l", Kind::TextList), ("o", Kind::Json), ("big", Kind::Json), ("m", Kind::Text)]
        );
    }
}
