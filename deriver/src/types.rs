//! Semantic types: what kind of entity a parameter takes or an output field holds.
//!
//! Tools tag schemas with `x-dive-type` (e.g. `rxcui`, `doi`, `dna_sequence`); where a
//! schema says nothing, the parameter or field name stands in for the type. A value of
//! type V can fill a parameter of type P when P == V or P is a broader kind of V.

use serde_json::Value;

/// The semantic type of a schema node with this name, if it is an entity at all.
pub fn type_of(name: &str, schema: Option<&Value>) -> String {
    if let Some(t) = schema.and_then(|s| s.get("x-dive-type")).and_then(Value::as_str) {
        return t.to_string();
    }
    normalize_name(name)
}

/// A field or parameter name as a type: lower snake case, with a few common spellings
/// folded together.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == ' ' || c == '.' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    match out.as_str() {
        "rx_cui" | "rxnorm_id" => "rxcui".into(),
        "pubmed_id" | "pm_id" => "pmid".into(),
        "tscode" => "ts_code".into(),
        _ => out,
    }
}

/// Broader parameter types and the narrower value types they accept.
const ACCEPTS: &[(&str, &[&str])] = &[
    ("nucleotide_sequence", &["dna_sequence", "rna_sequence"]),
    ("sequence", &["dna_sequence", "rna_sequence", "protein_sequence", "nucleotide_sequence"]),
    ("seq", &["dna_sequence", "rna_sequence", "protein_sequence", "nucleotide_sequence"]),
    ("search_text", &["author_name", "drug_name", "gene_symbol", "paper_title", "company_name", "topic", "disease_name", "concept_name", "medical_term"]),
    ("query", &["author_name", "drug_name", "gene_symbol", "paper_title", "company_name", "topic", "disease_name", "search_text", "medical_term"]),
    ("term", &["author_name", "drug_name", "gene_symbol", "topic", "disease_name", "search_text", "medical_term"]),
    ("terms", &["drug_name", "gene_symbol", "topic", "disease_name", "search_text", "medical_term"]),
    ("q", &["author_name", "drug_name", "gene_symbol", "paper_title", "company_name", "topic", "disease_name", "search_text", "medical_term"]),
    ("drug_name", &["name"]),
    ("paper_id", &["doi", "arxiv_id", "pmid", "semantic_scholar_id"]),
    ("date", &["trade_date", "cal_date", "ann_date", "end_date", "start_date"]),
    ("trade_date", &["date", "cal_date"]),
    ("start_date", &["date", "trade_date", "cal_date"]),
    ("end_date", &["date", "trade_date", "cal_date"]),
];

/// Types so generic that a value of that name says nothing about what it is: they never
/// fill a parameter on their own name alone.
const TOO_GENERIC: &[&str] = &[
    "name", "id", "type", "value", "text", "description", "status", "count", "length", "score", "url", "format", "mode",
    "limit", "offset", "page", "size", "fields", "sort", "order", "strand", "table", "start", "end", "total", "label", "key",
];

/// Whether a field name is too generic to say what its value is (`length`, `id`, ...).
pub fn is_generic(name: &str) -> bool {
    TOO_GENERIC.contains(&name)
}

/// Whether a value of type `value_type` may fill a parameter of type `param_type`.
pub fn accepts(param_type: &str, value_type: &str) -> bool {
    if param_type == value_type {
        return !TOO_GENERIC.contains(&param_type);
    }
    ACCEPTS.iter().any(|(p, vs)| *p == param_type && vs.contains(&value_type))
}

/// A broad sequence type narrowed by what the value holds: a `nucleotide_sequence` of
/// A, C, G and U only is an `rna_sequence`; of A, C, G and T only, a `dna_sequence`;
/// "MetLys…" a `protein_three_letter`.
/// Tools that take only RNA (or only DNA) can then be fed from a result typed broadly.
pub fn refine(value_type: &str, v: &Value) -> String {
    let broad = matches!(value_type, "nucleotide_sequence" | "sequence" | "seq");
    match v.as_str() {
        Some(s) if broad && s.len() >= 2 && s.bytes().all(|b| b"ACGU".contains(&b)) && s.contains('U') => "rna_sequence".into(),
        Some(s) if broad && s.len() >= 2 && s.bytes().all(|b| b"ACGT".contains(&b)) => "dna_sequence".into(),
        Some(s) if broad && is_three_letter_protein(s) => "protein_three_letter".into(),
        _ => value_type.to_string(),
    }
}

/// "MetLysPro": groups of an upper-case letter and two lower-case ones.
fn is_three_letter_protein(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b.len().is_multiple_of(3) && b.chunks(3).all(|c| c[0].is_ascii_uppercase() && c[1].is_ascii_lowercase() && c[2].is_ascii_lowercase())
}

/// Whether a value is worth offering to later calls (an entity, not noise).
pub fn is_offerable(value_type: &str, v: &Value) -> bool {
    if TOO_GENERIC.contains(&value_type) && value_type != "name" {
        return false;
    }
    match v {
        Value::String(s) => {
            let n = s.chars().count();
            // Sequences are long by nature (a protein in three-letter codes too).
            let long_ok = value_type.ends_with("sequence") || value_type == "protein_three_letter";
            n >= 2 && (n <= 160 || (long_ok && n <= 5000)) && (long_ok || !s.contains('\n'))
        }
        Value::Number(_) => !matches!(value_type, "index" | "position"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_fold_to_types() {
        assert_eq!(normalize_name("rxCui"), "rxcui");
        assert_eq!(normalize_name("tsCode"), "ts_code");
        assert_eq!(normalize_name("PubMed-ID"), "pub_med_id");
        assert_eq!(normalize_name("ts_code"), "ts_code");
        assert_eq!(type_of("sequence", Some(&json!({"x-dive-type": "dna_sequence"}))), "dna_sequence");
    }

    #[test]
    fn broader_types_accept_narrower_values() {
        assert!(accepts("nucleotide_sequence", "dna_sequence"));
        assert!(accepts("rxcui", "rxcui"));
        assert!(!accepts("dna_sequence", "protein_sequence"));
        assert!(!accepts("name", "name"));
        assert!(!accepts("count", "count"));
    }

    #[test]
    fn broad_sequences_are_narrowed_by_their_letters() {
        assert_eq!(refine("nucleotide_sequence", &json!("ACGUU")), "rna_sequence");
        assert_eq!(refine("nucleotide_sequence", &json!("ACGTT")), "dna_sequence");
        assert_eq!(refine("nucleotide_sequence", &json!("ACGTN")), "nucleotide_sequence");
        assert_eq!(refine("protein_sequence", &json!("ACGT")), "protein_sequence");
        assert_eq!(refine("sequence", &json!("MetLysTer")), "protein_three_letter");
        assert_eq!(refine("sequence", &json!("MetLysT")), "sequence");
    }

    #[test]
    fn noise_is_not_offered() {
        assert!(is_offerable("rxcui", &json!("161")));
        assert!(!is_offerable("rxcui", &json!("")));
        assert!(!is_offerable("paper_title", &json!(true)));
        assert!(!is_offerable("count", &json!(3)));
        assert!(is_offerable("dna_sequence", &json!("ACGT".repeat(100))));
        assert!(!is_offerable("abstract", &json!("x".repeat(500))));
    }
}
