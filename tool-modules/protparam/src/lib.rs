//! protparam: Bio.SeqUtils.ProtParam.ProteinAnalysis computed locally with the same
//! results as Biopython 1.88: molecular weight (average masses), isoelectric point
//! (Bio.SeqUtils.IsoelectricPoint bisection), aromaticity, instability index, GRAVY
//! (Kyte-Doolittle), composition, secondary-structure fractions and extinction
//! coefficients. Every sum is taken in Biopython's order with Biopython's data
//! (generated into data.rs by gen/gen_data.py), so the floats are the same.
//!
//! Input rules: the 20 standard amino acids in upper case (the schema's pattern), at
//! most 10,000,000 characters.

#[rustfmt::skip]
mod data;

use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;


#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProteinArgs {
    /// Protein sequence in one-letter codes, upper case, standard 20 amino acids only (e.g. 'MKTAYIAKQR').
    #[schemars(length(min = 1), regex(pattern = "^[ACDEFGHIKLMNPQRSTVWY]+$"), extend("x-dive-type" = "protein_sequence"))]
    pub sequence: String,
}

/// The sequence as a checked byte string.
fn protein(seq: &str) -> Result<&[u8], ToolError> {
    bio_core::alphabet::check_len("sequence", seq).map_err(ToolError::InvalidArgs)?;
    if seq.is_empty() {
        return Err(ToolError::InvalidArgs("sequence is empty".into()));
    }
    for (i, ch) in seq.chars().enumerate() {
        if !(ch.is_ascii() && data::PROTEIN_LETTERS.contains(&(ch as u8))) {
            return Err(ToolError::InvalidArgs(format!(
                "sequence: character {ch:?} at position {i} is not one of the 20 standard amino acids (ACDEFGHIKLMNPQRSTVWY, upper case: the schema's pattern, from the catalog)"
            )));
        }
    }
    Ok(seq.as_bytes())
}

/// ProteinAnalysis.count_amino_acids: counts indexed by byte.
fn counts(seq: &[u8]) -> [u64; 256] {
    let mut c = [0u64; 256];
    for &b in seq {
        c[b as usize] += 1;
    }
    c
}

/// ProteinAnalysis.amino_acids_percent[aa] = count * 100 / length.
fn percent(c: &[u64; 256], aa: u8, len: usize) -> f64 {
    (c[aa as usize] * 100) as f64 / len as f64
}

/// sum(percent[aa] / 100 for aa in letters), in Python's order (starting from 0).
fn fraction(c: &[u64; 256], letters: &[u8], len: usize) -> f64 {
    letters
        .iter()
        .fold(0.0, |acc, &aa| acc + percent(c, aa, len) / 100.0)
}

/// Bio.SeqUtils.molecular_weight(seq, "protein"): the residue masses summed in order,
/// less one water per peptide bond.
fn molecular_weight(seq: &[u8]) -> f64 {
    let mut table = [0.0f64; 256];
    for &(k, v) in data::PROTEIN_WEIGHTS {
        table[k as usize] = v;
    }
    let total = seq.iter().fold(0.0, |acc, &b| acc + table[b as usize]);
    total - (seq.len() as f64 - 1.0) * data::WATER
}

fn aromaticity(c: &[u64; 256], len: usize) -> f64 {
    fraction(c, b"YWF", len)
}

fn instability_index(seq: &[u8]) -> f64 {
    let mut idx = [0usize; 256];
    for (i, &l) in data::DIWV_LETTERS.iter().enumerate() {
        idx[l as usize] = i;
    }
    let mut score = 0.0;
    for w in seq.windows(2) {
        score += data::DIWV[idx[w[0] as usize]][idx[w[1] as usize]];
    }
    (10.0 / seq.len() as f64) * score
}

