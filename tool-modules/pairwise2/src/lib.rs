//! pairwise2: Bio.pairwise2's globalms, localms, globalxx and localxx of the DIVE
//! pool, computed locally with the same results as Biopython 1.88: the same best
//! score, and the same optimal alignments in the same order (see
//! bio_core::pairwise for the algorithm).
//!
//! Input rules (beyond the schema): sequences are printable ASCII without spaces,
//! at most 5,000 characters each (an alignment of two 5 kb sequences stays well within
//! the time and memory limits); `gap_char` is one printable ASCII character; scores
//! and penalties lie within [-100, 100] (Biopython compares scores in thousandths
//! held in a C int); gap penalties are not positive and `gap_extend >= gap_open`
//! (Biopython raises otherwise). Biopython follows at most 1,000 tracebacks; of the
//! alignments it returns, the first 100 are given (`n_alignments` tells how many
//! there were, `truncated` whether some were left out).

use bio_core::pairwise::{self, Gap, Params};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest sequence accepted.
pub const MAX_LEN: usize = 5_000;
/// The most alignments returned.
pub const MAX_RETURNED: usize = 100;
/// The largest magnitude of a score or penalty.
pub const MAX_SCORE: f64 = 100.0;


fn default_match() -> f64 {
    2.0
}
fn default_mismatch() -> f64 {
    -1.0
}
fn default_open() -> f64 {
    -0.5
}
fn default_extend() -> f64 {
    -0.1
}
fn default_true() -> bool {
    true
}
fn default_gap_char() -> String {
    "-".to_string()
}

#[derive(Serialize, JsonSchema)]
pub struct AlignmentOut {
    /// sequence_a with gap characters inserted.
    pub seq_a: String,
    /// sequence_b with gap characters inserted.
    pub seq_b: String,
    /// Score of this alignment.
    pub score: f64,
    /// Start of the aligned region in the gapped strings (0 for global alignments).
    pub start: u64,
    /// End (exclusive) of the aligned region in the gapped strings.
    pub end: u64,
}

#[derive(Serialize, JsonSchema)]
pub struct AlignOutput {
    /// The best alignment score (null only when Biopython finds no alignment, e.g. a local alignment of sequences with nothing in common).
    pub score: Option<f64>,
    /// Number of optimal alignments Biopython returns (0 with score_only; it follows at most 1,000 tracebacks).
    pub n_alignments: u64,
    /// True when more than 100 alignments were found and only the first 100 are listed.
    pub truncated: bool,
    /// The optimal alignments in Biopython's order (at most 100; empty with score_only).
    pub alignments: Vec<AlignmentOut>,
}

fn check_seq(field: &str, s: &str) -> Result<(), ToolError> {
    if s.len() > MAX_LEN {
        return Err(ToolError::InvalidArgs(format!(
            "{field} has {} characters; at most {MAX_LEN} are accepted",
            s.len()
        )));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(ToolError::InvalidArgs(format!(
            "{field} may hold only printable ASCII characters without spaces, found {c:?}"
        )));
    }
    Ok(())
}

struct Common<'a> {
    a: &'a str,
    b: &'a str,
    match_score: f64,
    mismatch_score: f64,
    open: f64,
    extend: f64,
    score_only: bool,
    one_only: bool,
    penalize_end_gaps: bool,
    gap_char: &'a str,
    global: bool,
}

fn run_align(c: Common) -> Result<AlignOutput, ToolError> {
    check_seq("sequence_a", c.a)?;
    check_seq("sequence_b", c.b)?;
    let gap = match c.gap_char.as_bytes() {
        [g] if g.is_ascii_graphic() => *g,
        _ => {
            return Err(ToolError::InvalidArgs(format!(
                "gap_char must be one printable ASCII character, got {:?}",
                c.gap_char
            )))
        }
    };
    for (name, v) in [
        ("match_score", c.match_score),
        ("mismatch_score", c.mismatch_score),
        ("gap_open", c.open),
        ("gap_extend", c.extend),
    ] {
        if !(v.abs() <= MAX_SCORE) {
            return Err(ToolError::InvalidArgs(format!("{name} = {v} is outside [-100, 100]")));
        }
    }
    if c.open > 0.0 || c.extend > 0.0 {
        return Err(ToolError::InvalidArgs(
            "gap penalties must not be positive (gap_open, gap_extend <= 0)".into(),
        ));
    }
    if c.extend < c.open {
        return Err(ToolError::InvalidArgs(format!(
            "the gap opening penalty must not be smaller than the extension penalty (gap_open {} < gap_extend {})",
            c.open, c.extend
        )));
    }
    let gap_fn = Gap {
        open: c.open,
        extend: c.extend,
    };
    let p = Params {
        match_score: c.match_score,
        mismatch_score: c.mismatch_score,
        gap_a: gap_fn,
        gap_b: gap_fn,
        penalize_end_gaps: (c.penalize_end_gaps, c.penalize_end_gaps),
        global: c.global,
    };
    let (a, b) = (c.a.as_bytes(), c.b.as_bytes());
    if c.score_only {
        return Ok(AlignOutput {
            score: Some(pairwise::best_score(a, b, &p)),
            n_alignments: 0,
            truncated: false,
            alignments: Vec::new(),
        });
    }
    let all = pairwise::align(a, b, &p, gap, c.one_only);
    let n = all.len();
    let text = |v: Vec<u8>| String::from_utf8(v).expect("ASCII");
    Ok(AlignOutput {
        score: all.first().map(|x| x.score),
        n_alignments: n as u64,
        truncated: n > MAX_RETURNED,
        alignments: all
            .into_iter()
            .take(MAX_RETURNED)
            .map(|x| AlignmentOut {
                seq_a: text(x.seq_a),
                seq_b: text(x.seq_b),
                score: x.score,
                start: x.start as u64,
                end: x.end as u64,
            })
            .collect(),
    })
}

