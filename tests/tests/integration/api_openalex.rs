//! The openalex family (12 tools) against a loopback OpenAlex: real recorded entities and
//! search pages from ../shared/fixtures/real/openalex (skipped cleanly when absent), and
//! synthetic answers for every tool, its parameters and OpenAlex's error shapes.

use dive_integration_tests::api::{self, call_opts, ok};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime, SecretSource};
use serde_json::json;
use std::collections::BTreeMap;

const ORIGIN: &str = "https://api.openalex.org";

async fn runtime(f: &Fixture) -> Runtime {
    api::runtime(&[(ORIGIN, f.url())], SecretSource::none()).await
}

/// A synthetic OpenAlex: search endpoints answer a one-result page echoing the query;
/// entity paths answer an entity; `/works/W404` is OpenAlex's HTML 404 and a filter
/// `bad:` its JSON 403 error.
fn synthetic(s: &Seen) -> Reply {
    let (path, q) = api::query(&s.path_and_query);
    if path == "/works/W404" {
        return Reply::text(404, "text/html; charset=utf-8", "<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>");
    }
    if q.get("filter").is_some_and(|f| f.starts_with("bad:")) {
        return Reply::json(403, &json!({"error": "Invalid query parameters error.", "message": "bad is not a valid field"}));
    }
    if path == "/text" {
        return Reply::json(200, &json!({"meta": {"count": 1}, "topics": [{"id": "https://openalex.org/T10001", "display_name": "Reproducibility", "score": 0.9}], "keywords": []}));
    }
    let segs: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
    match segs.as_slice() {
        [kind] => Reply::json(200, &json!({
            "meta": {"count": 1, "page": q.get("page").and_then(|p| p.parse::<u64>().ok()), "per_page": q.get("per-page").and_then(|p| p.parse::<u64>().ok())},
            "results": [{"id": format!("https://openalex.org/{}1", kind.chars().next().unwrap().to_ascii_uppercase()), "display_name": format!("{} matching {}", kind, q.get("search").cloned().unwrap_or_default())}],
            "group_by": []
        })),
        [_kind, id] => Reply::json(200, &json!({"id": format!("https://openalex.org/{id}"), "display_name": "An entity", "requested_select": q.get("select")})),
        _ => Reply::text(404, "text/plain", "not found"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_builds_the_openalex_request() {
    let f = Fixture::start(synthetic).await;
    let rt = runtime(&f).await;
    for (tool, path) in [
        ("openalex_search_works", "/works"),
        ("openalex_search_authors", "/authors"),
        ("openalex_search_institutions", "/institutions"),
        ("openalex_search_sources", "/sources"),
        ("openalex_search_publishers", "/publishers"),
        ("openalex_search_topics", "/topics"),
        ("openalex_search_funders", "/funders"),
    ] {
        let out = ok(&rt, tool, json!({"search": "graph theory", "filter": "x:y", "sort": "cited_by_count:desc", "per_page": 5, "page": 2})).await;
        let (p, q) = api::query(&f.seen().last().unwrap().path_and_query);
        assert_eq!(p, path, "{tool}");
        assert_eq!(q.get("search").map(String::as_str), Some("graph theory"));
        assert_eq!(q.get("filter").map(String::as_str), Some("x:y"));
        assert_eq!(q.get("sort").map(String::as_str), Some("cited_by_count:desc"));
        assert_eq!(q.get("per-page").map(String::as_str), Some("5"));
        assert_eq!(q.get("page").map(String::as_str), Some("2"));
        assert_eq!(out["results"].as_array().unwrap().len(), 1, "{tool}");
        assert_eq!(out["meta"]["count"], 1);
    }
    // Defaults: 25 per page, page 1, nothing else.
    ok(&rt, "openalex_search_works", json!({})).await;
    let (_, q) = api::query(&f.seen().last().unwrap().path_and_query);
    assert_eq!(q, BTreeMap::from([("page".to_string(), "1".to_string()), ("per-page".to_string(), "25".to_string())]));

    for (tool, field, id, path) in [
        ("openalex_get_work", "work_id", "w2741809807", "/works/W2741809807"),
        ("openalex_get_work", "work_id", "https://openalex.org/W2741809807", "/works/W2741809807"),
        ("openalex_get_work", "work_id", "https://doi.org/10.1021/acs.jctc.5b00178", "/works/https://doi.org/10.1021%2Facs.jctc.5b00178"),
        ("openalex_get_work", "work_id", "10.1093/nar/gkw1164", "/works/https://doi.org/10.1093%2Fnar%2Fgkw1164"),
        ("openalex_get_author", "author_id", "A5023888391", "/authors/A5023888391"),
        ("openalex_get_author", "author_id", "orcid:0000-0001-6187-6610", "/authors/orcid:0000-0001-6187-6610"),
        ("openalex_get_institution", "institution_id", "I27837315", "/institutions/I27837315"),
        ("openalex_get_source", "source_id", "S137773608", "/sources/S137773608"),
    ] {
        let out = ok(&rt, tool, json!({field: id, "select": "display_name,doi"})).await;
        let seen = f.seen().last().unwrap().path_and_query.clone();
        assert_eq!(seen.split('?').next().unwrap(), path, "{tool} {id}");
        assert_eq!(out["requested_select"], "id,display_name,doi", "id is always selected");
        assert!(out["id"].as_str().unwrap().starts_with("https://openalex.org/"));
    }
    let out = ok(&rt, "openalex_analyze_text", json!({"title": "Reproducible evidence for tool-use datasets", "abstract": "We replay."})).await;
    assert_eq!(out["topics"][0]["display_name"], "Reproducibility");
    let (p, q) = api::query(&f.seen().last().unwrap().path_and_query);
    assert_eq!(p, "/text");
    assert_eq!(q.get("abstract").map(String::as_str), Some("We replay."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_argument_rules() {
    let f = Fixture::start(synthetic).await;
    let rt = runtime(&f).await;
    match api::outcome(&rt, "openalex_get_work", json!({"work_id": "W404"})).await {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => assert!(message.contains("404") && message.contains("Not Found"), "{message}"),
        o => panic!("{o:?}"),
    }
    match api::outcome(&rt, "openalex_search_works", json!({"filter": "bad:1"})).await {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => assert!(message.contains("bad is not a valid field"), "{message}"),
        o => panic!("{o:?}"),
    }
    let before = f.seen().len();
    for (tool, args) in [
        ("openalex_search_works", json!({"per_page": 201})),
        ("openalex_search_works", json!({"page": 0})),
        ("openalex_get_work", json!({})),
        ("openalex_analyze_text", json!({"title": "too short"})),
        ("openalex_get_author", json!({"author_id": "A1", "colour": "red"})),
    ] {
        let err = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{args}: {err}");
    }
    for (tool, args) in [
        ("openalex_get_author", json!({"author_id": "W2741809807"})),
        ("openalex_get_institution", json!({"institution_id": "../../admin"})),
        ("openalex_analyze_text", json!({"title": "   short but padded       "})),
    ] {
        let o = api::outcome(&rt, tool, args.clone()).await;
        assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, .. }), "{args}: {o:?}");
    }
    assert_eq!(f.seen().len(), before, "rejected arguments send nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_recorded_entities_and_searches() {
    let dir = repo_root().join("../shared/fixtures/real/openalex");
    if !dir.is_dir() {
        eprintln!("skipping: ../shared/fixtures/real/openalex is absent");
        return;
    }
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let entities: BTreeMap<String, Vec<u8>> = [
        ("/works/W2741809807", "raw/openalex-python__W2741809807.json"),
        ("/authors/A5023888391", "raw/openalex-python__A5023888391.json"),
        ("/institutions/I27837315", "raw/openalex-python__I27837315.json"),
        ("/sources/S137773608", "raw/openalex-python__S137773608.json"),
        ("/works/https://doi.org/10.1021%2Facs.jctc.5b00178", "bodies/paper-qa__test_does_openalex_work__oa-in-openalex1.i0.json"),
        ("/works", "bodies/paper-qa__test_title_search__paper_attributes1.i2.json"),
    ]
    .into_iter()
    .map(|(k, p)| (k.to_string(), read(p)))
    .collect();
    let f = Fixture::start(move |s: &Seen| {
        let path = s.path_and_query.split('?').next().unwrap();
        match entities.get(path) {
            Some(b) => Reply { status: 200, headers: vec![("content-type".into(), "application/json".into())], body: b.clone() },
            None => Reply::text(404, "text/html", "<h1>Not Found</h1>"),
        }
    })
    .await;
    let rt = runtime(&f).await;
    let w = ok(&rt, "openalex_get_work", json!({"work_id": "W2741809807"})).await;
    assert_eq!(w["id"], "https://openalex.org/W2741809807");
    assert!(w["title"].as_str().unwrap().starts_with("The state of OA"));
    let a = ok(&rt, "openalex_get_author", json!({"author_id": "https://openalex.org/A5023888391"})).await;
    assert_eq!(a["display_name"], "Jason Priem");
    let i = ok(&rt, "openalex_get_institution", json!({"institution_id": "I27837315"})).await;
    assert_eq!(i["display_name"], "University of Michigan");
    let s = ok(&rt, "openalex_get_source", json!({"source_id": "S137773608"})).await;
    assert_eq!(s["id"], "https://openalex.org/S137773608");
    let d = ok(&rt, "openalex_get_work", json!({"work_id": "doi:10.1021/acs.jctc.5b00178", "select": "open_access,doi"})).await;
    assert!(d["doi"].as_str().unwrap().contains("10.1021/acs.jctc.5b00178"), "{d}");
    let page = ok(&rt, "openalex_search_works", json!({"filter": "title.search:PaperQA: Retrieval-Augmented Generative Agent for Scientific Research"})).await;
    assert_eq!(page["meta"]["count"], 1);
    assert_eq!(page["results"][0]["title"], "PaperQA: Retrieval-Augmented Generative Agent for Scientific Research");
}
