//! restriction: Bio.Restriction computed locally with the same results as Biopython
//! 1.88, on its REBASE table (generated into data.rs by gen/gen_data.py, 1088
//! enzymes): site search and digestion of a linear sequence (`RE.search`,
//! `RE.catalyse`, Biopython's default topology), an enzyme's facts, and the list of
//! enzyme names.
//!
//! Input rules (beyond the schema): sequences hold upper-case A, C, G, T only (the
//! schema's pattern), at most 10,000,000 characters; enzyme names are exact,
//! case-sensitive Biopython names. An enzyme whose cut is unknown cannot digest
//! (Biopython raises). So that results fit the 16 MiB output cap, a search returns at
//! most 1,000,000 positions and a digestion at most 500,000 fragments.

mod compatible;
#[rustfmt::skip]
mod data;
mod enzyme;

use dive_tool_sdk::{Tool, ToolError};
use enzyme::{Cuts, Definition, Enzyme};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};


fn lookup(name: &str) -> Result<&'static Enzyme, ToolError> {
    data::ENZYMES
        .binary_search_by(|e| e.name.as_bytes().cmp(name.as_bytes()))
        .map(|i| &data::ENZYMES[i])
        .map_err(|_| {
            let near: Vec<&str> = data::ENZYMES
                .iter()
                .filter(|e| e.name.eq_ignore_ascii_case(name))
                .map(|e| e.name)
                .collect();
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!(" (names are case-sensitive: did you mean {}?)", near.join(", "))
            };
            ToolError::InvalidArgs(format!(
                "unknown restriction enzyme {name:?}{hint}; restriction_all_enzymes lists the {} names",
                data::ENZYMES.len()
            ))
        })
}