fn gravy(seq: &[u8]) -> f64 {
    let mut table = [0.0f64; 256];
    for &(k, v) in data::KYTE_DOOLITTLE {
        table[k as usize] = v;
    }
    let total = seq.iter().fold(0.0, |acc, &b| acc + table[b as usize]);
    total / seq.len() as f64
}

/// Normalized flexibility parameters (B-values) of Vihinen, Torkkila and Riikonen,
/// Proteins 19:141-149 (1994), as Biopython's ProtParamData.Flex holds them.
const FLEX: [(u8, f64); 20] = [
    (b'A', 0.984),
    (b'C', 0.906),
    (b'E', 1.094),
    (b'D', 1.068),
    (b'G', 1.031),
    (b'F', 0.915),
    (b'I', 0.927),
    (b'H', 0.950),
    (b'K', 1.102),
    (b'M', 0.952),
    (b'L', 0.935),
    (b'N', 1.048),
    (b'Q', 1.037),
    (b'P', 1.049),
    (b'S', 1.046),
    (b'R', 1.008),
    (b'T', 0.997),
    (b'W', 0.904),
    (b'V', 0.931),
    (b'Y', 0.929),
];

/// Window length and the weights of the window's outer pairs, outermost first.
const FLEX_WINDOW: usize = 9;
const FLEX_WEIGHTS: [f64; 4] = [0.25, 0.4375, 0.625, 0.8125];
/// The sum of all weights (both sides of each pair, plus 1 for the centre).
const FLEX_NORM: f64 = 5.25;
/// Longest sequence whose profile is returned (about 2 MB of JSON at this length).
const FLEX_MAX_RESIDUES: usize = 100_000;

/// ProteinAnalysis.flexibility, summed in Biopython's order so the values are the same
/// floats: windows starting at 0 .. length - 9 (the last window is left out, as there),
/// pairs (j, 8 - j) weighted, then the residue at index 5 with weight 1.
fn flexibility(seq: &[u8]) -> Vec<f64> {
    let mut table = [0.0f64; 256];
    for (k, v) in FLEX {
        table[k as usize] = v;
    }
    let windows = seq.len().saturating_sub(FLEX_WINDOW);
    (0..windows)
        .map(|i| {
            let w = &seq[i..i + FLEX_WINDOW];
            let mut score = 0.0f64;
            for (j, weight) in FLEX_WEIGHTS.iter().enumerate() {
                score += (table[w[j] as usize] + table[w[FLEX_WINDOW - j - 1] as usize]) * weight;
            }
            score += table[w[FLEX_WINDOW / 2 + 1] as usize];
            score / FLEX_NORM
        })
        .collect()
}

fn pk(table: &[(&str, f64)], key: &str) -> Option<f64> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Bio.SeqUtils.IsoelectricPoint: charge at a pH and the bisection for the pI.
struct Isoelectric {
    pos: Vec<(f64, f64)>,
    neg: Vec<(f64, f64)>,
}

impl Isoelectric {
    fn new(seq: &[u8], c: &[u64; 256]) -> Isoelectric {
        let content = |key: &str| -> f64 {
            match key {
                "Nterm" | "Cterm" => 1.0,
                _ => c[key.as_bytes()[0] as usize] as f64,
            }
        };
        let nterm = (seq[0] as char).to_string();
        let cterm = (seq[seq.len() - 1] as char).to_string();
        let pos = data::POSITIVE_PKS
            .iter()
            .map(|&(k, v)| {
                let v = if k == "Nterm" {
                    pk(data::PK_NTERMINAL, &nterm).unwrap_or(v)
                } else {
                    v
                };
                (content(k), v)
            })
            .collect();
        let neg = data::NEGATIVE_PKS
            .iter()
            .map(|&(k, v)| {
                let v = if k == "Cterm" {
                    pk(data::PK_CTERMINAL, &cterm).unwrap_or(v)
                } else {
                    v
                };
                (content(k), v)
            })
            .collect();
        Isoelectric { pos, neg }
    }

