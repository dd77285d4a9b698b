//! bio_sequtils: helpers of Bio.SeqUtils computed locally with the same results as
//! Biopython 1.88: gc_fraction, GC123, GC_skew, seq1, seq3, six_frame_translations and
//! nt_search. Floats follow Biopython's formulas operation by operation, so they are
//! the same numbers.
//!
//! Input rules (beyond the schema): these functions take Python strings, so any text is
//! accepted, and lengths and positions count characters (Unicode code points) as
//! Python does; six_frame alone needs ASCII (it makes a reverse complement, which
//! Biopython encodes as ASCII). nt_search patterns hold upper-case IUPAC DNA codes
//! (Biopython raises on anything else). Size caps: every text argument takes at most
//! 10 MB as JSON text (10,000,000 sequence letters), and an nt_search pattern is at
//! most 1,000 characters (the search time grows with its length). So that results fit
//! the 16 MiB output cap: GC skew gives at most 500,000 windows, nt_search at most
//! 1,000,000 matches, a seq1 or seq3 result takes at most 12,000,000 bytes as JSON
//! text, and six_frame takes at most 1,000,000 bases (its text layout is about nine
//! characters per base). Every input Biopython raises on is an `invalid-args` error.

#[rustfmt::skip]
mod data;

use bio_core::alphabet::{check_len, check_seq_text, json_len};
use bio_core::codon::{GeneticCode, TranslateOptions};
use bio_core::data::AMBIGUOUS_DNA_VALUES;
use bio_core::nucleotide;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};


/// Any text within the size cap (the functions take Python strings).
fn check_text(field: &str, text: &str) -> Result<(), ToolError> {
    check_len(field, text).map_err(ToolError::InvalidArgs)
}

/// Count of each byte (an ASCII letter's count is its count as a character).
fn histogram(seq: &[u8]) -> [u64; 256] {
    let mut c = [0u64; 256];
    for &b in seq {
        c[b as usize] += 1;
    }
    c
}

fn sum_counts(c: &[u64; 256], letters: &[u8]) -> u64 {
    letters.iter().map(|&b| c[b as usize]).sum()
}

// ---------------------------------------------------------------------------
// bio_sequtils_gc_content

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum Ambiguous {
    Ignore,
    Weighted,
    Remove,
}

