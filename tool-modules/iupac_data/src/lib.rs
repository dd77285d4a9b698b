//! iupac_data: IUPAC letter codes and molecular weights as Biopython 1.88 holds them
//! (`Bio.Data.IUPACData`), with every field DIVE's implementation returns.

mod atoms;

use atoms::ATOM_WEIGHTS;
use bio_core::data::*;
use bio_core::{string_map, JsonMap};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum SequenceType {
    Dna,
    Rna,
    Protein,
    All,
}

impl SequenceType {
    fn wants(self, t: SequenceType) -> bool {
        self == SequenceType::All || self == t
    }
}

fn all() -> SequenceType {
    SequenceType::All
}

fn yes() -> bool {
    true
}

// ---------------------------------------------------------------------------
// iupac_data_letters

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LettersArgs {
    /// Which alphabet to return: 'dna', 'rna', 'protein' or 'all' of them.
    #[serde(default = "all")]
    pub sequence_type: SequenceType,
    /// Also return the ambiguity codes (e.g. N = any base, R = A or G, B = D or N, X = any amino acid) with what each stands for.
    #[serde(default = "yes")]
    pub include_ambiguous: bool,
}

/// A nucleotide alphabet.
#[derive(Serialize, JsonSchema)]
pub struct NucleotideLetters {
    /// The four unambiguous bases, in Biopython's order (GATC / GAUC).
    pub letters: String,
    /// DNA only: Biopython's extended DNA alphabet, the four bases plus the modified
    /// nucleotides B (5-bromouridine), D (5,6-dihydrouridine), S (thiouridine) and
    /// W (wyosine). These letters mean modified bases here, not the IUPAC ambiguity codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub extended_letters: Option<String>,
    /// Base -> its Watson-Crick partner, for the letters returned (the ambiguity codes too when included, plus Biopython's historical X).
    #[schemars(with = "BTreeMap<String, String>")]
    pub complement: JsonMap,
    /// The IUPAC ambiguous alphabet (with include_ambiguous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub ambiguous_letters: Option<String>,
    /// Code -> the bases it stands for, e.g. R -> AG (with include_ambiguous; X is Biopython's historical synonym of N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub ambiguous_values: Option<JsonMap>,
}

/// The protein alphabet.
#[derive(Serialize, JsonSchema)]
pub struct ProteinLetters {
    /// The 20 standard amino acids.
    pub letters: String,
    /// One-letter -> three-letter code for the standard amino acids.
    #[schemars(with = "BTreeMap<String, String>")]
    pub three_letter_codes: JsonMap,
    /// Three-letter code (e.g. Ala) -> one-letter code, for the standard amino acids.
    #[schemars(with = "BTreeMap<String, String>")]
    pub one_letter_codes: JsonMap,
    /// The extended alphabet: adds B (Asx), X (any), Z (Glx), J (Xle), U (Sec) and O (Pyl).
    pub extended_letters: String,
    /// Code -> the amino acids it stands for (with include_ambiguous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub extended_values: Option<JsonMap>,
    /// One-letter -> three-letter code for the extended alphabet (with include_ambiguous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub extended_three_letter_codes: Option<JsonMap>,
    /// Three-letter code -> one-letter code for the extended alphabet, e.g. Sec -> U, Xaa -> X (with include_ambiguous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub extended_one_letter_codes: Option<JsonMap>,
}

#[derive(Serialize, JsonSchema)]
pub struct LettersOutput {
    /// The alphabet(s) asked for.
    pub sequence_type: SequenceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "NucleotideLetters")]
    pub dna: Option<NucleotideLetters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "NucleotideLetters")]
    pub rna: Option<NucleotideLetters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ProteinLetters")]
    pub protein: Option<ProteinLetters>,
}

/// Biopython's `extended_dna_letters`: GATC plus four modified nucleotides.
const EXTENDED_DNA_LETTERS: &str = "GATCBDSW";

/// Invert a one-letter -> three-letter table, as Biopython builds its `3to1` maps.
fn one_letter_codes(one_to_three: &[(&str, &str)]) -> JsonMap {
    string_map(one_to_three.iter().map(|(one, three)| (*three, *one)))
}

fn nucleotide_letters(
    letters: &str,
    extended: Option<&str>,
    ambiguous: &str,
    values: &[(&str, &str)],
    complement: &[(&str, &str)],
    include_ambiguous: bool,
) -> NucleotideLetters {
    let complement = complement
        .iter()
        .copied()
        .filter(|(k, _)| include_ambiguous || letters.contains(k));
    NucleotideLetters {
        letters: letters.to_string(),
        extended_letters: extended.map(str::to_string),
        complement: string_map(complement),
        ambiguous_letters: include_ambiguous.then(|| ambiguous.to_string()),
        ambiguous_values: include_ambiguous.then(|| string_map(values.iter().copied())),
    }
}

