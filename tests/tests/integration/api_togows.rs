//! The togows family (4 tools) against a loopback TogoWS: every tool's request (method,
//! path with the format extension, body), JSON/text/FASTA answers, the redirect from
//! togows.org to togows.dbcls.jp followed within the allowed origins only, error
//! answers and argument rules. (No real TogoWS recordings exist in ../shared/fixtures.)

use dive_integration_tests::api::{self, call_opts, ok, upstream_error};
use dive_integration_tests::{Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime, SecretSource};
use serde_json::{json, Value};

const ORIGIN: &str = "http://togows.org";
const MIRROR: &str = "https://togows.dbcls.jp";

async fn runtime(f: &Fixture) -> Runtime {
    api::runtime(&[(ORIGIN, f.url()), (MIRROR, f.url())], SecretSource::none()).await
}

const FASTA: &str = ">sp|P01308|INS_HUMAN Insulin OS=Homo sapiens OX=9606 GN=INS PE=1 SV=1\nMALWMRLLPLLALLALWGPDPAAAFVNQHLCGSHLVEALYLVCGERGFFYTPKTRREAEDLQVGQVELGGGPGAGSLQPLALEGSLQKRGIVEQCCTSICSLYQLENYCN\n";
const GENBANK: &str = "LOCUS       AB000001                  10 bp    DNA     linear   PRI 01-JAN-2000\nORIGIN\n        1 acgtacgtac\n//\n";
const GFF: &str = "##gff-version 3\nAB000001\t.\tsource\t1\t10\t.\t+\t.\tID=AB000001\n";

