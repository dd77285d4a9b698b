//! Differential test of the local tool families bio_sequtils, protparam, seqfeature,
//! motifs and restriction against Biopython 1.88: tests/bio/oracle_more.py generates
//! randomized cases for all 20 tools and computes each expected result (or expected rejection) with
//! Biopython; every case is then called through the runtime on the built-in pool and
//! compared field by field. Floats are compared exactly: the tools use Biopython's data
//! (generated from it) and its formulas operation by operation, so the values are
//! bit-identical (the isoelectric point included: both sides use the same correctly
//! rounded `pow`).
//!
//! DIVE_BIO_SEED and DIVE_BIO_CASES (cases per tool, default 100) choose the run.

use dive_runtime::{CallError, Outcome};
use serde_json::{json, Value};
use dive_integration_tests::bio::{builtin_runtime as runtime, call_opts as opts, OracleCase as Case};

fn oracle_cases() -> Vec<Case> {
    dive_integration_tests::bio::oracle_cases("tests/bio/oracle_more.py", "Bio")
}

const TOOLS: [&str; 20] = [
    "bio_sequtils_gc_content",
    "bio_sequtils_gc123",
    "bio_sequtils_gc_skew",
    "bio_sequtils_seq1",
    "bio_sequtils_seq3",
    "bio_sequtils_six_frame",
    "bio_sequtils_nt_search",
    "protparam_analysis",
    "protparam_molecular_weight",
    "protparam_isoelectric_point",
    "protparam_aromaticity",
    "seqfeature_location",
    "seqfeature_compound",
    "motifs_create",
    "motifs_reverse_complement",
    "motifs_reverse_complement_rna",
    "restriction_search",
    "restriction_catalyse",
    "restriction_enzyme_info",
    "restriction_all_enzymes",
];












#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_bio_tools_agree_with_biopython() {
    let cases = oracle_cases();
    let rt = runtime().await;
    dive_integration_tests::bio::agree_with_biopython(&rt, &cases, &TOOLS).await;
}

/// Compare the catalog's facts of one parameter (recursing into array items).
fn check_param(name: &str, p: &str, have: &Value, want: &Value) {
    const KEYS: [&str; 11] = [
        "type",
        "default",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "required",
        "additionalProperties",
    ];
    for k in KEYS {
        assert_eq!(have.get(k), want.get(k), "{name}.{p}: {k}");
    }
    if let Some(items) = want.get("items") {
        check_param(name, &format!("{p}[]"), &have["items"], items);
    }
    if let Some(props) = want.get("properties").and_then(|v| v.as_object()) {
        let have_props = have["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}.{p}: properties"));
        let mut a: Vec<&String> = have_props.keys().collect();
        let mut b: Vec<&String> = props.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}.{p}: properties");
        for (q, w) in props {
            check_param(name, &format!("{p}.{q}"), &have_props[q], w);
        }
    }
}

/// The input schemas keep the catalog's facts (types, required, defaults, enums,
/// bounds, patterns, additionalProperties = false), and add no other constraint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_schemas_keep_the_catalog_facts() {
    let rt = runtime().await;
    let checked =
        dive_integration_tests::bio::schemas_keep_the_catalog_facts(&rt, "tests/bio/catalog_facts_more.json", check_param);
    assert_eq!(checked, TOOLS.len());
}

