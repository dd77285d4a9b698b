//! The arxiv family (6 tools) against a loopback arXiv export API: real recorded Atom
//! answers from ../shared/fixtures/real/arxiv (skipped cleanly when absent) and a
//! synthetic feed that always runs.

use dive_integration_tests::api::{self, call_opts, ok};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime, SecretSource};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const ORIGIN: &str = "https://export.arxiv.org";

/// The decoded query parameters of a request target or URL.
fn params(path_and_query: &str) -> BTreeMap<String, String> {
    api::query(path_and_query).1
}

struct Recording {
    params: BTreeMap<String, String>,
    status: u16,
    body: String,
}

fn recordings() -> Option<Vec<Recording>> {
    let dir = repo_root().join("../shared/fixtures/real/arxiv/cassettes");
    let rd = std::fs::read_dir(&dir).ok()?;
    let mut out = Vec::new();
    for e in rd {
        let p = e.ok()?.path();
        let v: Value = serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?;
        out.push(Recording {
            params: params(v["url"].as_str()?),
            status: v["status_code"].as_u64()? as u16,
            body: v["body"].as_str()?.to_string(),
        });
    }
    Some(out)
}

/// Answer like arXiv: the recording with the same query, ids and start (and page size
/// when several pages were recorded).
fn arxiv_from(recs: Arc<Vec<Recording>>) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |s: &Seen| {
        if !s.path_and_query.starts_with("/api/query?") {
            return Reply::text(404, "text/plain", "not found");
        }
        let p = params(&s.path_and_query);
        let key = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
        let same = |r: &&Recording| {
            ["search_query", "id_list", "start"].iter().all(|k| key(&r.params, k) == key(&p, k))
        };
        let candidates: Vec<&Recording> = recs.iter().filter(same).collect();
        let hit = candidates
            .iter()
            .find(|r| key(&r.params, "max_results") == key(&p, "max_results"))
            .or(candidates.first());
        match hit {
            Some(r) => Reply::text(r.status, "application/atom+xml; charset=utf-8", r.body.clone()),
            None => Reply::text(500, "text/plain", format!("no recording for {}", s.path_and_query)),
        }
    }
}

