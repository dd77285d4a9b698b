//! Words for things a question must say without identifiers: field names as plain
//! words, list positions as ordinals, constants (genetic codes, dates, lists, numbers)
//! as a reader would write them, and the seed as a noun phrase.

use serde_json::Value;

/// Field names whose plain words are not just the name split at `_` and case changes.
const FIELD_WORDS: &[(&str, &str)] = &[
    ("gc", "GC content"),
    ("gc_content", "GC content"),
    ("gc_skew", "GC skew"),
    ("pi", "isoelectric point"),
    ("mw", "molecular weight"),
    ("gravy", "grand average of hydropathy"),
    ("rms", "root-mean-square deviation after superposition"),
    ("init_rms", "root-mean-square deviation before superposition"),
    ("pwm", "position weight matrix"),
    ("ovhg", "overhang length"),
    ("ovhgseq", "overhang sequence"),
    ("fst5", "first 5' cut offset"),
    ("fst3", "first 3' cut offset"),
    ("rxcui", "RxNorm concept id"),
    ("rxnorm_id", "RxNorm concept id"),
    ("tty", "term type"),
    ("ndc", "national drug code"),
    ("sab", "source vocabulary"),
    ("pct_chg", "percentage change"),
    ("pct_change", "percentage change"),
    ("chg", "price change"),
    ("vol", "trading volume"),
    ("amount", "turnover amount"),
    ("pre_close", "previous close"),
    ("ts_code", "security code"),
    ("trade_date", "trading date"),
    ("ann_date", "announcement date"),
    ("end_date", "period end date"),
    ("cal_date", "calendar date"),
    ("list_date", "listing date"),
    ("delist_date", "delisting date"),
    ("pe", "price-to-earnings ratio"),
    ("pe_ttm", "trailing price-to-earnings ratio"),
    ("pb", "price-to-book ratio"),
    ("ps", "price-to-sales ratio"),
    ("ps_ttm", "trailing price-to-sales ratio"),
    ("eps", "earnings per share"),
    ("bps", "book value per share"),
    ("roe", "return on equity"),
    ("roa", "return on assets"),
    ("total_mv", "total market value"),
    ("circ_mv", "circulating market value"),
    ("turnover_rate", "turnover rate"),
    ("doi", "DOI"),
    ("issn", "ISSN"),
    ("pmid", "PubMed id"),
    ("arxiv_id", "arXiv id"),
    ("url", "web address"),
    ("h_index", "h-index"),
    ("orcid", "ORCID"),
    ("n_items", "number of items"),
    ("is_referenced_by_count", "citation count"),
    ("cited_by_count", "citation count"),
    ("published", "publication date"),
    ("date_parts", "date part"),
    ("prop_concept", "property entry"),
    ("container_title", "journal title"),
    ("external_ids", "external identifiers"),
    ("n_points", "number of points"),
    ("n_alignments", "number of alignments"),
    ("num_sequences", "number of sequences"),
    ("seq_a", "first aligned sequence"),
    ("seq_b", "second aligned sequence"),
];

/// Words that stay in capitals when a name is spelled out.
const ACRONYMS: &[&str] = &["dna", "rna", "gc", "id", "ncbi", "pdb", "atc", "ndc", "doi", "issn", "url", "etf", "hk", "ipo", "cds", "orf", "pca", "svd", "iupac"];

