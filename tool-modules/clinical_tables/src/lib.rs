//! The NLM Clinical Table Search Service (clinicaltables.nlm.nih.gov): ten tables, one
//! search API. Every table answers `GET /api/<table>/<version>/search?terms=...` with a
//! JSON array `[total, codes, extras|null, display_strings, code_systems?]`, which the
//! tools return as an object with named fields.

use dive_tool_sdk::http::{self, url_with_query};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const ORIGIN: &str = "https://clinicaltables.nlm.nih.gov";

/// A search result of the Clinical Table Search Service.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResult {
    /// How many items match on the server (may exceed the items returned).
    pub total: u64,
    /// The code of each returned item, in order.
    pub codes: Vec<String>,
    /// The display strings of each returned item (one array per code).
    pub display: Vec<Vec<String>>,
    /// The extra fields asked for with `ef`: field name -> one value per code.
    pub extras: Option<serde_json::Map<String, Value>>,
    /// The code system of each returned item, when the table reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_systems: Option<Vec<String>>,
}

/// Turn the service's array answer into a [`SearchResult`].
pub fn parse_answer(body: &[u8]) -> Result<SearchResult, ToolError> {
    let bad = |why: &str| {
        ToolError::upstream(format!(
            "the Clinical Tables service answered an unexpected shape ({why}): {}",
            http::snippet(body)
        ))
    };
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
    let a = v.as_array().ok_or_else(|| bad("not an array"))?;
    if a.len() < 4 {
        return Err(bad("fewer than 4 elements"));
    }
    let total = a[0].as_u64().ok_or_else(|| bad("total is not a number"))?;
    let strings = |x: &Value| -> Option<Vec<String>> {
        x.as_array()?
            .iter()
            .map(|s| match s {
                Value::String(s) => Some(s.clone()),
                Value::Null => Some(String::new()),
                other => Some(other.to_string()),
            })
            .collect()
    };
    let codes = strings(&a[1]).ok_or_else(|| bad("codes is not a list"))?;
    let extras = match &a[2] {
        Value::Null => None,
        Value::Object(m) => Some(m.clone()),
        _ => return Err(bad("extras is neither an object nor null")),
    };
    let display = a[3]
        .as_array()
        .ok_or_else(|| bad("display is not a list"))?
        .iter()
        .map(strings)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("a display entry is not a list"))?;
    let code_systems = match a.get(4) {
        Some(Value::Array(_)) => strings(&a[4]),
        _ => None,
    };
    Ok(SearchResult {
        total,
        codes,
        display,
        extras,
        code_systems,
    })
}

/// The query parameters every table takes, under the service's own names.
pub fn query(
    terms: &str,
    max_list: Option<u32>,
    count: Option<u32>,
    offset: Option<u32>,
    q: &Option<String>,
    df: &Option<String>,
    sf: &Option<String>,
    cf: &Option<String>,
    ef: &Option<String>,
) -> Vec<(&'static str, String)> {
    let mut p = vec![("terms", terms.to_string())];
    if let Some(n) = max_list {
        p.push(("maxList", n.to_string()));
    }
    if let Some(n) = count {
        p.push(("count", n.to_string()));
    }
    if let Some(n) = offset {
        p.push(("offset", n.to_string()));
    }
    for (k, v) in [("q", q), ("df", df), ("sf", sf), ("cf", cf), ("ef", ef)] {
        if let Some(v) = v {
            p.push((k, v.clone()));
        }
    }
    p
}

