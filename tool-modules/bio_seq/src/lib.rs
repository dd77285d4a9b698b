//! bio_seq: the Bio.Seq operations of the DIVE pool, computed locally with the same
//! results as Biopython 1.88 (translate, complement, transcription, count, find,
//! startswith/endswith).
//!
//! Input rules (beyond the schema): sequences, motifs and patterns are ASCII, as
//! Biopython's Seq requires (any ASCII character: the ones an operation does not know
//! are left as they are, or make their codon invalid in a translation); each takes at
//! most 10 MB as JSON text (10,000,000 sequence letters). Every input Biopython raises
//! on is an `invalid-args` error.

use bio_core::alphabet::check_seq_text;
use bio_core::codon::{GeneticCode, TranslateOptions};
use bio_core::nucleotide;
use bio_core::search::{self, Matcher};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};


fn default_table() -> u32 {
    1
}

fn default_stop_symbol() -> String {
    "*".to_string()
}

/// The gap character as the translation compares it: none for '', and none for a
/// non-ASCII character too (it can never match a codon of ASCII text, so Biopython
/// never writes it). More than one character raises in Biopython.
fn gap_byte(value: &str) -> Result<Option<u8>, ToolError> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(u8::try_from(c).ok().filter(u8::is_ascii)),
        _ => Err(ToolError::InvalidArgs(format!(
            "gap must be a single character, got {value:?} (Biopython raises)"
        ))),
    }
}