/// A field or parameter name as plain words: `isoelectric_point` → "isoelectric point",
/// `citationCount` → "citation count", `gc_content` → "GC content".
pub fn field_words(name: &str) -> String {
    let folded = crate::types::normalize_name(name);
    if let Some((_, w)) = FIELD_WORDS.iter().find(|(k, _)| *k == folded) {
        return (*w).to_string();
    }
    folded
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| if ACRONYMS.contains(&w) { w.to_uppercase() } else { w.to_string() })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a name looks like an identifier in code (`snake_case`, `camelCase`), not a word.
pub fn is_identifier_shaped(name: &str) -> bool {
    let has_underscore = name.trim_matches('_').contains('_');
    // camelCase starts lower-case; "PubMed" and "RxNorm" are names, not identifiers.
    let camel = name.starts_with(|c: char| c.is_ascii_lowercase()) && name.chars().zip(name.chars().skip(1)).any(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase());
    (has_underscore || camel) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// "first", "second", … for a 0-based list position.
pub fn ordinal(index: usize) -> String {
    const WORDS: [&str; 10] = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
    match WORDS.get(index) {
        Some(w) => (*w).to_string(),
        None => {
            let n = index + 1;
            let suffix = match (n % 10, n % 100) {
                (1, r) if r != 11 => "st",
                (2, r) if r != 12 => "nd",
                (3, r) if r != 13 => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
    }
}

/// A plural list name in the singular, roughly ("entries" → "entry", "hits" → "hit").
pub fn singular(words: &str) -> String {
    if let Some(stem) = words.strip_suffix("ies") {
        format!("{stem}y")
    } else if words.ends_with("sses") || words.ends_with("xes") {
        words[..words.len() - 2].to_string()
    } else if words.ends_with('s') && !words.ends_with("ss") {
        words[..words.len() - 1].to_string()
    } else {
        words.to_string()
    }
}

/// The NCBI genetic codes by id (names as NCBI gives them).
const GENETIC_CODES: &[(u64, &str)] = &[
    (1, "standard"),
    (2, "vertebrate mitochondrial"),
    (3, "yeast mitochondrial"),
    (4, "mold, protozoan and coelenterate mitochondrial"),
    (5, "invertebrate mitochondrial"),
    (6, "ciliate nuclear"),
    (9, "echinoderm and flatworm mitochondrial"),
    (10, "euplotid nuclear"),
    (11, "bacterial, archaeal and plant plastid"),
    (12, "alternative yeast nuclear"),
    (13, "ascidian mitochondrial"),
    (14, "alternative flatworm mitochondrial"),
    (15, "Blepharisma macronuclear"),
    (16, "chlorophycean mitochondrial"),
    (21, "trematode mitochondrial"),
    (22, "Scenedesmus obliquus mitochondrial"),
    (23, "Thraustochytrium mitochondrial"),
    (24, "pterobranchia mitochondrial"),
    (25, "candidate division SR1"),
    (26, "Pachysolen tannophilus nuclear"),
    (27, "karyorelict nuclear"),
    (28, "Condylostoma nuclear"),
    (29, "Mesodinium nuclear"),
    (30, "peritrich nuclear"),
    (31, "Blastocrithidia nuclear"),
    (32, "Balanophoraceae plastid"),
    (33, "Cephalodiscidae mitochondrial"),
];

/// "the vertebrate mitochondrial code" for 2.
pub fn genetic_code(id: u64) -> Option<String> {
    GENETIC_CODES.iter().find(|(i, _)| *i == id).map(|(_, n)| format!("the {n} code"))
}

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// "20240102" → "January 2, 2024"; None for anything that is not such a date.
pub fn date(s: &str) -> Option<String> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (&s[..4], s[4..6].parse::<usize>().ok()?, s[6..].parse::<u32>().ok()?);
    let month = MONTHS.get(m.checked_sub(1)?)?;
    (1..=31).contains(&d).then(|| format!("{month} {d}, {y}"))
}

/// A number as text: integers plainly, fractions without float noise.
pub fn number(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_f64() => {
            let t = format!("{f:.4}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        _ => v.to_string(),
    }
}

/// Items joined as a reader lists them: "a", "a and b", "a, b and c".
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Enum values whose words are not just the value split at `_`.
const VALUE_WORDS: &[(&str, &str)] = &[
    ("complement_rna", "RNA complement"),
    ("reverse_complement_rna", "RNA reverse complement"),
    ("transcribe", "RNA transcript"),
    ("back_transcribe", "DNA back-transcript"),
];

/// A constant value in words (no JSON): strings as they are (dates spelled out), numbers
/// plainly, lists of scalars listed, lists of number lists as points.
pub fn constant(v: &Value) -> String {
    match v {
        Value::String(s) => match VALUE_WORDS.iter().find(|(k, _)| k == s) {
            Some((_, w)) => (*w).to_string(),
            None => date(s).unwrap_or_else(|| s.replace('_', " ")),
        },
        Value::Number(_) => number(v),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Array(items) if items.iter().all(Value::is_array) => list(&items.iter().map(point).collect::<Vec<_>>()),
        Value::Array(items) if items.iter().all(Value::is_object) => list(&items.iter().map(object_words).collect::<Vec<_>>()),
        Value::Array(items) => list(&items.iter().map(constant).collect::<Vec<_>>()),
        Value::Object(_) => object_words(v),
        Value::Null => "nothing".to_string(),
    }
}

/// A list of numbers as a point: "(1.5, 2, -0.25)".
fn point(v: &Value) -> String {
    let parts: Vec<String> = v.as_array().into_iter().flatten().map(constant).collect();
    format!("({})", parts.join(", "))
}

/// An object as "(start 3, end 30)" (keys in words); a span as "from 3 to 30".
fn object_words(v: &Value) -> String {
    if let (Some(a), Some(b)) = (v.get("start"), v.get("end")) {
        return format!("from {} to {}", constant(a), constant(b));
    }
    let parts: Vec<String> = v.as_object().into_iter().flatten().map(|(k, x)| format!("{} {}", field_words(k), constant(x))).collect();
    format!("({})", parts.join(", "))
}

/// How a seed of this semantic type is introduced, and how it is referred to after.
pub struct SeedNoun {
    /// "the DNA sequence ATG…".
    pub full: String,
    /// "that sequence".
    pub referent: &'static str,
}

/// The seed as a noun phrase.
pub fn seed_noun(seed_type: &str, value: &Value) -> SeedNoun {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (full, referent) = match seed_type {
        "dna_sequence" => (format!("the DNA sequence {text}"), "that sequence"),
        "rna_sequence" => (format!("the RNA sequence {text}"), "that sequence"),
        "protein_sequence" => (format!("the protein sequence {text}"), "that protein"),
        "nucleotide_sequence" | "sequence" => (format!("the sequence {text}"), "that sequence"),
        "gene_symbol" => (format!("the gene {text}"), "that gene"),
        "drug_name" => (format!("the drug {text}"), "that drug"),
        "medical_term" => (format!("the medical term \"{text}\""), "that term"),
        "topic" => (format!("\"{text}\""), "that subject"),
        "ts_code" => (format!("the security {text}"), "that security"),
        "doi" => (format!("the work with DOI {text}"), "that work"),
        "rxcui" => (format!("the RxNorm concept {text}"), "that concept"),
        other => (format!("the {} {text}", field_words(other)), "it"),
    };
    SeedNoun { full, referent }
}

/// The first letter in capitals.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_become_words_without_identifier_shapes() {
        assert_eq!(field_words("isoelectric_point"), "isoelectric point");
        assert_eq!(field_words("citationCount"), "citation count");
        assert_eq!(field_words("gc_content"), "GC content");
        assert_eq!(field_words("pct_chg"), "percentage change");
        assert!(is_identifier_shaped("reverse_complement") && is_identifier_shaped("rxnormId"));
        assert!(!is_identifier_shaped("protein") && !is_identifier_shaped("DNA") && !is_identifier_shaped("_x") && !is_identifier_shaped("PubMed"));
    }

    #[test]
    fn constants_read_as_text() {
        assert_eq!(genetic_code(2).as_deref(), Some("the vertebrate mitochondrial code"));
        assert_eq!(genetic_code(7), None);
        assert_eq!(date("20240102").as_deref(), Some("January 2, 2024"));
        assert_eq!(date("2024010"), None);
        assert_eq!(constant(&json!(["EcoRI", "BamHI", "AluI"])), "EcoRI, BamHI and AluI");
        assert_eq!(constant(&json!([[1.0, 2.5], [0, -1]])), "(1, 2.5) and (0, -1)");
        assert_eq!(number(&json!(0.123456)), "0.1235");
        assert_eq!(ordinal(0), "first");
        assert_eq!(ordinal(21), "22nd");
        assert_eq!(singular("entries"), "entry");
        assert_eq!(singular("hits"), "hit");
    }
}
