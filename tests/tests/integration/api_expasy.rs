//! The expasy family (3 tools) against a loopback PROSITE: the requests (paths), the
//! flat-file PROSITE and PRODOC text converted to JSON, the HTML entry page, error pages
//! and argument rules, and the real PROSITE/PRODOC entries from
//! ../shared/fixtures/real/prosite (skipped cleanly when absent).

use dive_integration_tests::api::{self, call_opts, ok, upstream_error};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime, SecretSource};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

const ORIGIN: &str = "https://prosite.expasy.org";
const TEXT: &str = "text/plain; charset=utf-8";

async fn runtime(f: &Fixture) -> Runtime {
    api::runtime(&[(ORIGIN, f.url())], SecretSource::none()).await
}

const PS00001: &str = "ID   ASN_GLYCOSYLATION; PATTERN.
AC   PS00001;
DT   01-APR-1990 CREATED; 01-APR-1990 DATA UPDATE; 01-APR-1990 INFO UPDATE.
DE   N-glycosylation site.
PA   N-{P}-[ST]-{P}.
CC   /TAXO-RANGE=??EPV; /SITE=1,carbohydrate;
CC   /SITE=3,carbohydrate; /SKIP-FLAG=TRUE;
CC   /VERSION=1;
PR   PRU00498;
DR   P12345, TEST1_HUMAN, T; Q99999, TEST2_MOUSE, P;
DR   O11111, TEST3_YEAST, ?;
3D   1ABC; 2XYZ;
DO   PDOC00001;
//
";

const PS50011: &str = "ID   PROTEIN_KINASE_DOM; MATRIX.
AC   PS50011;
DT   01-NOV-1995 CREATED; 13-APR-2016 DATA UPDATE; 20-DEC-2017 INFO UPDATE.
DE   Protein kinase domain profile.
MA   /GENERAL_SPEC: ALPHABET='ABCDEFGHIKLMNPQRSTVWYZ'; LENGTH=285;
MA   /DISJOINT: DEFINITION=PROTECT; N1=6; N2=280;
NR   /RELEASE=2023_05,570157;
NR   /TOTAL=60000(58000); /POSITIVE=59000(57000);
DO   PDOC00100;
//
";

const PDOC00001: &str = "{PDOC00001}
{PS00001; ASN_GLYCOSYLATION}
{BEGIN}
**************************
* N-glycosylation site *
**************************

It has been known for a long time [1] that potential N-glycosylation sites are
specific to the consensus sequence Asn-Xaa-Ser/Thr.

-Consensus pattern: N-{P}-[ST]-{P}
                    [N is the glycosylation site]
-Last update: April 1990 / First entry.

[ 1] Marshall R.D.
     \"Glycoproteins.\"
     Annu. Rev. Biochem. 41:673-702(1972).
     PubMed=4563441; DOI=10.1146/annurev.bi.41.070172.003325
[ 2] Pless D.D., Lennarz W.J.
     Proc. Natl. Acad. Sci. U.S.A. 74:134-138(1977).

+------------------------------------------------------------------------+
PROSITE is copyright. It is produced by the SIB.
+------------------------------------------------------------------------+

{END}
";

const HTML: &str = "<!DOCTYPE html><html><head><title>PROSITE: PS00001</title></head><body><h1>ASN_GLYCOSYLATION</h1></body></html>";

