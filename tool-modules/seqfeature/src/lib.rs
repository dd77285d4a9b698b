//! seqfeature: Bio.SeqFeature locations computed locally with the same results as
//! Biopython 1.88: a SimpleLocation (start, end, strand) or a CompoundLocation
//! ("join" of several parts), their Biopython text form, bounds, strand and length,
//! and the extracted sequence (`location.extract(Seq(sequence))`: the slice, reverse
//! complemented on strand -1, parts concatenated in the order given).
//!
//! Input rules (beyond the schema): the sequence takes at most 10 MB as JSON text
//! (10,000,000 sequence letters); to extract from it, it must be ASCII, as Biopython's
//! Seq requires (any ASCII character; ones the reverse complement does not pair are
//! kept); every location needs start <= end (Biopython raises otherwise). Coordinates
//! past the end of the sequence are allowed (the extracted slice stops at the end, as
//! Python slicing does). A single location in seqfeature_compound is a plain
//! SimpleLocation (Biopython's CompoundLocation needs at least two parts). The
//! extracted sequence of a compound location takes at most 12,000,000 bytes as JSON
//! text (it must fit the 16 MiB output cap).

use bio_core::alphabet::{check_len, check_seq_text, json_len};
use bio_core::nucleotide;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};


fn default_true() -> bool {
    true
}

/// A strand argument: 1 or -1 (the schema's enum), as an integer.
fn strand<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i8>, D::Error> {
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    match n.as_f64() {
        Some(v) if v == 1.0 => Ok(Some(1)),
        Some(v) if v == -1.0 => Ok(Some(-1)),
        _ => Err(D::Error::custom(format!("strand must be 1 or -1, got {n}"))),
    }
}

#[derive(Clone, Copy)]
struct Loc {
    start: u64,
    end: u64,
    strand: Option<i8>,
}

impl Loc {
    fn new(start: u64, end: u64, strand: Option<i8>) -> Result<Loc, ToolError> {
        if end < start {
            return Err(ToolError::InvalidArgs(format!(
                "end ({end}) must be greater than or equal to start ({start})"
            )));
        }
        Ok(Loc { start, end, strand })
    }

    fn text(&self) -> String {
        let s = match self.strand {
            Some(1) => "(+)",
            Some(-1) => "(-)",
            _ => "",
        };
        format!("[{}:{}]{}", self.start, self.end, s)
    }

    /// The slice of `seq` (ASCII) the location covers.
    fn slice<'s>(&self, seq: &'s str) -> &'s str {
        let n = seq.len() as u64;
        let lo = self.start.min(n) as usize;
        let hi = self.end.min(n).max(lo as u64) as usize;
        &seq[lo..hi]
    }

    fn extract(&self, seq: &str) -> String {
        let part = self.slice(seq);
        if self.strand == Some(-1) {
            nucleotide::reverse_complement(part)
        } else {
            part.to_string()
        }
    }
}

/// The largest extracted sequence returned, in bytes as JSON text (it must fit the
/// 16 MiB output cap).
const MAX_EXTRACT: usize = 12_000_000;

/// The sequence within the size cap, and ASCII when it is to be extracted from
/// (`location.extract(Seq(sequence))`: Biopython's Seq holds ASCII only).
fn check(seq: &str, extract: bool) -> Result<(), ToolError> {
    if extract {
        check_seq_text("sequence", seq).map_err(ToolError::InvalidArgs)
    } else {
        check_len("sequence", seq).map_err(ToolError::InvalidArgs)
    }
}

