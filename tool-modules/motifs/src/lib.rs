//! motifs: Bio.motifs computed locally with the same results as Biopython 1.88:
//! a motif from equal-length sequences (`motifs.create`: counts, position weight
//! matrix without pseudocounts, consensus, anticonsensus, degenerate consensus) and
//! the DNA/RNA reverse complements (`Bio.Seq.reverse_complement[_rna]`).
//!
//! Input rules (beyond the schema): motif sequences are any text (Biopython takes the
//! strings as they are: lengths count characters, letters are counted over the UTF-8
//! bytes, and characters outside the chosen alphabet, lower case included, are not
//! counted); the sequences to reverse complement are ASCII, as Biopython's Seq
//! requires (characters it does not pair are kept). Size caps: the sequences take at
//! most 10 MB as JSON text in all (10,000,000 sequence letters), and a motif is at
//! most 20,000 positions long (so that its matrices fit the 16 MiB output cap).

use bio_core::alphabet::{check_seq_text, json_len};
use bio_core::nucleotide;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};


#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[schemars(inline)]
pub enum Alphabet {
    #[serde(rename = "ACGT")]
    Dna,
    #[serde(rename = "ACGU")]
    Rna,
    #[serde(rename = "ACDEFGHIKLMNPQRSTVWY")]
    Protein,
}

impl Alphabet {
    fn letters(self) -> &'static [u8] {
        match self {
            Alphabet::Dna => b"ACGT",
            Alphabet::Rna => b"ACGU",
            Alphabet::Protein => b"ACDEFGHIKLMNPQRSTVWY",
        }
    }
}

fn default_alphabet() -> Alphabet {
    Alphabet::Dna
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Aligned instances of the motif, all of the same length, at most 20,000 (e.g. ['ACGT', 'ACGT', 'ACTT']). Characters outside the alphabet (lower case included) are not counted.
    #[schemars(length(min = 2), inner(length(min = 1)))]
    pub sequences: Vec<String>,
    /// Alphabet of the motif: 'ACGT' (DNA), 'ACGU' (RNA) or 'ACDEFGHIKLMNPQRSTVWY' (protein).
    #[serde(default = "default_alphabet")]
    pub alphabet: Alphabet,
}

#[derive(Serialize, JsonSchema)]
pub struct CreateOutput {
    /// The alphabet used.
    pub alphabet: Alphabet,
    /// Motif length (columns).
    pub length: u64,
    /// Number of sequences.
    pub num_sequences: u64,
    /// Count of each alphabet letter at each position, in alphabet order.
    pub counts: serde_json::Map<String, serde_json::Value>,
    /// Position weight matrix: counts divided by the column total (no pseudocounts), in alphabet order.
    pub pwm: serde_json::Map<String, serde_json::Value>,
    /// Most frequent letter at each position (the first in alphabet order on ties).
    pub consensus: String,
    /// Least frequent letter at each position (the first in alphabet order on ties).
    pub anticonsensus: String,
    /// Degenerate consensus by Cavener's rules (IUPAC codes for nucleotides; for proteins, Biopython writes the letters of the group).
    pub degenerate_consensus: String,
}

/// The Cavener-rule key as Bio.motifs spells it.
fn degenerate(key: &str) -> String {
    let table: &[(&str, &str)] = &[
        ("AC", "M"),
        ("AG", "R"),
        ("AT", "W"),
        ("AU", "W"),
        ("CG", "S"),
        ("CT", "Y"),
        ("CU", "Y"),
        ("GT", "K"),
        ("GU", "K"),
        ("ACG", "V"),
        ("ACT", "H"),
        ("ACU", "H"),
        ("AGT", "D"),
        ("AGU", "D"),
        ("CGT", "B"),
        ("CGU", "B"),
        ("ACGT", "N"),
        ("ACGU", "N"),
    ];
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| key.to_string())
}

fn sorted_key(letters: &[u8]) -> String {
    let mut v = letters.to_vec();
    v.sort_unstable();
    String::from_utf8(v).expect("ASCII")
}

pub struct Create;