/// Arguments that break a tool's schema are refused by the runtime before the guest
/// runs (CallError::InvalidArgs, not a tool error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_schema_invalid_args_are_rejected_before_the_guest_runs() {
    let rt = runtime().await;
    let bad = [
        ("bio_sequtils_gc_content", json!({})),
        ("bio_sequtils_gc_content", json!({"sequence": ""})),
        (
            "bio_sequtils_gc_content",
            json!({"sequence": "ACGT", "ambiguous": "count"}),
        ),
        ("bio_sequtils_gc123", json!({"sequence": "AC"})),
        ("bio_sequtils_gc_skew", json!({"sequence": "ACGTACGTA"})),
        (
            "bio_sequtils_gc_skew",
            json!({"sequence": "ACGTACGTAC", "window": 0}),
        ),
        (
            "bio_sequtils_gc_skew",
            json!({"sequence": "ACGTACGTAC", "window": 1.5}),
        ),
        (
            "bio_sequtils_seq1",
            json!({"sequence": "AlaGly", "undef_code": "XX"}),
        ),
        ("bio_sequtils_seq3", json!({"sequence": ""})),
        (
            "bio_sequtils_six_frame",
            json!({"sequence": "ATG", "genetic_code": 0}),
        ),
        (
            "bio_sequtils_six_frame",
            json!({"sequence": "ATG", "genetic_code": 32}),
        ),
        ("bio_sequtils_nt_search", json!({"sequence": "ACGT"})),
        (
            "bio_sequtils_nt_search",
            json!({"sequence": "ACGT", "subsequence": ""}),
        ),
        ("protparam_analysis", json!({"sequence": "mkt"})),
        ("protparam_molecular_weight", json!({"sequence": "MKTX"})),
        ("protparam_isoelectric_point", json!({"sequence": ""})),
        (
            "protparam_aromaticity",
            json!({"sequence": "MKT", "monoisotopic": true}),
        ),
        (
            "seqfeature_location",
            json!({"sequence": "ACGT", "start": -1, "end": 2}),
        ),
        (
            "seqfeature_location",
            json!({"sequence": "ACGT", "start": 0, "end": 0}),
        ),
        (
            "seqfeature_location",
            json!({"sequence": "ACGT", "start": 0, "end": 2, "strand": 0}),
        ),
        (
            "seqfeature_location",
            json!({"sequence": "ACGT", "start": 0}),
        ),
        (
            "seqfeature_compound",
            json!({"sequence": "ACGT", "locations": []}),
        ),
        (
            "seqfeature_compound",
            json!({"sequence": "ACGT", "locations": [{"start": 0}]}),
        ),
        (
            "seqfeature_compound",
            json!({"sequence": "ACGT", "locations": [{"start": 0, "end": 2, "strand": 2}]}),
        ),
        ("motifs_create", json!({"sequences": ["ACGT"]})),
        ("motifs_create", json!({"sequences": ["ACGT", ""]})),
        (
            "motifs_create",
            json!({"sequences": ["ACGT", "ACGT"], "alphabet": "DNA"}),
        ),
        ("motifs_reverse_complement", json!({"sequence": ""})),
        (
            "motifs_reverse_complement_rna",
            json!({"sequence": "ACGU", "inplace": "yes"}),
        ),
        (
            "restriction_search",
            json!({"sequence": "gaattc", "enzyme_name": "EcoRI"}),
        ),
        (
            "restriction_search",
            json!({"sequence": "GAANTC", "enzyme_name": "EcoRI"}),
        ),
        (
            "restriction_catalyse",
            json!({"sequence": "GAATTC", "enzyme_name": ""}),
        ),
        (
            "restriction_catalyse",
            json!({"sequence": "GAATTC", "enzyme_name": "EcoRI", "linear": false}),
        ),
        ("restriction_enzyme_info", json!({})),
        ("restriction_all_enzymes", json!({"limit": 0})),
        ("restriction_all_enzymes", json!({"limit": 1089})),
        ("restriction_all_enzymes", json!({"search_pattern": 3})),
    ];
    for (tool, args) in bad {
        match rt.call(tool, &args.to_string(), &opts()).await {
            Err(CallError::InvalidArgs { .. }) => {}
            Err(e) => panic!("{tool} {args}: expected a schema rejection, got {e}"),
            Ok(r) => panic!("{tool} {args}: the guest ran: {:?}", r.outcome),
        }
    }
}

/// Inputs the schema allows but the tool refuses end as invalid-args tool errors with
/// a message, never a crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_bad_input_is_an_invalid_args_error() {
    let rt = runtime().await;
    let long = "A".repeat(10_000_001);
    let cases = [
        ("bio_sequtils_gc_content", json!({ "sequence": long })),
        ("bio_sequtils_gc_content", json!({"sequence": "\"".repeat(5_000_001)})),
        ("bio_sequtils_gc123", json!({"sequence": "NNN"})),
        (
            "bio_sequtils_six_frame",
            json!({"sequence": "ATG", "genetic_code": 7}),
        ),
        (
            "bio_sequtils_nt_search",
            json!({"sequence": "ACGT", "subsequence": "acgt"}),
        ),
        (
            "bio_sequtils_nt_search",
            json!({"sequence": "ACGT", "subsequence": "N".repeat(1001)}),
        ),
        (
            "bio_sequtils_nt_search",
            json!({"sequence": "A".repeat(1_000_001), "subsequence": "A"}),
        ),
        (
            "bio_sequtils_gc_skew",
            json!({"sequence": "A".repeat(500_001), "window": 1}),
        ),
        (
            "bio_sequtils_six_frame",
            json!({"sequence": "A".repeat(1_000_001)}),
        ),
        (
            "bio_sequtils_seq3",
            json!({"sequence": "A".repeat(4_000_001)}),
        ),
        (
            "seqfeature_compound",
            json!({"sequence": "A".repeat(1_000_000), "locations": vec![json!({"start": 0, "end": 1_000_000}); 13]}),
        ),
        (
            "motifs_create",
            json!({"sequences": ["A".repeat(20_001), "A".repeat(20_001)]}),
        ),
        (
            "restriction_search",
            json!({"sequence": "GAATTC", "enzyme_name": "ecori"}),
        ),
        ("restriction_enzyme_info", json!({"enzyme_name": "NoSuchI"})),
        (
            "restriction_search",
            json!({"sequence": "GATC".repeat(2_500_000), "enzyme_name": "MboI"}),
        ),
        (
            "restriction_catalyse",
            json!({"sequence": "GATC".repeat(2_500_000), "enzyme_name": "MboI"}),
        ),
        (
            "restriction_catalyse",
            json!({"sequence": "TTGGAAG", "enzyme_name": "HpyUM037X"}),
        ),
        (
            "seqfeature_location",
            json!({"sequence": "ACGT", "start": 3, "end": 2}),
        ),
        ("motifs_create", json!({"sequences": ["ACG", "ACGT"]})),
        ("motifs_create", json!({"sequences": ["NCG", "NCG"]})),
    ];
    dive_integration_tests::bio::tool_refuses(&rt, &cases).await;
}

