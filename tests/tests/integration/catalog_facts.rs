//! The DIVE catalog's facts are kept: for every catalog tool the pool provides, its
//! parameter names, required list, types, enums, bounds and defaults match the catalog;
//! and a family is never half there (every catalog name of a family the pool has is
//! present). Skipped cleanly when ../shared/reference is absent.

use dive_integration_tests::{builtin_pool_dir, repo_root};
use dive_runtime::{Runtime, RuntimeConfig};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn catalog() -> Option<Vec<(String, String, Value)>> {
    let dir = repo_root().join("../shared/reference/dive/tool-catalog");
    let mut out = Vec::new();
    for domain in ["academic", "biological", "financial", "general", "medical"] {
        let v: Value = serde_json::from_slice(&std::fs::read(dir.join(format!("{domain}.json"))).ok()?).ok()?;
        for (family, tools) in v.as_object()? {
            for t in tools.as_array()? {
                out.push((family.clone(), t["name"].as_str()?.to_string(), t["parameters"].clone()));
            }
        }
    }
    Some(out)
}

/// The facts of one property schema, as comparable text: type, enum, bounds, default,
/// pattern, item type. (Descriptions are ours to write.)
fn facts(p: &Value) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    // A property the tool declares optional may be written as ["T", "null"] or via anyOf.
    let ty = match &p["type"] {
        Value::Array(a) => a.iter().filter(|t| *t != "null").map(|t| t.as_str().unwrap_or("").to_string()).collect::<Vec<_>>().join(","),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    if !ty.is_empty() {
        m.insert("type", if ty == "integer" || ty == "number" { "number".into() } else { ty });
    }
    for k in ["enum", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "default"] {
        if let Some(v) = p.get(k) {
            let v = match v {
                Value::Number(n) => n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
                other => other.to_string(),
            };
            m.insert(k, v);
        }
    }
    m
}

/// A property schema with a local `$ref` (`#/$defs/X`) merged in.
fn resolve(root: &Value, p: &Value) -> Value {
    let mut out = p.clone();
    if let Some(r) = p.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        if let (Some(target), Some(o)) = (root["$defs"][r].as_object(), out.as_object_mut()) {
            for (k, v) in target {
                o.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    out
}

/// What differs between the tool's input schema and one catalog entry's parameters.
fn entry_problems(name: &str, params: &Value, ours: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let want_props: BTreeSet<String> = params["properties"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let have_props: BTreeSet<String> = ours["properties"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    if want_props != have_props {
        problems.push(format!("{name}: parameters {have_props:?}, catalog {want_props:?}"));
        return problems;
    }
    let set = |v: &Value| -> BTreeSet<String> { v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default() };
    if set(&params["required"]) != set(&ours["required"]) {
        problems.push(format!("{name}: required {:?}, catalog {:?}", set(&ours["required"]), set(&params["required"])));
    }
    if params.get("additionalProperties") == Some(&Value::Bool(false)) && ours.get("additionalProperties") != Some(&Value::Bool(false)) {
        problems.push(format!("{name}: accepts unknown parameters; the catalog does not"));
    }
    for p in &want_props {
        let want = facts(&params["properties"][p]);
        let have = facts(&resolve(ours, &ours["properties"][p]));
        for (k, v) in &want {
            // A catalog bound or default the tool leaves unstated is a lost fact.
            if have.get(k) != Some(v) {
                problems.push(format!("{name}.{p}: {k} is {:?}, catalog says {v}", have.get(k)));
            }
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_keeps_the_catalog_facts() {
    let Some(cat) = catalog() else {
        eprintln!("skipping: ../shared/reference/dive/tool-catalog is absent");
        return;
    };
    let rt = Runtime::new(RuntimeConfig {
        builtin_sources: vec![builtin_pool_dir()],
        engine: dive_integration_tests::test_engine(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(rt.load_issues().is_empty(), "{:?}", rt.load_issues());

    let mut families_present: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut checked = 0;
    let mut problems = Vec::new();
    // A name the catalog lists more than once is one tool (the entries do not always
    // agree on the parameters): it must keep the facts of one of its entries.
    let mut by_name: BTreeMap<&str, Vec<(&str, &Value)>> = BTreeMap::new();
    for (family, name, params) in &cat {
        by_name.entry(name.as_str()).or_default().push((family.as_str(), params));
    }
    for (name, entries) in &by_name {
        let Some(tool) = rt.tool(name) else { continue };
        checked += 1;
        let mut closest: Option<Vec<String>> = None;
        for (family, params) in entries {
            families_present.entry(family).or_default();
            let found = entry_problems(name, params, &tool.spec.input_schema);
            if closest.as_ref().is_none_or(|c| found.len() < c.len()) {
                closest = Some(found);
            }
        }
        problems.extend(closest.unwrap_or_default());
    }
    // No half families: every catalog name of a family the pool provides is present.
    for (family, name, _) in &cat {
        if families_present.contains_key(family.as_str()) && rt.tool(name).is_none() {
            problems.push(format!("family {family} is in the pool but its tool {name} is missing"));
        }
    }
    assert!(checked >= 15, "only {checked} catalog tools in the pool");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    eprintln!("{checked} catalog tools checked in {} families", families_present.len());
}

/// Every name of the DIVE catalog (the committed list in tests/data, checked against the
/// catalog itself when ../shared is present) is a tool of `dive tools list`, in the
/// catalog's domain. This one never skips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalog_name_is_in_dive_tools_list() {
    let list = std::fs::read_to_string(repo_root().join("tests/data/catalog_names.tsv")).unwrap();
    let want: BTreeSet<(String, String)> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (d, n) = l.split_once('\t').expect("domain<TAB>name");
            (d.to_string(), n.to_string())
        })
        .collect();
    assert_eq!(want.len(), 373, "the DIVE pool has 373 distinct tools");
    if let Some(cat) = catalog() {
        let names: BTreeSet<&str> = cat.iter().map(|(_, n, _)| n.as_str()).collect();
        let listed: BTreeSet<&str> = want.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, listed, "tests/data/catalog_names.tsv is out of date with the catalog");
    }
    let out = std::process::Command::new(dive_integration_tests::dive_bin())
        .args(["tools", "list", "--json"])
        .env("DIVE_BUILTIN_TOOLS", builtin_pool_dir())
        .env("DIVE_CACHE_DIR", repo_root().join("target/test-component-cache"))
        .env_remove("DIVE_TOOLS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let specs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let have: BTreeMap<String, String> = specs
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s["domain"].as_str().unwrap_or_default().to_string()))
        .collect();
    let missing: Vec<String> = want.iter().filter(|(_, n)| !have.contains_key(n)).map(|(d, n)| format!("{d}/{n}")).collect();
    assert!(missing.is_empty(), "{} catalog tools are not in `dive tools list`: {missing:?}", missing.len());
    let wrong_domain: Vec<String> = want.iter().filter(|(d, n)| have.get(n) != Some(d)).map(|(d, n)| format!("{n}: {d} in the catalog, {:?} here", have.get(n))).collect();
    assert!(wrong_domain.is_empty(), "{wrong_domain:?}");
}
