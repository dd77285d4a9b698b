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
    /// The tasks could not be read (e.g. a broken line of the task file).
    #[error(transparent)]
    Tasks(#[from] dive_deriver::verify::TaskFileError),
    /// The second pass over the tasks gave another number of rows than the first.
    #[error("the tasks gave {expected} rows when their columns were learned and {got} when written; nothing was written")]
    RowCount { expected: usize, got: usize },
}

/// Rows converted to Arrow at a time: the exporter holds one batch of rows, so memory
/// does not grow with the number of tasks.
const BATCH_ROWS: usize = 1024;

/// A Parquet row group's encoded size at most (the writer's estimate). The writer keeps
/// a row group's pages in memory until the group is done, so with one group of every
/// row a write's memory grew with the task file (40,000 tasks, 135 MB: 94 MB at peak;
/// 46 MB with groups of 1,024 rows, measured with `MIMALLOC_PURGE_DELAY=0`). Groups of
/// rows made the file 16% larger, so the bound is on bytes: up to ~32 MB of Parquet is
/// still one group.
const ROW_GROUP_BYTES: usize = 32 << 20;

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

/// One column of the batch being built: each row's value goes straight into Arrow's
/// builder, so a batch costs its Arrow form, not its rows' JSON form.
enum ColumnBuilder {
    Text(StringBuilder),
    Json(StringBuilder),
    Int(Int64Builder),
    TextList(ListBuilder<StringBuilder>),
}

impl ColumnBuilder {
    fn new(kind: Kind) -> ColumnBuilder {
        match kind {
            Kind::Text => ColumnBuilder::Text(StringBuilder::new()),
            Kind::Json => ColumnBuilder::Json(StringBuilder::new()),
            Kind::Int => ColumnBuilder::Int(Int64Builder::new()),
            Kind::TextList => ColumnBuilder::TextList(ListBuilder::new(StringBuilder::new())),
        }
    }

    /// Append one row's value (None or JSON null: a null).
    fn append(&mut self, v: Option<&Value>) {
        let v = v.filter(|v| !v.is_null());
        match self {
            ColumnBuilder::Text(b) => b.append_option(v.and_then(Value::as_str)),
            ColumnBuilder::Json(b) => b.append_option(v.map(Value::to_string)),
            ColumnBuilder::Int(b) => b.append_option(v.and_then(Value::as_i64)),
            ColumnBuilder::TextList(b) => match v.and_then(Value::as_array) {
                Some(items) => {
                    items.iter().for_each(|s| b.values().append_option(s.as_str()));
                    b.append(true);
                }
                None => b.append(false),
            },
        }
    }

    /// The rows appended since the last call, as an array; the builder starts over.
    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) | ColumnBuilder::Json(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::TextList(b) => Arc::new(b.finish()),
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

/// One task's row: its record's fields. `index` (from 0) names the task in an error.
pub fn row(index: usize, task: &Task) -> Result<Map<String, Value>, HfError> {
    match serde_json::to_value(task) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(HfError::NotARecord { index, message: format!("it serializes to {other}") }),
        Err(e) => Err(HfError::NotARecord { index, message: e.to_string() }),
    }
}

/// Write `DIR/data/train-00000-of-00001.parquet` and `DIR/README.md` from `n` rows whose
/// columns are `cols` (learned by an earlier pass with [`Columns`] over [`row`]s), in batches of [`BATCH_ROWS`]: neither the rows' JSON form nor the
/// Parquet bytes are ever all in memory. A row the iterator fails to make ends the
/// write with that error and leaves no file; so does a count other than `n`.
pub fn write_rows(
    dir: &Path,
    cols: Vec<(String, Kind)>,
    n: usize,
    rows: impl Iterator<Item = Result<Map<String, Value>, HfError>>,
    prov: &Provenance,
) -> Result<(), HfError> {
    write_grouped(dir, cols, n, rows, prov, ROW_GROUP_BYTES)
}