/// The longest motif (columns): 20 letters x 20,000 columns of counts and weights fit
/// the 16 MiB output cap.
const MAX_MOTIF: usize = 20_000;

impl Tool for Create {
    const NAME: &'static str = "motifs_create";
    const DESCRIPTION: &'static str = "Build a sequence motif from aligned instances, as Biopython's motifs.create does: \
        per-position letter counts, the position weight matrix, consensus, anticonsensus and degenerate \
        (IUPAC) consensus.";
    type Args = CreateArgs;
    type Output = CreateOutput;

    async fn run(a: CreateArgs) -> Result<CreateOutput, ToolError> {
        let total: usize = a.sequences.iter().map(|s| json_len(s)).sum();
        if total > bio_core::MAX_SEQUENCE_LEN {
            return Err(ToolError::InvalidArgs(format!(
                "the sequences take {total} bytes as JSON text in all; the limit is {} bytes (10 MB, \
                 10,000,000 sequence letters), so that the call fits the sandbox's memory limit",
                bio_core::MAX_SEQUENCE_LEN
            )));
        }
        // Lengths count characters, as Python's do.
        let lengths: Vec<usize> = a.sequences.iter().map(|s| s.chars().count()).collect();
        let length = lengths.first().copied().unwrap_or(0);
        if length > MAX_MOTIF {
            return Err(ToolError::InvalidArgs(format!(
                "the motif is {length} positions long; the limit is {MAX_MOTIF} (its matrices must fit the output)"
            )));
        }
        if let Some(n) = lengths.iter().find(|&&n| n != length) {
            return Err(ToolError::InvalidArgs(format!(
                "all sequences must have the same length: the first is {length} long, another {n} \
                 (Biopython raises)"
            )));
        }
        let letters = a.alphabet.letters();
        // counts[l][i]
        let mut counts = vec![vec![0u64; length]; letters.len()];
        let mut index = [usize::MAX; 256];
        for (j, &l) in letters.iter().enumerate() {
            index[l as usize] = j;
        }
        // Biopython's Alignment.frequencies counts the first `length` bytes of each
        // sequence's UTF-8 text, byte i at position i (the same as its characters when
        // the text is ASCII; after a non-ASCII character the bytes run ahead).
        for s in &a.sequences {
            for (i, &b) in s.as_bytes().iter().take(length).enumerate() {
                let j = index[b as usize];
                if j != usize::MAX {
                    counts[j][i] += 1;
                }
            }
        }
        let mut consensus = String::new();
        let mut anticonsensus = String::new();
        let mut degenerate_consensus = String::new();
        let mut pwm = vec![vec![0f64; length]; letters.len()];
        for i in 0..length {
            let col: Vec<u64> = counts.iter().map(|r| r[i]).collect();
            let sum = col.iter().fold(0.0f64, |acc, &c| acc + c as f64);
            if sum == 0.0 {
                return Err(ToolError::InvalidArgs(format!(
                    "position {i} holds no letter of the alphabet {}: its weights are undefined (Biopython divides by zero)",
                    String::from_utf8_lossy(letters)
                )));
            }
            for j in 0..letters.len() {
                pwm[j][i] = col[j] as f64 / sum;
            }
            let (mut best, mut worst) = (0usize, 0usize);
            for j in 1..letters.len() {
                if col[j] > col[best] {
                    best = j;
                }
                if col[j] < col[worst] {
                    worst = j;
                }
            }
            consensus.push(letters[best] as char);
            anticonsensus.push(letters[worst] as char);
            // Letters by descending count, ties in alphabet order (a stable sort).
            let mut order: Vec<usize> = (0..letters.len()).collect();
            order.sort_by(|&x, &y| col[y].cmp(&col[x]));
            let c: Vec<u64> = order.iter().map(|&j| col[j]).collect();
            let l: Vec<u8> = order.iter().map(|&j| letters[j]).collect();
            let all: u64 = c.iter().sum();
            let rest: u64 = c[1..].iter().sum();
            let key = if c[0] > rest && c[0] > 2 * c[1] {
                (l[0] as char).to_string()
            } else if 4 * (c[0] + c[1]) > 3 * all {
                sorted_key(&l[..2])
            } else if c[3] == 0 {
                sorted_key(&l[..3])
            } else {
                "ACGT".to_string()
            };
            degenerate_consensus.push_str(&degenerate(&key));
        }
        let as_map = |rows: Vec<serde_json::Value>| -> serde_json::Map<String, serde_json::Value> {
            letters
                .iter()
                .map(|&l| (l as char).to_string())
                .zip(rows)
                .collect()
        };
        Ok(CreateOutput {
            alphabet: a.alphabet,
            length: length as u64,
            num_sequences: a.sequences.len() as u64,
            counts: as_map(counts.into_iter().map(|r| serde_json::json!(r)).collect()),
            pwm: as_map(pwm.into_iter().map(|r| serde_json::json!(r)).collect()),
            consensus,
            anticonsensus,
            degenerate_consensus,
        })
    }
}