fn check_dna(seq: &str) -> Result<(), ToolError> {
    bio_core::alphabet::check_len("sequence", seq).map_err(ToolError::InvalidArgs)?;
    if seq.is_empty() {
        return Err(ToolError::InvalidArgs("sequence is empty".into()));
    }
    for (i, ch) in seq.chars().enumerate() {
        if !matches!(ch, 'A' | 'C' | 'G' | 'T') {
            return Err(ToolError::InvalidArgs(format!(
                "sequence: character {ch:?} at position {i} is not allowed; use upper-case A, C, G, T (the schema's pattern, from the catalog)"
            )));
        }
    }
    Ok(())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestArgs {
    /// Linear DNA sequence in upper-case A, C, G, T only, e.g. 'GAATTCATGAATTC'.
    #[schemars(length(min = 1), regex(pattern = "^[ATCG]+$"), extend("x-dive-type" = "dna_sequence"))]
    pub sequence: String,
    /// Enzyme name exactly as in Biopython's REBASE table (case-sensitive), e.g. 'EcoRI', 'BamHI', 'HindIII', 'NotI'.
    #[schemars(length(min = 1), extend("x-dive-type" = "enzyme_name"))]
    pub enzyme_name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct SearchOutput {
    /// The enzyme.
    #[schemars(extend("x-dive-type" = "enzyme_name"))]
    pub enzyme: String,
    /// Its recognition site (IUPAC).
    pub site: String,
    /// 1-based position of the first base after each cut on the given strand, as Biopython's search returns them (cuts that fall outside the linear sequence are dropped; for enzymes with an unknown cut, the start of each site).
    pub positions: Vec<i64>,
    /// Number of positions.
    pub count: u64,
    /// Length of the sequence.
    pub sequence_length: u64,
}

pub struct Search;

/// The most cut positions returned.
const MAX_POSITIONS: usize = 1_000_000;

impl Tool for Search {
    const NAME: &'static str = "restriction_search";
    const DESCRIPTION: &'static str = "Find where a restriction enzyme cuts a linear DNA sequence, on both strands, \
        as Biopython's Restriction search does; positions are 1-based, the first base after each cut.";
    type Args = DigestArgs;
    type Output = SearchOutput;

    async fn run(a: DigestArgs) -> Result<SearchOutput, ToolError> {
        check_dna(&a.sequence)?;
        let e = lookup(&a.enzyme_name)?;
        let positions = e.search(&a.sequence).map_err(ToolError::InvalidArgs)?;
        if positions.len() > MAX_POSITIONS {
            return Err(ToolError::InvalidArgs(format!(
                "{} cuts: more than {MAX_POSITIONS} (the result must fit the 16 MiB output cap); search a shorter sequence",
                positions.len()
            )));
        }
        Ok(SearchOutput {
            enzyme: e.name.to_string(),
            site: e.site.to_string(),
            count: positions.len() as u64,
            positions,
            sequence_length: a.sequence.len() as u64,
        })
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CatalyseOutput {
    /// The enzyme.
    #[schemars(extend("x-dive-type" = "enzyme_name"))]
    pub enzyme: String,
    /// The fragments of the top strand in order, as Biopython's catalyse returns them (the whole sequence when the enzyme does not cut).
    #[schemars(extend("x-dive-type" = "dna_sequence"))]
    pub fragments: Vec<String>,
    /// Length of each fragment.
    pub lengths: Vec<u64>,
    /// Number of fragments.
    pub count: u64,
}

/// The most fragments returned.
const MAX_FRAGMENTS: usize = 500_000;

pub struct Catalyse;

impl Tool for Catalyse {
    const NAME: &'static str = "restriction_catalyse";
    const DESCRIPTION: &'static str =
        "Digest a linear DNA sequence with a restriction enzyme in silico, as Biopython's \
        Restriction catalyse does, and return the fragments in order with their lengths.";
    type Args = DigestArgs;
    type Output = CatalyseOutput;

    async fn run(a: DigestArgs) -> Result<CatalyseOutput, ToolError> {
        check_dna(&a.sequence)?;
        let e = lookup(&a.enzyme_name)?;
        let fragments = e.catalyse(&a.sequence, MAX_FRAGMENTS).map_err(ToolError::InvalidArgs)?;
        Ok(CatalyseOutput {
            enzyme: e.name.to_string(),
            lengths: fragments.iter().map(|f| f.len() as u64).collect(),
            count: fragments.len() as u64,
            fragments,
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InfoArgs {
    /// Enzyme name exactly as in Biopython's REBASE table (case-sensitive), e.g. 'EcoRI', 'BamHI', 'HindIII', 'NotI', 'XhoI'.
    #[schemars(length(min = 1), extend("x-dive-type" = "enzyme_name"))]
    pub enzyme_name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct InfoOutput {
    /// The enzyme.
    #[schemars(extend("x-dive-type" = "enzyme_name"))]
    pub name: String,
    /// Recognition site (IUPAC; two sites are separated by '|').
    pub site: String,
    /// Length of the recognition site.
    pub size: u64,
    /// First cut on the 5' (given) strand, relative to the start of the site; null when unknown.
    pub fst5: Option<i64>,
    /// First cut on the 3' (complementary) strand; null when unknown.
    pub fst3: Option<i64>,
    /// Second cut on the given strand (enzymes that cut twice); null otherwise.
    pub scd5: Option<i64>,
    /// Second cut on the complementary strand; null otherwise.
    pub scd3: Option<i64>,
    /// Overhang length (negative for 5' overhangs, 0 blunt); null when unknown.
    pub ovhg: Option<i64>,
    /// Overhang sequence; null when unknown.
    pub ovhgseq: Option<String>,
    /// "5' overhang", "3' overhang", "blunt" or "unknown".
    pub overhang: String,
    /// The site equals its reverse complement.
    pub is_palindromic: bool,
    /// Cuts once on each strand.
    pub cut_once: bool,
    /// Cuts twice on each strand.
    pub cut_twice: bool,
    /// Site and cut are fully determined.
    pub is_defined: bool,
    /// The site or the cut involves ambiguity.
    pub is_ambiguous: bool,
    /// The cut is not characterised.
    pub is_unknown: bool,
    /// The site can be methylated.
    pub is_methylable: bool,
    /// Sold by at least one supplier.
    pub is_commercially_available: bool,
    /// Supplier names in Biopython's supplier order.
    pub suppliers: Vec<String>,
    /// REBASE supplier codes.
    pub supplier_codes: Vec<String>,
    /// Expected cutting frequency: one site per this many bases.
    pub frequency: f64,
    /// REBASE enzyme id (null for the few enzymes without one).
    pub rebase_id: Option<u64>,
    /// Enzymes whose ends can be ligated to this one's (Biopython's compatible_end()):
    /// every blunt cutter for a blunt cutter, the 5' or 3' cutters with a matching
    /// overhang for an overhang, none when the ends are unknown; by site size, then name.
    pub compatible_ends: Vec<String>,
}

pub struct EnzymeInfo;

impl Tool for EnzymeInfo {
    const NAME: &'static str = "restriction_enzyme_info";
    const DESCRIPTION: &'static str = "Facts about one restriction enzyme from Biopython's REBASE table: recognition \
        site, cut positions on both strands, overhang, palindromy, methylation sensitivity, frequency, suppliers \
        and the enzymes with compatible ends.";
    type Args = InfoArgs;
    type Output = InfoOutput;

    async fn run(a: InfoArgs) -> Result<InfoOutput, ToolError> {
        let e = lookup(&a.enzyme_name)?;
        Ok(InfoOutput {
            name: e.name.to_string(),
            site: e.site.to_string(),
            size: e.size as u64,
            fst5: e.fst5,
            fst3: e.fst3,
            scd5: e.scd5,
            scd3: e.scd3,
            ovhg: e.ovhg,
            ovhgseq: e.ovhgseq.map(str::to_string),
            overhang: e.overhang().to_string(),
            is_palindromic: e.palindromic,
            cut_once: e.cuts == Cuts::OneCut,
            cut_twice: e.cuts == Cuts::TwoCuts,
            is_defined: e.definition == Definition::Defined,
            is_ambiguous: e.definition == Definition::Ambiguous,
            is_unknown: e.definition == Definition::NotDefined,
            is_methylable: e.methylable,
            is_commercially_available: e.commercial,
            suppliers: data::SUPPLIERS
                .iter()
                .filter(|(c, _)| e.suppl.as_bytes().contains(c))
                .map(|(_, n)| n.to_string())
                .collect(),
            supplier_codes: e.suppl.chars().map(|c| c.to_string()).collect(),
            frequency: e.freq,
            rebase_id: e.id,
            compatible_ends: compatible::compatible_ends(e)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
    }
}

fn default_limit() -> u64 {
    100
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct AllArgs {
    /// Most names to return (1-1088), in alphabetical (byte) order.
    #[serde(default = "default_limit", deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1, max = 1088))]
    pub limit: u64,
    /// Keep only names containing this text, case-insensitively (e.g. 'Eco').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub search_pattern: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct AllOutput {
    /// Enzyme names, sorted, at most `limit`.
    #[schemars(extend("x-dive-type" = "enzyme_name"))]
    pub enzymes: Vec<String>,
    /// Number of names returned.
    pub count: u64,
    /// Number of names that match the pattern (before the limit).
    pub total_matching: u64,
    /// Number of enzymes in the table.
    pub total: u64,
}

pub struct AllEnzymes;

impl Tool for AllEnzymes {
    const NAME: &'static str = "restriction_all_enzymes";
    const DESCRIPTION: &'static str =
        "List the restriction enzymes of Biopython's REBASE table (1088) in alphabetical \
        order, optionally filtered by a case-insensitive name substring.";
    type Args = AllArgs;
    type Output = AllOutput;

    async fn run(a: AllArgs) -> Result<AllOutput, ToolError> {
        let pattern = a.search_pattern.as_deref().unwrap_or("").to_lowercase();
        let matching: Vec<&str> = data::ENZYMES
            .iter()
            .map(|e| e.name)
            .filter(|n| n.to_lowercase().contains(&pattern))
            .collect();
        let limit = usize::try_from(a.limit).unwrap_or(usize::MAX);
        let enzymes: Vec<String> = matching.iter().take(limit).map(|n| n.to_string()).collect();
        Ok(AllOutput {
            count: enzymes.len() as u64,
            enzymes,
            total_matching: matching.len() as u64,
            total: data::ENZYMES.len() as u64,
        })
    }
}

dive_tool_sdk::export_tools!(Search, Catalyse, EnzymeInfo, AllEnzymes);