fn default_ambiguous() -> Ambiguous {
    Ambiguous::Ignore
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcContentArgs {
    /// DNA or RNA sequence, e.g. 'ATGCGCGCATGC' (any text: G, C and S in either case count as GC, IUPAC ambiguity codes as chosen below, every other character as non-GC).
    #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// Ambiguous codes: 'ignore' counts them as non-GC but keeps them in the length; 'weighted' counts each by its GC probability (N 0.5, B 2/3, D 1/3, ...); 'remove' leaves them out of the length (only A C G T U S W count).
    #[serde(default = "default_ambiguous")]
    pub ambiguous: Ambiguous,
}

#[derive(Serialize, JsonSchema)]
pub struct GcContentOutput {
    /// GC fraction between 0 and 1 (0 when no letter is counted).
    pub gc_fraction: f64,
    /// The same as a percentage (100 x gc_fraction).
    pub gc_percent: f64,
    /// How ambiguous codes were handled.
    pub ambiguous: Ambiguous,
    /// Number of characters in the sequence.
    pub length: u64,
}

/// Bio.SeqUtils.gc_fraction(seq, ambiguous).
fn gc_fraction(seq: &str, mode: Ambiguous) -> f64 {
    let c = histogram(seq.as_bytes());
    let gc = sum_counts(&c, b"CGScgs");
    let length = match mode {
        Ambiguous::Remove => gc + sum_counts(&c, b"ATWUatwu"),
        _ => seq.chars().count() as u64,
    };
    let mut gcf = gc as f64;
    if mode == Ambiguous::Weighted {
        let mut weighted = 0.0;
        for &x in b"BDHKMNRVXY" {
            let value = data::GC_VALUES
                .iter()
                .find(|(k, _)| *k == x)
                .map(|(_, v)| *v)
                .unwrap_or(0.0);
            let n = c[x as usize] + c[x.to_ascii_lowercase() as usize];
            weighted += n as f64 * value;
        }
        gcf += weighted;
    }
    if length == 0 {
        return 0.0;
    }
    gcf / length as f64
}

pub struct GcContent;

impl Tool for GcContent {
    const NAME: &'static str = "bio_sequtils_gc_content";
    const DESCRIPTION: &'static str = "GC content of a DNA or RNA sequence, as Biopython's gc_fraction computes it, \
        with a choice of how IUPAC ambiguity codes count (ignored, weighted by GC probability, or removed).";
    type Args = GcContentArgs;
    type Output = GcContentOutput;

    async fn run(a: GcContentArgs) -> Result<GcContentOutput, ToolError> {
        check_text("sequence", &a.sequence)?;
        let f = gc_fraction(&a.sequence, a.ambiguous);
        Ok(GcContentOutput {
            gc_fraction: f,
            gc_percent: 100.0 * f,
            ambiguous: a.ambiguous,
            length: a.sequence.chars().count() as u64,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_sequtils_gc123

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gc123Args {
    /// Coding DNA sequence, read in codons from the first base, e.g. 'ATGAAACGCTAG'. Only A, C, G and T (either case) are counted; any other character takes its place in the codon but is not counted.
    #[schemars(length(min = 3), extend("x-dive-type" = "dna_sequence"))]
    pub sequence: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Gc123Output {
    /// GC percentage over all counted bases (0-100).
    pub total: f64,
    /// GC percentage at first codon positions.
    pub first: f64,
    /// GC percentage at second codon positions.
    pub second: f64,
    /// GC percentage at third codon positions.
    pub third: f64,
}

pub struct Gc123;

impl Tool for Gc123 {
    const NAME: &'static str = "bio_sequtils_gc123";
    const DESCRIPTION: &'static str =
        "GC percentage overall and at each codon position (1st, 2nd, 3rd) of a coding \
        sequence, as Biopython's GC123 computes it; only A, C, G and T (either case) are counted.";
    type Args = Gc123Args;
    type Output = Gc123Output;

    async fn run(a: Gc123Args) -> Result<Gc123Output, ToolError> {
        check_text("sequence", &a.sequence)?;
        // counts[pos] = (gc, acgt)
        let mut counts = [(0u64, 0u64); 3];
        for (i, ch) in a.sequence.chars().enumerate() {
            let p = &mut counts[i % 3];
            match ch.to_ascii_uppercase() {
                'G' | 'C' => {
                    p.0 += 1;
                    p.1 += 1
                }
                'A' | 'T' => p.1 += 1,
                _ => {}
            }
        }
        let pct = |(gc, n): (u64, u64)| {
            if n == 0 {
                0.0
            } else {
                gc as f64 * 100.0 / n as f64
            }
        };
        let gc_all: u64 = counts.iter().map(|c| c.0).sum();
        let n_all: u64 = counts.iter().map(|c| c.1).sum();
        if n_all == 0 {
            return Err(ToolError::InvalidArgs(
                "the sequence has no A, C, G or T: the GC percentage is undefined (Biopython divides by zero)".into(),
            ));
        }
        Ok(Gc123Output {
            total: 100.0 * gc_all as f64 / n_all as f64,
            first: pct(counts[0]),
            second: pct(counts[1]),
            third: pct(counts[2]),
        })
    }
}

// ---------------------------------------------------------------------------
// bio_sequtils_gc_skew

/// The most GC-skew windows returned.
const MAX_WINDOWS: usize = 500_000;

fn default_window() -> u64 {
    100
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct GcSkewArgs {
    /// DNA sequence; only G and C (either case) are counted, every other character only takes its place in a window.
    #[schemars(length(min = 10), extend("x-dive-type" = "dna_sequence"))]
    pub sequence: String,
    /// Window size in bases; windows start every `window` bases and the last one may be shorter (at most 500,000 windows).
    #[serde(default = "default_window", deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1))]
    pub window: u64,
}

#[derive(Serialize, JsonSchema)]
pub struct GcSkewOutput {
    /// (G-C)/(G+C) for each window in order (0 for a window without G or C).
    pub skew: Vec<f64>,
    /// Window size used.
    pub window: u64,
    /// Number of windows.
    pub count: u64,
}

pub struct GcSkew;

/// (G-C)/(G+C) over consecutive windows of `w` characters (0 for a window without G
/// or C), as Bio.SeqUtils.GC_skew.
fn gc_skew(seq: &str, w: usize) -> Vec<f64> {
    let skew = |g: i64, c: i64| {
        if g + c == 0 {
            0.0
        } else {
            (g - c) as f64 / (g + c) as f64
        }
    };
    let mut out = Vec::new();
    let (mut g, mut c, mut n) = (0i64, 0i64, 0usize);
    for ch in seq.chars() {
        match ch {
            'G' | 'g' => g += 1,
            'C' | 'c' => c += 1,
            _ => {}
        }
        n += 1;
        if n == w {
            out.push(skew(g, c));
            (g, c, n) = (0, 0, 0);
        }
    }
    if n > 0 {
        out.push(skew(g, c));
    }
    out
}

impl Tool for GcSkew {
    const NAME: &'static str = "bio_sequtils_gc_skew";
    const DESCRIPTION: &'static str =
        "GC skew (G-C)/(G+C) in consecutive windows along a DNA sequence, as Biopython's \
        GC_skew computes it; useful to locate replication origins and strand bias.";
    type Args = GcSkewArgs;
    type Output = GcSkewOutput;

    async fn run(a: GcSkewArgs) -> Result<GcSkewOutput, ToolError> {
        check_text("sequence", &a.sequence)?;
        if a.window == 0 {
            return Err(ToolError::InvalidArgs("window must be at least 1".into()));
        }
        let w = usize::try_from(a.window).unwrap_or(usize::MAX);
        let windows = a.sequence.chars().count().div_ceil(w);
        if windows > MAX_WINDOWS {
            return Err(ToolError::InvalidArgs(format!(
                "{windows} windows of {w} bases; the limit is {MAX_WINDOWS} windows (the result must fit \
                 the 16 MiB output cap): use a larger window"
            )));
        }
        let skew = gc_skew(&a.sequence, w);
        Ok(GcSkewOutput {
            count: skew.len() as u64,
            skew,
            window: a.window,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_sequtils_seq1 / seq3

fn default_undef1() -> String {
    "X".to_string()
}

fn default_undef3() -> String {
    "Xaa".to_string()
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Seq1Args {
    /// Protein in three-letter codes, any case, read three characters at a time (e.g. 'AlaGlyPheLeuSer'); 'Ter' gives '*', any other group the undef_code, a trailing incomplete group is dropped.
    #[schemars(length(min = 3), extend("x-dive-type" = "protein_three_letter"))]
    pub sequence: String,
    /// Character written for an unrecognised three-letter group ('' drops them).
    #[serde(default = "default_undef1")]
    #[schemars(length(max = 1))]
    pub undef_code: String,
}

#[derive(Serialize, JsonSchema)]
pub struct SeqConvertOutput {
    /// The converted sequence.
    #[schemars(extend("x-dive-type" = "protein_sequence"))]
    pub sequence: String,
    /// Number of characters in `sequence`.
    pub length: u64,
}

pub struct Seq1;

/// The one-letter code of a three-letter group, matched as seq1 matches it: the
/// group's Python upper case (full Unicode: 'ſer' is 'SER') against the codes' upper
/// case, 'TER' giving '*'.
fn one_letter(group: &str) -> Option<&'static str> {
    let up = if group.is_ascii() {
        group.to_ascii_uppercase()
    } else {
        group.to_uppercase()
    };
    if up == "TER" {
        return Some("*");
    }
    // `up` holds no lower-case ASCII, so this is `k.upper() == up`.
    data::PROTEIN_3TO1
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&up))
        .map(|(_, v)| *v)
}

/// The largest seq1 or seq3 result, in bytes as JSON text (it must fit the 16 MiB
/// output cap).
const MAX_RESULT: usize = 12_000_000;

/// A seq1/seq3 result of `size` bytes as JSON text fits [`MAX_RESULT`].
fn check_result_bytes(size: usize) -> Result<(), ToolError> {
    if size > MAX_RESULT {
        return Err(ToolError::InvalidArgs(format!(
            "the result would take {size} bytes as JSON text; the limit is {MAX_RESULT} (it must fit \
             the 16 MiB output cap)"
        )));
    }
    Ok(())
}

fn check_result_size(result: &str) -> Result<(), ToolError> {
    check_result_bytes(json_len(result))
}

impl Tool for Seq1 {
    const NAME: &'static str = "bio_sequtils_seq1";
    const DESCRIPTION: &'static str =
        "Convert a protein from three-letter codes (Ala, Gly, ..., case-insensitive, \
        IUPAC extended codes and Ter for stop) to one-letter codes, as Biopython's seq1 does.";
    type Args = Seq1Args;
    type Output = SeqConvertOutput;

    async fn run(a: Seq1Args) -> Result<SeqConvertOutput, ToolError> {
        check_text("sequence", &a.sequence)?;
        check_text("undef_code", &a.undef_code)?;
        let mut out = String::with_capacity(a.sequence.len() / 3);
        let mut chars = a.sequence.chars();
        let mut group = String::new();
        loop {
            group.clear();
            group.extend(chars.by_ref().take(3));
            if group.chars().count() < 3 {
                break; // the trailing incomplete group is dropped
            }
            out.push_str(one_letter(&group).unwrap_or(&a.undef_code));
        }
        check_result_size(&out)?;
        Ok(SeqConvertOutput {
            length: out.chars().count() as u64,
            sequence: out,
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Seq3Args {
    /// Protein in one-letter codes (upper case; IUPAC extended letters B X Z J U O and '*' for stop), e.g. 'MKLLVVS'; any other character gives the undef_code.
    #[schemars(length(min = 1), extend("x-dive-type" = "protein_sequence"))]
    pub sequence: String,
    /// Code written for an unrecognised letter (any text; '' drops them).
    #[serde(default = "default_undef3")]
    pub undef_code: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Seq3Output {
    /// The sequence in three-letter codes.
    pub sequence: String,
    /// Number of characters in `sequence`.
    pub length: u64,
}

pub struct Seq3;

impl Tool for Seq3 {
    const NAME: &'static str = "bio_sequtils_seq3";
    const DESCRIPTION: &'static str =
        "Convert a protein from one-letter to three-letter codes (Ter for '*'), \
        as Biopython's seq3 does; letters are matched case-sensitively.";
    type Args = Seq3Args;
    type Output = Seq3Output;

    async fn run(a: Seq3Args) -> Result<Seq3Output, ToolError> {
        check_text("sequence", &a.sequence)?;
        check_text("undef_code", &a.undef_code)?;
        // The three-letter code of each ASCII character Biopython knows ('*' is 'Ter').
        let mut table: [Option<&'static str>; 128] = [None; 128];
        for &(k, v) in data::PROTEIN_1TO3 {
            table[k.as_bytes()[0] as usize] = Some(v);
        }
        table[b'*' as usize] = Some("Ter");
        let code = |ch: char| table.get(ch as usize).copied().flatten();
        // Sized before it is built: a long undef_code could make it huge.
        let undef_size = json_len(&a.undef_code);
        let size: usize = a
            .sequence
            .chars()
            .map(|ch| code(ch).map_or(undef_size, str::len))
            .sum();
        check_result_bytes(size)?;
        let mut out = String::with_capacity(size);
        for ch in a.sequence.chars() {
            out.push_str(code(ch).unwrap_or(&a.undef_code));
        }
        Ok(Seq3Output {
            length: out.chars().count() as u64,
            sequence: out,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_sequtils_six_frame

fn default_code() -> u32 {
    1
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct SixFrameArgs {
    /// DNA or RNA sequence (IUPAC codes, either case; any other character makes its codons ToolError::InvalidArgs, an error); an RNA complement is used when it holds a U. At most 1,000,000 bases.
    #[schemars(length(min = 3), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// NCBI genetic code id (1 Standard, 2 Vertebrate Mitochondrial, 11 Bacterial, ...). Ids 7, 8 and 17-20 are not assigned.
    #[serde(default = "default_code", deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1, max = 31), extend("x-dive-type" = "codon_table_id"))]
    pub genetic_code: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct SixFrameOutput {
    /// Translations of frames +1, +2, +3 (starting at the 1st, 2nd, 3rd base).
    #[schemars(extend("x-dive-type" = "protein_sequence"))]
    pub forward: Vec<String>,
    /// Translations of frames -1, -2, -3 (reverse complement from its 1st, 2nd, 3rd base), reversed so they read left to right under the forward strand, as Biopython shows them.
    #[schemars(extend("x-dive-type" = "protein_sequence"))]
    pub reverse: Vec<String>,
    /// Biopython's six_frame_translations text: header with base counts and %GC, then blocks of 60 bases with the six frames aligned.
    pub text: String,
    /// NCBI id of the genetic code used.
    #[schemars(extend("x-dive-type" = "codon_table_id"))]
    pub genetic_code: u32,
}

fn join_chars(s: &str, p: usize) -> String {
    let b = s.as_bytes();
    let lo = p.min(b.len());
    let hi = (p + 20).min(b.len());
    let mut out = String::new();
    for (i, &c) in b[lo..hi].iter().enumerate() {
        if i > 0 {
            out.push_str("  ");
        }
        out.push(c as char);
    }
    out
}

pub struct SixFrame;

/// The longest sequence six_frame takes.
const MAX_SIX_FRAME: usize = 1_000_000;

impl Tool for SixFrame {
    const NAME: &'static str = "bio_sequtils_six_frame";
    const DESCRIPTION: &'static str = "Translate a DNA sequence in all six reading frames (three forward, three on \
        the reverse complement) with any NCBI genetic code, as Biopython's six_frame_translations does, \
        including its aligned text layout.";
    type Args = SixFrameArgs;
    type Output = SixFrameOutput;

    async fn run(a: SixFrameArgs) -> Result<SixFrameOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        if a.sequence.len() > MAX_SIX_FRAME {
            return Err(ToolError::InvalidArgs(format!(
                "sequence is {} bases long; six_frame takes at most {MAX_SIX_FRAME} (its text, about nine characters per base, must fit the 16 MiB output cap)",
                a.sequence.len()
            )));
        }
        let mut code = GeneticCode::new(a.genetic_code).map_err(ToolError::InvalidArgs)?;
        let seq = a.sequence.as_str();
        let anti = if seq.bytes().any(|b| b == b'u' || b == b'U') {
            nucleotide::reverse_complement_rna(seq)
        } else {
            nucleotide::reverse_complement(seq)
        };
        let comp: String = anti.chars().rev().collect();
        let length = seq.len();
        let opts = TranslateOptions {
            stop_symbol: "*",
            to_stop: false,
            cds: false,
            gap: None,
        };
        let mut forward = Vec::new();
        let mut reverse = Vec::new();
        for i in 0..3 {
            let frag = 3 * (length.saturating_sub(i) / 3);
            let lo = i.min(length);
            let hi = (i + frag).min(length);
            forward.push(
                code.translate(&seq[lo..hi], &opts)
                    .map_err(ToolError::InvalidArgs)?
                    .protein,
            );
            let r = code
                .translate(&anti[lo..hi], &opts)
                .map_err(ToolError::InvalidArgs)?
                .protein;
            reverse.push(r.chars().rev().collect::<String>());
        }
        // The text layout of Bio.SeqUtils.six_frame_translations.
        let short = if length > 20 {
            format!("{} ... {}", &seq[..10], &seq[length - 10..])
        } else {
            seq.to_string()
        };
        let mut text = String::from("GC_Frame:");
        let counts = histogram(seq.as_bytes());
        for nt in [b'a', b't', b'g', b'c'] {
            text.push_str(&format!(
                " {}:{}",
                nt as char,
                counts[nt.to_ascii_uppercase() as usize]
            ));
        }
        let gc = 100.0 * gc_fraction(seq, Ambiguous::Ignore);
        text.push_str(&format!(
            "\nSequence: {}, {} nt, {:.2} %GC\n\n\n",
            short.to_ascii_lowercase(),
            length,
            gc
        ));
        let gc_int = gc.trunc() as i64;
        let mut i = 0;
        while i < length {
            let hi = (i + 60).min(length);
            let p = i / 3;
            text.push_str(&format!("{}/{}\n", i + 1, i / 3 + 1));
            text.push_str(&format!("  {}\n", join_chars(&forward[2], p)));
            text.push_str(&format!(" {}\n", join_chars(&forward[1], p)));
            text.push_str(&format!("{}\n", join_chars(&forward[0], p)));
            text.push_str(&format!(
                "{}{:5} %\n",
                seq[i..hi].to_ascii_lowercase(),
                gc_int
            ));
            text.push_str(&format!("{}\n", comp[i..hi].to_ascii_lowercase()));
            text.push_str(&format!("{}\n", join_chars(&reverse[1], p)));
            text.push_str(&format!(" {}\n", join_chars(&reverse[0], p)));
            text.push_str(&format!("  {}\n\n", join_chars(&reverse[2], p)));
            i += 60;
        }
        Ok(SixFrameOutput {
            forward,
            reverse,
            text,
            genetic_code: a.genetic_code,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_sequtils_nt_search

/// The most nt_search matches returned.
const MAX_MATCHES: usize = 1_000_000;

/// The longest nt_search pattern accepted.
const MAX_PATTERN: usize = 1000;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NtSearchArgs {
    /// DNA sequence to search (any text); matching is case-sensitive, so only upper-case A, C, G, T can match.
    #[schemars(length(min = 1), extend("x-dive-type" = "dna_sequence"))]
    pub sequence: String,
    /// Pattern in upper-case IUPAC DNA codes (A C G T M R W S Y K V H D B X N; ambiguity codes match any of their bases), at most 1,000 long.
    #[schemars(length(min = 1), extend("x-dive-type" = "dna_sequence"))]
    pub subsequence: String,
}

#[derive(Serialize, JsonSchema)]
pub struct NtSearchOutput {
    /// The regular expression Biopython builds from the subsequence (e.g. 'GA[AG]TC').
    pub pattern: String,
    /// 0-based start of every match on the forward strand, overlapping matches included, in order.
    pub positions: Vec<u64>,
    /// Number of matches.
    pub count: u64,
}

pub struct NtSearch;

impl Tool for NtSearch {
    const NAME: &'static str = "bio_sequtils_nt_search";
    const DESCRIPTION: &'static str = "Find every occurrence of a DNA pattern with IUPAC ambiguity codes in a \
        sequence (forward strand, overlaps included), as Biopython's nt_search does; returns the regular \
        expression used and the 0-based positions.";
    type Args = NtSearchArgs;
    type Output = NtSearchOutput;

    async fn run(a: NtSearchArgs) -> Result<NtSearchOutput, ToolError> {
        check_text("sequence", &a.sequence)?;
        let k = a.subsequence.chars().count();
        if k > MAX_PATTERN {
            return Err(ToolError::InvalidArgs(format!(
                "subsequence is {k} characters long; the limit is {MAX_PATTERN} (the search time grows \
                 with the pattern's length)"
            )));
        }
        // Per pattern position, the set of matching bases as a 4-bit mask.
        let mut masks = Vec::with_capacity(k);
        let mut pattern = String::new();
        for (i, ch) in a.subsequence.chars().enumerate() {
            let value = AMBIGUOUS_DNA_VALUES
                .iter()
                .find(|(key, _)| key.len() == 1 && key.chars().next() == Some(ch))
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    ToolError::InvalidArgs(format!(
                        "subsequence: character {ch:?} at position {i} is not an upper-case IUPAC DNA code (A C G T M R W S Y K V H D B X N)"
                    ))
                })?;
            if value.len() == 1 {
                pattern.push_str(value);
            } else {
                pattern.push('[');
                pattern.push_str(value);
                pattern.push(']');
            }
            let mut m = 0u8;
            for b in value.bytes() {
                m |= base_bit(b);
            }
            masks.push(m);
        }
        // Shift-And over ceil(k/64) words.
        let words = k.div_ceil(64);
        let mut table = vec![vec![0u64; words]; 4];
        for (j, &m) in masks.iter().enumerate() {
            for (b, row) in table.iter_mut().enumerate() {
                if m & (1 << b) != 0 {
                    row[j / 64] |= 1 << (j % 64);
                }
            }
        }
        let zero = vec![0u64; words];
        let last_word = (k - 1) / 64;
        let last_bit = 1u64 << ((k - 1) % 64);
        let mut d = vec![0u64; words];
        let mut positions = Vec::new();
        // Positions count characters, as Python's do.
        for (i, ch) in a.sequence.chars().enumerate() {
            let bit = u8::try_from(ch).map_or(0, base_bit);
            let row = if bit == 0 {
                &zero
            } else {
                &table[bit.trailing_zeros() as usize]
            };
            let mut carry = 1u64;
            for w in 0..words {
                let next_carry = d[w] >> 63;
                d[w] = ((d[w] << 1) | carry) & row[w];
                carry = next_carry;
            }
            if d[last_word] & last_bit != 0 {
                if positions.len() == MAX_MATCHES {
                    return Err(ToolError::InvalidArgs(format!(
                        "more than {MAX_MATCHES} matches (the result must fit the 16 MiB output cap); search a shorter \
                         sequence or a more specific pattern"
                    )));
                }
                positions.push((i + 1 - k) as u64);
            }
        }
        Ok(NtSearchOutput {
            pattern,
            count: positions.len() as u64,
            positions,
        })
    }
}

/// Upper-case A, C, G, T as one bit each; everything else (lower case included) 0.
fn base_bit(b: u8) -> u8 {
    match b {
        b'A' => 1,
        b'C' => 2,
        b'G' => 4,
        b'T' => 8,
        _ => 0,
    }
}

dive_tool_sdk::export_tools!(GcContent, Gc123, GcSkew, Seq1, Seq3, SixFrame, NtSearch);