/// [`write_rows`] with row groups of at most `group_bytes` (encoded, estimated).
fn write_grouped(
    dir: &Path,
    cols: Vec<(String, Kind)>,
    n: usize,
    mut rows: impl Iterator<Item = Result<Map<String, Value>, HfError>>,
    prov: &Provenance,
    group_bytes: usize,
) -> Result<(), HfError> {
    if n == 0 {
        return Err(HfError::Empty);
    }
    let schema = Arc::new(Schema::new(cols.iter().map(|(n, k)| Field::new(n, k.arrow(), true)).collect::<Vec<_>>()));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| write_err(&data, e))?;
    let file = data.join("train-00000-of-00001.parquet");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_bytes(Some(group_bytes))
        .set_created_by(format!("dive {}", prov.dive_version))
        .build();
    // A failure of the rows themselves, kept apart from the write's own I/O errors.
    let mut bad_row = None;
    // Streamed into the one atomic write (temp file, fsync, rename): a reader sees the
    // old split or the new one.
    let wrote = dive_runtime::fsutil::write_atomic_with(&file, 0o666, |f| {
        let mut w = parquet::arrow::ArrowWriter::try_new(f, schema.clone(), Some(props)).map_err(std::io::Error::other)?;
        let mut builders: Vec<ColumnBuilder> = cols.iter().map(|(_, k)| ColumnBuilder::new(*k)).collect();
        let (mut written, mut in_batch) = (0, 0);
        for row in rows.by_ref() {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let message = e.to_string();
                    bad_row = Some(e);
                    return Err(std::io::Error::other(message));
                }
            };
            for ((name, _), b) in cols.iter().zip(&mut builders) {
                b.append(row.get(name));
            }
            (written, in_batch) = (written + 1, in_batch + 1);
            if in_batch == BATCH_ROWS {
                write_batch(&mut w, &schema, &mut builders)?;
                in_batch = 0;
            }
        }
        if in_batch > 0 {
            write_batch(&mut w, &schema, &mut builders)?;
        }
        if written != n {
            bad_row = Some(HfError::RowCount { expected: n, got: written });
            return Err(std::io::Error::other("row count"));
        }
        w.close().map(drop).map_err(std::io::Error::other)
    });
    if let Some(e) = bad_row {
        return Err(e);
    }
    wrote.map_err(|e| write_err(&file, e))?;
    let card = card(&cols, n, prov);
    dive_runtime::fsutil::write_atomic(&dir.join("README.md"), card.as_bytes()).map_err(|e| write_err(dir, e))?;
    Ok(())
}

/// Write the rows the builders hold as one record batch; the builders start over.
fn write_batch(w: &mut parquet::arrow::ArrowWriter<&mut std::fs::File>, schema: &Arc<Schema>, builders: &mut [ColumnBuilder]) -> std::io::Result<()> {
    let arrays: Vec<ArrayRef> = builders.iter_mut().map(ColumnBuilder::finish).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(std::io::Error::other)?;
    w.write(&batch).map_err(std::io::Error::other)
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

    /// Provenance that says nothing: these tests look at the data, not the card's text.
    fn provenance() -> Provenance {
        Provenance {
            dive_version: "test".into(),
            commands: vec![],
            evidence_digest: String::new(),
            components: vec![],
            stats: String::new(),
            source: "tasks.jsonl".into(),
        }
    }

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
        let prov = provenance();
        let mut cols = Columns::default();
        (0..n).for_each(|i| cols.add(&row(i).unwrap()));
        let cols = cols.finish();
        write_rows(dir.path(), cols.clone(), n, (0..n).map(row), &prov).unwrap();
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
        assert_eq!(write_rows(dir.path(), cols.clone(), 0, (0..0).map(row), &prov).unwrap_err().to_string(), "there are no tasks to write");
        // A row that cannot be made, or a second pass of another length, leaves the
        // split written before untouched.
        let before = std::fs::read(dir.path().join("data/train-00000-of-00001.parquet")).unwrap();
        let failing = (0..n).map(|i| if i == BATCH_ROWS + 3 { Err(HfError::Tasks(dive_deriver::verify::TaskFileError::Changed { path: "tasks.jsonl".into() })) } else { row(i) });
        assert_eq!(write_rows(dir.path(), cols.clone(), n, failing, &prov).unwrap_err().to_string(), "tasks.jsonl changed while it was being read twice; run the command again once nothing writes to it");
        let short = write_rows(dir.path(), cols, n, (0..n - 1).map(row), &prov).unwrap_err();
        assert!(matches!(short, HfError::RowCount { expected, got } if expected == n && got == n - 1), "{short}");
        assert_eq!(std::fs::read(dir.path().join("data/train-00000-of-00001.parquet")).unwrap(), before);
    }

    #[test]
    fn row_groups_are_bounded_in_bytes_and_keep_every_row() {
        use arrow_array::{Array, StringArray};
        // Incompressible text: 3,000 rows of 512 hex digits, ~1.5 MB, in groups of at
        // most 64 KiB.
        let text = |i: usize| (0..16).map(|k| blake3::hash(format!("{i}/{k}").as_bytes()).to_hex().to_string()).collect::<String>();
        let row = |i: usize| Ok(json!({ "i": i, "t": text(i) }).as_object().unwrap().clone());
        let n = 3000;
        let mut cols = Columns::default();
        (0..n).for_each(|i| cols.add(&row(i).unwrap()));
        let dir = tempfile::tempdir().unwrap();
        let prov = provenance();
        write_grouped(dir.path(), cols.finish(), n, (0..n).map(row), &prov, 64 << 10).unwrap();
        let file = std::fs::File::open(dir.path().join("data/train-00000-of-00001.parquet")).unwrap();
        let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let groups = builder.metadata().row_groups().to_vec();
        assert!(groups.len() >= 10, "{} row groups", groups.len());
        assert!(groups.iter().all(|g| g.compressed_size() < 2 * (64 << 10)), "{:?}", groups.iter().map(|g| g.compressed_size()).collect::<Vec<_>>());
        let mut texts = Vec::new();
        for batch in builder.build().unwrap() {
            let batch = batch.unwrap();
            let t = batch.column_by_name("t").unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
            texts.extend((0..t.len()).map(|k| t.value(k).to_string()));
        }
        assert_eq!(texts, (0..n).map(text).collect::<Vec<_>>());
    }
}
