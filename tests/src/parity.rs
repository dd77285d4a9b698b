//! The parity table (tests/parity/parity.tsv): for every field that DIVE's own
//! implementation of a tool returns, the JSON path in dive's output that carries the
//! same information, or why it is deliberately different.
//!
//! One row per DIVE field, tab-separated:
//!
//! ```text
//! tool  domain  dive_field  dive_path  when  note
//! ```
//!
//! * `dive_field`: the path in DIVE's return value (`a.b`, `items[].c`; `(body)` for the
//!   upstream's answer returned as it came, `(value)` for a bare returned value).
//! * `dive_path`: where dive's output carries it (`.` is the whole output), `-` for a
//!   deliberate difference (the note says why), `MISSING` for information dive does
//!   not return yet (the note says what).
//! * `when`: `always`; `optional` (present when it applies: when the upstream's answer
//!   has it, or in some modes of the tool; checked against the output schema only); or
//!   conditions on the arguments joined by ` & `,
//!   each `name=v1|v2` or `name!=v1|v2`, the schema's defaults standing in for
//!   arguments not given.
//!
//! [`Table::check_output`] is called on every successful result the Biopython
//! differential tests and the API tests (recorded answers and loopback imitations) get,
//! through `bio::check` and `api::ok`; `tests/tests/integration/parity.rs` checks the table against
//! every tool's output schema.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Where dive carries one DIVE field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A JSON path in dive's output.
    Path(String),
    /// Deliberately different; the row's note says why.
    Different,
    /// Not returned yet; the row's note says what is missing.
    Missing,
}

/// When a mapped field must be in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// In every successful result.
    Always,
    /// When it applies: the upstream's answer has it, or a mode of the tool gives it
    /// (checked against the schema only).
    Optional,
    /// When every condition on the arguments holds.
    Args(Vec<Condition>),
}

/// `name=v1|v2` (`equal`) or `name!=v1|v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The argument's name.
    pub name: String,
    /// True for `=`, false for `!=`.
    pub equal: bool,
    /// The values, compared with the argument's JSON text (strings unquoted).
    pub values: Vec<String>,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// dive's tool name (the same as DIVE's).
    pub tool: String,
    /// The tool's domain.
    pub domain: String,
    /// The field's path in DIVE's return value.
    pub dive_field: String,
    /// Where dive carries it.
    pub target: Target,
    /// When it must be there.
    pub when: When,
    /// Why it differs or is missing, or how the mapping reads.
    pub note: String,
}

/// The whole table, rows grouped by tool.
#[derive(Debug, Default)]
pub struct Table {
    /// Tool name -> its rows, in file order.
    pub tools: BTreeMap<String, Vec<Row>>,
}

/// The table's location in the repository.
pub const TABLE_PATH: &str = "tests/parity/parity.tsv";

fn parse_when(text: &str) -> Result<When, String> {
    match text {
        "always" => return Ok(When::Always),
        "optional" => return Ok(When::Optional),
        _ => {}
    }
    let mut conds = Vec::new();
    for part in text.split(" & ") {
        let (name, equal, values) = if let Some((n, v)) = part.split_once("!=") {
            (n, false, v)
        } else if let Some((n, v)) = part.split_once('=') {
            (n, true, v)
        } else {
            return Err(format!("condition {part:?}: expected name=v or name!=v"));
        };
        conds.push(Condition {
            name: name.trim().to_string(),
            equal,
            values: values.split('|').map(|v| v.trim().to_string()).collect(),
        });
    }
    Ok(When::Args(conds))
}

fn parse_row(line: &str) -> Result<Row, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    let [tool, domain, dive_field, path, when, note] = cols[..] else {
        return Err(format!("{} columns, expected 6", cols.len()));
    };
    let target = match path {
        "-" => Target::Different,
        "MISSING" => Target::Missing,
        p => Target::Path(p.to_string()),
    };
    if target != Target::Path(path.to_string()) && note.trim().is_empty() {
        return Err(format!(
            "{tool} {dive_field}: a `{path}` row needs a note saying why"
        ));
    }
    Ok(Row {
        tool: tool.to_string(),
        domain: domain.to_string(),
        dive_field: dive_field.to_string(),
        target,
        when: parse_when(when)?,
        note: note.to_string(),
    })
}

