//! Typed values no seed gives, derived from the seed and the evidence so every local
//! tool can be called: numeric matrices (per-window composition of a sequence), 3-D
//! coordinates (a helix traced by a sequence, and a moved copy of it), motif instance
//! sets (equal-length windows of a DNA sequence), restriction enzyme names (one whose
//! site the sequence holds, when one does), residue names and feature locations inside
//! the sequence an argument already holds.
//!
//! Everything comes from the values on offer and the policy's random stream, both fixed
//! by the run seed: the same task derives the same values.

use crate::policy::Offer;
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Map, Value};

/// What kind of derived value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Rows of numbers (clustering input).
    Matrix,
    /// A list of [x, y, z] points; `moved` for the second set of a superposition.
    Points { moved: bool },
    /// One [x, y, z] point; which one of a chain (v1 → 0).
    Point(usize),
    /// Equal-length instances of a DNA motif.
    Instances,
    /// A restriction enzyme name.
    Enzyme,
    /// A PDB residue name (ALA, DA, …).
    Residue,
    /// A 0-based feature start or end inside the sequence argument.
    Bound { end: bool },
    /// A list of feature parts {start, end}.
    Parts,
    /// A short motif to look for (3–6 letters cut from the sequence argument).
    Motif,
}

/// The shape a parameter needs, from its schema and name; None: not one derived here.
pub fn shape(name: &str, schema: &Value) -> Option<Shape> {
    let xtype = schema.get("x-dive-type").and_then(Value::as_str);
    match xtype {
        Some("enzyme_name") => return Some(Shape::Enzyme),
        Some("pdb_residue_name") => return Some(Shape::Residue),
        _ => {}
    }
    let ty = schema.get("type").and_then(Value::as_str);
    let items = schema.get("items");
    let item_ty = items.and_then(|i| i.get("type")).and_then(Value::as_str);
    let inner_ty = items.and_then(|i| i.get("items")).and_then(|i| i.get("type")).and_then(Value::as_str);
    let numeric = |t: Option<&str>| matches!(t, Some("number") | Some("integer"));
    let three = |s: Option<&Value>| s.and_then(|s| s.get("maxItems")).and_then(Value::as_u64) == Some(3);
    match (ty, item_ty) {
        (Some("array"), Some("array")) if numeric(inner_ty) && three(items) => Some(Shape::Points { moved: name.ends_with('2') }),
        (Some("array"), Some("array")) if numeric(inner_ty) => Some(Shape::Matrix),
        (Some("array"), t) if numeric(t) && three(Some(schema)) => Some(Shape::Point(point_index(name))),
        (Some("array"), Some("string")) if name.contains("sequences") => Some(Shape::Instances),
        (Some("array"), Some("object")) if name == "locations" => Some(Shape::Parts),
        (Some("string"), _) if matches!(name, "subsequence" | "pattern" | "motif") => Some(Shape::Motif),
        (Some("integer"), _) if name == "start" => Some(Shape::Bound { end: false }),
        (Some("integer"), _) if name == "end" => Some(Shape::Bound { end: true }),
        _ => None,
    }
}

/// "v3" → 2: the point's place in the chain.
fn point_index(name: &str) -> usize {
    name.trim_start_matches(|c: char| !c.is_ascii_digit()).parse::<usize>().map_or(0, |n| n.saturating_sub(1))
}

/// Enzymes with short, common sites, so a random coding sequence often holds one.
const ENZYMES: &[(&str, &str)] = &[
    ("AluI", "AGCT"),
    ("HaeIII", "GGCC"),
    ("MspI", "CCGG"),
    ("TaqI", "TCGA"),
    ("MboI", "GATC"),
    ("RsaI", "GTAC"),
    ("HhaI", "GCGC"),
    ("MseI", "TTAA"),
    ("EcoRI", "GAATTC"),
    ("BamHI", "GGATCC"),
    ("HindIII", "AAGCTT"),
    ("PstI", "CTGCAG"),
    ("SmaI", "CCCGGG"),
    ("XhoI", "CTCGAG"),
    ("EcoRV", "GATATC"),
    ("KpnI", "GGTACC"),
    ("SacI", "GAGCTC"),
    ("NcoI", "CCATGG"),
    ("NdeI", "CATATG"),
];

