//! codon_table: the NCBI genetic codes as Biopython 1.88 holds them
//! (`Bio.Data.CodonTable.unambiguous_dna_by_id`): names, start and stop codons, the
//! forward table (codon -> amino acid) and Biopython's back table (amino acid -> one
//! codon).

use bio_core::codon::{back_table, known_ids, table_by_id, tables};
use bio_core::data::CodonTableData;
use bio_core::{string_map, JsonMap};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn yes() -> bool {
    true
}

/// One genetic code.
#[derive(Serialize, JsonSchema)]
pub struct CodonTableOutput {
    /// NCBI genetic code id.
    #[schemars(extend("x-dive-type" = "codon_table_id"))]
    pub id: u32,
    /// Primary name (the first of `names`).
    pub name: String,
    /// Every name Biopython gives the table, e.g. ["Standard", "SGC0"].
    pub names: Vec<String>,
    /// Codons that can start translation, in Biopython's order (DNA letters).
    pub start_codons: Vec<String>,
    /// Stop codons, in Biopython's order (DNA letters).
    pub stop_codons: Vec<String>,
    /// Codon -> amino acid for every codon that codes (stop codons are absent unless the table also lets them code for an amino acid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub forward_table: Option<JsonMap>,
    /// Amino acid -> one codon for it (Biopython's choice: the last in sorted order); the key "*" holds the stop codon Biopython uses (the first of `stop_codons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub back_table: Option<JsonMap>,
}

fn describe(t: &CodonTableData, forward: bool, back: bool) -> CodonTableOutput {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    CodonTableOutput {
        id: u32::from(t.id),
        name: t.names[0].to_string(),
        names: strings(t.names),
        start_codons: strings(t.start_codons),
        stop_codons: strings(t.stop_codons),
        forward_table: forward.then(|| string_map(t.forward.iter().copied())),
        back_table: back.then(|| {
            let mut m = string_map(back_table(t));
            m.insert("*".into(), t.stop_codons[0].into());
            m
        }),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardArgs {
    /// Include the forward table (codon -> amino acid).
    #[serde(default = "yes")]
    pub include_forward_table: bool,
    /// Include the back table (amino acid -> one codon), e.g. for back-translation.
    #[serde(default)]
    pub include_back_table: bool,
}

pub struct Standard;

impl Tool for Standard {
    const NAME: &'static str = "codon_table_standard";
    const DESCRIPTION: &'static str =
        "The standard genetic code (NCBI table 1): its start and stop codons and, on \
        request, the codon-to-amino-acid table and Biopython's amino-acid-to-codon back table.";
    type Args = StandardArgs;
    type Output = CodonTableOutput;

    async fn run(a: StandardArgs) -> Result<CodonTableOutput, ToolError> {
        let t =
            table_by_id(1).ok_or_else(|| ToolError::internal("the standard table is missing"))?;
        Ok(describe(t, a.include_forward_table, a.include_back_table))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = bio_core::schema::plain_integers)]
pub struct ByIdArgs {
    /// NCBI genetic code id, e.g. 1 Standard, 2 Vertebrate Mitochondrial, 3 Yeast Mitochondrial, 11 Bacterial, Archaeal and Plant Plastid. Ids 7, 8 and 17-20 are not assigned.
    #[serde(deserialize_with = "bio_core::de::int")]
    #[schemars(range(min = 1, max = 27), extend("x-dive-type" = "codon_table_id"))]
    pub table_id: u32,
    /// Include the forward table (codon -> amino acid).
    #[serde(default = "yes")]
    pub include_forward_table: bool,
    /// Include the back table (amino acid -> one codon).
    #[serde(default)]
    pub include_back_table: bool,
}

pub struct ById;

impl Tool for ById {
    const NAME: &'static str = "codon_table_by_id";
    const DESCRIPTION: &'static str = "One NCBI genetic code by id (mitochondrial, plastid, ciliate and other \
        alternative codes): names, start and stop codons, and optionally its forward and back tables.";
    type Args = ByIdArgs;
    type Output = CodonTableOutput;

    async fn run(a: ByIdArgs) -> Result<CodonTableOutput, ToolError> {
        let t = table_by_id(a.table_id).ok_or_else(|| {
            ToolError::invalid(format!(
                "there is no genetic code table {}; the NCBI tables are {}",
                a.table_id,
                known_ids()
            ))
        })?;
        Ok(describe(t, a.include_forward_table, a.include_back_table))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Also give each table's start and stop codons.
    #[serde(default = "yes")]
    pub include_details: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct TableSummary {
    /// NCBI genetic code id.
    #[schemars(extend("x-dive-type" = "codon_table_id"))]
    pub id: u32,
    /// Primary name.
    pub name: String,
    /// Every name Biopython gives the table.
    pub names: Vec<String>,
    /// Start codons (with include_details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub start_codons: Option<Vec<String>>,
    /// Stop codons (with include_details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub stop_codons: Option<Vec<String>>,
}

#[derive(Serialize, JsonSchema)]
pub struct ListOutput {
    /// Number of tables.
    pub count: u64,
    /// The tables, by id.
    pub tables: Vec<TableSummary>,
}

pub struct List;

impl Tool for List {
    const NAME: &'static str = "codon_table_list";
    const DESCRIPTION: &'static str =
        "Every NCBI genetic code Biopython knows (27 tables), with ids and names and, \
        unless turned off, their start and stop codons, to compare codes across organisms.";
    type Args = ListArgs;
    type Output = ListOutput;

    async fn run(a: ListArgs) -> Result<ListOutput, ToolError> {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let tables: Vec<TableSummary> = tables()
            .iter()
            .map(|t| TableSummary {
                id: u32::from(t.id),
                name: t.names[0].to_string(),
                names: strings(t.names),
                start_codons: a.include_details.then(|| strings(t.start_codons)),
                stop_codons: a.include_details.then(|| strings(t.stop_codons)),
            })
            .collect();
        Ok(ListOutput {
            count: tables.len() as u64,
            tables,
        })
    }
}

dive_tool_sdk::export_tools!(Standard, ById, List);
