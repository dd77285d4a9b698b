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
use dive_deriver::task::Task;
use serde_json::{Map, Value};
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
    #[error("task {index} (from 0) is not a JSON record: {message}")]
    NotARecord { index: usize, message: String },
}

/// Rows converted to Arrow at a time: beyond the tasks themselves, the exporter holds
/// one batch of rows, so memory does not grow with the rows' JSON form.
const BATCH_ROWS: usize = 1024;

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

/// The columns of rows seen one at a time: every key of every row, in first-seen order,
/// each with the one kind all its values have (Json when they differ).
#[derive(Debug, Default)]
pub struct Columns(Vec<(String, Option<Kind>)>);

impl Columns {
    /// Take in one row's keys and the kinds of their values.
    pub fn add(&mut self, row: &Map<String, Value>) {
        for (k, v) in row {
            let kind = Kind::of(v);
            match self.0.iter_mut().find(|(name, _)| name == k) {
                None => self.0.push((k.clone(), kind)),
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

    /// The columns and their kinds (a column that was null in every row is text).
    pub fn finish(self) -> Vec<(String, Kind)> {
        self.0.into_iter().map(|(k, kind)| (k, kind.unwrap_or(Kind::Text))).collect()
    }
}

fn column(rows: &[Map<String, Value>], name: &str, kind: Kind) -> ArrayRef {
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

/// One task's row: its record's fields.
fn row(index: usize, task: &Task) -> Result<Map<String, Value>, HfError> {
    match serde_json::to_value(task) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(HfError::NotARecord { index, message: format!("it serializes to {other}") }),
        Err(e) => Err(HfError::NotARecord { index, message: e.to_string() }),
    }
}

/// Write `DIR/data/train-00000-of-00001.parquet` and `DIR/README.md`. Two passes over
/// the tasks: one learns the columns, one writes them in batches of [`BATCH_ROWS`]
/// rows, so the rows' JSON form is never all in memory at once.
pub fn write(dir: &Path, tasks: &[Task], prov: &Provenance) -> Result<(), HfError> {
    write_rows(dir, tasks.len(), |i| row(i, &tasks[i]), prov)
}

/// [`write`] of `n` rows, row `i` made by `row(i)` (each twice: once per pass).
fn write_rows(dir: &Path, n: usize, row: impl Fn(usize) -> Result<Map<String, Value>, HfError>, prov: &Provenance) -> Result<(), HfError> {
    if n == 0 {
        return Err(HfError::Empty);
    }
    let mut seen = Columns::default();
    for i in 0..n {
        seen.add(&row(i)?);
    }
    let cols = seen.finish();
    let schema = Arc::new(Schema::new(cols.iter().map(|(n, k)| Field::new(n, k.arrow(), true)).collect::<Vec<_>>()));

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
        let mut w = parquet::arrow::ArrowWriter::try_new(f, schema.clone(), Some(props)).map_err(std::io::Error::other)?;
        for start in (0..n).step_by(BATCH_ROWS) {
            let rows = (start..n.min(start + BATCH_ROWS)).map(&row).collect::<Result<Vec<_>, _>>().map_err(std::io::Error::other)?;
            let arrays: Vec<ArrayRef> = cols.iter().map(|(n, k)| column(&rows, n, *k)).collect();
            let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(std::io::Error::other)?;
            w.write(&batch).map_err(std::io::Error::other)?;
        }
        w.close().map(drop).map_err(std::io::Error::other)
    })
    .map_err(|e| write_err(&file, e))?;

    let card = card(&cols, n, prov);
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
        let mut cols = Columns::default();
        rows.iter().for_each(|r| cols.add(r));
        let cols = cols.finish();
        let kinds: Vec<(&str, Kind)> = cols.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(
            kinds,
            [("a", Kind::Text), ("n", Kind::Int), ("l", Kind::TextList), ("o", Kind::Json), ("big", Kind::Json), ("m", Kind::Text)]
        );
    }

    #[test]
    fn rows_written_in_batches_keep_every_row_and_the_kinds_of_all_rows() {
        use arrow_array::{Array, StringArray};
        // Over two batches; column `x` is an integer in every row but one in the last
        // batch, so its kind (JSON text) is known only after the first pass ends.
        let n = 2 * BATCH_ROWS + 7;
        let odd = n - 3;
        let row = |i: usize| {
            let x = if i == odd { json!("seven") } else { json!(i) };
            Ok(json!({ "i": format!("row {i}"), "x": x }).as_object().unwrap().clone())
        };
        let dir = tempfile::tempdir().unwrap();
        let prov = Provenance {
            dive_version: "test".into(),
            commands: vec![],
            evidence_digest: String::new(),
            components: vec![],
            stats: String::new(),
            source: "tasks.jsonl".into(),
        };
        write_rows(dir.path(), n, row, &prov).unwrap();
        let file = std::fs::File::open(dir.path().join("data/train-00000-of-00001.parquet")).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let (mut ids, mut xs) = (Vec::new(), Vec::new());
        for batch in reader {
            let batch = batch.unwrap();
            let text = |c: &str| batch.column_by_name(c).unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
            let (i, x) = (text("i"), text("x"));
            ids.extend((0..i.len()).map(|k| i.value(k).to_string()));
            xs.extend((0..x.len()).map(|k| x.value(k).to_string()));
        }
        assert_eq!(ids, (0..n).map(|i| format!("row {i}")).collect::<Vec<_>>());
        assert_eq!((xs[0].as_str(), xs[BATCH_ROWS + 1].as_str(), xs[odd].as_str()), ("0", "1025", "\"seven\""));
        let card = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
        assert!(card.contains(&format!("num_examples: {n}")), "{card}");
        assert_eq!(write_rows(dir.path(), 0, row, &prov).unwrap_err().to_string(), "there are no tasks to write");
    }
}