pub struct Letters;

impl Tool for Letters {
    const NAME: &'static str = "iupac_data_letters";
    const DESCRIPTION: &'static str = "The IUPAC one-letter alphabets for DNA, RNA and proteins: standard letters, \
        base complements, Biopython's extended DNA letters, amino acid one-/three-letter code tables and, optionally, the ambiguity codes and what they stand for.";
    type Args = LettersArgs;
    type Output = LettersOutput;

    async fn run(a: LettersArgs) -> Result<LettersOutput, ToolError> {
        let t = a.sequence_type;
        let amb = a.include_ambiguous;
        Ok(LettersOutput {
            sequence_type: t,
            dna: t.wants(SequenceType::Dna).then(|| {
                nucleotide_letters(
                    UNAMBIGUOUS_DNA_LETTERS,
                    Some(EXTENDED_DNA_LETTERS),
                    AMBIGUOUS_DNA_LETTERS,
                    AMBIGUOUS_DNA_VALUES,
                    AMBIGUOUS_DNA_COMPLEMENT,
                    amb,
                )
            }),
            rna: t.wants(SequenceType::Rna).then(|| {
                nucleotide_letters(
                    UNAMBIGUOUS_RNA_LETTERS,
                    None,
                    AMBIGUOUS_RNA_LETTERS,
                    AMBIGUOUS_RNA_VALUES,
                    AMBIGUOUS_RNA_COMPLEMENT,
                    amb,
                )
            }),
            protein: t.wants(SequenceType::Protein).then(|| ProteinLetters {
                letters: PROTEIN_LETTERS.to_string(),
                three_letter_codes: string_map(PROTEIN_LETTERS_1TO3.iter().copied()),
                one_letter_codes: one_letter_codes(PROTEIN_LETTERS_1TO3),
                extended_letters: EXTENDED_PROTEIN_LETTERS.to_string(),
                extended_values: amb.then(|| string_map(EXTENDED_PROTEIN_VALUES.iter().copied())),
                extended_three_letter_codes: amb
                    .then(|| string_map(PROTEIN_LETTERS_1TO3_EXTENDED.iter().copied())),
                extended_one_letter_codes: amb
                    .then(|| one_letter_codes(PROTEIN_LETTERS_1TO3_EXTENDED)),
            }),
        })
    }
}

// ---------------------------------------------------------------------------
// iupac_data_weights

#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum WeightType {
    Monoisotopic,
    Average,
    Both,
}