/// Three-letter residue names of the one-letter amino-acid codes.
const RESIDUES: &[(char, &str)] = &[
    ('A', "ALA"), ('R', "ARG"), ('N', "ASN"), ('D', "ASP"), ('C', "CYS"), ('Q', "GLN"), ('E', "GLU"), ('G', "GLY"), ('H', "HIS"), ('I', "ILE"),
    ('L', "LEU"), ('K', "LYS"), ('M', "MET"), ('F', "PHE"), ('P', "PRO"), ('S', "SER"), ('T', "THR"), ('W', "TRP"), ('Y', "TYR"), ('V', "VAL"),
];

/// Rows of a derived matrix, and the window count bounds.
const MATRIX_ROWS: (usize, usize) = (4, 6);
/// Points of a derived coordinate set.
const POINTS: (usize, usize) = (4, 6);
/// Motif instances and their length.
const INSTANCES: (usize, usize) = (4, 6);
const INSTANCE_LEN: (usize, usize) = (5, 8);

fn is_dna(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'A' | b'C' | b'G' | b'T'))
}

/// The sequence a derived value is drawn from: a sequence argument of this call when
/// there is one, else the freshest sequence on offer (DNA only when `dna`).
fn source(args: &Map<String, Value>, offers: &[Offer], dna: bool) -> Option<String> {
    let fits = |s: &str| if dna { is_dna(s) } else { s.len() >= 4 && s.chars().all(|c| c.is_ascii_alphabetic()) };
    let from_args = args.values().filter_map(Value::as_str).find(|s| s.len() >= 8 && fits(s));
    let from_offers = || offers.iter().rev().filter(|o| o.sem_type.ends_with("sequence")).filter_map(|o| o.value.as_str()).find(|s| s.len() >= 8 && fits(s));
    from_args.or_else(from_offers).map(str::to_string)
}

/// A derived value for a parameter of this shape, or None when nothing on offer leads to one.
pub fn value(shape: Shape, args: &Map<String, Value>, offers: &[Offer], rng: &mut ChaCha20Rng) -> Option<Value> {
    match shape {
        Shape::Matrix => source(args, offers, false).map(|s| composition_matrix(&s, rng.random_range(MATRIX_ROWS.0..=MATRIX_ROWS.1))),
        Shape::Points { moved } => source(args, offers, false).map(|s| {
            // The second set of a superposition has as many points as the first.
            let earlier = args.values().filter_map(Value::as_array).find(|a| a.first().is_some_and(Value::is_array)).map(Vec::len);
            let pts = helix(&s, earlier.unwrap_or_else(|| rng.random_range(POINTS.0..=POINTS.1)));
            let pts = if moved { moved_copy(&pts, &s) } else { pts };
            json!(pts)
        }),
        Shape::Point(i) => source(args, offers, false).map(|s| json!(helix(&s, i + 1)[i])),
        Shape::Instances => source(args, offers, true).and_then(|s| instances(&s, rng)),
        Shape::Enzyme => Some(Value::from(enzyme(args, offers, rng))),
        Shape::Residue => source(args, offers, false).map(|s| Value::from(residue(&s, rng))),
        Shape::Bound { end } => bounds(args, rng).map(|(a, b)| Value::from(if end { b } else { a })),
        Shape::Parts => parts(args, rng),
        Shape::Motif => motif(args, rng),
    }
}

/// Motif lengths cut from a sequence.
const MOTIF_LEN: (usize, usize) = (3, 6);

/// A few letters cut from the call's sequence argument, so the motif occurs at least once.
fn motif(args: &Map<String, Value>, rng: &mut ChaCha20Rng) -> Option<Value> {
    let seq: Vec<char> = args.get("sequence")?.as_str()?.chars().collect();
    let len = rng.random_range(MOTIF_LEN.0..=MOTIF_LEN.1);
    if seq.len() < len * 2 {
        return None;
    }
    let at = rng.random_range(0..=seq.len() - len);
    Some(Value::from(seq[at..at + len].iter().collect::<String>()))
}

