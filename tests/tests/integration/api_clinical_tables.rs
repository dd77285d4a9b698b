//! The clinical_tables family (10 tools) against a loopback imitation of NLM's Clinical
//! Table Search Service: real request parameters, the service's array answer format,
//! its error shapes; plus a real recorded answer from ../shared/fixtures/real.

use dive_integration_tests::api::{self, call_opts, ok};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime, SecretSource};
use serde_json::{json, Value};

const ORIGIN: &str = "https://clinicaltables.nlm.nih.gov";

/// (tool, API path, records: code -> [fields...] with field names)
#[allow(clippy::type_complexity)]
fn tables() -> Vec<(&'static str, &'static str, Vec<&'static str>, Vec<Vec<&'static str>>)> {
    vec![
        ("cytogenetic_chromosome_locations", "/api/cytogenetic_locs/v3/search", vec!["cytogenetic", "chromosome"], vec![vec!["1p36.3", "1"], vec!["1p36.2", "1"], vec!["2q37", "2"]]),
        ("icd10cm_diagnosis_codes", "/api/icd10cm/v3/search", vec!["code", "name"], vec![vec!["E11.9", "Type 2 diabetes mellitus without complications"], vec!["E10.9", "Type 1 diabetes mellitus without complications"], vec!["I10", "Essential (primary) hypertension"]]),
        ("rxterms_prescription_drugs", "/api/rxterms/v3/search", vec!["DISPLAY_NAME", "STRENGTHS_AND_FORMS"], vec![vec!["Aspirin (Oral Pill)", "81 mg Tab"], vec!["Aspirin/Dipyridamole (Oral Pill)", "25-200 mg Cap"]]),
        ("icd9cm_diagnosis_codes", "/api/icd9cm_dx/v3/search", vec!["code_dotted", "long_name"], vec![vec!["250.00", "Diabetes mellitus without mention of complication"], vec!["401.9", "Unspecified essential hypertension"]]),
        ("genetic_diseases", "/api/disease_names/v3/search", vec!["DiseaseName", "ConceptID"], vec![vec!["Cystic fibrosis", "C0010674"], vec!["Marfan syndrome", "C0024796"]]),
        ("hcpcs_procedure_codes", "/api/hcpcs/v3/search", vec!["code", "display"], vec![vec!["E0114", "Crutches underarm other than wood"], vec!["A4253", "Blood glucose test strips"]]),
        ("hugo_genes", "/api/genes/v4/search", vec!["symbol", "name"], vec![vec!["BRCA1", "BRCA1 DNA repair associated"], vec!["BRCA2", "BRCA2 DNA repair associated"], vec!["TP53", "tumor protein p53"]]),
        ("pharmvar_star_alleles", "/api/star_alleles/v3/search", vec!["StarAlleleName", "Function"], vec![vec!["CYP2D6*4", "No function"], vec!["CYP2D6*10", "Decreased function"]]),
        ("reference_sequences", "/api/refseqs/v3/search", vec!["accession", "GeneSymbol"], vec![vec!["NM_007294.4", "BRCA1"], vec!["NM_000546.6", "TP53"]]),
        ("dbvar_germline_data", "/api/dbvar/v3/search", vec!["dbVarID", "GeneSymbol"], vec![vec!["nsv1234567", "BRCA1"], vec!["nsv7654321", "CFTR"]]),
    ]
}

/// A faithful-enough imitation of the service: `terms` (required) matched against every
/// field, case-insensitively; `maxList` (default 7), `count`/`offset` paging, `df` and
/// `cf` choosing fields, `ef` extra fields with `field:alias`; an unknown field is a 400
/// with a plain-text message, as the service answers.
fn ctss(s: &Seen) -> Reply {
    let (path, q) = api::query(&s.path_and_query);
    if path == "/api/broken/v3/search" {
        return Reply::text(200, "application/json", "[1, [\"a\"]");
    }
    let Some((_, _, fields, rows)) = tables().into_iter().find(|t| t.1 == path) else {
        return Reply::text(404, "text/plain", "Not Found");
    };
    let Some(terms) = q.get("terms") else {
        return Reply::text(400, "text/plain", "The terms parameter is required.");
    };
    let field_index = |f: &str| fields.iter().position(|x| *x == f);
    let list = |key: &str, default: Vec<&'static str>| -> Result<Vec<(String, usize)>, String> {
        match q.get(key) {
            None => Ok(default.iter().map(|f| (f.to_string(), field_index(f).unwrap())).collect()),
            Some(v) => v
                .split(',')
                .map(|f| {
                    let (name, alias) = f.split_once(':').unwrap_or((f, f));
                    field_index(name.trim()).map(|i| (alias.trim().to_string(), i)).ok_or_else(|| format!("Unknown field: {}", name.trim()))
                })
                .collect(),
        }
    };
    let df = match list("df", fields.clone()) {
        Ok(v) => v,
        Err(m) => return Reply::text(400, "text/plain", m),
    };
    let cf = match list("cf", vec![fields[0]]) {
        Ok(v) => v[0].1,
        Err(m) => return Reply::text(400, "text/plain", m),
    };
    let ef = match q.get("ef").map(|_| list("ef", vec![])) {
        Some(Ok(v)) => Some(v),
        Some(Err(m)) => return Reply::text(400, "text/plain", m),
        None => None,
    };
    let needle = terms.to_lowercase();
    let hits: Vec<&Vec<&str>> = rows
        .iter()
        .filter(|r| needle.split_whitespace().all(|w| r.iter().any(|f| f.to_lowercase().contains(w))))
        .collect();
    let total = hits.len();
    let (start, n) = match q.get("count") {
        Some(c) => (q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0), c.parse().unwrap_or(7)),
        None => (0, q.get("maxList").and_then(|m| m.parse().ok()).unwrap_or(7)),
    };
    let page: Vec<&&Vec<&str>> = hits.iter().skip(start).take(n).collect();
    let codes: Vec<&str> = page.iter().map(|r| r[cf]).collect();
    let display: Vec<Vec<&str>> = page.iter().map(|r| df.iter().map(|(_, i)| r[*i]).collect()).collect();
    let extras = ef.map(|ef| {
        let mut m = serde_json::Map::new();
        for (alias, i) in ef {
            m.insert(alias, json!(page.iter().map(|r| r[i]).collect::<Vec<_>>()));
        }
        Value::Object(m)
    });
    Reply::json(200, &json!([total, codes, extras, display]))
}