macro_rules! scored_tool {
    ($ty:ident, $args:ident, $name:literal, $global:expr, $pen_default:literal, $pen_doc:literal, $desc:expr) => {
        #[derive(Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[schemars(transform = bio_core::schema_numeric::plain_numbers)]
        pub struct $args {
            /// First sequence (DNA, RNA or protein letters; any printable ASCII without spaces), at most 5,000 characters.
            #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
            pub sequence_a: String,
            /// Second sequence, same rules.
            #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
            pub sequence_b: String,
            /// Score for two identical characters.
            #[serde(default = "default_match")]
            #[schemars(extend("default" = 2))]
            pub match_score: f64,
            /// Score for two different characters.
            #[serde(default = "default_mismatch")]
            #[schemars(extend("default" = -1))]
            pub mismatch_score: f64,
            /// Score of the first position of a gap (0 or negative).
            #[serde(default = "default_open")]
            pub gap_open: f64,
            /// Score of each further position of a gap (0 or negative, not below gap_open).
            #[serde(default = "default_extend")]
            pub gap_extend: f64,
            /// Return only the best score, without alignments.
            #[serde(default)]
            pub score_only: bool,
            /// Return only the first optimal alignment Biopython finds.
            #[serde(default)]
            pub one_alignment_only: bool,
            #[doc = $pen_doc]
            #[serde(default = $pen_default)]
            pub penalize_end_gaps: bool,
            /// Character written for gaps in the aligned sequences.
            #[serde(default = "default_gap_char")]
            pub gap_char: String,
        }

        pub struct $ty;

        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = AlignOutput;

            async fn run(a: $args) -> Result<AlignOutput, ToolError> {
                run_align(Common {
                    a: &a.sequence_a,
                    b: &a.sequence_b,
                    match_score: a.match_score,
                    mismatch_score: a.mismatch_score,
                    open: a.gap_open,
                    extend: a.gap_extend,
                    score_only: a.score_only,
                    one_only: a.one_alignment_only,
                    penalize_end_gaps: a.penalize_end_gaps,
                    gap_char: &a.gap_char,
                    global: $global,
                })
            }
        }
    };
}

macro_rules! simple_tool {
    ($ty:ident, $args:ident, $name:literal, $global:expr, $pen_default:literal, $pen_doc:literal, $desc:expr) => {
        #[derive(Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            /// First sequence (DNA, RNA or protein letters; any printable ASCII without spaces), at most 5,000 characters.
            #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
            pub sequence_a: String,
            /// Second sequence, same rules.
            #[schemars(length(min = 1), extend("x-dive-type" = "nucleotide_sequence"))]
            pub sequence_b: String,
            /// Return only the best score, without alignments.
            #[serde(default)]
            pub score_only: bool,
            /// Return only the first optimal alignment Biopython finds.
            #[serde(default)]
            pub one_alignment_only: bool,
            #[doc = $pen_doc]
            #[serde(default = $pen_default)]
            pub penalize_end_gaps: bool,
            /// Character written for gaps in the aligned sequences.
            #[serde(default = "default_gap_char")]
            pub gap_char: String,
        }

        pub struct $ty;

        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = AlignOutput;

            async fn run(a: $args) -> Result<AlignOutput, ToolError> {
                run_align(Common {
                    a: &a.sequence_a,
                    b: &a.sequence_b,
                    match_score: 1.0,
                    mismatch_score: 0.0,
                    open: 0.0,
                    extend: 0.0,
                    score_only: a.score_only,
                    one_only: a.one_alignment_only,
                    penalize_end_gaps: a.penalize_end_gaps,
                    gap_char: &a.gap_char,
                    global: $global,
                })
            }
        }
    };
}

fn default_false() -> bool {
    false
}

scored_tool!(GlobalAlign, GlobalAlignArgs, "pairwise2_global_align", true, "default_true",
    "Apply gap penalties to gaps at the start and end of the sequences (the default for global alignment).",
    "Global (end-to-end) alignment of two sequences with match/mismatch scores and affine gap \
    penalties, as Biopython's pairwise2.align.globalms: the best score and every optimal alignment \
    in Biopython's order (or only the first, or only the score).");
scored_tool!(LocalAlign, LocalAlignArgs, "pairwise2_local_align", false, "default_false",
    "Apply gap penalties to end gaps too (off by default for local alignment; Biopython warns that scores may then be wrong).",
    "Local alignment of two sequences (best-matching regions) with match/mismatch scores and \
    affine gap penalties, as Biopython's pairwise2.align.localms: the best score and the optimal \
    alignments with the aligned region's start and end.");
simple_tool!(GlobalXx, GlobalXxArgs, "pairwise2_globalxx", true, "default_true",
    "Apply the (zero) gap penalties to end gaps as well; with no gap penalties this changes nothing but is accepted as in Biopython.",
    "Global alignment scoring 1 per identical pair, 0 for mismatches and gaps (Biopython's \
    pairwise2.align.globalxx): the best score, i.e. the longest common subsequence length, and \
    the optimal alignments in Biopython's order.");
simple_tool!(
    LocalXx,
    LocalXxArgs,
    "pairwise2_localxx",
    false,
    "default_false",
    "Apply the (zero) gap penalties to end gaps as well (off by default for local alignment).",
    "Local alignment scoring 1 per identical pair, 0 for mismatches and gaps (Biopython's \
    pairwise2.align.localxx): the best score and the optimal local alignments with their start \
    and end."
);

dive_tool_sdk::export_tools!(GlobalAlign, LocalAlign, GlobalXx, LocalXx);