/// Per-window composition: for each of `rows` consecutive windows, the fractions of its
/// letters in four classes (A, C, G, T/U for nucleotides; hydrophobic, charged, polar,
/// other for proteins), to three decimals.
fn composition_matrix(seq: &str, rows: usize) -> Value {
    let nucleotide = seq.chars().all(|c| "ACGTUN".contains(c));
    let class = |c: char| -> usize {
        if nucleotide {
            match c {
                'A' => 0,
                'C' => 1,
                'G' => 2,
                _ => 3,
            }
        } else if "AVILMFWC".contains(c) {
            0
        } else if "DEKRH".contains(c) {
            1
        } else if "STNQYG".contains(c) {
            2
        } else {
            3
        }
    };
    let chars: Vec<char> = seq.chars().collect();
    let rows = rows.min(chars.len() / 2).max(2);
    let size = chars.len() / rows;
    let matrix: Vec<Vec<f64>> = (0..rows)
        .map(|r| {
            let window = &chars[r * size..(r + 1) * size];
            let mut counts = [0f64; 4];
            window.iter().for_each(|&c| counts[class(c)] += 1.0);
            counts.iter().map(|n| round3(n / size as f64)).collect()
        })
        .collect();
    json!(matrix)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `n` points of a helix (100° a step, 1.5 Å rise) whose radius each letter nudges.
fn helix(seq: &str, n: usize) -> Vec<[f64; 3]> {
    let bytes = seq.as_bytes();
    (0..n)
        .map(|i| {
            let nudge = (bytes[i % bytes.len()] % 7) as f64 * 0.1;
            let angle = (i as f64) * 100f64.to_radians();
            let r = 2.3 + nudge;
            [round3(r * angle.cos()), round3(r * angle.sin()), round3(1.5 * i as f64 + nudge)]
        })
        .collect()
}

/// The points turned about z by an angle the sequence length fixes, shifted, and jittered
/// a little by the letters (so the superposition leaves a residual).
fn moved_copy(pts: &[[f64; 3]], seq: &str) -> Vec<[f64; 3]> {
    let theta = ((seq.len() % 90) as f64 + 15.0).to_radians();
    let (c, s) = (theta.cos(), theta.sin());
    let bytes = seq.as_bytes();
    pts.iter()
        .enumerate()
        .map(|(i, p)| {
            let jitter = ((bytes[(i * 3) % bytes.len()] % 5) as f64 - 2.0) * 0.05;
            [round3(c * p[0] - s * p[1] + 4.0 + jitter), round3(s * p[0] + c * p[1] - 2.0), round3(p[2] + 1.0 - jitter)]
        })
        .collect()
}

/// Equal-length windows spread along a DNA sequence, as motif instances.
fn instances(seq: &str, rng: &mut ChaCha20Rng) -> Option<Value> {
    let len = rng.random_range(INSTANCE_LEN.0..=INSTANCE_LEN.1);
    let k = rng.random_range(INSTANCES.0..=INSTANCES.1);
    if seq.len() < len * k {
        return None;
    }
    let step = (seq.len() - len) / (k - 1);
    Some(json!((0..k).map(|i| &seq[i * step..i * step + len]).collect::<Vec<_>>()))
}

/// An enzyme whose site the call's DNA holds when one does (chosen by the stream), else any.
fn enzyme(args: &Map<String, Value>, offers: &[Offer], rng: &mut ChaCha20Rng) -> &'static str {
    let seq = source(args, offers, true).unwrap_or_default();
    let cutting: Vec<&str> = ENZYMES.iter().filter(|(_, site)| seq.contains(site)).map(|(n, _)| *n).collect();
    if cutting.is_empty() {
        ENZYMES[rng.random_range(0..ENZYMES.len())].0
    } else {
        cutting[rng.random_range(0..cutting.len())]
    }
}

/// A residue name drawn from a sequence: a nucleotide as DA/DC/DG/DT, an amino acid by
/// its three-letter name.
fn residue(seq: &str, rng: &mut ChaCha20Rng) -> String {
    let c = seq.chars().nth(rng.random_range(0..seq.chars().count())).unwrap_or('A');
    if is_dna(seq) {
        format!("D{c}")
    } else {
        RESIDUES.iter().find(|(l, _)| *l == c).map_or("ALA", |(_, n)| n).to_string()
    }
}

/// The length of the sequence argument a location refers to.
fn sequence_len(args: &Map<String, Value>) -> Option<usize> {
    args.get("sequence").and_then(Value::as_str).map(|s| s.chars().count()).filter(|&n| n >= 6)
}