fn synthetic(s: &Seen) -> Reply {
    match s.path_and_query.as_str() {
        "/PS00001.txt" => Reply::text(200, TEXT, PS00001),
        "/PS50011.txt" => Reply::text(200, TEXT, PS50011),
        "/PDOC00001.txt" => Reply::text(200, TEXT, PDOC00001),
        "/cgi-bin/prosite/get-prosite-entry?PS00001" => Reply::text(200, "text/html; charset=utf-8", HTML),
        "/PS00002.txt" => Reply::text(200, "text/html", "<html><head><title>PROSITE: entry PS00002 does not exist</title></head></html>"),
        "/PS00003.txt" => Reply::text(200, TEXT, ""),
        "/PS00004.txt" => Reply::text(503, "text/html", "<html><head><title>503 Service Unavailable</title></head></html>"),
        _ => Reply::text(404, "text/html", "<html><head><title>404 Not Found</title></head><body>Not found</body></html>"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_sends_its_request_and_converts_the_answer() {
    let f = Fixture::start(synthetic).await;
    let rt = runtime(&f).await;

    let out = ok(&rt, "expasy_prosite", json!({"prosite_id": "PS00001"})).await;
    assert_eq!(f.seen().last().unwrap().path_and_query, "/PS00001.txt");
    assert_eq!(out["format"], "raw");
    let r = &out["record"];
    assert_eq!((r["accession"].as_str(), r["name"].as_str(), r["type"].as_str()), (Some("PS00001"), Some("ASN_GLYCOSYLATION"), Some("PATTERN")));
    assert_eq!(r["description"], "N-glycosylation site.");
    assert_eq!(r["pattern"], "N-{P}-[ST]-{P}.");
    assert_eq!(r["comments"], json!({"TAXO-RANGE": "??EPV", "SITE": ["1,carbohydrate", "3,carbohydrate"], "SKIP-FLAG": "TRUE", "VERSION": "1"}));
    assert_eq!(r["prorule"], "PRU00498");
    assert_eq!(r["swissprot"][1], json!({"accession": "Q99999", "entry_name": "TEST2_MOUSE", "flag": "P", "kind": "potential"}));
    assert_eq!(r["swissprot"][2]["kind"], "unknown");
    assert_eq!(r["pdb"], json!(["1ABC", "2XYZ"]));
    assert_eq!(r["prodoc"], "PDOC00001");
    assert_eq!(r["dates"], json!({"created": "01-APR-1990", "data_update": "01-APR-1990", "info_update": "01-APR-1990"}));

    let out = ok(&rt, "expasy_prosite", json!({"prosite_id": "PS50011", "format": "raw"})).await;
    let r = &out["record"];
    assert_eq!(r["type"], "MATRIX");
    assert!(r.get("pattern").is_none());
    assert_eq!(r["matrix"][0], "/GENERAL_SPEC: ALPHABET='ABCDEFGHIKLMNPQRSTVWYZ'; LENGTH=285;");
    assert_eq!(r["statistics"]["TOTAL"], "60000(58000)");

    let out = ok(&rt, "expasy_prosite", json!({"prosite_id": "PS00001", "format": "html"})).await;
    assert_eq!(f.seen().last().unwrap().path_and_query, "/cgi-bin/prosite/get-prosite-entry?PS00001");
    assert_eq!((out["format"].as_str(), out["title"].as_str(), out["html"].as_str()), (Some("html"), Some("PROSITE: PS00001"), Some(HTML)));

    let out = ok(&rt, "expasy_prosite_raw", json!({"prosite_id": "PS00001"})).await;
    assert_eq!(f.seen().last().unwrap().path_and_query, "/PS00001.txt");
    assert_eq!(out["text"], PS00001);
    assert_eq!((out["name"].as_str(), out["type"].as_str(), out["prodoc"].as_str()), (Some("ASN_GLYCOSYLATION"), Some("PATTERN"), Some("PDOC00001")));

    let out = ok(&rt, "expasy_prodoc", json!({"prodoc_id": "PDOC00001"})).await;
    assert_eq!(f.seen().last().unwrap().path_and_query, "/PDOC00001.txt");
    assert_eq!(out["accession"], "PDOC00001");
    assert_eq!(out["prosite_refs"], json!([{"accession": "PS00001", "name": "ASN_GLYCOSYLATION"}]));
    assert_eq!(out["title"], "N-glycosylation site");
    assert!(out["text"].as_str().unwrap().starts_with("It has been known for a long time [1]"));
    assert!(out["text"].as_str().unwrap().ends_with("-Last update: April 1990 / First entry."), "{}", out["text"]);
    assert!(!out["text"].as_str().unwrap().contains("copyright"));
    let r1 = &out["references"][0];
    assert_eq!((r1["number"].as_u64(), r1["authors"].as_str(), r1["title"].as_str()), (Some(1), Some("Marshall R.D."), Some("Glycoproteins.")));
    assert_eq!((r1["citation"].as_str(), r1["pubmed"].as_str(), r1["doi"].as_str()), (Some("Annu. Rev. Biochem. 41:673-702(1972)."), Some("4563441"), Some("10.1146/annurev.bi.41.070172.003325")));
    let r2 = &out["references"][1];
    assert_eq!((r2["authors"].as_str(), r2["citation"].as_str()), (Some("Pless D.D., Lennarz W.J."), Some("Proc. Natl. Acad. Sci. U.S.A. 74:134-138(1977).")));
    for s in f.seen() {
        assert_eq!(s.method, "GET");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_argument_rules() {
    let f = Fixture::start(synthetic).await;
    let rt = runtime(&f).await;
    let m = upstream_error(&rt, "expasy_prosite", json!({"prosite_id": "PS99999"})).await;
    assert!(m.contains("404") && m.contains("404 Not Found"), "{m}");
    let m = upstream_error(&rt, "expasy_prodoc", json!({"prodoc_id": "PDOC99999"})).await;
    assert!(m.contains("404"), "{m}");
    let m = upstream_error(&rt, "expasy_prosite_raw", json!({"prosite_id": "PS00002"})).await;
    assert!(m.contains("entry PS00002 does not exist"), "{m}");
    let m = upstream_error(&rt, "expasy_prosite", json!({"prosite_id": "PS00003"})).await;
    assert!(m.contains("empty"), "{m}");
    let rec = rt.call("expasy_prosite_raw", &json!({"prosite_id": "PS00004"}).to_string(), &call_opts()).await.unwrap();
    assert!(matches!(&rec.outcome, Outcome::ToolError { kind: ToolErrorKind::Upstream, message } if message.contains("503")), "{:?}", rec.outcome);
    assert_eq!(rec.exchanges.len(), 3, "5xx is retried by the SDK, each attempt recorded");

    let before = f.seen().len();
    for (tool, args) in [
        ("expasy_prosite", json!({})),
        ("expasy_prosite", json!({"prosite_id": "PDOC00001"})),
        ("expasy_prosite", json!({"prosite_id": "PS0001"})),
        ("expasy_prosite", json!({"prosite_id": "PS00001", "format": "xml"})),
        ("expasy_prosite_raw", json!({"prosite_id": "ps00001"})),
        ("expasy_prodoc", json!({"prodoc_id": "PS00001"})),
        ("expasy_prodoc", json!({"prodoc_id": "PDOC00001", "x": 1})),
    ] {
        let err = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{tool} {args}: {err}");
    }
    assert_eq!(f.seen().len(), before, "rejected arguments send nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_prosite_and_prodoc_entries() {
    let dir = repo_root().join("../shared/fixtures/real/prosite/raw");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: ../shared/fixtures/real/prosite is absent");
        return;
    };
    // biopython__ps00107.txt answers /PS00107.txt (PROVENANCE.tsv).
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for e in rd {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(id) = name.strip_prefix("biopython__").and_then(|n| n.strip_suffix(".txt")) {
            files.insert(format!("/{}.txt", id.to_ascii_uppercase()), std::fs::read_to_string(&p).unwrap());
        }
    }
    let files = Arc::new(files);
    let served = files.clone();
    let f = Fixture::start(move |s: &Seen| match served.get(&s.path_and_query) {
        Some(b) => Reply::text(200, TEXT, b.clone()),
        None => Reply::text(404, "text/html", "<html><head><title>404 Not Found</title></head></html>"),
    })
    .await;
    let rt = runtime(&f).await;

    let r = ok(&rt, "expasy_prosite", json!({"prosite_id": "PS00107"})).await["record"].clone();
    assert_eq!((r["name"].as_str(), r["type"].as_str(), r["accession"].as_str()), (Some("PROTEIN_KINASE_ATP"), Some("PATTERN"), Some("PS00107")));
    assert_eq!(r["description"], "Protein kinases ATP-binding region signature.");
    assert_eq!(r["pattern"], "[LIV]-G-{P}-G-{P}-[FYWMGSTNH]-[SGA]-{PW}-[LIVCAT]-{PD}-x-[GSTACLIVMFY]-x(5,18)-[LIVMFYWCSTAR]-[AIVP]-[LIVMFAGCKR]-K.");
    assert_eq!(r["dates"], json!({"created": "APR-1990", "data_update": "NOV-1995", "info_update": "MAR-2006"}));
    assert_eq!(r["statistics"]["TOTAL"], "1789(1772)");
    assert_eq!(r["statistics"]["RELEASE"], "49.3,212425");
    assert_eq!(r["comments"]["TAXO-RANGE"], "??EPV");
    assert_eq!(r["swissprot"][0], json!({"accession": "P13368", "entry_name": "7LESS_DROME", "flag": "T", "kind": "true_positive"}));
    assert_eq!(r["swissprot"][6]["entry_name"], "AAPK1_RAT", "padded names are trimmed");
    assert!(r["pdb"].as_array().unwrap().contains(&json!("1A9U")));
    assert_eq!(r["pdb"].as_array().unwrap().last().unwrap(), "4ERK");
    assert_eq!(r["prodoc"], "PDOC00100");

    let r = ok(&rt, "expasy_prosite", json!({"prosite_id": "PS00159"})).await["record"].clone();
    assert_eq!(r["comments"]["SITE"], "8,active_site");
    let flags: BTreeMap<String, String> = r["swissprot"].as_array().unwrap().iter().map(|d| (d["accession"].as_str().unwrap().to_string(), d["flag"].as_str().unwrap().to_string())).collect();
    assert_eq!(flags["P50846"], "N");
    assert_eq!(flags["Q9QUK6"], "F");
    assert_eq!(r["pdb"], json!(["1EUA", "1EUN", "1FQ0", "1FWR", "1MXS", "1VHC"]));

    for (path, text) in files.iter() {
        let id = path.trim_start_matches('/').trim_end_matches(".txt");
        if id.starts_with("PDOC") {
            let out = ok(&rt, "expasy_prodoc", json!({"prodoc_id": id})).await;
            assert_eq!(out["accession"], id);
            assert!(!out["prosite_refs"].as_array().unwrap().is_empty(), "{id}");
            assert!(!out["title"].as_str().unwrap().is_empty() && !out["text"].as_str().unwrap().is_empty(), "{id}");
            assert!(!out["references"].as_array().unwrap().is_empty(), "{id}");
        } else {
            let out = ok(&rt, "expasy_prosite_raw", json!({"prosite_id": id})).await;
            assert_eq!(out["text"].as_str(), Some(text.as_str()), "{id}: the text comes back unchanged");
            assert_eq!(out["prosite_id"], id);
            assert!(!out["name"].as_str().unwrap().is_empty());
            // The PA lines, joined, for pattern entries (profiles have MA lines instead).
            let pa: String = text.lines().filter_map(|l| l.strip_prefix("PA   ")).collect();
            assert_eq!(out["pattern"].as_str(), (!pa.is_empty()).then_some(pa.as_str()), "{id}: pattern");
        }
    }

    let out = ok(&rt, "expasy_prodoc", json!({"prodoc_id": "PDOC00100"})).await;
    assert_eq!(out["title"], "Protein kinases signatures and profile");
    let refs: Vec<&str> = out["prosite_refs"].as_array().unwrap().iter().map(|r| r["accession"].as_str().unwrap()).collect();
    assert_eq!(refs, vec!["PS00107", "PS00108", "PS00109", "PS50011"]);
    assert!(out["text"].as_str().unwrap().starts_with("Eukaryotic  protein kinases [1 to 5]"));
    let r7 = out["references"].as_array().unwrap().iter().find(|r| r["number"] == 7).unwrap();
    assert_eq!((r7["title"].as_str(), r7["pubmed"].as_str(), r7["doi"].as_str()), (Some("Sequence patterns in protein kinases."), Some("3340146"), Some("10.1038/331022a0")));
    assert_eq!(r7["authors"], "Bairoch A., Claverie J.-M.");
    assert_eq!(r7["citation"], "Nature 331:22-22(1988).");
    let out = ok(&rt, "expasy_prodoc", json!({"prodoc_id": "PDOC00933"})).await;
    assert_eq!(out["title"], "Protozoan/cyanobacterial globins signature");
    let r3 = &out["references"][2];
    assert_eq!(r3["title"], "Nuclear genes encoding chloroplast hemoglobins in the unicellular green alga Chlamydomonas eugametos.");
    assert_eq!(r3["pubmed"], "8177215");
    assert_eq!(out["references"].as_array().unwrap().len(), 4);
}