// ---------------------------------------------------------------------------

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnaArgs {
    /// DNA sequence, ASCII (IUPAC codes in either case are paired, U like T; every other character is kept), e.g. 'ATCG'. Case is kept.
    #[schemars(length(min = 1), extend("x-dive-type" = "dna_sequence"))]
    pub sequence: String,
    /// Compute it in place on a mutable sequence (Biopython's MutableSeq) rather than returning a new sequence; the result is the same.
    #[serde(default)]
    pub inplace: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct DnaOutput {
    /// The reverse complement (DNA).
    #[schemars(extend("x-dive-type" = "dna_sequence"))]
    pub reverse_complement: String,
    /// Whether it was computed in place.
    pub inplace: bool,
    /// Length of the result.
    pub length: u64,
}

pub struct ReverseComplement;

impl Tool for ReverseComplement {
    const NAME: &'static str = "motifs_reverse_complement";
    const DESCRIPTION: &'static str = "Reverse complement of a DNA sequence with IUPAC ambiguity codes paired, \
        as Biopython's reverse_complement gives it (in place on a mutable sequence or as a new one).";
    type Args = DnaArgs;
    type Output = DnaOutput;

    async fn run(a: DnaArgs) -> Result<DnaOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let rc = nucleotide::reverse_complement(&a.sequence);
        Ok(DnaOutput {
            length: rc.len() as u64,
            reverse_complement: rc,
            inplace: a.inplace,
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RnaArgs {
    /// RNA sequence, ASCII (IUPAC codes in either case are paired, T like U; every other character is kept), e.g. 'AUCG'. Case is kept.
    #[schemars(length(min = 1), extend("x-dive-type" = "rna_sequence"))]
    pub sequence: String,
    /// Compute it in place on a mutable sequence (Biopython's MutableSeq) rather than returning a new sequence; the result is the same.
    #[serde(default)]
    pub inplace: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct RnaOutput {
    /// The reverse complement (RNA).
    #[schemars(extend("x-dive-type" = "rna_sequence"))]
    pub reverse_complement: String,
    /// Whether it was computed in place.
    pub inplace: bool,
    /// Length of the result.
    pub length: u64,
}

pub struct ReverseComplementRna;

impl Tool for ReverseComplementRna {
    const NAME: &'static str = "motifs_reverse_complement_rna";
    const DESCRIPTION: &'static str = "Reverse complement of an RNA sequence (A-U, C-G, IUPAC ambiguity codes \
        paired), as Biopython's reverse_complement_rna gives it (in place on a mutable sequence or as a new one).";
    type Args = RnaArgs;
    type Output = RnaOutput;

    async fn run(a: RnaArgs) -> Result<RnaOutput, ToolError> {
        check_seq_text("sequence", &a.sequence).map_err(ToolError::InvalidArgs)?;
        let rc = nucleotide::reverse_complement_rna(&a.sequence);
        Ok(RnaOutput {
            length: rc.len() as u64,
            reverse_complement: rc,
            inplace: a.inplace,
        })
    }
}

dive_tool_sdk::export_tools!(Create, ReverseComplement, ReverseComplementRna);
