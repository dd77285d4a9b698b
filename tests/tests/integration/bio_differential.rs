//! Differential test of the local biological tools (bio_seq, codon_table, iupac_data)
//! against Biopython: tests/bio/oracle.py generates randomized cases for all 15 tools
//! and computes each expected result (or expected rejection) with Biopython; every
//! case is then called through the runtime on the built-in pool and compared field by
//! field, floats included (the tools use the same data and the same formula, so the
//! values are bit-identical).
//!
//! DIVE_BIO_SEED and DIVE_BIO_CASES (cases per tool, default 100) choose the run.

use dive_runtime::{CallError, Outcome};
use serde_json::{json, Value};
use dive_integration_tests::bio::{builtin_runtime as runtime, call_opts as opts, OracleCase as Case};

fn oracle_cases() -> Vec<Case> {
    dive_integration_tests::bio::oracle_cases("tests/bio/oracle.py", "Bio")
}

const TOOLS: [&str; 15] = [
    "bio_seq_translate",
    "bio_seq_complement",
    "bio_seq_transcribe",
    "bio_seq_count",
    "bio_seq_find",
    "bio_seq_pattern",
    "bio_seq_back_transcribe",
    "bio_seq_complement_rna",
    "bio_seq_reverse_complement",
    "bio_seq_reverse_complement_rna",
    "codon_table_standard",
    "codon_table_by_id",
    "codon_table_list",
    "iupac_data_letters",
    "iupac_data_weights",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bio_tools_agree_with_biopython() {
    let cases = oracle_cases();
    let rt = runtime().await;
    dive_integration_tests::bio::agree_with_biopython(&rt, &cases, &TOOLS).await;
}

/// The input schemas keep the catalog's facts (types, required, defaults, enums,
/// bounds, patterns, additionalProperties = false), and add no other constraint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_keep_the_catalog_facts() {
    let rt = runtime().await;
    let keys = ["type", "default", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern"];
    dive_integration_tests::bio::schemas_keep_the_catalog_facts(&rt, "tests/bio/catalog_facts.json", |name, p, have, want| {
        for k in keys {
            assert_eq!(have.get(k), want.get(k), "{name}.{p}: {k}");
        }
    });
}

/// Arguments that break a tool's schema are refused by the runtime before the guest
/// runs (CallError::InvalidArgs, not a tool error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_invalid_args_are_rejected_before_the_guest_runs() {
    let rt = runtime().await;
    let bad = [
        ("bio_seq_translate", json!({})),
        ("bio_seq_translate", json!({"sequence": "AT"})),
        ("bio_seq_translate", json!({"sequence": "ATG", "table": 0})),
        ("bio_seq_translate", json!({"sequence": "ATG", "table": 32})),
        ("bio_seq_translate", json!({"sequence": "ATG", "stop_symbol": "**"})),
        ("bio_seq_translate", json!({"sequence": "ATG", "gap": "--"})),
        ("bio_seq_translate", json!({"sequence": "ATG", "frame": 2})),
        ("bio_seq_complement", json!({"sequence": ""})),
        (
            "bio_seq_complement",
            json!({"sequence": "ACGT", "operation": "reverse"}),
        ),
        (
            "bio_seq_transcribe",
            json!({"sequence": "ACGT", "operation": "translate"}),
        ),
        ("bio_seq_count", json!({"sequence": "ACGT"})),
        ("bio_seq_count", json!({"sequence": "ACGT", "subsequence": ""})),
        (
            "bio_seq_find",
            json!({"sequence": "ACGT", "subsequence": "A", "start": -1}),
        ),
        (
            "bio_seq_find",
            json!({"sequence": "ACGT", "subsequence": "A", "end": 1.5}),
        ),
        (
            "bio_seq_pattern",
            json!({"sequence": "ACGT", "pattern": "A", "operation": "contains"}),
        ),
        ("bio_seq_back_transcribe", json!({"sequence": "ACGT"})),
        ("bio_seq_complement_rna", json!({"sequence": "acgu"})),
        ("bio_seq_reverse_complement", json!({"sequence": "ACGU"})),
        ("bio_seq_reverse_complement", json!({"sequence": "ACGN"})),
        ("bio_seq_reverse_complement_rna", json!({"sequence": "ACGT"})),
        ("codon_table_standard", json!({"table_id": 1})),
        ("codon_table_by_id", json!({})),
        ("codon_table_by_id", json!({"table_id": 28})),
        ("codon_table_list", json!({"include_details": "yes"})),
        ("iupac_data_letters", json!({"sequence_type": "DNA"})),
        ("iupac_data_weights", json!({"weight_type": "exact"})),
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
/// a message, never a crash: over-long sequences, non-ASCII text, unassigned tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_an_invalid_args_error() {
    let rt = runtime().await;
    let long = "A".repeat(bio_limit() + 1);
    let cases = [
        ("bio_seq_complement", json!({ "sequence": long })),
        ("bio_seq_count", json!({"sequence": "ACGT", "subsequence": long})),
        ("bio_seq_complement", json!({"sequence": "ACGé"})),
        ("bio_seq_translate", json!({"sequence": "ATG", "table": 7})),
        (
            "bio_seq_translate",
            json!({"sequence": "ATGTGA", "table": 27, "to_stop": true}),
        ),
        ("bio_seq_translate", json!({"sequence": "AAATAA", "cds": true})),
        ("bio_seq_translate", json!({"sequence": "ATGTAA", "stop_symbol": "é"})),
        ("codon_table_by_id", json!({"table_id": 17})),
    ];
    dive_integration_tests::bio::tool_refuses(&rt, &cases).await;
}

/// The documented sequence cap (bio_core::MAX_SEQUENCE_LEN).
fn bio_limit() -> usize {
    10_000_000
}

/// Sequences at the 10 MB cap run inside the packages' time, memory and output limits,
/// on the worst inputs for each operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequences_at_the_cap_fit_the_limits() {
    let rt = runtime().await;
    let n = bio_limit();
    let dna: String = "ACGTTGCA".repeat(n / 8);
    let poly_a = "A".repeat(n);
    let cases = [
        (
            "bio_seq_translate",
            json!({"sequence": dna, "table": 11}),
            "length",
            (n / 3) as u64,
        ),
        ("bio_seq_complement", json!({"sequence": dna}), "length", n as u64),
        ("bio_seq_transcribe", json!({"sequence": dna}), "length", n as u64),
        (
            "bio_seq_count",
            json!({"sequence": poly_a, "subsequence": "A".repeat(n / 2), "overlap": true}),
            "count",
            (n / 2 + 1) as u64,
        ),
        (
            "bio_seq_find",
            json!({"sequence": poly_a, "subsequence": "AA", "find_all": true}),
            "count",
            (n - 1) as u64,
        ),
        (
            "bio_seq_find",
            json!({"sequence": poly_a, "subsequence": poly_a}),
            "position",
            0,
        ),
    ];
    for (tool, args, field, want) in cases {
        let r = rt.call(tool, &args.to_string(), &opts()).await.expect("the call runs");
        let Outcome::Ok(text) = &r.outcome else {
            panic!("{tool} on {n} characters: {:?}", r.outcome)
        };
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v[field], json!(want), "{tool}");
        eprintln!(
            "{tool}: {} ms, peak memory {} MiB, {} bytes out",
            r.usage.wall_us / 1000,
            r.usage.peak_memory_bytes >> 20,
            r.usage.output_bytes
        );
    }
}

/// JSON Schema counts 2.0 as the integer 2 (the runtime's check lets it through), so
/// the tools read integral numbers as integers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integral_numbers_are_integers() {
    let rt = runtime().await;
    let cases = [
        (
            "bio_seq_translate",
            json!({"sequence": "ATGTGA", "table": 2.0}),
            "protein",
            json!("MW"),
        ),
        (
            "bio_seq_find",
            json!({"sequence": "ACGTACGT", "subsequence": "AC", "start": 1.0, "end": 8.0}),
            "position",
            json!(4),
        ),
        (
            "bio_seq_pattern",
            json!({"sequence": "ACGTACGT", "pattern": "AC", "start": 4.0}),
            "matches",
            json!(true),
        ),
        ("codon_table_by_id", json!({"table_id": 11.0}), "id", json!(11)),
    ];
    for (tool, args, field, want) in cases {
        let r = rt.call(tool, &args.to_string(), &opts()).await.expect("the call runs");
        let Outcome::Ok(text) = &r.outcome else {
            panic!("{tool} {args}: {:?}", r.outcome)
        };
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v[field], want, "{tool} {args}");
    }
}