// ---------------------------------------------------------------------------
// bio_seq_translate

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct TranslateArgs {
    /// Nucleotide sequence to translate, DNA or RNA (T and U are both read), at least one codon long, ASCII. IUPAC ambiguity codes are accepted; lowercase is read as uppercase; a codon with any other character is invalid (an error) unless it is a gap codon. A trailing partial codon is left untranslated.
    #[schemars(length(min = 3), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// NCBI genetic code id (1 Standard, 2 Vertebrate Mitochondrial, 11 Bacterial, Archaeal and Plant Plastid, ...). Ids 7, 8 and 17-20 are not assigned.
    #[serde(default = "default_table", deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1, max = 31), extend("x-dive-type" = "codon_table_id"))]
    pub table: u32,
    /// Symbol written for each stop codon ('' drops stops); it must be ASCII when a stop is written.
    #[serde(default = "default_stop_symbol")]
    #[schemars(length(max = 1))]
    pub stop_symbol: String,
    /// End the protein at the first in-frame stop codon (the stop is not written).
    #[serde(default)]
    pub to_stop: bool,
    /// Treat the sequence as one complete coding sequence: it must begin with a start codon of the table (translated as M), have a length divisible by three, end with a stop codon (not written) and have no other in-frame stop.
    #[serde(default)]
    pub cds: bool,
    /// Gap character: a codon made of three of it translates to it. Without it, gap codons are an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(max = 1))]
    pub gap: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct TranslateOutput {
    /// The translated protein sequence.
    #[schemars(extend("x-dive-type" = "protein_sequence"))]
    pub protein: String,
    /// Number of characters in `protein`.
    pub length: u64,
    /// NCBI id of the genetic code used.
    #[schemars(extend("x-dive-type" = "codon_table_id"))]
    pub table: u32,
    /// Name of that genetic code.
    pub table_name: String,
    /// True when the sequence length is not a multiple of three and the trailing partial codon was left untranslated (Biopython warns about it).
    pub partial_codon: bool,
}

pub struct Translate;

impl Tool for Translate {
    const NAME: &'static str = "bio_seq_translate";
    const DESCRIPTION: &'static str = "Translate a DNA or RNA sequence into a protein with any NCBI genetic code, \
        as Biopython's Seq.translate does: ambiguous codons give B/Z/J/X, stops are written with a chosen symbol, \
        optional stop at the first stop codon, optional complete-CDS checking and gap codons.";
    type Args = TranslateArgs;
    type Output = TranslateOutput;

    async fn run(a: TranslateArgs) -> Result<TranslateOutput, ToolError> {
        let gap = match &a.gap {
            Some(g) => gap_byte(g)?,
            None => None,
        };
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let mut code = GeneticCode::new(a.table).map_err(ToolError::InvalidArgs)?;
        let opts = TranslateOptions {
            stop_symbol: &a.stop_symbol,
            to_stop: a.to_stop,
            cds: a.cds,
            gap,
        };
        let t = code.translate(&a.sequence, &opts).map_err(ToolError::InvalidArgs)?;
        Ok(TranslateOutput {
            length: t.protein.len() as u64,
            protein: t.protein,
            table: a.table,
            table_name: code.data.names[0].to_string(),
            partial_codon: t.partial_codon,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_seq_complement

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum ComplementOp {
    Complement,
    ReverseComplement,
    ComplementRna,
    ReverseComplementRna,
}

fn default_complement_op() -> ComplementOp {
    ComplementOp::ReverseComplement
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplementArgs {
    /// DNA or RNA sequence, ASCII: IUPAC codes (either case) are paired, every other character is kept as it is; case is kept.
    #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// 'complement' and 'reverse_complement' give DNA (U is paired like T); 'complement_rna' and 'reverse_complement_rna' give RNA (T is paired like U).
    #[serde(default = "default_complement_op")]
    pub operation: ComplementOp,
}

#[derive(Serialize, JsonSchema)]
pub struct ComplementOutput {
    /// The complemented sequence.
    #[schemars(extend("x-dive-type" = "nucleotide_sequence"))]
    pub result: String,
    /// The operation that was applied.
    pub operation: ComplementOp,
    /// Length of `result`.
    pub length: u64,
}

pub struct Complement;

impl Tool for Complement {
    const NAME: &'static str = "bio_seq_complement";
    const DESCRIPTION: &'static str =
        "Complement or reverse-complement a nucleotide sequence, producing DNA or RNA, \
        with IUPAC ambiguity codes paired as Biopython's Seq methods pair them; case is preserved.";
    type Args = ComplementArgs;
    type Output = ComplementOutput;

    async fn run(a: ComplementArgs) -> Result<ComplementOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let result = match a.operation {
            ComplementOp::Complement => nucleotide::complement(&a.sequence),
            ComplementOp::ReverseComplement => nucleotide::reverse_complement(&a.sequence),
            ComplementOp::ComplementRna => nucleotide::complement_rna(&a.sequence),
            ComplementOp::ReverseComplementRna => nucleotide::reverse_complement_rna(&a.sequence),
        };
        Ok(ComplementOutput {
            length: result.len() as u64,
            result,
            operation: a.operation,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_seq_transcribe

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum TranscribeOp {
    Transcribe,
    BackTranscribe,
}

fn default_transcribe_op() -> TranscribeOp {
    TranscribeOp::Transcribe
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscribeArgs {
    /// DNA or RNA sequence, ASCII (T and U in either case are replaced, every other character is kept).
    #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// 'transcribe' turns every T into U (coding strand to mRNA); 'back_transcribe' turns every U into T. Other letters are kept.
    #[serde(default = "default_transcribe_op")]
    pub operation: TranscribeOp,
}

#[derive(Serialize, JsonSchema)]
pub struct TranscribeOutput {
    /// The transcribed (RNA) or back-transcribed (DNA) sequence.
    #[schemars(extend("x-dive-type" = "nucleotide_sequence"))]
    pub result: String,
    /// The operation that was applied.
    pub operation: TranscribeOp,
    /// Length of `result`.
    pub length: u64,
}

pub struct Transcribe;

impl Tool for Transcribe {
    const NAME: &'static str = "bio_seq_transcribe";
    const DESCRIPTION: &'static str =
        "Transcribe DNA into RNA (T to U) or back-transcribe RNA into DNA (U to T), \
        keeping case and every other letter, as Biopython does.";
    type Args = TranscribeArgs;
    type Output = TranscribeOutput;

    async fn run(a: TranscribeArgs) -> Result<TranscribeOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let result = match a.operation {
            TranscribeOp::Transcribe => nucleotide::transcribe(&a.sequence),
            TranscribeOp::BackTranscribe => nucleotide::back_transcribe(&a.sequence),
        };
        Ok(TranscribeOutput {
            length: result.len() as u64,
            result,
            operation: a.operation,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_seq_count

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountArgs {
    /// Sequence to search (DNA, RNA or protein letters, or any ASCII text); matching is case-sensitive.
    #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// Motif to count, e.g. 'ATG' or 'GC'.
    #[schemars(length(min = 1))]
    pub subsequence: String,
    /// Count overlapping occurrences too ('AA' occurs 3 times in 'AAAA' instead of 2).
    #[serde(default)]
    pub overlap: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct CountOutput {
    /// Number of occurrences.
    pub count: u64,
    /// Whether overlapping occurrences were counted.
    pub overlap: bool,
    /// Length of the searched sequence.
    pub sequence_length: u64,
}

pub struct Count;

impl Tool for Count {
    const NAME: &'static str = "bio_seq_count";
    const DESCRIPTION: &'static str = "Count how often a motif occurs in a DNA, RNA or protein sequence, either \
        non-overlapping (Biopython's Seq.count) or overlapping (Seq.count_overlap); case-sensitive.";
    type Args = CountArgs;
    type Output = CountOutput;

    async fn run(a: CountArgs) -> Result<CountOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        check_seq_text("subsequence", &a.subsequence).map_err(ToolError::InvalidArgs)?;
        if a.subsequence.is_empty() {
            return Err(ToolError::InvalidArgs("subsequence must not be empty".into()));
        }
        let count = Matcher::new(a.subsequence.as_bytes()).count(a.sequence.as_bytes(), a.overlap);
        Ok(CountOutput {
            count,
            overlap: a.overlap,
            sequence_length: a.sequence.len() as u64,
        })
    }
}

// ---------------------------------------------------------------------------
// bio_seq_find

/// At most this many positions are listed by `find_all` (the count is always total).
const MAX_POSITIONS: usize = 1_000_000;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct FindArgs {
    /// Sequence to search (DNA, RNA or protein letters, or any ASCII text); matching is case-sensitive.
    #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// Motif to locate, e.g. 'GAATTC' or 'ATG'.
    #[schemars(length(min = 1))]
    pub subsequence: String,
    /// Also list every occurrence, overlapping ones included.
    #[serde(default)]
    pub find_all: bool,
    /// 0-based position where the search window begins.
    #[serde(default, deserialize_with = "bio_core::de::index")]
    #[schemars(range(min = 0))]
    pub start: u64,
    /// 0-based position where the search window ends (exclusive); default: the end of the sequence. Matches must lie entirely inside the window.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "bio_core::de::opt_index"
    )]
    #[schemars(with = "u64", range(min = 0))]
    pub end: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
pub struct FindOutput {
    /// Whether the motif occurs in the window.
    pub found: bool,
    /// 0-based position of the first occurrence in the whole sequence, or -1.
    pub position: i64,
    /// With find_all: every occurrence, in order (at most 1,000,000 listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<u64>")]
    pub positions: Option<Vec<u64>>,
    /// With find_all: the number of occurrences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub count: Option<u64>,
}

/// A position argument as an index (anything past the text is the same as its end).
fn index(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

pub struct Find;

impl Tool for Find {
    const NAME: &'static str = "bio_seq_find";
    const DESCRIPTION: &'static str = "Locate a motif in a DNA, RNA or protein sequence within an optional [start, end) \
        window, as Biopython's Seq.find does (-1 when absent), optionally listing every occurrence.";
    type Args = FindArgs;
    type Output = FindOutput;

    async fn run(a: FindArgs) -> Result<FindOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        check_seq_text("subsequence", &a.subsequence).map_err(ToolError::InvalidArgs)?;
        if a.subsequence.is_empty() {
            return Err(ToolError::InvalidArgs("subsequence must not be empty".into()));
        }
        let text = a.sequence.as_bytes();
        let (s, e) = search::window(text.len(), index(a.start), a.end.map(index));
        let m = Matcher::new(a.subsequence.as_bytes());
        let hay = &text[s..e];
        if a.find_all {
            let mut positions = Vec::new();
            let mut count = 0u64;
            m.for_each(hay, true, |i| {
                if positions.len() < MAX_POSITIONS {
                    positions.push((s + i) as u64);
                }
                count += 1;
                true
            });
            let position = positions.first().map_or(-1, |&p| p as i64);
            Ok(FindOutput {
                found: count > 0,
                position,
                positions: Some(positions),
                count: Some(count),
            })
        } else {
            let position = m.find(hay).map_or(-1, |i| (s + i) as i64);
            Ok(FindOutput {
                found: position >= 0,
                position,
                positions: None,
                count: None,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// bio_seq_pattern

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum PatternOp {
    Startswith,
    Endswith,
    Both,
}

fn default_pattern_op() -> PatternOp {
    PatternOp::Startswith
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct PatternArgs {
    /// Sequence to check (DNA, RNA or protein letters, or any ASCII text); matching is case-sensitive.
    #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
    pub sequence: String,
    /// Prefix or suffix to test for, e.g. 'ATG' or 'AAAA'.
    #[schemars(length(min = 1))]
    pub pattern: String,
    /// Test the beginning ('startswith'), the end ('endswith') or both ('both': the window must start and end with the pattern).
    #[serde(default = "default_pattern_op")]
    pub operation: PatternOp,
    /// 0-based position where the checked window begins (the prefix is tested here).
    #[serde(default, deserialize_with = "bio_core::de::index")]
    #[schemars(range(min = 0))]
    pub start: u64,
    /// 0-based position where the checked window ends, exclusive (the suffix is tested against it); default: the end of the sequence.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "bio_core::de::opt_index"
    )]
    #[schemars(with = "u64", range(min = 0))]
    pub end: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
pub struct PatternOutput {
    /// The check that was made.
    pub operation: PatternOp,
    /// Whether sequence[start:end] starts with the pattern (startswith and both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub starts_with: Option<bool>,
    /// Whether sequence[start:end] ends with the pattern (endswith and both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub ends_with: Option<bool>,
    /// The answer: the single check, or both checks together.
    pub matches: bool,
}

pub struct Pattern;

impl Tool for Pattern {
    const NAME: &'static str = "bio_seq_pattern";
    const DESCRIPTION: &'static str = "Check whether a sequence window [start, end) begins and/or ends with a pattern \
        (start codon, poly-A tail, stop codon...), as Biopython's Seq.startswith and Seq.endswith do.";
    type Args = PatternArgs;
    type Output = PatternOutput;

    async fn run(a: PatternArgs) -> Result<PatternOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        check_seq_text("pattern", &a.pattern).map_err(ToolError::InvalidArgs)?;
        if a.pattern.is_empty() {
            return Err(ToolError::InvalidArgs("pattern must not be empty".into()));
        }
        let (text, pat) = (a.sequence.as_bytes(), a.pattern.as_bytes());
        let (start, end) = (index(a.start), a.end.map(index));
        let starts_with = (a.operation != PatternOp::Endswith)
            .then(|| search::starts_with(text, pat, start, end));
        let ends_with = (a.operation != PatternOp::Startswith)
            .then(|| search::ends_with(text, pat, start, end));
        let matches = starts_with.unwrap_or(true) && ends_with.unwrap_or(true);
        Ok(PatternOutput {
            operation: a.operation,
            starts_with,
            ends_with,
            matches,
        })
    }
}

// ---------------------------------------------------------------------------
// The four single-purpose tools over RNA/DNA letters.

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RnaArgs {
    /// RNA sequence of uppercase A, U, C and G.
    #[schemars(length(min = 1), regex(pattern = r"^[AUCG]+$"), extend("x-dive-type" = "rna_sequence"))]
    pub sequence: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnaArgs {
    /// DNA sequence of uppercase A, T, C and G.
    #[schemars(length(min = 1), regex(pattern = r"^[ATCG]+$"), extend("x-dive-type" = "dna_sequence"))]
    pub sequence: String,
}

#[derive(Serialize, JsonSchema)]
pub struct BackTranscribeOutput {
    /// The DNA sequence (every U replaced by T).
    #[schemars(extend("x-dive-type" = "dna_sequence"))]
    pub dna: String,
    /// Length of `dna`.
    pub length: u64,
}

pub struct BackTranscribe;

impl Tool for BackTranscribe {
    const NAME: &'static str = "bio_seq_back_transcribe";
    const DESCRIPTION: &'static str =
        "Back-transcribe an RNA sequence into DNA, replacing each U with T \
        (Biopython's Seq.back_transcribe), e.g. for cDNA work.";
    type Args = RnaArgs;
    type Output = BackTranscribeOutput;

    async fn run(a: RnaArgs) -> Result<BackTranscribeOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let dna = nucleotide::back_transcribe(&a.sequence);
        Ok(BackTranscribeOutput {
            length: dna.len() as u64,
            dna,
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct ComplementRnaOutput {
    /// The complementary RNA, same direction (A<->U, C<->G).
    #[schemars(extend("x-dive-type" = "rna_sequence"))]
    pub complement: String,
    /// Length of `complement`.
    pub length: u64,
}

pub struct ComplementRna;

impl Tool for ComplementRna {
    const NAME: &'static str = "bio_seq_complement_rna";
    const DESCRIPTION: &'static str =
        "Pair every base of an RNA sequence with its partner (A with U, C with G) \
        without reversing it, as Biopython's Seq.complement_rna does.";
    type Args = RnaArgs;
    type Output = ComplementRnaOutput;

    async fn run(a: RnaArgs) -> Result<ComplementRnaOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let complement = nucleotide::complement_rna(&a.sequence);
        Ok(ComplementRnaOutput {
            length: complement.len() as u64,
            complement,
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct ReverseComplementOutput {
    /// The reverse complement (the opposite strand read 5' to 3').
    #[schemars(extend("x-dive-type" = "dna_sequence"))]
    pub reverse_complement: String,
    /// Length of `reverse_complement`.
    pub length: u64,
}

pub struct ReverseComplement;

impl Tool for ReverseComplement {
    const NAME: &'static str = "bio_seq_reverse_complement";
    const DESCRIPTION: &'static str =
        "Give the opposite DNA strand read 5' to 3' (complement, then reverse), \
        as Biopython's Seq.reverse_complement does; handy for primers and PCR products.";
    type Args = DnaArgs;
    type Output = ReverseComplementOutput;

    async fn run(a: DnaArgs) -> Result<ReverseComplementOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let rc = nucleotide::reverse_complement(&a.sequence);
        Ok(ReverseComplementOutput {
            length: rc.len() as u64,
            reverse_complement: rc,
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct ReverseComplementRnaOutput {
    /// The reverse complement RNA (the antisense strand read 5' to 3').
    #[schemars(extend("x-dive-type" = "rna_sequence"))]
    pub reverse_complement: String,
    /// Length of `reverse_complement`.
    pub length: u64,
}

pub struct ReverseComplementRna;

impl Tool for ReverseComplementRna {
    const NAME: &'static str = "bio_seq_reverse_complement_rna";
    const DESCRIPTION: &'static str =
        "Give the antisense strand of an RNA sequence read 5' to 3' (pair A-U and C-G, \
        then reverse), as Biopython's Seq.reverse_complement_rna does.";
    type Args = RnaArgs;
    type Output = ReverseComplementRnaOutput;

    async fn run(a: RnaArgs) -> Result<ReverseComplementRnaOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let rc = nucleotide::reverse_complement_rna(&a.sequence);
        Ok(ReverseComplementRnaOutput {
            length: rc.len() as u64,
            reverse_complement: rc,
        })
    }
}

dive_tool_sdk::export_tools!(
    Translate,
    Complement,
    Transcribe,
    Count,
    Find,
    Pattern,
    BackTranscribe,
    ComplementRna,
    ReverseComplement,
    ReverseComplementRna,
);