/// Inputs at the 10 MB cap run inside the packages' time, memory and output limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_inputs_at_the_cap_fit_the_limits() {
    let rt = runtime().await;
    let n = 10_000_000usize;
    let dna: String = "ACGTTGCA".repeat(n / 8);
    let protein: String = "MKTAYIAKQRQISFVKSHFSRQ".repeat(n / 22);
    let cases = [
        (
            "bio_sequtils_gc_content",
            json!({"sequence": dna, "ambiguous": "weighted"}),
            "length",
        ),
        (
            "bio_sequtils_gc_skew",
            json!({"sequence": dna, "window": 20}),
            "count",
        ),
        (
            "bio_sequtils_six_frame",
            json!({"sequence": &dna[..1_000_000]}),
            "genetic_code",
        ),
        (
            "bio_sequtils_nt_search",
            json!({"sequence": dna, "subsequence": "A".repeat(1000)}),
            "count",
        ),
        (
            "bio_sequtils_nt_search",
            json!({"sequence": &dna[..8_000_000], "subsequence": "ACGTTGCA"}),
            "count",
        ),
        (
            "bio_sequtils_seq3",
            json!({"sequence": &protein[..4_000_000], "undef_code": "?"}),
            "length",
        ),
        ("protparam_analysis", json!({"sequence": protein}), "length"),
        (
            "seqfeature_compound",
            json!({"sequence": dna, "locations": [{"start": 0, "end": n, "strand": -1}]}),
            "length",
        ),
        (
            "motifs_create",
            json!({"sequences": vec![&protein[..20_000]; 500], "alphabet": "ACDEFGHIKLMNPQRSTVWY"}),
            "length",
        ),
        (
            "motifs_reverse_complement",
            json!({"sequence": dna}),
            "length",
        ),
        (
            "restriction_search",
            json!({"sequence": dna, "enzyme_name": "BaeI"}),
            "count",
        ),
        (
            "restriction_search",
            json!({"sequence": "GATCAAAAAA".repeat(1_000_000), "enzyme_name": "MboI"}),
            "count",
        ),
        (
            "restriction_catalyse",
            json!({"sequence": "GATCAAAAAAAAAAAAAAAA".repeat(500_000), "enzyme_name": "MboI"}),
            "count",
        ),
        (
            "restriction_search",
            json!({"sequence": dna, "enzyme_name": "HpyUM037X"}),
            "count",
        ),
        (
            "restriction_catalyse",
            json!({"sequence": dna, "enzyme_name": "NlaIII"}),
            "count",
        ),
        (
            "restriction_catalyse",
            json!({"sequence": dna, "enzyme_name": "EcoRI"}),
            "count",
        ),
        ("restriction_all_enzymes", json!({"limit": 1088}), "count"),
    ];
    for (tool, args, field) in cases {
        let r = rt
            .call(tool, &args.to_string(), &opts())
            .await
            .expect("the call runs");
        let Outcome::Ok(text) = &r.outcome else {
            panic!("{tool} at the cap: {:?}", r.outcome)
        };
        let v: Value = serde_json::from_str(text).unwrap();
        assert!(v.get(field).is_some(), "{tool}");
        eprintln!(
            "{tool}: {} ms, peak memory {} MiB, {} bytes out",
            r.usage.wall_us / 1000,
            r.usage.peak_memory_bytes >> 20,
            r.usage.output_bytes
        );
    }
}

/// JSON Schema counts 2.0 as the integer 2, so the tools read integral numbers as
/// integers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_integral_numbers_are_integers() {
    let rt = runtime().await;
    let cases = [
        (
            "bio_sequtils_gc_skew",
            json!({"sequence": "GGGGGCCCCC", "window": 5.0}),
            "count",
            json!(2),
        ),
        (
            "bio_sequtils_six_frame",
            json!({"sequence": "ATGTGA", "genetic_code": 2.0}),
            "genetic_code",
            json!(2),
        ),
        (
            "seqfeature_location",
            json!({"sequence": "ACGTACGT", "start": 1.0, "end": 3.0, "strand": -1.0}),
            "extracted",
            json!("CG"),
        ),
        (
            "restriction_all_enzymes",
            json!({"limit": 3.0}),
            "count",
            json!(3),
        ),
    ];
    for (tool, args, field, want) in cases {
        let r = rt
            .call(tool, &args.to_string(), &opts())
            .await
            .expect("the call runs");
        let Outcome::Ok(text) = &r.outcome else {
            panic!("{tool} {args}: {:?}", r.outcome)
        };
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v[field], want, "{tool} {args}");
    }
}