pub async fn search(path: &str, params: Vec<(&'static str, String)>) -> Result<SearchResult, ToolError> {
    if params.iter().any(|(k, v)| *k == "terms" && v.trim().is_empty()) {
        return Err(ToolError::invalid("terms must not be blank"));
    }
    let url = url_with_query(&format!("{ORIGIN}/api/{path}"), &params);
    let resp = http::get(&url).await?;
    if !resp.is_success() {
        return Err(ToolError::upstream(format!(
            "Clinical Tables answered HTTP {}: {}",
            resp.status,
            http::snippet(&resp.body)
        )));
    }
    parse_answer(&resp.body)
}

/// Declare one table tool: a type, its argument struct (with the semantic type of its
/// search terms) and its endpoint.
macro_rules! table_tool {
    ($ty:ident, $args:ident, $name:literal, $path:literal, $term_type:literal, $desc:literal) => {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            /// Search text (partial words allowed; several words are ANDed).
            #[schemars(length(min = 1), extend("x-dive-type" = $term_type))]
            pub terms: String,
            /// Number of results wanted (the service's default is 7, at most 500); no paging.
            #[serde(rename = "maxList", default)]
            #[schemars(range(min = 1, max = 500))]
            pub max_list: Option<u32>,
            /// Page size for paging with offset (at most 500).
            #[serde(default)]
            #[schemars(range(min = 1, max = 500))]
            pub count: Option<u32>,
            /// 0-based index of the first result (offset + count may not exceed 7,500).
            #[serde(default)]
            #[schemars(range(min = 0))]
            pub offset: Option<u32>,
            /// Extra query that further restricts matches; may name fields and use wildcards.
            #[serde(default)]
            pub q: Option<String>,
            /// Comma-separated display fields.
            #[serde(default)]
            pub df: Option<String>,
            /// Comma-separated fields to search.
            #[serde(default)]
            pub sf: Option<String>,
            /// The field used as each item's code.
            #[serde(default)]
            pub cf: Option<String>,
            /// Comma-separated extra fields to return (field:alias renames one).
            #[serde(default)]
            pub ef: Option<String>,
        }

        pub struct $ty;
        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = SearchResult;
            async fn run(a: $args) -> Result<SearchResult, ToolError> {
                let params = query(&a.terms, a.max_list, a.count, a.offset, &a.q, &a.df, &a.sf, &a.cf, &a.ef);
                search($path, params).await
            }
        }
    };
}

table_tool!(Cytogenetic, CytogeneticArgs, "cytogenetic_chromosome_locations", "cytogenetic_locs/v3/search", "cytogenetic_location",
    "Search NCBI ideogram cytogenetic band locations (e.g. 1p36.3) in NLM's Clinical Tables service.");
table_tool!(Icd10, Icd10Args, "icd10cm_diagnosis_codes", "icd10cm/v3/search", "disease_name",
    "Search ICD-10-CM diagnosis codes by code or words; returns codes with their names.");
table_tool!(RxTerms, RxTermsArgs, "rxterms_prescription_drugs", "rxterms/v3/search", "drug_name",
    "Search RxTerms, the prescribing-oriented drug terminology derived from RxNorm: drug names, strengths and forms.");
table_tool!(Icd9, Icd9Args, "icd9cm_diagnosis_codes", "icd9cm_dx/v3/search", "disease_name",
    "Search ICD-9-CM diagnosis codes by code or words.");
table_tool!(GeneticDiseases, GeneticDiseasesArgs, "genetic_diseases", "disease_names/v3/search", "disease_name",
    "Search the genetic disease names NLM compiled for ClinVar and related resources.");
table_tool!(Hcpcs, HcpcsArgs, "hcpcs_procedure_codes", "hcpcs/v3/search", "procedure_name",
    "Search Level II HCPCS codes for supplies, drugs and non-physician services.");
table_tool!(HugoGenes, HugoGenesArgs, "hugo_genes", "genes/v4/search", "gene_symbol",
    "Search HGNC-approved human gene symbols and names.");
table_tool!(StarAlleles, StarAllelesArgs, "pharmvar_star_alleles", "star_alleles/v3/search", "gene_symbol",
    "Search PharmVar pharmacogene star alleles (e.g. CYP2D6*4) and their functions.");
table_tool!(RefSeqs, RefSeqsArgs, "reference_sequences", "refseqs/v3/search", "gene_symbol",
    "Search NCBI RefSeq reference sequences (genomic, transcript, protein accessions).");
table_tool!(DbVar, DbVarArgs, "dbvar_germline_data", "dbvar/v3/search", "gene_symbol",
    "Search dbVar germline structural variants (deletions, duplications, ...) by gene, region or ID.");

dive_tool_sdk::export_tools!(
    Cytogenetic,
    Icd10,
    RxTerms,
    Icd9,
    GeneticDiseases,
    Hcpcs,
    HugoGenes,
    StarAlleles,
    RefSeqs,
    DbVar,
);
