//! The general web tools: `search` and `parallel_search` (family `serper`) against a
//! loopback imitation of Serper, and `browse` (family `browse`) against a loopback web
//! site with real-looking pages: odd encodings, a huge page, scripts and styles,
//! entities, redirect chains and loops, binary content, and a redirect to a private
//! address refused by the host's real address check.

use dive_integration_tests::{builtin_pool_dir, repo_root, Fixture, Reply, Seen};
use dive_runtime::exchange::RequestRecord;
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::transport::{LiveTransport, SendContext, Transport, TransportFuture};
use dive_runtime::{CallError, CallOptions, DeterminismConfig, NetworkConfig, Outcome, Runtime, RuntimeConfig, SecretSource};
use serde_json::{json, Value};
use std::sync::{Arc, Condvar, Mutex};

const SERPER: &str = "https://google.serper.dev";
const SITE: &str = "https://site.example.test";
const KEY: &str = "serper-test-key-7f3a";

async fn runtime(family: &str, network: NetworkConfig, secrets: SecretSource) -> Runtime {
    let rt = Runtime::new(RuntimeConfig {
        builtin_sources: vec![builtin_pool_dir().join(family)],
        network,
        secrets,
        engine: dive_integration_tests::test_engine(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(rt.load_issues().is_empty(), "{:?}", rt.load_issues());
    rt
}

fn mirror(origin: &str, f: &Fixture) -> NetworkConfig {
    NetworkConfig {
        upstreams: vec![dive_runtime::config::parse_upstream(&format!("{origin}={}", f.url())).unwrap()],
        allow_private: true,
        rates: vec![],
    }
}

fn opts() -> CallOptions {
    CallOptions::live(DeterminismConfig { seed: 0, clock_ns: 0 })
}

/// Call `tool`; a successful result must hold the fields the parity table maps.
async fn call(rt: &Runtime, tool: &str, args: Value) -> Outcome {
    let o = rt.call(tool, &args.to_string(), &opts()).await.expect("the call runs").outcome;
    if let Outcome::Ok(t) = &o {
        dive_integration_tests::api::check_parity(rt, tool, &args, &serde_json::from_str(t).unwrap());
    }
    o
}

fn ok(o: &Outcome) -> Value {
    match o {
        Outcome::Ok(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected success, got {other:?}"),
    }
}

fn upstream_err(o: &Outcome) -> String {
    match o {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => message.clone(),
        other => panic!("expected an upstream error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Serper

/// A result page in Serper's format (fields as Serper names them).
fn serper_page(q: &str) -> Value {
    json!({
        "searchParameters": {"q": q, "type": "search", "engine": "google"},
        "knowledgeGraph": {
            "title": "Golden Gate Bridge",
            "type": "Suspension bridge",
            "website": "https://www.goldengate.org/",
            "imageUrl": "https://encrypted-tbn0.gstatic.com/images?q=tbn:ggb",
            "description": "The Golden Gate Bridge is a suspension bridge spanning the Golden Gate strait.",
            "descriptionSource": "Wikipedia",
            "descriptionLink": "https://en.wikipedia.org/wiki/Golden_Gate_Bridge",
            "attributes": {"Opened": "May 27, 1937", "Total length": "8,981 ft (2,737.4 m)", "Architect": "Irving Morrow"}
        },
        "answerBox": {
            "title": "Golden Gate Bridge / Opened",
            "answer": "May 27, 1937",
            "snippet": "The bridge opened to pedestrians on May 27, 1937.",
            "snippetHighlighted": ["May 27, 1937"],
            "link": "https://en.wikipedia.org/wiki/Golden_Gate_Bridge"
        },
        "organic": [
            {
                "title": "Golden Gate Bridge - Wikipedia",
                "link": "https://en.wikipedia.org/wiki/Golden_Gate_Bridge",
                "snippet": "The Golden Gate Bridge is a suspension bridge spanning the Golden Gate, the one-mile-wide strait...",
                "sitelinks": [{"title": "History", "link": "https://en.wikipedia.org/wiki/Golden_Gate_Bridge#History"}],
                "attributes": {"Opened": "May 27, 1937"},
                "position": 1
            },
            {
                "title": "Bridge celebrates anniversary",
                "link": "https://news.example.org/ggb-anniversary",
                "snippet": "Crowds gathered on Saturday to mark the anniversary...",
                "date": "May 27, 2024",
                "position": 2
            }
        ],
        "peopleAlsoAsk": [
            {"question": "How long did it take to build the Golden Gate Bridge?", "snippet": "Construction began on January 5, 1933 and took about four years.", "title": "Golden Gate Bridge history", "link": "https://www.goldengate.org/history/"}
        ],
        "relatedSearches": [{"query": "golden gate bridge length"}, {"query": "golden gate bridge architect"}],
        "topStories": [{"title": "Bridge closes for maintenance", "link": "https://news.example.org/closure", "source": "Example News", "date": "3 hours ago"}],
        "credits": 1
    })
}

fn serper(s: &Seen) -> Reply {
    if s.header("x-api-key") != Some(KEY) {
        return Reply::json(403, &json!({"message": "Unauthorized.", "statusCode": 403}));
    }
    let body: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
    let q = body["q"].as_str().unwrap_or_default().to_string();
    match q.as_str() {
        "forbidden query" => Reply::json(400, &json!({"message": "Query not allowed. Contact support@serper.dev", "statusCode": 400})),
        "malformed" => Reply::text(200, "text/html", "<html><body>Service Unavailable</body></html>"),
        "empty" => Reply::text(200, "application/json", ""),
        "nothing found" => Reply::json(200, &json!({"searchParameters": {"q": q, "type": "search"}, "credits": 1})),
        _ => Reply::json(200, &serper_page(&q)),
    }
}

fn with_key(k: &str) -> SecretSource {
    SecretSource::none().with_values([("SERPER_API_KEY".to_string(), k.to_string())])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_posts_the_query_with_the_host_key_and_normalises_the_page() {
    let f = Fixture::start(serper).await;
    let rt = runtime("serper", mirror(SERPER, &f), with_key(KEY)).await;
    let rec = rt.call("search", &json!({"query": "when did the golden gate bridge open"}).to_string(), &opts()).await.unwrap();
    let out = ok(&rec.outcome);

    let seen = f.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path_and_query, "/search");
    assert_eq!(seen[0].header("x-api-key"), Some(KEY), "the host adds the key");
    assert!(seen[0].header("content-type").unwrap_or_default().starts_with("application/json"));
    let sent: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(sent, json!({"q": "when did the golden gate bridge open"}));
    // The trace keeps the logical URL and never the key.
    assert_eq!(rec.exchanges[0].request.url, format!("{SERPER}/search"));
    assert!(!format!("{:?}", rec.exchanges[0].request.headers).contains(KEY));

    assert_eq!(out["query"], "when did the golden gate bridge open");
    assert_eq!(out["organic"][0]["title"], "Golden Gate Bridge - Wikipedia");
    assert_eq!(out["organic"][0]["link"], "https://en.wikipedia.org/wiki/Golden_Gate_Bridge");
    assert_eq!(out["organic"][0]["position"], 1);
    assert_eq!(out["organic"][0]["sitelinks"][0]["title"], "History");
    assert_eq!(out["organic"][0]["attributes"]["Opened"], "May 27, 1937");
    assert!(out["organic"][0].get("date").is_none());
    assert_eq!(out["organic"][1]["date"], "May 27, 2024");
    assert_eq!(out["answer_box"]["answer"], "May 27, 1937");
    assert_eq!(out["answer_box"]["snippet_highlighted"], json!(["May 27, 1937"]));
    assert_eq!(out["knowledge_graph"]["title"], "Golden Gate Bridge");
    assert_eq!(out["knowledge_graph"]["type"], "Suspension bridge");
    assert_eq!(out["knowledge_graph"]["description_source"], "Wikipedia");
    assert_eq!(out["knowledge_graph"]["attributes"]["Architect"], "Irving Morrow");
    assert_eq!(out["people_also_ask"][0]["question"], "How long did it take to build the Golden Gate Bridge?");
    assert_eq!(out["related_searches"], json!(["golden gate bridge length", "golden gate bridge architect"]));
    assert_eq!(out["top_stories"][0]["source"], "Example News");

    // A page without any result box: empty organic list, no optional sections.
    let out = ok(&call(&rt, "search", json!({"query": "nothing found"})).await);
    assert_eq!(out["organic"], json!([]));
    for k in ["answer_box", "knowledge_graph", "people_also_ask", "related_searches"] {
        assert!(out.get(k).is_none(), "{k}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serper_errors_become_upstream_errors_with_its_message() {
    let f = Fixture::start(serper).await;
    let rt = runtime("serper", mirror(SERPER, &f), with_key(KEY)).await;
    let m = upstream_err(&call(&rt, "search", json!({"query": "forbidden query"})).await);
    assert!(m.contains("Query not allowed") && m.contains("400"), "{m}");
    let m = upstream_err(&call(&rt, "search", json!({"query": "malformed"})).await);
    assert!(m.contains("not JSON") && m.contains("Service Unavailable"), "{m}");
    let m = upstream_err(&call(&rt, "search", json!({"query": "empty"})).await);
    assert!(m.contains("not JSON"), "{m}");

    // A key Serper refuses: its message, and every query of a parallel search failed.
    let bad = runtime("serper", mirror(SERPER, &f), with_key("wrong-key")).await;
    let m = upstream_err(&call(&bad, "search", json!({"query": "anything"})).await);
    assert!(m.contains("Unauthorized.") && m.contains("403"), "{m}");
    let m = upstream_err(&call(&bad, "parallel_search", json!({"queries": ["a", "b"]})).await);
    assert!(m.contains("every query failed") && m.contains("Unauthorized."), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_or_query_fails_before_any_request() {
    let f = Fixture::start(serper).await;
    let rt = runtime("serper", mirror(SERPER, &f), SecretSource::none()).await;
    for (tool, args) in [("search", json!({"query": "x"})), ("parallel_search", json!({"queries": ["x"]}))] {
        let err = rt.call(tool, &args.to_string(), &opts()).await.unwrap_err();
        assert!(matches!(err, CallError::MissingSecret(_)), "{err}");
        assert!(err.to_string().contains("SERPER_API_KEY"), "{err}");
    }
    let rt = runtime("serper", mirror(SERPER, &f), with_key(KEY)).await;
    for (tool, args, field) in [
        ("search", json!({}), "query"),
        ("search", json!({"query": ""}), "query"),
        ("parallel_search", json!({"queries": []}), "queries"),
        ("parallel_search", json!({"queries": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]}), "queries"),
    ] {
        let err = rt.call(tool, &args.to_string(), &opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{args}: {err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert!(f.seen().is_empty(), "no request was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 6)]
async fn parallel_search_has_every_query_in_flight_at_once() {
    // The fixture holds each request until all three have arrived (or gives up after a
    // generous wait and says so): a guest that sent them one by one would be caught.
    let gate = Arc::new((Mutex::new(0usize), Condvar::new()));
    let g = gate.clone();
    let f = Fixture::start(move |s: &Seen| {
        let (lock, cv) = &*g;
        let mut n = lock.lock().unwrap();
        *n += 1;
        cv.notify_all();
        let (n, _) = cv.wait_timeout_while(n, std::time::Duration::from_secs(20), |n| *n < 3).unwrap();
        let together = *n >= 3;
        drop(n);
        let mut r = serper(s);
        if !together {
            r = Reply::json(200, &json!({"searchParameters": {}, "organic": [{"title": "ALONE", "link": "https://x.test/"}]}));
        }
        r
    })
    .await;
    let rt = runtime("serper", mirror(SERPER, &f), with_key(KEY)).await;
    let out = ok(&call(&rt, "parallel_search", json!({"queries": ["golden gate", "forbidden query", "bay bridge"]})).await);
    assert_eq!(f.seen().len(), 3);
    let mut sent: Vec<String> = f.seen().iter().map(|s| serde_json::from_slice::<Value>(&s.body).unwrap()["q"].as_str().unwrap().to_string()).collect();
    sent.sort();
    assert_eq!(sent, vec!["bay bridge", "forbidden query", "golden gate"]);
    assert!(!out.to_string().contains("ALONE"), "the queries were sent one after another: {out}");
    assert_eq!(out["succeeded"], 2);
    assert_eq!(out["failed"], 1);
    let r = out["results"].as_array().unwrap();
    assert_eq!(r[0]["query"], "golden gate");
    assert_eq!(r[0]["answer_box"]["answer"], "May 27, 1937");
    assert_eq!(r[1]["query"], "forbidden query");
    assert!(r[1]["error"].as_str().unwrap().contains("Query not allowed"), "{out}");
    assert_eq!(r[2]["query"], "bay bridge");
    assert_eq!(r[2]["organic"][0]["position"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_search_runs_the_catalog_maximum_within_the_request_budget() {
    let f = Fixture::start(serper).await;
    let rt = runtime("serper", mirror(SERPER, &f), with_key(KEY)).await;
    let queries: Vec<String> = (0..10).map(|i| format!("query number {i}")).collect();
    let out = ok(&call(&rt, "parallel_search", json!({"queries": queries})).await);
    assert_eq!(out["succeeded"], 10);
    let got: Vec<&str> = out["results"].as_array().unwrap().iter().map(|r| r["query"].as_str().unwrap()).collect();
    assert_eq!(got, queries.iter().map(String::as_str).collect::<Vec<_>>(), "results keep the order of the queries");
    assert_eq!(f.seen().len(), 10);
}

// ---------------------------------------------------------------------------------------
// browse

const ARTICLE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Golden Gate Bridge &mdash; History &amp; Facts | Bridges of the World</title>
  <link rel="stylesheet" href="/static/site.css">
  <style>body { font-family: sans-serif } .hidden-style-marker { display: none }</style>
  <script>window.dataLayer = []; var marker = "SCRIPT_MARKER <p>not text</p>";</script>
  <script type="application/ld+json">{"@type": "Article", "headline": "JSONLD_MARKER"}</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/bridges/">All bridges</a> <a href="https://other.example.org/about?x=1&amp;y=2">About us</a></nav>
  <noscript><img src="/pixel.gif">NOSCRIPT_MARKER</noscript>
  <main>
    <article>
      <h1>Golden Gate Bridge</h1>
      <p>The Golden Gate Bridge is a suspension bridge spanning the Golden&nbsp;Gate, the strait connecting
         San Francisco Bay and the Pacific Ocean. It links San Francisco to Marin County.</p>
      <h2>Design</h2>
      <p>The bridge&#x2019;s engineer was Joseph Strauss; Irving Morrow designed the Art Deco towers and chose
         the &ldquo;International Orange&rdquo; colour. Leon Moisseiff contributed the deflection theory &lt;sic&gt;.</p>
      <svg width="10" height="10"><title>SVG_MARKER</title><circle r="4"/></svg>
      <h2>Construction</h2>
      <p>Construction began on January 5, 1933. The bridge was completed in April 1937 and opened to
         pedestrians on May 27, 1937, at a cost of more than $35 million.</p>
      <ul>
        <li>Main span: 4,200 ft (1,280 m)</li>
        <li>Tower height: 746 ft (227 m)</li>
      </ul>
      <h2>Facts</h2>
      <table>
        <thead><tr><th>Property</th><th>Value</th></tr></thead>
        <tbody>
          <tr><td>Total length</td><td>8,981 ft</td></tr>
          <tr><td>Opened</td><td><a href="/timeline#1937">May 27, 1937</a></td></tr>
        </tbody>
      </table>
      <template><p>TEMPLATE_MARKER</p></template>
      <p>Read more on <a href="../wiki/Golden_Gate">the wiki</a> or <a href="javascript:void(0)">share</a>.</p>
    </article>
  </main>
  <footer><p>&copy; 2024 Bridges of the World</p></footer>
  <script src="/static/app.js"></script>
</body>
</html>"##;

fn site(s: &Seen) -> Reply {
    let path = s.path_and_query.as_str();
    let redirect = |status: u16, to: &str| Reply { status, headers: vec![("location".into(), to.into())], body: Vec::new() };
    match path {
        "/bridges/golden-gate" => Reply::text(200, "text/html; charset=utf-8", ARTICLE),
        "/latin1" => Reply::text(
            200,
            "text/html; charset=ISO-8859-1",
            b"<html><head><title>Caf\xe9 du Monde</title></head><body><h1>Le caf\xe9</h1><p>Ouvert depuis 1862, le caf\xe9 sert des beignets \xe0 la fran\xe7aise.</p></body></html>".to_vec(),
        ),
        "/cp1252" => Reply::text(
            200,
            "text/html; charset=windows-1252",
            b"<html><head><title>Quotes</title></head><body><p>He said \x93hello\x94 \x96 it\x92s \x8030.</p></body></html>".to_vec(),
        ),
        "/meta-only" => Reply::text(
            200,
            "text/html",
            b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><title>R\xe9sum\xe9</title></head><body><p>Fa\xe7ade na\xefve</p></body></html>".to_vec(),
        ),
        "/meta-charset" => Reply::text(
            200,
            "text/html",
            b"<!doctype html><html><head><meta charset=\"windows-1252\"><title>Smart</title></head><body><p>\x93curly\x94 and \xe9</p></body></html>".to_vec(),
        ),
        "/huge" => {
            let mut body = String::from("<html><head><title>Huge</title></head><body><p>The needle paragraph mentions zanzibar early on.</p>");
            let para = "<p>Filler paragraph with ordinary words about rivers, hills and the weather of the valley.</p>\n";
            while body.len() < 6_000_000 {
                body.push_str(para);
            }
            body.push_str("<p>FAR_END_MARKER</p></body></html>");
            Reply::text(200, "text/html", body)
        }
        "/r1" => redirect(302, "/r2"),
        "/r2" => redirect(301, "hop/r3?x=1"),
        "/hop/r3?x=1" => redirect(307, "../bridges/golden-gate#facts"),
        "/loop-a" => redirect(302, "/loop-b"),
        "/loop-b" => redirect(302, "https://site.example.test/loop-a"),
        "/to-ten" => redirect(302, "http://10.0.0.1/admin"),
        "/to-ftp" => redirect(302, "ftp://files.example.org/x"),
        "/plain.txt" => Reply::text(200, "text/plain; charset=utf-8", "Line one of the notes.\n\nThe boiling point of water is 100 degrees Celsius at sea level.\n"),
        "/data.json" => Reply::text(200, "application/json", r#"{"name": "widget", "price_eur": 12.5}"#),
        "/logo.png" => Reply::text(200, "image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        "/gone" => Reply::text(404, "text/html", "<html><head><title>Page not found</title></head><body><p>Sorry, nothing here.</p></body></html>"),
        p if p.starts_with("/chain/") => {
            let n: u32 = p["/chain/".len()..].parse().unwrap_or(0);
            redirect(302, &format!("/chain/{}", n + 1))
        }
        _ => Reply::text(404, "text/plain", "no such page"),
    }
}

async fn browse_rt(f: &Fixture) -> Runtime {
    runtime("browse", mirror(SITE, f), SecretSource::none()).await
}

async fn browse(rt: &Runtime, url: &str, query: &str) -> Outcome {
    call(rt, "browse", json!({"url": url, "query": query})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_reads_a_page_as_clean_text_and_ranks_passages() {
    let f = Fixture::start(site).await;
    let rt = browse_rt(&f).await;
    let out = ok(&browse(&rt, &format!("{SITE}/bridges/golden-gate"), "When was the bridge completed?").await);
    assert_eq!(f.seen().len(), 1);
    assert_eq!(f.seen()[0].method, "GET");
    assert_eq!(f.seen()[0].path_and_query, "/bridges/golden-gate");

    assert_eq!(out["status"], 200);
    assert_eq!(out["final_url"], format!("{SITE}/bridges/golden-gate"));
    assert_eq!(out["content_type"], "text/html; charset=utf-8");
    assert_eq!(out["charset"], "UTF-8");
    assert_eq!(out["title"], "Golden Gate Bridge — History & Facts | Bridges of the World");
    assert_eq!(out["truncated"], false);
    let text = out["text"].as_str().unwrap();
    assert!(text.contains("# Golden Gate Bridge\n\nThe Golden Gate Bridge is a suspension bridge"), "{text}");
    assert!(text.contains("## Construction"), "{text}");
    assert!(text.contains("- Main span: 4,200 ft (1,280 m)\n- Tower height: 746 ft (227 m)"), "{text}");
    assert!(text.contains("Property | Value\nTotal length | 8,981 ft\nOpened | May 27, 1937"), "{text}");
    assert!(text.contains("The bridge’s engineer was Joseph Strauss"), "entities decoded: {text}");
    assert!(text.contains("“International Orange”") && text.contains("<sic>"), "{text}");
    assert!(text.contains("spanning the Golden Gate, the strait"), "nbsp becomes a space: {text}");
    assert!(text.contains("© 2024 Bridges of the World"), "{text}");
    for marker in ["SCRIPT_MARKER", "not text", "JSONLD_MARKER", "NOSCRIPT_MARKER", "SVG_MARKER", "TEMPLATE_MARKER", "font-family", "hidden-style-marker"] {
        assert!(!text.contains(marker), "{marker} leaked into the text: {text}");
    }

    let links: Vec<(String, String)> = out["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["text"].as_str().unwrap().to_string(), l["url"].as_str().unwrap().to_string()))
        .collect();
    let want = [
        ("Home", format!("{SITE}/")),
        ("All bridges", format!("{SITE}/bridges/")),
        ("About us", "https://other.example.org/about?x=1&y=2".to_string()),
        ("May 27, 1937", format!("{SITE}/timeline#1937")),
        ("the wiki", format!("{SITE}/wiki/Golden_Gate")),
    ];
    assert_eq!(links, want.iter().map(|(t, u)| (t.to_string(), u.clone())).collect::<Vec<_>>());
    assert_eq!(out["links_total"], 5, "javascript: links are not kept");

    assert_eq!(out["method"], "bm25");
    assert_eq!(out["query_terms"], json!(["bridge", "completed"]));
    let top = &out["passages"][0];
    assert_eq!(top["rank"], 1);
    assert_eq!(top["section"], "Construction");
    assert!(top["text"].as_str().unwrap().contains("completed in April 1937"), "{out}");
    assert_eq!(top["matched_terms"], json!(["bridge", "completed"]));
    let scores: Vec<f64> = out["passages"].as_array().unwrap().iter().map(|p| p["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]) && scores[0] > 0.0, "{scores:?}");

    // A different question picks a different passage.
    let out = ok(&browse(&rt, &format!("{SITE}/bridges/golden-gate"), "Who designed the towers and their colour?").await);
    assert_eq!(out["passages"][0]["section"], "Design");
    // A question the page has nothing on says so.
    let out = ok(&browse(&rt, &format!("{SITE}/bridges/golden-gate"), "zeppelin xylophone").await);
    assert_eq!(out["passages"], json!([]));
    assert!(out["note"].as_str().unwrap().contains("no passage"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_honours_declared_charsets() {
    let f = Fixture::start(site).await;
    let rt = browse_rt(&f).await;
    let out = ok(&browse(&rt, &format!("{SITE}/latin1"), "café").await);
    assert_eq!(out["title"], "Café du Monde");
    assert_eq!(out["charset"], "windows-1252", "ISO-8859-1 is read as its Windows-1252 superset");
    assert!(out["text"].as_str().unwrap().contains("# Le café\n\nOuvert depuis 1862, le café sert des beignets à la française."), "{out}");
    assert_eq!(out["passages"][0]["matched_terms"], json!(["café"]));

    let out = ok(&browse(&rt, &format!("{SITE}/cp1252"), "hello").await);
    assert_eq!(out["text"], "He said “hello” – it’s €30.");

    let out = ok(&browse(&rt, &format!("{SITE}/meta-only"), "facade").await);
    assert_eq!(out["title"], "Résumé");
    assert_eq!(out["text"], "Façade naïve");

    let out = ok(&browse(&rt, &format!("{SITE}/meta-charset"), "curly").await);
    assert_eq!(out["charset"], "windows-1252");
    assert_eq!(out["text"], "“curly” and é");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_caps_a_huge_page() {
    let f = Fixture::start(site).await;
    let rt = browse_rt(&f).await;
    let out = ok(&browse(&rt, &format!("{SITE}/huge"), "zanzibar").await);
    assert_eq!(out["truncated"], true);
    let text = out["text"].as_str().unwrap();
    assert!(text.chars().count() <= 40_000, "{}", text.len());
    assert!(!text.contains("FAR_END_MARKER"));
    assert!(out["text_chars"].as_u64().unwrap() > 40_000);
    assert!(out["passages"][0]["text"].as_str().unwrap().contains("needle paragraph mentions zanzibar"), "{}", out["passages"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_follows_redirects_itself_and_stops_loops() {
    let f = Fixture::start(site).await;
    let rt = browse_rt(&f).await;
    let rec = rt.call("browse", &json!({"url": format!("{SITE}/r1"), "query": "towers"}).to_string(), &opts()).await.unwrap();
    let out = ok(&rec.outcome);
    let paths: Vec<String> = f.seen().iter().map(|s| s.path_and_query.clone()).collect();
    assert_eq!(paths, vec!["/r1", "/r2", "/hop/r3?x=1", "/bridges/golden-gate"], "relative locations resolved, fragment dropped");
    assert_eq!(out["url"], format!("{SITE}/r1"));
    assert_eq!(out["final_url"], format!("{SITE}/bridges/golden-gate"));
    assert_eq!(out["redirects"], json!([format!("{SITE}/r1"), format!("{SITE}/r2"), format!("{SITE}/hop/r3?x=1")]));
    assert_eq!(out["title"], "Golden Gate Bridge — History & Facts | Bridges of the World");
    assert_eq!(rec.exchanges.len(), 5, "each hop is a request of its own, recorded, then the model request");
    assert_eq!(rec.exchanges[1].request.url, format!("{SITE}/r2"));
    // No model endpoint is mapped here: that request failed at once (api_browse_llm.rs).
    assert_eq!(rec.exchanges[4].request.url, "https://llm.dive.invalid/chat/completions");
    assert_eq!(out["answered_by"], "passages");

    let before = f.seen().len();
    let m = upstream_err(&browse(&rt, &format!("{SITE}/loop-a"), "x").await);
    assert!(m.contains("redirect loop"), "{m}");
    assert_eq!(f.seen().len() - before, 2);

    let before = f.seen().len();
    let m = upstream_err(&browse(&rt, &format!("{SITE}/chain/0"), "x").await);
    assert!(m.contains("too many redirects (more than 5)"), "{m}");
    assert_eq!(f.seen().len() - before, 6, "the start and five hops");

    let m = upstream_err(&browse(&rt, &format!("{SITE}/to-ftp"), "x").await);
    assert!(m.contains("not an http or https address"), "{m}");
}

/// A public web site (the fixture, seen through a mirror) on a host whose every other
/// request goes through the real, strict network: no private addresses allowed.
struct PublicSiteOnly {
    site: LiveTransport,
    strict: LiveTransport,
}

impl Transport for PublicSiteOnly {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, ctx: &'a SendContext) -> TransportFuture<'a> {
        if req.url.starts_with(&format!("{SITE}/")) {
            self.site.exchange(req, ctx)
        } else {
            self.strict.exchange(req, ctx)
        }
    }
}

fn assert_private_refused(o: &Outcome) {
    match o {
        Outcome::Violation { rule, message } => {
            assert_eq!(rule.as_str(), "private_address", "{message}");
            assert!(message.contains("--allow-private-network"), "{message}");
        }
        other => panic!("expected a private_address violation, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_cannot_reach_private_addresses_without_the_switch() {
    let f = Fixture::start(site).await;
    // Without --allow-private-network: loopback and private hosts are refused outright.
    let strict = runtime("browse", NetworkConfig::default(), SecretSource::none()).await;
    assert_private_refused(&browse(&strict, &format!("{}/bridges/golden-gate", f.url()), "x").await);
    assert_private_refused(&browse(&strict, "http://10.0.0.1/admin", "x").await);
    assert!(f.seen().is_empty());

    // A public page that redirects to a private address: the hop is refused by the
    // host's address check (the guest follows redirects; the host checks each request).
    let transport = PublicSiteOnly {
        site: LiveTransport::new(mirror(SITE, &f)),
        strict: LiveTransport::new(NetworkConfig::default()),
    };
    let mut o = opts();
    o.transport = Some(Arc::new(transport));
    let rec = strict.call("browse", &json!({"url": format!("{SITE}/to-ten"), "query": "x"}).to_string(), &o).await.unwrap();
    assert_private_refused(&rec.outcome);
    assert_eq!(f.seen().len(), 1, "only the public page was reached");
    assert_eq!(f.seen()[0].path_and_query, "/to-ten");

    let port = f.addr.port();
    let loopback = Fixture::start(move |_: &Seen| {
        let to = format!("http://127.0.0.1:{port}/bridges/golden-gate");
        Reply { status: 302, headers: vec![("location".into(), to)], body: Vec::new() }
    })
    .await;
    let transport = PublicSiteOnly {
        site: LiveTransport::new(mirror(SITE, &loopback)),
        strict: LiveTransport::new(NetworkConfig::default()),
    };
    o.transport = Some(Arc::new(transport));
    let rec = strict.call("browse", &json!({"url": format!("{SITE}/anything"), "query": "x"}).to_string(), &o).await.unwrap();
    assert_private_refused(&rec.outcome);
    assert_eq!(f.seen().len(), 1, "the loopback target was never reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_reads_text_and_json_and_refuses_binary_and_errors() {
    let f = Fixture::start(site).await;
    let rt = browse_rt(&f).await;
    let out = ok(&browse(&rt, &format!("{SITE}/plain.txt"), "boiling point of water").await);
    assert_eq!(out["text"], "Line one of the notes.\n\nThe boiling point of water is 100 degrees Celsius at sea level.");
    assert_eq!(out["passages"][0]["text"], "Line one of the notes.\nThe boiling point of water is 100 degrees Celsius at sea level.");
    assert!(out.get("title").is_none());

    let out = ok(&browse(&rt, &format!("{SITE}/data.json"), "price").await);
    assert_eq!(out["text"], r#"{"name": "widget", "price_eur": 12.5}"#);
    assert_eq!(out["content_type"], "application/json");

    let m = upstream_err(&browse(&rt, &format!("{SITE}/logo.png"), "what is shown").await);
    assert!(m.contains("not readable text") && m.contains("image/png"), "{m}");

    let m = upstream_err(&browse(&rt, &format!("{SITE}/gone"), "x").await);
    assert!(m.contains("HTTP 404") && m.contains("Page not found"), "{m}");

    let before = f.seen().len();
    for (args, field) in [
        (json!({"url": format!("{SITE}/plain.txt")}), "query"),
        (json!({"query": "x"}), "url"),
        (json!({"url": format!("{SITE}/plain.txt"), "query": ""}), "query"),
    ] {
        let err = rt.call("browse", &args.to_string(), &opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    for (url, needle) in [("ftp://files.example.org/x", "http or https"), ("not a url", "not a valid URL")] {
        match rt.call("browse", &json!({"url": url, "query": "x"}).to_string(), &opts()).await {
            Ok(rec) => match rec.outcome {
                Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, message } => assert!(message.contains(needle), "{message}"),
                other => panic!("{url}: expected invalid arguments, got {other:?}"),
            },
            // The host's schema check may reject a string that is not a URI first.
            Err(err) => assert!(matches!(err, CallError::InvalidArgs { .. }) && err.to_string().contains("url"), "{err}"),
        }
    }
    assert_eq!(f.seen().len(), before, "rejected arguments made no request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_reads_real_recorded_pages() {
    let root = repo_root().join("../shared/fixtures/real");
    let mut pages: Vec<(String, Vec<u8>)> = Vec::new();
    for service in ["crossref", "eutils", "openalex"] {
        let Ok(dir) = std::fs::read_dir(root.join(service).join("bodies")) else { continue };
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".html") {
                pages.push((format!("{service}/{name}"), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    if pages.is_empty() {
        eprintln!("skipped: no recorded HTML pages under {}", root.display());
        return;
    }
    pages.sort();
    let served = Arc::new(pages.clone());
    let s2 = served.clone();
    let f = Fixture::start(move |s: &Seen| {
        let i: usize = s.path_and_query.trim_start_matches("/page/").parse().unwrap_or(usize::MAX);
        match s2.get(i) {
            Some((_, body)) => Reply::text(200, "text/html", body.clone()),
            None => Reply::text(404, "text/plain", "no such page"),
        }
    })
    .await;
    let rt = browse_rt(&f).await;
    for (i, (name, body)) in pages.iter().enumerate() {
        let html = String::from_utf8_lossy(body);
        let title = html.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).map(str::trim).unwrap();
        let h1 = html.split("<h1>").nth(1).and_then(|t| t.split("</h1>").next()).map(str::trim).unwrap();
        let out = ok(&browse(&rt, &format!("{SITE}/page/{i}"), h1).await);
        assert_eq!(out["title"], title, "{name}");
        let text = out["text"].as_str().unwrap();
        assert!(text.starts_with(&format!("# {h1}")), "{name}: {text}");
        assert!(!text.contains("color:") && !text.contains("<"), "{name}: markup or style leaked: {text}");
        assert!(!out["passages"].as_array().unwrap().is_empty() || out["note"].is_string(), "{name}: {out}");
    }
}