impl Table {
    /// Parse the table's text (a header line, then rows; `#` lines are comments).
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut t = Table::default();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let row = parse_row(line).map_err(|e| format!("{TABLE_PATH}:{}: {e}", i + 1))?;
            t.tools.entry(row.tool.clone()).or_default().push(row);
        }
        Ok(t)
    }

    /// The committed table, read once.
    pub fn load() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(|| {
            let path = super::repo_root().join(TABLE_PATH);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Table::parse(&text).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// The mapped fields `output` lacks, for a successful call of `tool` with `args`
    /// (whose input schema gives the defaults). Empty when the tool has no rows.
    pub fn missing_fields(
        &self,
        tool: &str,
        args: &Value,
        input_schema: &Value,
        output: &Value,
    ) -> Vec<String> {
        let Some(rows) = self.tools.get(tool) else {
            return vec![];
        };
        rows.iter()
            .filter_map(|r| match (&r.target, &r.when) {
                (Target::Path(p), When::Always) => Some((r, p)),
                (Target::Path(p), When::Args(c)) if conditions_hold(c, args, input_schema) => {
                    Some((r, p))
                }
                _ => None,
            })
            .filter(|(_, p)| !path_present(output, p))
            .map(|(r, p)| format!("{tool}: DIVE's `{}` should be at `{p}`", r.dive_field))
            .collect()
    }

    /// Panic when `output` lacks a mapped field (see [`Table::missing_fields`]).
    #[track_caller]
    pub fn check_output(&self, tool: &str, args: &Value, input_schema: &Value, output: &Value) {
        let missing = self.missing_fields(tool, args, input_schema, output);
        assert!(
            missing.is_empty(),
            "parity ({TABLE_PATH}): {}\n  args: {args}",
            missing.join("\n  ")
        );
    }
}

/// The argument's value as the table writes it: strings bare, the rest as JSON.
fn arg_text(args: &Value, input_schema: &Value, name: &str) -> Option<String> {
    let v = args
        .get(name)
        .or_else(|| input_schema["properties"][name].get("default"))?;
    Some(match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn conditions_hold(conds: &[Condition], args: &Value, input_schema: &Value) -> bool {
    conds.iter().all(|c| {
        let v = arg_text(args, input_schema, &c.name).unwrap_or_else(|| "null".to_string());
        c.values.contains(&v) == c.equal
    })
}

/// Split `a.b[].c` into segments `a`, `b`, `[]`, `c` (`.` alone is the root).
fn segments(path: &str) -> Vec<&str> {
    if path == "." {
        return vec![];
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.strip_suffix("[]") {
            Some(name) => {
                if !name.is_empty() {
                    out.push(name);
                }
                out.push("[]");
            }
            None => out.push(part),
        }
    }
    out
}

/// True when `path` resolves in `v`: each key is present (null allowed at the end), and
/// after `[]` the rest resolves in every element of the array.
pub fn path_present(v: &Value, path: &str) -> bool {
    present(v, &segments(path))
}

fn present(v: &Value, segs: &[&str]) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return true;
    };
    match (*first, v) {
        ("[]", Value::Array(items)) => items.iter().all(|i| present(i, rest)),
        ("[]", _) => false,
        (key, Value::Object(m)) => match m.get(key) {
            Some(Value::Null) => rest.is_empty(),
            Some(inner) => present(inner, rest),
            None => false,
        },
        _ => false,
    }
}

/// True when `path` is allowed by the JSON schema `schema` (`properties`, `items`,
/// `additionalProperties` / `patternProperties`, `anyOf`/`oneOf`/`allOf`, local `$ref`s
/// into `$defs`/`definitions`). An open object (no `properties` limit) allows any key.
pub fn schema_allows(schema: &Value, path: &str) -> bool {
    allows(schema, schema, &segments(path), 0)
}

fn resolve<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let ptr = r.trim_start_matches('#');
            root.pointer(ptr).unwrap_or(s)
        }
        None => s,
    }
}