// ---------------------------------------------------------------------------

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct LocationArgs {
    /// DNA, RNA or protein sequence, ASCII when extracted from (on strand -1, IUPAC nucleotide codes are paired and every other character is kept), e.g. 'ATCGATCGATCGATCG'.
    #[schemars(length(min = 1), extend("x-dive-type" = "sequence"))]
    pub sequence: String,
    /// 0-based start of the feature (inclusive).
    #[serde(deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 0))]
    pub start: u64,
    /// 0-based end of the feature (exclusive), at least `start`.
    #[serde(deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1))]
    pub end: u64,
    /// Strand: 1 forward, -1 reverse (the extracted sequence is reverse complemented). Omit for no strand.
    #[serde(
        default,
        deserialize_with = "strand",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", extend("enum" = [1, -1]))]
    pub strand: Option<i8>,
    /// Also return the sequence covered by the feature.
    #[serde(default = "default_true")]
    pub extract: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct LocationOutput {
    /// Biopython's text form of the location, e.g. '[2:8](+)'.
    pub location: String,
    /// 0-based start (inclusive).
    pub start: u64,
    /// 0-based end (exclusive).
    pub end: u64,
    /// Strand (1, -1), or null when none.
    pub strand: Option<i8>,
    /// end - start.
    pub length: u64,
    /// The extracted sequence (present when extract is true).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "sequence"))]
    pub extracted: Option<String>,
}

pub struct Location;

impl Tool for Location {
    const NAME: &'static str = "seqfeature_location";
    const DESCRIPTION: &'static str = "Describe a feature location (0-based start, exclusive end, optional strand) as \
        Biopython's SimpleLocation does and extract the sequence it covers, reverse-complemented on the minus strand.";
    type Args = LocationArgs;
    type Output = LocationOutput;

    async fn run(a: LocationArgs) -> Result<LocationOutput, ToolError> {
        check(&a.sequence, a.extract)?;
        let loc = Loc::new(a.start, a.end, a.strand)?;
        Ok(LocationOutput {
            location: loc.text(),
            start: loc.start,
            end: loc.end,
            strand: loc.strand,
            length: loc.end - loc.start,
            extracted: a.extract.then(|| loc.extract(&a.sequence)),
        })
    }
}

// ---------------------------------------------------------------------------

#[derive(Deserialize, JsonSchema)]
#[schemars(inline, transform = bio_core::schema::plain_integers)]
pub struct Part {
    /// 0-based start (inclusive).
    #[serde(deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 0))]
    pub start: u64,
    /// 0-based end (exclusive), at least `start`.
    #[serde(deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1))]
    pub end: u64,
    /// Strand: 1 or -1; omit for none.
    #[serde(
        default,
        deserialize_with = "strand",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", extend("enum" = [1, -1]))]
    pub strand: Option<i8>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompoundArgs {
    /// DNA, RNA or protein sequence, ASCII when extracted from (on strand -1, IUPAC nucleotide codes are paired and every other character is kept), e.g. 'ATCGATCGATCGATCG'.
    #[schemars(length(min = 1), extend("x-dive-type" = "sequence"))]
    pub sequence: String,
    /// Parts of the feature in biological order, e.g. [{'start': 2, 'end': 6}, {'start': 10, 'end': 14}]; each has start <= end and an optional strand.
    #[schemars(length(min = 1))]
    pub locations: Vec<Part>,
    /// Also return the concatenated sequence of the parts (each reverse-complemented on strand -1).
    #[serde(default = "default_true")]
    pub extract: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct PartOutput {
    /// Biopython's text form of the part.
    pub location: String,
    /// 0-based start.
    pub start: u64,
    /// 0-based end (exclusive).
    pub end: u64,
    /// Strand (1, -1) or null.
    pub strand: Option<i8>,
}

#[derive(Serialize, JsonSchema)]
pub struct CompoundOutput {
    /// Biopython's text form, e.g. 'join{[2:6](+), [10:14](+)}' (a single part is shown as a simple location).
    pub location: String,
    /// 'join' for two or more parts, null for a single simple location.
    pub operator: Option<String>,
    /// Smallest start of the parts.
    pub start: u64,
    /// Largest end of the parts.
    pub end: u64,
    /// The common strand of the parts, or null when they differ or have none.
    pub strand: Option<i8>,
    /// Sum of the part lengths.
    pub length: u64,
    /// The parts in the order given.
    pub parts: Vec<PartOutput>,
    /// The extracted sequence (present when extract is true).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "sequence"))]
    pub extracted: Option<String>,
}

pub struct Compound;

impl Tool for Compound {
    const NAME: &'static str = "seqfeature_compound";
    const DESCRIPTION: &'static str =
        "Join several feature locations (exons, domains) into one compound location \
        as Biopython's CompoundLocation does, and extract the concatenated sequence of its parts.";
    type Args = CompoundArgs;
    type Output = CompoundOutput;

    async fn run(a: CompoundArgs) -> Result<CompoundOutput, ToolError> {
        check(&a.sequence, a.extract)?;
        if a.locations.is_empty() {
            return Err(ToolError::InvalidArgs("locations must hold at least one location".into()));
        }
        let mut locs = Vec::with_capacity(a.locations.len());
        for (i, p) in a.locations.iter().enumerate() {
            locs.push(Loc::new(p.start, p.end, p.strand).map_err(|e| match e {
                ToolError::InvalidArgs(m) => ToolError::InvalidArgs(format!("locations[{i}]: {m}")),
                other => other,
            })?);
        }
        let single = locs.len() == 1;
        let location = if single {
            locs[0].text()
        } else {
            format!(
                "join{{{}}}",
                locs.iter().map(Loc::text).collect::<Vec<_>>().join(", ")
            )
        };
        let first = locs[0].strand;
        let strand = if locs.iter().all(|l| l.strand == first) {
            first
        } else {
            None
        };
        if a.extract {
            // The reverse complement maps ASCII letters to letters, so a part takes as
            // many bytes as JSON text as its slice.
            let total: usize = locs.iter().map(|l| json_len(l.slice(&a.sequence))).sum();
            if total > MAX_EXTRACT {
                return Err(ToolError::InvalidArgs(format!(
                    "the extracted sequence would take {total} bytes as JSON text; the limit is {MAX_EXTRACT} \
                     (it must fit the 16 MiB output cap)"
                )));
            }
        }
        let extracted = a.extract.then(|| {
            locs.iter()
                .map(|l| l.extract(&a.sequence))
                .collect::<String>()
        });
        Ok(CompoundOutput {
            location,
            operator: (!single).then(|| "join".to_string()),
            start: locs.iter().map(|l| l.start).min().unwrap_or(0),
            end: locs.iter().map(|l| l.end).max().unwrap_or(0),
            strand,
            length: locs.iter().map(|l| l.end - l.start).sum(),
            parts: locs
                .iter()
                .map(|l| PartOutput {
                    location: l.text(),
                    start: l.start,
                    end: l.end,
                    strand: l.strand,
                })
                .collect(),
            extracted,
        })
    }
}

dive_tool_sdk::export_tools!(Location, Compound);