fn both() -> WeightType {
    WeightType::Both
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsArgs {
    /// Which letters to weigh: 'dna', 'rna', 'protein' or 'all' of them.
    #[serde(default = "all")]
    pub sequence_type: SequenceType,
    /// 'monoisotopic' (exact masses, for mass spectrometry), 'average' (natural isotope abundance) or 'both'.
    #[serde(default = "both")]
    pub weight_type: WeightType,
}

/// A weight range in daltons: `[lightest, heaviest]` of the letters a code stands for
/// (both the same for an unambiguous letter), as Biopython's `*_weight_ranges` tuples.
pub type WeightRange = [f64; 2];

/// Weights of one alphabet, in daltons (g/mol).
#[derive(Serialize, JsonSchema)]
pub struct Weights {
    /// Letter -> monoisotopic mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub monoisotopic: Option<JsonMap>,
    /// Letter -> average mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub average: Option<JsonMap>,
    /// Ambiguity code -> mean of the average masses of the letters it stands for (with average weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub ambiguous_average: Option<JsonMap>,
    /// Letter -> [average mass, average mass] (with average weights; Biopython's unambiguous weight ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, WeightRange>")]
    pub weight_ranges: Option<JsonMap>,
    /// Ambiguity code -> [lightest, heaviest] average mass of the letters it stands for
    /// (with average weights; for proteins, Biopython's extended weight ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, WeightRange>")]
    pub ambiguous_weight_ranges: Option<JsonMap>,
}

#[derive(Serialize, JsonSchema)]
pub struct WeightsOutput {
    /// The alphabet(s) asked for.
    pub sequence_type: SequenceType,
    /// The weight kind(s) asked for.
    pub weight_type: WeightType,
    /// Deoxynucleotide monophosphates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Weights")]
    pub dna: Option<Weights>,
    /// Ribonucleotide monophosphates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Weights")]
    pub rna: Option<Weights>,
    /// Free amino acids (U Sec and O Pyl included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Weights")]
    pub protein: Option<Weights>,
    /// Element symbol -> standard atomic weight in g/mol (sequence_type 'all' only, whatever the weight_type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub atoms: Option<JsonMap>,
}

fn weight_map(pairs: &[(&str, f64)]) -> JsonMap {
    pairs
        .iter()
        .map(|(k, w)| (k.to_string(), Value::from(*w)))
        .collect()
}

/// A range as JSON: `[lo, hi]`.
fn range_value(lo: f64, hi: f64) -> Value {
    Value::from(vec![lo, hi])
}

/// Biopython's `_make_ranges`: each letter's weight as a one-point range, in the
/// table's order.
fn point_ranges(weights: &[(&str, f64)]) -> JsonMap {
    weights
        .iter()
        .map(|(k, w)| (k.to_string(), range_value(*w, *w)))
        .collect()
}

/// The weights of the letters `code` stands for, in order; None when one of them has
/// no weight (Biopython skips such codes: U and O have no nucleotide weight).
fn code_weights(letters: &str, weights: &[(&str, f64)]) -> Option<Vec<f64>> {
    letters
        .chars()
        .map(|c| {
            weights
                .iter()
                .find(|(k, _)| k.starts_with(c))
                .map(|(_, w)| *w)
        })
        .collect()
}

/// Biopython's `_make_ambiguous_ranges` averages: for each code, the mean of the weights of the letters it stands for, summed in order from 0.0 (codes that stand for a single unweighed letter are skipped).
fn ambiguous_average(values: &[(&str, &str)], weights: &[(&str, f64)]) -> JsonMap {
    let mut out = JsonMap::new();
    for (code, letters) in values {
        let Some(ws) = code_weights(letters, weights) else {
            continue;
        };
        let mut total = 0.0f64;
        for w in &ws {
            total += w;
        }
        out.insert(code.to_string(), Value::from(total / ws.len() as f64));
    }
    out
}

/// Biopython's `_make_ambiguous_ranges` ranges: for each code, the lightest and the
/// heaviest weight of the letters it stands for (the same codes as the averages).
fn ambiguous_ranges(values: &[(&str, &str)], weights: &[(&str, f64)]) -> JsonMap {
    let mut out = JsonMap::new();
    for (code, letters) in values {
        let Some(ws) = code_weights(letters, weights) else {
            continue;
        };
        let lo = ws.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ws.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        out.insert(code.to_string(), range_value(lo, hi));
    }
    out
}

fn weights(
    wt: WeightType,
    average: &[(&str, f64)],
    mono: &[(&str, f64)],
    values: &[(&str, &str)],
) -> Weights {
    let want_avg = wt != WeightType::Monoisotopic;
    Weights {
        monoisotopic: (wt != WeightType::Average).then(|| weight_map(mono)),
        average: want_avg.then(|| weight_map(average)),
        ambiguous_average: want_avg.then(|| ambiguous_average(values, average)),
        weight_ranges: want_avg.then(|| point_ranges(average)),
        ambiguous_weight_ranges: want_avg.then(|| ambiguous_ranges(values, average)),
    }
}

pub struct WeightsTool;

impl Tool for WeightsTool {
    const NAME: &'static str = "iupac_data_weights";
    const DESCRIPTION: &'static str =
        "Molecular weights of DNA and RNA nucleotides and of amino acids, monoisotopic \
        and/or average (with averages and weight ranges for the ambiguity codes), plus atomic weights \
        of the elements with sequence_type 'all', from Biopython's IUPAC data.";
    type Args = WeightsArgs;
    type Output = WeightsOutput;

    async fn run(a: WeightsArgs) -> Result<WeightsOutput, ToolError> {
        let (t, wt) = (a.sequence_type, a.weight_type);
        Ok(WeightsOutput {
            sequence_type: t,
            weight_type: wt,
            dna: t.wants(SequenceType::Dna).then(|| {
                weights(
                    wt,
                    UNAMBIGUOUS_DNA_WEIGHTS,
                    MONOISOTOPIC_UNAMBIGUOUS_DNA_WEIGHTS,
                    AMBIGUOUS_DNA_VALUES,
                )
            }),
            rna: t.wants(SequenceType::Rna).then(|| {
                weights(
                    wt,
                    UNAMBIGUOUS_RNA_WEIGHTS,
                    MONOISOTOPIC_UNAMBIGUOUS_RNA_WEIGHTS,
                    AMBIGUOUS_RNA_VALUES,
                )
            }),
            protein: t.wants(SequenceType::Protein).then(|| {
                weights(
                    wt,
                    PROTEIN_WEIGHTS,
                    MONOISOTOPIC_PROTEIN_WEIGHTS,
                    EXTENDED_PROTEIN_VALUES,
                )
            }),
            atoms: (t == SequenceType::All).then(|| weight_map(ATOM_WEIGHTS)),
        })
    }
}

dive_tool_sdk::export_tools!(Letters, WeightsTool);