    fn charge_at_ph(&self, ph: f64) -> f64 {
        let mut positive = 0.0;
        for &(n, pk) in &self.pos {
            positive += n * (1.0 / (10f64.powf(ph - pk) + 1.0));
        }
        let mut negative = 0.0;
        for &(n, pk) in &self.neg {
            negative += n * (1.0 / (10f64.powf(pk - ph) + 1.0));
        }
        positive - negative
    }

    fn pi(&self) -> f64 {
        let (mut ph, mut min, mut max) = (7.775f64, 4.05f64, 12.0f64);
        loop {
            let charge = self.charge_at_ph(ph);
            if max - min > 0.0001 {
                if charge > 0.0 {
                    min = ph;
                } else {
                    max = ph;
                }
                ph = (min + max) / 2.0;
            } else {
                return ph;
            }
        }
    }
}

// ---------------------------------------------------------------------------

#[derive(Serialize, JsonSchema)]
pub struct SecondaryStructure {
    /// Fraction of residues that favour helices (E, M, A, L, K).
    pub helix: f64,
    /// Fraction of residues that favour turns (N, P, G, S, D).
    pub turn: f64,
    /// Fraction of residues that favour sheets (V, I, Y, F, W, L, T).
    pub sheet: f64,
}

#[derive(Serialize, JsonSchema)]
pub struct Extinction {
    /// Molar extinction coefficient at 280 nm with all cysteines reduced (M^-1 cm^-1).
    pub reduced: u64,
    /// The same with cysteine pairs forming cystines.
    pub cystines: u64,
}

#[derive(Serialize, JsonSchema)]
pub struct AnalysisOutput {
    /// Number of residues.
    pub length: u64,
    /// Average molecular weight in daltons.
    pub molecular_weight: f64,
    /// Isoelectric point (pH of zero net charge).
    pub isoelectric_point: f64,
    /// Relative frequency of F + W + Y (Lobry 1994).
    pub aromaticity: f64,
    /// Instability index (Guruprasad et al. 1990); above 40 suggests an unstable protein.
    pub instability_index: f64,
    /// Grand average of hydropathy on the Kyte-Doolittle scale.
    pub gravy: f64,
    /// Count of each standard amino acid, alphabetically.
    pub amino_acid_counts: BTreeMap<String, u64>,
    /// Percentage (0-100) of each standard amino acid, alphabetically.
    pub amino_acid_percent: BTreeMap<String, f64>,
    /// Helix, turn and sheet fractions.
    pub secondary_structure_fraction: SecondaryStructure,
    /// Molar extinction coefficients.
    pub molar_extinction_coefficient: Extinction,
    /// Flexibility profile (Vihinen et al. 1994): one score per 9-residue window, as
    /// Biopython's ProteinAnalysis.flexibility gives it (length - 9 windows, none for 9
    /// residues or fewer; its centre weight falls on the window's sixth residue). Null
    /// above 100,000 residues, where the profile alone would outgrow the tool's memory
    /// and output limits.
    pub flexibility: Option<Vec<f64>>,
}

pub struct Analysis;

impl Tool for Analysis {
    const NAME: &'static str = "protparam_analysis";
    const DESCRIPTION: &'static str = "Full ProtParam-style profile of a protein, as Biopython's ProteinAnalysis computes it: \
        molecular weight, isoelectric point, aromaticity, instability index, GRAVY, amino-acid counts and percentages, \
        helix/turn/sheet fractions, molar extinction coefficients and the flexibility profile.";
    type Args = ProteinArgs;
    type Output = AnalysisOutput;