fn allows(root: &Value, s: &Value, segs: &[&str], depth: usize) -> bool {
    if depth > 40 {
        return false;
    }
    let s = resolve(root, s);
    let Some((first, rest)) = segs.split_first() else {
        return true;
    };
    for k in ["anyOf", "oneOf", "allOf"] {
        if let Some(alts) = s.get(k).and_then(Value::as_array) {
            if alts.iter().any(|a| allows(root, a, segs, depth + 1)) {
                return true;
            }
        }
    }
    if *first == "[]" {
        return match s.get("items") {
            Some(items) => allows(root, items, rest, depth + 1),
            None => is_type(s, "array"),
        };
    }
    if let Some(p) = s.get("properties").and_then(|p| p.get(*first)) {
        return allows(root, p, rest, depth + 1);
    }
    match s.get("additionalProperties") {
        Some(Value::Bool(b)) => *b,
        Some(extra @ Value::Object(_)) => allows(root, extra, rest, depth + 1),
        _ if s.get("patternProperties").is_some() => true,
        // dive's output structs list every field they serialize: an object schema with
        // `properties` and nothing said about others is read as closed, one without a
        // list of properties as open (an answer passed through).
        None => s.get("properties").is_none() && (is_type(s, "object") || s.get("type").is_none()),
        Some(_) => false,
    }
}

fn is_type(s: &Value, t: &str) -> bool {
    match s.get("type") {
        Some(Value::String(x)) => x == t,
        Some(Value::Array(xs)) => xs.iter().any(|x| x == t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_resolve_through_objects_and_arrays() {
        let v = json!({"a": {"b": [{"c": 1}, {"c": null}]}, "n": null});
        assert!(path_present(&v, "a.b[].c"));
        assert!(path_present(&v, "n"));
        assert!(path_present(&v, "."));
        assert!(!path_present(&v, "a.b[].d"));
        assert!(!path_present(&v, "n.x"));
        assert!(!path_present(&v, "a[]"));
    }

    #[test]
    fn conditions_use_the_schema_defaults() {
        let schema = json!({"properties": {"t": {"default": "all"}, "amb": {"default": true}}});
        let when = parse_when("t=dna|all & amb=true").unwrap();
        let When::Args(c) = when else { panic!() };
        assert!(conditions_hold(&c, &json!({}), &schema));
        assert!(!conditions_hold(&c, &json!({"t": "rna"}), &schema));
        assert!(!conditions_hold(&c, &json!({"amb": false}), &schema));
        let When::Args(c) = parse_when("t!=rna").unwrap() else {
            panic!()
        };
        assert!(conditions_hold(&c, &json!({"t": "dna"}), &schema));
    }

    #[test]
    fn schemas_allow_declared_and_open_paths_only() {
        let s = json!({"type": "object", "additionalProperties": false,
            "properties": {"a": {"$ref": "#/$defs/A"}, "m": {"type": "object", "additionalProperties": {"type": "number"}}},
            "$defs": {"A": {"type": "array", "items": {"type": "object", "properties": {"c": {"type": "string"}}}}}});
        assert!(schema_allows(&s, "a[].c"));
        assert!(schema_allows(&s, "m.anything"));
        assert!(!schema_allows(&s, "b"));
        assert!(
            !schema_allows(&s, "a[].zzz"),
            "listed properties without additionalProperties are closed"
        );
        assert!(
            schema_allows(&json!({"type": "object"}), "anything"),
            "no list of properties: open"
        );
        assert!(schema_allows(
            &json!({"properties": {"a": {}}, "additionalProperties": true}),
            "b"
        ));
    }

    #[test]
    fn rows_without_a_path_need_a_note() {
        assert!(parse_row("t\td\tf\t-\talways\t").is_err());
        assert!(parse_row("t\td\tf\tMISSING\talways\tnot yet").is_ok());
        assert!(parse_row("t\td\tf\tx.y\toptional\t").is_ok());
    }
}
