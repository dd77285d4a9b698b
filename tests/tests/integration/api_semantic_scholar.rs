//! The semantic_scholar family (17 tools) against a loopback Semantic Scholar: every
//! tool's request (path, parameters, batch bodies), the optional API key added by the
//! host only, error messages, and real recorded answers from
//! ../shared/fixtures/real/semanticscholar (skipped cleanly when absent).

use dive_integration_tests::api::{self, call_opts, ok};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ORIGIN: &str = "https://api.semanticscholar.org";

async fn runtime(f: &Fixture, key: Option<&str>) -> Runtime {
    api::runtime(&[(ORIGIN, f.url())], api::secret("SEMANTIC_SCHOLAR_API_KEY", key)).await
}

fn echo(s: &Seen) -> Reply {
    let (path, q) = api::query(&s.path_and_query);
    if path.ends_with("/paper/BAD") {
        return Reply::json(400, &json!({"error": "Unrecognized or unsupported fields: [bogus]"}));
    }
    if path.ends_with("/paper/LIMITED") {
        return Reply::json(429, &json!({"message": "Too Many Requests", "code": "429"}));
    }
    Reply::json(200, &json!({"path": path, "query": q, "method": s.method, "body": String::from_utf8_lossy(&s.body)}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_sends_its_request() {
    let f = Fixture::start(echo).await;
    let rt = runtime(&f, None).await;
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, Value, &str, Vec<(&str, &str)>)> = vec![
        ("semantic_scholar_paper_search", json!({"query": "graph neural networks", "year": "2020-2023", "fieldsOfStudy": "Computer Science", "limit": 5}), "/graph/v1/paper/search", vec![("query", "graph neural networks"), ("year", "2020-2023"), ("fieldsOfStudy", "Computer Science"), ("limit", "5"), ("offset", "0")]),
        ("semantic_scholar_paper_bulk_search", json!({"query": "\"deep learning\" +protein", "sort": "citationCount:desc", "token": "abc"}), "/graph/v1/paper/search/bulk", vec![("query", "\"deep learning\" +protein"), ("sort", "citationCount:desc"), ("token", "abc")]),
        ("semantic_scholar_author_papers", json!({"author_id": "1741101", "limit": 3, "offset": 6}), "/graph/v1/author/1741101/papers", vec![("limit", "3"), ("offset", "6")]),
        ("semantic_scholar_author_search", json!({"query": "Oren Etzioni"}), "/graph/v1/author/search", vec![("query", "Oren Etzioni"), ("offset", "0")]),
        ("semantic_scholar_get_author", json!({"author_id": "1741101", "fields": "name,hIndex"}), "/graph/v1/author/1741101", vec![("fields", "name,hIndex")]),
        ("semantic_scholar_get_paper", json!({"paper_id": "DOI:10.1038/nrn3241"}), "/graph/v1/paper/DOI:10.1038/nrn3241", vec![]),
        ("semantic_scholar_paper_authors", json!({"paper_id": "649def34f8be52c8b66281af98ae884c09aef38b"}), "/graph/v1/paper/649def34f8be52c8b66281af98ae884c09aef38b/authors", vec![("offset", "0")]),
        ("semantic_scholar_paper_citations", json!({"paper_id": "CorpusId:215416146", "fields": "title"}), "/graph/v1/paper/CorpusId:215416146/citations", vec![("fields", "title")]),
        ("semantic_scholar_paper_references", json!({"paper_id": "ARXIV:2106.15928"}), "/graph/v1/paper/ARXIV:2106.15928/references", vec![]),
        ("semantic_scholar_paper_autocomplete", json!({"query": "semantic sch"}), "/graph/v1/paper/autocomplete", vec![("query", "semantic sch")]),
        ("semantic_scholar_paper_title_search", json!({"query": "Attention is all you need"}), "/graph/v1/paper/search/match", vec![("query", "Attention is all you need")]),
        ("semantic_scholar_snippet_search", json!({"query": "replay traces"}), "/graph/v1/snippet/search", vec![("query", "replay traces"), ("limit", "10")]),
        ("semantic_scholar_paper_recommendations", json!({"paper_id": "02138d6d094d1e7511c157f0b1a3dd4e5b20ebee"}), "/recommendations/v1/papers/forpaper/02138d6d094d1e7511c157f0b1a3dd4e5b20ebee", vec![("limit", "10")]),
        ("semantic_scholar_recommend_papers", json!({"paper_id": "CorpusId:1", "limit": 50}), "/recommendations/v1/papers/forpaper/CorpusId:1", vec![("limit", "50")]),
        ("semantic_scholar_release_list", json!({}), "/datasets/v1/release/", vec![]),
    ];
    for (tool, args, path, params) in cases {
        let o = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap().outcome;
        let v: Value = match &o {
            Outcome::Ok(t) => serde_json::from_str(t).unwrap(),
            other => panic!("{tool}: {other:?}"),
        };
        assert_eq!(v["path"], path, "{tool}");
        assert_eq!(v["method"], "GET");
        for (k, want) in params {
            assert_eq!(v["query"][k], want, "{tool} {k}");
        }
        assert!(f.seen().last().unwrap().header("x-api-key").is_none(), "no key configured: none sent");
    }
    for (tool, ids, path) in [
        ("semantic_scholar_paper_batch", json!(["649def34f8be52c8b66281af98ae884c09aef38b", "ARXIV:2106.15928"]), "/graph/v1/paper/batch"),
        ("semantic_scholar_author_batch", json!(["1741101", "1780531"]), "/graph/v1/author/batch"),
    ] {
        let o = api::outcome(&rt, tool, json!({"ids": ids, "fields": "title"})).await;
        let Outcome::Ok(t) = o else { panic!("{o:?}") };
        let v: Value = serde_json::from_str(&t).unwrap();
        assert_eq!((v["path"].as_str().unwrap(), v["method"].as_str().unwrap()), (path, "POST"));
        assert_eq!(serde_json::from_str::<Value>(v["body"].as_str().unwrap()).unwrap(), json!({"ids": ids}));
        assert_eq!(v["query"]["fields"], "title");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_added_by_the_host_only() {
    let f = Fixture::start(echo).await;
    let rt = runtime(&f, Some("s2-key-SECRET-123")).await;
    let o = api::outcome(&rt, "semantic_scholar_get_author", json!({"author_id": "1741101"})).await;
    let Outcome::Ok(t) = o else { panic!("{o:?}") };
    assert_eq!(f.seen().last().unwrap().header("x-api-key"), Some("s2-key-SECRET-123"));
    assert!(!t.contains("s2-key-SECRET-123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_argument_rules() {
    let f = Fixture::start(echo).await;
    let rt = runtime(&f, None).await;
    match api::outcome(&rt, "semantic_scholar_get_paper", json!({"paper_id": "BAD"})).await {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => assert!(message.contains("400") && message.contains("Unrecognized"), "{message}"),
        o => panic!("{o:?}"),
    }
    // 429 is retried by the SDK (each attempt recorded), then reported.
    let rec = rt.call("semantic_scholar_get_paper", &json!({"paper_id": "LIMITED"}).to_string(), &call_opts()).await.unwrap();
    assert!(matches!(&rec.outcome, Outcome::ToolError { kind: ToolErrorKind::Upstream, message } if message.contains("Too Many Requests")), "{:?}", rec.outcome);
    assert_eq!(rec.exchanges.len(), 3, "three attempts, each recorded");
    let before = f.seen().len();
    for (tool, args) in [
        ("semantic_scholar_paper_search", json!({"query": "x", "limit": 101})),
        ("semantic_scholar_paper_search", json!({})),
        ("semantic_scholar_paper_batch", json!({"ids": []})),
        ("semantic_scholar_paper_batch", json!({"ids": vec!["x"; 501]})),
        ("semantic_scholar_author_papers", json!({"author_id": "1", "limit": 0})),
        ("semantic_scholar_release_list", json!({"x": 1})),
    ] {
        let err = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{tool} {args}: {err}");
    }
    for (tool, args) in [
        ("semantic_scholar_get_paper", json!({"paper_id": "../../datasets"})),
        ("semantic_scholar_author_batch", json!({"ids": ["1", " "]})),
    ] {
        let o = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap().outcome;
        assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, .. }), "{tool}: {o:?}");
    }
    assert_eq!(f.seen().len(), before, "rejected arguments send nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_recorded_answers() {
    let dir = repo_root().join("../shared/fixtures/real/semanticscholar/bodies");
    if !dir.is_dir() {
        eprintln!("skipping: ../shared/fixtures/real/semanticscholar is absent");
        return;
    }
    let body = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let routes: BTreeMap<String, (u16, Vec<u8>)> = [
        ("/graph/v1/paper/10.1093/mind/lix.236.433", 200, "semanticscholar-py__test_get_paper.i0.json"),
        ("/graph/v1/author/2262347", 200, "semanticscholar-py__test_get_author.i0.json"),
        ("/graph/v1/author/batch", 200, "semanticscholar-py__test_get_authors.i0.json"),
        ("/datasets/v1/release/", 200, "semanticscholar-py__test_get_available_releases.i0.json"),
        ("/graph/v1/paper/search", 200, "semanticscholar-py__test_empty_paginated_results.i0.json"),
        ("/graph/v1/paper/search/match", 404, "paper-qa__test_bad_dois.i0.json"),
    ]
    .into_iter()
    .map(|(p, s, f)| (p.to_string(), (s, body(f))))
    .collect();
    let f = Fixture::start(move |s: &Seen| {
        let path = s.path_and_query.split('?').next().unwrap();
        match routes.get(path) {
            Some((status, b)) => Reply { status: *status, headers: vec![("content-type".into(), "application/json".into())], body: b.clone() },
            None => Reply::text(404, "text/plain", "no such route"),
        }
    })
    .await;
    let rt = runtime(&f, None).await;
    let p = ok(&rt, "semantic_scholar_get_paper", json!({"paper_id": "10.1093/mind/lix.236.433", "fields": "title"})).await;
    assert_eq!(p["title"], "Computing Machinery and Intelligence");
    let a = ok(&rt, "semantic_scholar_get_author", json!({"author_id": "2262347", "fields": "name"})).await;
    assert_eq!(a["authorId"], "2262347");
    let b = ok(&rt, "semantic_scholar_author_batch", json!({"ids": ["3234559", "1726629", "1711844"], "fields": "name"})).await;
    assert_eq!(b[0]["name"], "E. Dijkstra");
    assert_eq!(b.as_array().unwrap().len(), 3);
    let r = ok(&rt, "semantic_scholar_release_list", json!({})).await;
    assert!(r.as_array().unwrap().len() > 3);
    let s = ok(&rt, "semantic_scholar_paper_search", json!({"query": "n0 r3sult s3arch t3rm", "fields": "title"})).await;
    assert_eq!(s["total"], 0);
    match api::outcome(&rt, "semantic_scholar_paper_title_search", json!({"query": "abs12032jsdafn"})).await {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => assert!(message.contains("Title match not found"), "{message}"),
        o => panic!("{o:?}"),
    }
}