    async fn run(a: ProteinArgs) -> Result<AnalysisOutput, ToolError> {
        let seq = protein(&a.sequence)?;
        let len = seq.len();
        let c = counts(seq);
        let letters = data::PROTEIN_LETTERS;
        Ok(AnalysisOutput {
            length: len as u64,
            molecular_weight: molecular_weight(seq),
            isoelectric_point: Isoelectric::new(seq, &c).pi(),
            aromaticity: aromaticity(&c, len),
            instability_index: instability_index(seq),
            gravy: gravy(seq),
            amino_acid_counts: letters
                .iter()
                .map(|&l| ((l as char).to_string(), c[l as usize]))
                .collect(),
            amino_acid_percent: letters
                .iter()
                .map(|&l| ((l as char).to_string(), percent(&c, l, len)))
                .collect(),
            secondary_structure_fraction: SecondaryStructure {
                helix: fraction(&c, b"EMALK", len),
                turn: fraction(&c, b"NPGSD", len),
                sheet: fraction(&c, b"VIYFWLT", len),
            },
            molar_extinction_coefficient: {
                let reduced = c[b'W' as usize] * 5500 + c[b'Y' as usize] * 1490;
                Extinction {
                    reduced,
                    cystines: reduced + (c[b'C' as usize] / 2) * 125,
                }
            },
            flexibility: (len <= FLEX_MAX_RESIDUES).then(|| flexibility(seq)),
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct WeightOutput {
    /// Average molecular weight in daltons.
    pub molecular_weight: f64,
    /// Number of residues.
    pub length: u64,
}

pub struct MolecularWeight;

impl Tool for MolecularWeight {
    const NAME: &'static str = "protparam_molecular_weight";
    const DESCRIPTION: &'static str = "Molecular weight of a protein in daltons from IUPAC average residue masses \
        (one water lost per peptide bond), as Biopython's ProteinAnalysis.molecular_weight gives it.";
    type Args = ProteinArgs;
    type Output = WeightOutput;

    async fn run(a: ProteinArgs) -> Result<WeightOutput, ToolError> {
        let seq = protein(&a.sequence)?;
        Ok(WeightOutput {
            molecular_weight: molecular_weight(seq),
            length: seq.len() as u64,
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct PiOutput {
    /// Isoelectric point: the pH at which the net charge is zero (bisection to 0.0001).
    pub isoelectric_point: f64,
    /// Number of residues.
    pub length: u64,
}

pub struct IsoelectricPoint;

impl Tool for IsoelectricPoint {
    const NAME: &'static str = "protparam_isoelectric_point";
    const DESCRIPTION: &'static str = "Isoelectric point of a protein from Henderson-Hasselbalch charges with \
        terminus-specific pK values, found by bisection exactly as Biopython's IsoelectricPoint.pi does.";
    type Args = ProteinArgs;
    type Output = PiOutput;

    async fn run(a: ProteinArgs) -> Result<PiOutput, ToolError> {
        let seq = protein(&a.sequence)?;
        let c = counts(seq);
        Ok(PiOutput {
            isoelectric_point: Isoelectric::new(seq, &c).pi(),
            length: seq.len() as u64,
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct AromaticityOutput {
    /// Relative frequency of phenylalanine, tryptophan and tyrosine (0-1).
    pub aromaticity: f64,
    /// Number of residues.
    pub length: u64,
}

pub struct Aromaticity;

impl Tool for Aromaticity {
    const NAME: &'static str = "protparam_aromaticity";
    const DESCRIPTION: &'static str =
        "Aromaticity of a protein (Lobry 1994): the combined relative frequency of \
        F, W and Y, as Biopython's ProteinAnalysis.aromaticity computes it.";
    type Args = ProteinArgs;
    type Output = AromaticityOutput;

    async fn run(a: ProteinArgs) -> Result<AromaticityOutput, ToolError> {
        let seq = protein(&a.sequence)?;
        let c = counts(seq);
        Ok(AromaticityOutput {
            aromaticity: aromaticity(&c, seq.len()),
            length: seq.len() as u64,
        })
    }
}

dive_tool_sdk::export_tools!(Analysis, MolecularWeight, IsoelectricPoint, Aromaticity);