/// A codon-aligned [start, end) inside the call's sequence, covering a third to a half of it.
fn bounds(args: &Map<String, Value>, rng: &mut ChaCha20Rng) -> Option<(usize, usize)> {
    let n = sequence_len(args)?;
    // Drawn once per call: the start and the end of one call must agree, so both come
    // from a stream fixed by the sequence, not from the policy's stream position.
    let _ = rng;
    let h = blake3::hash(args.get("sequence")?.as_str()?.as_bytes());
    let (a, b) = (h.as_bytes()[0] as usize, h.as_bytes()[1] as usize);
    let start = (a % (n / 3).max(1)) / 3 * 3;
    let span = (n / 3 + b % (n / 6).max(1)).max(3) / 3 * 3;
    Some((start, (start + span).min(n)))
}

/// Two non-overlapping parts inside the call's sequence (as exons of one feature).
fn parts(args: &Map<String, Value>, rng: &mut ChaCha20Rng) -> Option<Value> {
    let n = sequence_len(args)?;
    let cut = n / 2;
    let a = rng.random_range(0..cut / 3).min(cut.saturating_sub(3));
    let b = rng.random_range(cut + 1..n.max(cut + 2)).min(n);
    Some(json!([{"start": a, "end": cut}, {"start": cut + (b - cut) / 2, "end": b}]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::rng;

    fn offer(v: &str) -> Offer {
        Offer { sem_type: "dna_sequence".into(), value: json!(v), from: None, uses: 0 }
    }

    #[test]
    fn shapes_come_from_schemas() {
        let points = json!({"type": "array", "items": {"type": "array", "maxItems": 3, "items": {"type": "number"}}});
        assert_eq!(shape("coordinates2", &points), Some(Shape::Points { moved: true }));
        assert_eq!(shape("data", &json!({"type": "array", "items": {"type": "array", "items": {"type": "number"}}})), Some(Shape::Matrix));
        assert_eq!(shape("v3", &json!({"type": "array", "maxItems": 3, "items": {"type": "number"}})), Some(Shape::Point(2)));
        assert_eq!(shape("enzyme_name", &json!({"type": "string", "x-dive-type": "enzyme_name"})), Some(Shape::Enzyme));
        assert_eq!(shape("sequences", &json!({"type": "array", "items": {"type": "string"}})), Some(Shape::Instances));
        assert_eq!(shape("limit", &json!({"type": "integer"})), None);
        assert_eq!(shape("subsequence", &json!({"type": "string"})), Some(Shape::Motif));
    }

    #[test]
    fn values_are_fixed_by_the_stream_and_fit_their_tools() {
        let seq = "ATGGCTAGCTGAATTCGGCCAAGCTTTTAACCGGGATCCTAA";
        let offers = vec![offer(seq)];
        let args = Map::new();
        let mut r1 = rng(1, 2, "policy");
        let mut r2 = rng(1, 2, "policy");
        for s in [Shape::Matrix, Shape::Points { moved: false }, Shape::Instances, Shape::Enzyme, Shape::Residue] {
            assert_eq!(value(s, &args, &offers, &mut r1), value(s, &args, &offers, &mut r2), "{s:?}");
        }
        let m = value(Shape::Matrix, &args, &offers, &mut r1).unwrap();
        let rows = m.as_array().unwrap();
        assert!(rows.len() >= 2 && rows.iter().all(|r| r.as_array().unwrap().len() == 4));
        let inst = value(Shape::Instances, &args, &offers, &mut r1).unwrap();
        let inst: Vec<&str> = inst.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(inst.iter().all(|i| i.len() == inst[0].len() && seq.contains(i)));
        let e = value(Shape::Enzyme, &args, &offers, &mut r1).unwrap();
        let site = ENZYMES.iter().find(|(n, _)| *n == e.as_str().unwrap()).unwrap().1;
        assert!(seq.contains(site), "an enzyme that cuts the sequence: {e}");
        let mut with_seq = Map::new();
        with_seq.insert("sequence".into(), json!(seq));
        let start = value(Shape::Bound { end: false }, &with_seq, &offers, &mut r1).unwrap().as_u64().unwrap();
        let end = value(Shape::Bound { end: true }, &with_seq, &offers, &mut r1).unwrap().as_u64().unwrap();
        assert!(start < end && end as usize <= seq.len() && start.is_multiple_of(3), "{start}..{end}");
        let a = value(Shape::Points { moved: false }, &args, &offers, &mut rng(1, 3, "p")).unwrap();
        let b = value(Shape::Points { moved: true }, &args, &offers, &mut rng(1, 3, "p")).unwrap();
        assert_eq!(a.as_array().unwrap().len(), b.as_array().unwrap().len());
        assert_ne!(a, b);
    }
}