async fn runtime(f: &Fixture) -> Runtime {
    api::runtime(&[(ORIGIN, f.url())], SecretSource::none()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_tool_queries_its_endpoint_and_names_the_fields() {
    let f = Fixture::start(ctss).await;
    let rt = runtime(&f).await;
    for (tool, path, fields, rows) in tables() {
        let entry = rt.tool(tool).unwrap_or_else(|| panic!("{tool} is not in the pool"));
        assert_eq!(entry.domain().as_str(), "medical");
        let first = rows[0][1].split_whitespace().next().unwrap().to_string();
        let out = ok(&rt, tool, json!({"terms": first})).await;
        let seen = f.seen().last().unwrap().clone();
        assert_eq!(seen.path_and_query.split('?').next().unwrap(), path, "{tool}");
        assert_eq!(api::query(&seen.path_and_query).1.get("terms"), Some(&first));
        assert!(out["total"].as_u64().unwrap() >= 1, "{tool}: {out}");
        assert!(out["codes"].as_array().unwrap().iter().any(|c| c == rows[0][0]), "{tool}: {out}");
        assert_eq!(out["display"][0].as_array().unwrap().len(), fields.len());
        assert!(out["extras"].is_null());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_map_to_the_service_names() {
    let f = Fixture::start(ctss).await;
    let rt = runtime(&f).await;
    let args = json!({"terms": "diabetes", "maxList": 1, "df": "code", "ef": "name:label", "sf": "name", "q": "code:E*"});
    let out = ok(&rt, "icd10cm_diagnosis_codes", args).await;
    let seen = f.seen().last().unwrap().clone();
    let q = api::query(&seen.path_and_query).1;
    assert_eq!(q.get("maxList").map(String::as_str), Some("1"));
    assert_eq!(q.get("ef").map(String::as_str), Some("name:label"));
    assert_eq!(q.get("q").map(String::as_str), Some("code:E*"));
    assert_eq!(out["total"], 2);
    assert_eq!(out["codes"], json!(["E11.9"]));
    assert_eq!(out["display"], json!([["E11.9"]]));
    assert_eq!(out["extras"], json!({"label": ["Type 2 diabetes mellitus without complications"]}));

    let paged = ok(&rt, "hugo_genes", json!({"terms": "brca", "count": 1, "offset": 1})).await;
    assert_eq!(paged["codes"], json!(["BRCA2"]));
    assert_eq!(paged["total"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_the_service_message_and_bad_args_never_leave() {
    let f = Fixture::start(ctss).await;
    let rt = runtime(&f).await;
    let o = api::outcome(&rt, "icd10cm_diagnosis_codes", json!({"terms": "x", "df": "nosuchfield"})).await;
    match &o {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => {
            assert!(message.contains("400") && message.contains("Unknown field: nosuchfield"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let before = f.seen().len();
    for bad in [json!({}), json!({"terms": ""}), json!({"terms": "a", "maxList": 501}), json!({"terms": "a", "offset": -1}), json!({"terms": "a", "color": 1})] {
        let err = rt.call("hugo_genes", &bad.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{bad}: {err}");
    }
    let o = api::outcome(&rt, "hugo_genes", json!({"terms": "   "})).await;
    assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, .. }), "{o:?}");
    assert_eq!(f.seen().len(), before, "no request for rejected arguments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_are_upstream_errors() {
    for body in ["[1, [\"a\"]", "{\"not\": \"an array\"}", "", "[\"x\", [], null, []]", "[1, [\"a\"], 5, [[\"a\"]]]"] {
        let body = body.to_string();
        let f = Fixture::start(move |_s: &Seen| Reply::text(200, "application/json", body.clone())).await;
        let rt = runtime(&f).await;
        let o = api::outcome(&rt, "hugo_genes", json!({"terms": "brca"})).await;
        assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::Upstream, .. }), "{o:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_recorded_answer_passes_through() {
    let p = repo_root().join("../shared/fixtures/real/clinicaltables/raw/research-data-finder__dbg_vars_variables-3.json");
    let Ok(real) = std::fs::read(&p) else {
        eprintln!("skipping: {} is absent", p.display());
        return;
    };
    let expected: Value = serde_json::from_slice(&real).unwrap();
    let f = Fixture::start(move |_s: &Seen| Reply { status: 200, headers: vec![("content-type".into(), "application/json".into())], body: real.clone() }).await;
    let rt = runtime(&f).await;
    let out = ok(&rt, "reference_sequences", json!({"terms": "affection"})).await;
    assert_eq!(out["total"], expected[0]);
    assert_eq!(out["codes"], expected[1]);
    assert_eq!(out["codes"][0], "phv00492021.v1.p1");
    assert_eq!(out["display"][0][1], "Affection status");
    assert_eq!(out["display"].as_array().unwrap().len(), expected[3].as_array().unwrap().len());
}
