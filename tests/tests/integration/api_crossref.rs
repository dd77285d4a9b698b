//! The crossref family (15 tools), answered from real recordings: the habanero and
//! paper-qa vcrpy cassettes in ../shared/fixtures/real/crossref are imported into a
//! store and every request is served from them with no network (vcrpy matching), so a
//! tool that sends a wrong path or parameter finds no recording and fails. Skipped
//! cleanly when the folder is absent; a synthetic upstream covers the error shapes.

use dive_integration_tests::api::{self, call_opts};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::cassette::import;
use dive_runtime::transport::CassetteTransport;
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::store::Store;
use dive_runtime::{CallError, NetworkConfig, Outcome, SecretSource};
use serde_json::{json, Value};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_against_real_recordings() {
    let dir = repo_root().join("../shared/fixtures/real/crossref/cassettes");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: ../shared/fixtures/real/crossref is absent");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    for e in entries {
        import(&store, &e.unwrap().path()).unwrap();
    }
    let rt = api::runtime_with_network(NetworkConfig::default(), SecretSource::none()).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("crossref_get_work", json!({"doi": "10.1371/journal.pone.0020476"}), "work"),
        ("crossref_get_work", json!({"doi": "https://doi.org/10.1073/pnas.1205508109", "mailto": "example@papercrow.ai"}), "work"),
        ("crossref_members", json!({"query": "ecology", "rows": 2}), "member-list"),
        ("crossref_member_works", json!({"id": 2984, "offset": 0, "rows": 1}), "work-list"),
        ("crossref_journals", json!({"query": "ecology", "rows": 2}), "journal-list"),
        ("crossref_get_journal", json!({"issn": "1803-2427"}), "journal"),
        ("crossref_funders", json!({"query": "NSF", "rows": 2}), "funder-list"),
        ("crossref_funder_works", json!({"funder_id": "10.13039/100000001", "filter": "has-assertion:true"}), "work-list"),
        ("crossref_get_prefix", json!({"prefix": "10.1016"}), "prefix"),
        ("crossref_types", json!({}), "type-list"),
        ("crossref_get_type", json!({"id": "journal"}), "type"),
        ("crossref_licenses", json!({"query": "science", "rows": 2}), "license-list"),
        ("crossref_work_agency", json!({"doi": "10.1126/science.169.3946.635"}), "work-agency"),
    ];
    let mut covered = std::collections::BTreeSet::new();
    for (tool, args, message_type) in cases {
        let mut opts = call_opts();
        opts.transport = Some(Arc::new(CassetteTransport::from_store(&store).unwrap()));
        let o = rt.call(tool, &args.to_string(), &opts).await.unwrap().outcome;
        let v: Value = match &o {
            Outcome::Ok(t) => serde_json::from_str(t).unwrap(),
            other => panic!("{tool} {args}: {other:?}"),
        };
        api::check_parity(&rt, tool, &args, &v);
        assert_eq!(v["status"], "ok", "{tool}");
        assert_eq!(v["message-type"], message_type, "{tool} {args}");
        covered.insert(tool);
    }
    // Values from the recordings come through.
    let mut opts = call_opts();
    opts.transport = Some(Arc::new(CassetteTransport::from_store(&store).unwrap()));
    let o = rt.call("crossref_get_work", &json!({"doi": "10.1371/journal.pone.0020476"}).to_string(), &opts).await.unwrap().outcome;
    let Outcome::Ok(t) = o else { panic!() };
    let v: Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["message"]["DOI"].as_str().unwrap().to_lowercase(), "10.1371/journal.pone.0020476");
    let o = rt.call("crossref_get_work", &json!({"doi": "10.1371/notarealdoi"}).to_string(), &opts).await.unwrap().outcome;
    assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::Upstream, .. }), "{o:?}");
    // A recorded Crossref validation failure, with Crossref's own message.
    let o = rt.call("crossref_members", &json!({"filter": "has-full-text:true"}).to_string(), &opts).await.unwrap().outcome;
    match o {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => {
            assert!(message.contains("400") && message.contains("no such filter for this route"), "{message}")
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(covered.len(), 12, "all tools but get_member and journal_works (no recordings; the synthetic test covers them) are checked against recordings");
}

fn synthetic(s: &Seen) -> Reply {
    let path = s.path_and_query.split('?').next().unwrap();
    match path {
        "/works/10.1/missing" => Reply::text(404, "text/plain", "Resource not found."),
        "/members" if s.path_and_query.contains("rows=") => Reply::json(200, &json!({"status": "ok", "message-type": "member-list", "message-version": "1.0.0", "message": {"items": [], "total-results": 0}})),
        "/members/98" => Reply::json(200, &json!({"status": "ok", "message-type": "member", "message-version": "1.0.0", "message": {"id": 98, "primary-name": "Hindawi"}})),
        "/journals/1932-6203/works" => Reply::json(400, &json!({"status": "failed", "message-type": "validation-failure", "message": [{"type": "parameter-not-allowed", "value": "bogus", "message": "Parameter bogus specified but there is no such parameter available on any route"}]})),
        _ => Reply::text(500, "text/plain", "unexpected"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_ids_and_argument_rules() {
    let f = Fixture::start(synthetic).await;
    let rt = api::runtime(&[("https://api.crossref.org", f.url())], SecretSource::none()).await;
    let opts = call_opts();
    let call = |tool: &'static str, args: Value| {
        let rt = rt.clone();
        let opts = opts.clone();
        async move { rt.call(tool, &args.to_string(), &opts).await }
    };
    let Outcome::Ok(t) = call("crossref_get_member", json!({"id": 98})).await.unwrap().outcome else { panic!() };
    assert_eq!(serde_json::from_str::<Value>(&t).unwrap()["message"]["primary-name"], "Hindawi");
    match call("crossref_get_work", json!({"doi": "doi:10.1/missing"})).await.unwrap().outcome {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => assert!(message.contains("404") && message.contains("Resource not found."), "{message}"),
        o => panic!("{o:?}"),
    }
    match call("crossref_journal_works", json!({"issn": "1932-6203", "query": "x"})).await.unwrap().outcome {
        Outcome::ToolError { kind: ToolErrorKind::Upstream, message } => assert!(message.contains("no such parameter"), "{message}"),
        o => panic!("{o:?}"),
    }
    let o = call("crossref_members", json!({"rows": 5})).await.unwrap().outcome;
    assert!(matches!(o, Outcome::Ok(_)), "{o:?}");
    assert_eq!(f.seen().last().unwrap().path_and_query, "/members?rows=5", "only given parameters are sent");

    let before = f.seen().len();
    for (tool, args) in [
        ("crossref_members", json!({"rows": 0})),
        ("crossref_members", json!({"rows": 1001})),
        ("crossref_get_member", json!({"id": "ninety-eight"})),
        ("crossref_member_works", json!({"id": 98, "order": "sideways"})),
        ("crossref_member_works", json!({"id": 98, "select": "DOI, title"})),
        ("crossref_journals", json!({"mailto": "not-an-email"})),
        ("crossref_funders", json!({"filter": "country:de"})),
        ("crossref_get_work", json!({})),
    ] {
        let err = call(tool, args.clone()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{tool} {args}: {err}");
    }
    for (tool, args) in [
        ("crossref_journal_works", json!({"issn": "1932-6203", "rows": 5000})),
        ("crossref_get_type", json!({"id": "../members"})),
        ("crossref_get_work", json!({"doi": "  "})),
    ] {
        let o = call(tool, args.clone()).await.unwrap().outcome;
        assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, .. }), "{tool} {args}: {o:?}");
    }
    assert_eq!(f.seen().len(), before, "rejected arguments send nothing");
}