async fn runtime(f: &Fixture) -> Runtime {
    api::runtime(&[(ORIGIN, f.url())], SecretSource::none()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_recordings_by_id() {
    let Some(recs) = recordings() else {
        eprintln!("skipping: ../shared/fixtures/real/arxiv is absent");
        return;
    };
    let f = Fixture::start(arxiv_from(Arc::new(recs))).await;
    let rt = runtime(&f).await;

    let out = ok(&rt, "arxiv_get_papers_by_ids", json!({"id_list": "1605.08386"})).await;
    assert_eq!(out["total_results"], 1);
    let e = &out["entries"][0];
    assert_eq!(e["arxiv_id"], "1605.08386v1");
    assert_eq!(e["title"], "Heat-bath random walks with Markov bases");
    assert_eq!(e["authors"], json!([{"name": "Caprice Stanley"}, {"name": "Tobias Windisch"}]));
    assert_eq!(e["categories"], json!(["math.CO", "math.ST"]));
    assert_eq!(e["primary_category"], "math.CO");
    assert_eq!(e["comment"], "20 pages, 3 figures");
    assert_eq!(e["pdf_url"], "https://arxiv.org/pdf/1605.08386v1");
    assert_eq!(e["published"], "2016-05-26T17:59:46Z");
    let seen = params(&f.seen().last().unwrap().path_and_query);
    assert_eq!(seen.get("id_list").map(String::as_str), Some("1605.08386"));

    // Two ids in one request (the recorded answer holds one entry: arXiv has no 0808.05394).
    let two = ok(&rt, "arxiv_get_papers_by_ids", json!({"id_list": "0808.05394, 1707.08567"})).await;
    let seen = params(&f.seen().last().unwrap().path_and_query);
    assert_eq!(seen.get("id_list").map(String::as_str), Some("0808.05394,1707.08567"));
    let ids: Vec<&str> = two["entries"].as_array().unwrap().iter().map(|e| e["arxiv_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["1707.08567v1"], "{two}");
    assert_eq!(two["entries"][0]["authors"].as_array().unwrap().len(), 34);

    let old = ok(&rt, "arxiv_get_papers_by_ids", json!({"id_list": "quant-ph/0201082v1"})).await;
    assert_eq!(old["entries"][0]["arxiv_id"], "quant-ph/0201082v1");

    // arXiv's error feed (HTTP 400) becomes an upstream error with arXiv's message.
    let o = api::outcome(&rt, "arxiv_get_papers_by_ids", json!({"id_list": "abc"})).await;
    match o {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => {
            assert!(message.contains("incorrect id format for abc") && message.contains("400"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_recordings_search_and_paging() {
    let Some(recs) = recordings() else {
        eprintln!("skipping: ../shared/fixtures/real/arxiv is absent");
        return;
    };
    let f = Fixture::start(arxiv_from(Arc::new(recs))).await;
    let rt = runtime(&f).await;
    let page1 = ok(&rt, "arxiv_search_papers", json!({"search_query": "testing"})).await;
    assert_eq!(page1["entries"].as_array().unwrap().len(), 10);
    assert_eq!(page1["total_results"], 214881);
    let seen = params(&f.seen().last().unwrap().path_and_query);
    for (k, v) in [("search_query", "testing"), ("start", "0"), ("max_results", "10"), ("sortBy", "relevance"), ("sortOrder", "descending")] {
        assert_eq!(seen.get(k).map(String::as_str), Some(v), "{k}");
    }
    let page2 = ok(&rt, "arxiv_search_papers", json!({"search_query": "testing", "start": 10, "max_results": 10})).await;
    assert_eq!(page2["start_index"], 10);
    assert_ne!(page1["entries"][0]["id"], page2["entries"][0]["id"]);
    for e in page1["entries"].as_array().unwrap() {
        assert!(!e["title"].as_str().unwrap().is_empty() && !e["authors"].as_array().unwrap().is_empty());
        assert!(!e["title"].as_str().unwrap().contains('\n'), "whitespace normalised");
    }
}

const SYNTHETIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <opensearch:totalResults>42</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2301.00001v2</id>
    <updated>2023-02-01T00:00:00Z</updated>
    <published>2023-01-01T00:00:00Z</published>
    <title>Sandboxes &amp; Reproducible
      Evidence</title>
    <summary>  A study of
      traces. </summary>
    <author><name>Ada Lovelace</name><arxiv:affiliation>Analytical Engine Co.</arxiv:affiliation></author>
    <arxiv:doi>10.1000/xyz123</arxiv:doi>
    <arxiv:journal_ref>J. Repro. 1 (2023)</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/2301.00001v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2301.00001v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CR" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CR" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_feed_every_tool_and_argument_rules() {
    let f = Fixture::start(|s: &Seen| {
        if s.path_and_query.contains("broken") {
            Reply::text(200, "application/atom+xml", "<feed><entry>")
        } else if s.path_and_query.contains("down") {
            Reply::text(503, "text/plain", "Service Unavailable")
        } else {
            Reply::text(200, "application/atom+xml", SYNTHETIC)
        }
    })
    .await;
    let rt = runtime(&f).await;
    let out = ok(&rt, "arxiv_advanced_search", json!({"search_query": "ti:sandbox AND cat:cs.CR"})).await;
    let e = &out["entries"][0];
    assert_eq!(out["total_results"], 42);
    assert_eq!(e["title"], "Sandboxes & Reproducible Evidence");
    assert_eq!(e["summary"], "A study of traces.");
    assert_eq!(e["authors"][0], json!({"name": "Ada Lovelace", "affiliation": "Analytical Engine Co."}));
    assert_eq!(e["doi"], "10.1000/xyz123");
    assert_eq!(e["journal_ref"], "J. Repro. 1 (2023)");
    assert_eq!(e["arxiv_id"], "2301.00001v2");

    // Each tool's defaults and query handling, as sent upstream.
    let cases = [
        ("arxiv_search_by_author", json!({"search_query": "Lovelace"}), "au:Lovelace", "lastUpdatedDate"),
        ("arxiv_search_by_author", json!({"search_query": "au:del_maestro"}), "au:del_maestro", "lastUpdatedDate"),
        ("arxiv_search_by_category", json!({"search_query": "cs.CR"}), "cat:cs.CR", "lastUpdatedDate"),
        ("arxiv_search_by_date_range", json!({"search_query": "submittedDate:[202301010000 TO 202401010000]"}), "submittedDate:[202301010000 TO 202401010000]", "submittedDate"),
        ("arxiv_search_papers", json!({"search_query": "graphs", "sortBy": "submittedDate", "sortOrder": "ascending", "max_results": 5}), "graphs", "submittedDate"),
    ];
    for (tool, args, q, sort) in cases {
        ok(&rt, tool, args.clone()).await;
        let p = params(&f.seen().last().unwrap().path_and_query);
        assert_eq!(p.get("search_query").map(String::as_str), Some(q), "{tool} {args}");
        assert_eq!(p.get("sortBy").map(String::as_str), Some(sort), "{tool} {args}");
    }

    for (tool, args) in [
        ("arxiv_search_papers", json!({"search_query": "broken"})),
        ("arxiv_search_papers", json!({"search_query": "down"})),
    ] {
        let o = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap().outcome;
        assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::Upstream, .. }), "{args}: {o:?}");
    }

    let before = f.seen().len();
    for (tool, args) in [
        ("arxiv_search_papers", json!({"search_query": "x", "max_results": 2001})),
        ("arxiv_search_papers", json!({"search_query": "x", "sortBy": "title"})),
        ("arxiv_search_papers", json!({"search_query": ""})),
        ("arxiv_get_papers_by_ids", json!({})),
    ] {
        let err = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{args}: {err}");
    }
    assert_eq!(f.seen().len(), before, "rejected arguments send nothing");
    // arXiv answers a query without a date range like any search: it is sent as given.
    api::outcome(&rt, "arxiv_search_by_date_range", json!({"search_query": "graphs"})).await;
    assert_eq!(f.seen().len(), before + 1, "a query without a range is sent");
}