fn handler(s: &Seen) -> Reply {
    let pq = s.path_and_query.as_str();
    match (s.method.as_str(), pq) {
        ("GET", "/search/uniprot/insulin%20human/count") => Reply::text(200, "text/plain", "1234\n"),
        ("GET", "/search/uniprot/insulin%20human/3,2") => Reply::text(200, "text/plain", "INS_HUMAN\nINSR_HUMAN\n"),
        ("GET", "/search/ncbi-pubmed/nothing/1,10") => Reply::text(200, "text/plain", ""),
        ("GET", "/entry/uniprot/P01308.fasta") => Reply::text(200, "text/plain", FASTA),
        ("GET", "/entry/uniprot/P01308.json") => Reply::json(200, &json!([{"entry_id": "INS_HUMAN", "accessions": ["P01308"], "definition": "Insulin"}])),
        ("GET", "/entry/uniprot/P01308.xml") => Reply::text(200, "text/xml", "<uniprot><entry><accession>P01308</accession></entry></uniprot>"),
        ("GET", "/entry/uniprot/P01308") => Reply::text(200, "text/plain", "ID   INS_HUMAN   Reviewed;   110 AA.\nAC   P01308;\n//\n"),
        ("GET", "/entry/ncbi-nucleotide/NM_000207/definition") => Reply::text(200, "text/plain", "Homo sapiens insulin (INS), transcript variant 1, mRNA.\n"),
        ("GET", "/entry/ncbi-pubmed/16381885,20472643/title.json") => Reply::json(200, &json!(["Title one.", "Title two."])),
        ("GET", "/entry/ncbi-pubmed/moved.json") => Reply { status: 301, headers: vec![("location".into(), format!("{MIRROR}/entry/ncbi-pubmed/16381885.json"))], body: Vec::new() },
        ("GET", "/entry/ncbi-pubmed/16381885.json") => Reply::json(200, &json!([{"pmid": "16381885", "title": "Relocated."}])),
        ("GET", "/entry/ncbi-pubmed/elsewhere.json") => Reply { status: 302, headers: vec![("location".into(), "http://evil.example.org/steal".into())], body: Vec::new() },
        ("GET", "/entry/uniprot/NOPE.fasta") => Reply::text(200, "text/plain", ""),
        ("GET", "/entry/uniprot/BROKEN.json") => Reply::text(200, "application/json", "[{\"entry_id\": "),
        ("GET", "/entry/ddbj/BAD.fasta") => Reply::text(400, "text/plain", "Error: invalid entry ID (BAD) for database ddbj"),
        ("GET", "/search/ebi-ena/oops/count") => Reply::text(500, "text/plain", "Internal Server Error"),
        ("POST", "/convert/genbank.gff") => {
            if s.body == GENBANK.as_bytes() {
                Reply::text(200, "text/plain", GFF)
            } else {
                Reply::text(400, "text/plain", "Error: unexpected body")
            }
        }
        ("POST", "/convert/genbank.fasta") => Reply::text(200, "text/plain", ">AB000001\nACGTACGTAC\n"),
        ("POST", "/convert/fasta.ttl") => Reply::text(200, "text/plain", "Error: conversion from fasta to ttl is not supported\n"),
        _ => Reply::text(404, "text/plain", format!("no such route {} {pq}", s.method)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_sends_its_request_and_converts_the_answer() {
    let f = Fixture::start(handler).await;
    let rt = runtime(&f).await;
    let path = || f.seen().last().unwrap().path_and_query.clone();

    let out = ok(&rt, "togows_search_count", json!({"database": "uniprot", "query": "insulin human"})).await;
    assert_eq!(path(), "/search/uniprot/insulin%20human/count");
    assert_eq!(out, json!({"database": "uniprot", "query": "insulin human", "count": 1234}));

    let out = ok(&rt, "togows_search", json!({"database": "uniprot", "query": "insulin human", "offset": 3, "limit": 2})).await;
    assert_eq!(path(), "/search/uniprot/insulin%20human/3,2");
    assert_eq!(out["ids"], json!(["INS_HUMAN", "INSR_HUMAN"]));
    assert_eq!((out["offset"].as_u64(), out["limit"].as_u64()), (Some(3), Some(2)));
    let out = ok(&rt, "togows_search", json!({"database": "ncbi-pubmed", "query": "nothing"})).await;
    assert_eq!(path(), "/search/ncbi-pubmed/nothing/1,10", "defaults offset 1, limit 10");
    assert_eq!(out["ids"], json!([]));

    let out = ok(&rt, "togows_entry", json!({"database": "uniprot", "entry_id": "P01308"})).await;
    assert_eq!(path(), "/entry/uniprot/P01308.fasta", "fasta is the default format");
    assert_eq!(out["text"], FASTA);
    assert_eq!(out["records"][0]["id"], "sp|P01308|INS_HUMAN");
    assert_eq!(out["records"][0]["length"], 110);
    let out = ok(&rt, "togows_entry", json!({"database": "uniprot", "entry_id": "P01308", "format": "json"})).await;
    assert_eq!(path(), "/entry/uniprot/P01308.json");
    assert_eq!(out["data"][0]["accessions"], json!(["P01308"]));
    let out = ok(&rt, "togows_entry", json!({"database": "uniprot", "entry_id": "P01308", "format": "xml"})).await;
    assert_eq!(path(), "/entry/uniprot/P01308.xml");
    assert!(out["text"].as_str().unwrap().contains("<accession>P01308</accession>"));
    let out = ok(&rt, "togows_entry", json!({"database": "uniprot", "entry_id": "P01308", "format": "list"})).await;
    assert_eq!(path(), "/entry/uniprot/P01308");
    assert!(out["text"].as_str().unwrap().starts_with("ID   INS_HUMAN"));
    let out = ok(&rt, "togows_entry", json!({"database": "ncbi-nucleotide", "entry_id": "NM_000207", "field": "definition"})).await;
    assert_eq!(path(), "/entry/ncbi-nucleotide/NM_000207/definition", "a field is fetched as text");
    assert_eq!(out["text"], "Homo sapiens insulin (INS), transcript variant 1, mRNA.\n");
    assert_eq!(out["field"], "definition");
    let out = ok(&rt, "togows_entry", json!({"database": "ncbi-pubmed", "entry_id": "16381885, 20472643", "field": "title", "format": "json"})).await;
    assert_eq!(path(), "/entry/ncbi-pubmed/16381885,20472643/title.json");
    assert_eq!(out["data"], json!(["Title one.", "Title two."]));

    let out = ok(&rt, "togows_convert", json!({"data": GENBANK, "input_format": "genbank", "output_format": "gff"})).await;
    let s = f.seen().last().unwrap().clone();
    assert_eq!((s.method.as_str(), s.path_and_query.as_str()), ("POST", "/convert/genbank.gff"));
    assert_eq!(s.body, GENBANK.as_bytes());
    assert_eq!(out["text"], GFF);
    let out = ok(&rt, "togows_convert", json!({"data": GENBANK, "input_format": "genbank", "output_format": "fasta"})).await;
    assert_eq!(out["records"][0], json!({"id": "AB000001", "description": "AB000001", "sequence": "ACGTACGTAC", "length": 10}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_errors_and_argument_rules() {
    let f = Fixture::start(handler).await;
    let rt = runtime(&f).await;

    // togows.org -> togows.dbcls.jp is followed (a second, recorded request).
    let rec = rt.call("togows_entry", &json!({"database": "ncbi-pubmed", "entry_id": "moved", "format": "json"}).to_string(), &call_opts()).await.unwrap();
    let Outcome::Ok(t) = &rec.outcome else { panic!("{:?}", rec.outcome) };
    assert_eq!(serde_json::from_str::<Value>(t).unwrap()["data"][0]["title"], "Relocated.");
    assert_eq!(rec.exchanges.len(), 2);
    assert!(format!("{:?}", rec.exchanges[1].request).contains("https://togows.dbcls.jp/entry/ncbi-pubmed/16381885.json"), "the trace keeps the logical URL");
    // A redirect elsewhere is not followed.
    let before = f.seen().len();
    let m = upstream_error(&rt, "togows_entry", json!({"database": "ncbi-pubmed", "entry_id": "elsewhere", "format": "json"})).await;
    assert!(m.contains("evil.example.org"), "{m}");
    assert_eq!(f.seen().len(), before + 1);

    let m = upstream_error(&rt, "togows_entry", json!({"database": "uniprot", "entry_id": "NOPE"})).await;
    assert!(m.contains("NOPE") && m.contains("empty"), "{m}");
    let m = upstream_error(&rt, "togows_entry", json!({"database": "uniprot", "entry_id": "BROKEN", "format": "json"})).await;
    assert!(m.contains("malformed JSON"), "{m}");
    let m = upstream_error(&rt, "togows_entry", json!({"database": "ddbj", "entry_id": "BAD"})).await;
    assert!(m.contains("400") && m.contains("invalid entry ID (BAD) for database ddbj"), "{m}");
    let m = upstream_error(&rt, "togows_search_count", json!({"database": "ebi-ena", "query": "oops"})).await;
    assert!(m.contains("500") && m.contains("Internal Server Error"), "{m}");
    let m = upstream_error(&rt, "togows_convert", json!({"data": ">x\nACGT\n", "input_format": "fasta", "output_format": "ttl"})).await;
    assert!(m.contains("conversion from fasta to ttl is not supported"), "{m}");
    let m = upstream_error(&rt, "togows_search_count", json!({"database": "uniprot", "query": "insulin human/3,2"})).await;
    assert!(m.contains("404"), "a slash in the query stays inside the query segment: {m}");

    let before = f.seen().len();
    for (tool, args) in [
        ("togows_search_count", json!({"database": "uniprot"})),
        ("togows_search_count", json!({"database": "pdb", "query": "x"})),
        ("togows_search", json!({"database": "uniprot", "query": "x", "limit": 1001})),
        ("togows_search", json!({"database": "uniprot", "query": "x", "offset": 0})),
        ("togows_entry", json!({"database": "uniprot", "entry_id": "P01308", "format": "gff"})),
        ("togows_entry", json!({"database": "uniprot", "entry_id": ""})),
        ("togows_convert", json!({"data": "x", "input_format": "fasta"})),
        ("togows_convert", json!({"data": "x", "input_format": "fasta", "output_format": "csv"})),
    ] {
        let err = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{tool} {args}: {err}");
    }
    for (tool, args) in [
        ("togows_search", json!({"database": "uniprot", "query": "   "})),
        ("togows_entry", json!({"database": "uniprot", "entry_id": "P01308,,P01315"})),
        ("togows_entry", json!({"database": "uniprot", "entry_id": "P01308", "field": "../../search"})),
        ("togows_convert", json!({"data": "  \n", "input_format": "fasta", "output_format": "gff"})),
    ] {
        let o = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap().outcome;
        assert!(matches!(o, Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, .. }), "{tool} {args}: {o:?}");
    }
    assert_eq!(f.seen().len(), before, "rejected arguments send nothing");
}
