//! The parity table (tests/parity/parity.tsv, see `dive_integration_tests::parity`)
//! against the built-in pool: it covers every tool and every field DIVE's implementation
//! returns (tests/parity/dive_fields.json, extracted from DIVE's source by
//! scripts/parity/dive_fields.py), and every path it names is one the tool's output
//! schema allows. That each result really holds its mapped fields is checked on every
//! successful call of the Biopython differential tests and the API tests.

use dive_integration_tests::bio::builtin_runtime;
use dive_integration_tests::parity::{schema_allows, Table, Target, TABLE_PATH};
use dive_integration_tests::repo_root;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// DIVE's fields per tool, as scripts/parity/dive_fields.py wrote them.
fn dive_fields() -> BTreeMap<String, Value> {
    let path = repo_root().join("tests/parity/dive_fields.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_covers_every_tool_and_every_dive_field() {
    let rt = builtin_runtime().await;
    let table = Table::load();
    let fields = dive_fields();
    let pool: BTreeSet<String> = rt.tools().map(|t| t.spec.name.clone()).collect();
    let listed: BTreeSet<String> = table.tools.keys().cloned().collect();
    let dive: BTreeSet<String> = fields.keys().cloned().collect();
    assert_eq!(dive.len(), 373, "DIVE's catalog has 373 tools");
    assert_eq!(listed, dive, "{TABLE_PATH} lists exactly DIVE's tools");
    let absent: Vec<&String> = dive.difference(&pool).collect();
    assert!(
        absent.is_empty(),
        "DIVE tools missing from the built-in pool: {absent:?}"
    );
    for (tool, f) in &fields {
        let rows = &table.tools[tool];
        let have: BTreeSet<&str> = rows.iter().map(|r| r.dive_field.as_str()).collect();
        for field in f["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(Value::as_str)
        {
            assert!(
                have.contains(field),
                "{TABLE_PATH}: {tool} has no row for DIVE's field `{field}`"
            );
        }
        for r in rows {
            assert_eq!(
                Some(r.domain.as_str()),
                f["domain"].as_str(),
                "{tool}: domain"
            );
        }
        if f["passthrough"].is_string() || f["scalar"] == true {
            assert!(
                rows.iter().any(|r| r.dive_field.starts_with('(')),
                "{TABLE_PATH}: {tool} returns {} as DIVE has it: a `(body)` or `(value)` row says where",
                if f["scalar"] == true { "a bare value" } else { "the upstream's answer" }
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mapped_path_is_in_the_output_schema() {
    let rt = builtin_runtime().await;
    let mut bad = Vec::new();
    for (tool, rows) in &Table::load().tools {
        let entry = rt.tool(tool).unwrap_or_else(|| panic!("no tool {tool}"));
        // A tool without an output schema (an answer passed through whatever its shape)
        // can only name its whole output.
        let open = serde_json::json!({});
        let schema = entry.spec.output_schema.as_ref().map(|s| s.value()).unwrap_or(&open);
        for r in rows {
            if let Target::Path(p) = &r.target {
                let allowed = if entry.spec.output_schema.is_some() {
                    schema_allows(schema, p)
                } else {
                    p == "."
                };
                if !allowed {
                    bad.push(format!("{tool}: `{p}` (for DIVE's `{}`)", r.dive_field));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "paths the output schemas do not allow:\n{}",
        bad.join("\n")
    );
}

/// The committed table is what scripts/parity/gen_table.py makes from the committed
/// DIVE fields, the reviewed rules and the pool's output schemas (`make parity`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_is_generated_from_the_rules() {
    let rt = builtin_runtime().await;
    let specs: Vec<Value> = rt
        .tools()
        .map(|t| serde_json::json!({"name": t.spec.name, "output_schema": t.spec.output_schema}))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let specs_path = dir.path().join("specs.json");
    std::fs::write(&specs_path, serde_json::to_vec(&specs).unwrap()).unwrap();
    let root = repo_root();
    let out = std::process::Command::new(dive_integration_tests::python())
        .arg(root.join("scripts/parity/gen_table.py"))
        .arg(root.join("tests/parity/dive_fields.json"))
        .arg(&specs_path)
        .arg(root.join("scripts/parity/rules.tsv"))
        .output()
        .expect("python3 runs the generator");
    assert!(
        out.status.success(),
        "gen_table.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(root.join(TABLE_PATH)).unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "{TABLE_PATH} is stale: run `make parity` (or scripts/parity/gen_table.py) and commit it"
    );
}

/// The README's measure, tools with full parity (no MISSING row) by domain, is the
/// table's.
#[test]
fn full_parity_counts_by_domain() {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for rows in Table::load().tools.values() {
        let e = counts.entry(rows[0].domain.as_str()).or_default();
        e.1 += 1;
        if rows.iter().all(|r| r.target != Target::Missing) {
            e.0 += 1;
        }
    }
    let total: usize = counts.values().map(|c| c.1).sum();
    assert_eq!(total, 373);
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for (d, (full, all)) in &counts {
        let line = format!("| {d} | {full} / {all} |");
        assert!(
            readme.contains(&line),
            "README.md's parity table should say `{line}`"
        );
    }
    let full: usize = counts.values().map(|c| c.0).sum();
    let line = format!("| **all** | **{full} / {total}** |");
    assert!(
        readme.contains(&line),
        "README.md's parity table should say `{line}`"
    );
}
