//! OpenAlex (api.openalex.org): search and fetch scholarly entities, and classify a
//! text. OpenAlex answers JSON, which the tools pass through unchanged: a search gives
//! `{meta, results, group_by}`, a fetch gives the entity object.

use dive_tool_sdk::http::{self, encode, url_with_query};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const API: &str = "https://api.openalex.org";

/// A page of search results, as OpenAlex returns it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SearchPage {
    /// count (total matches), page, per_page and timing.
    pub meta: Map<String, Value>,
    /// The matching entities (OpenAlex objects with `id` and `display_name`).
    pub results: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Value>,
}

/// One OpenAlex entity (work, author, institution, source, ...): its full object.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Entity {
    /// The OpenAlex URL id, e.g. https://openalex.org/W2741809807 (absent only when a
    /// `select` answer leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "openalex_id"))]
    pub id: Option<String>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// GET a URL and decode OpenAlex's JSON, turning its error answers into `upstream`
/// errors with OpenAlex's own message.
async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, ToolError> {
    let resp = http::get(url).await?;
    if !resp.is_success() {
        let msg = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| {
                let e = v.get("error").and_then(Value::as_str).unwrap_or_default().to_string();
                let m = v.get("message").and_then(Value::as_str).unwrap_or_default().to_string();
                (!e.is_empty() || !m.is_empty()).then(|| format!("{e} {m}").trim().to_string())
            })
            .unwrap_or_else(|| http::snippet(&resp.body));
        return Err(ToolError::upstream(format!("OpenAlex answered HTTP {}: {msg}", resp.status)));
    }
    resp.json()
}

/// Normalise an entity reference for the URL path: a short id (W123), an OpenAlex URL,
/// or (for works) a DOI in any common form.
pub fn entity_path(kind: char, raw: &str) -> Result<String, ToolError> {
    let r = raw.trim();
    let short = r
        .strip_prefix("https://openalex.org/")
        .or_else(|| r.strip_prefix("http://openalex.org/"))
        .unwrap_or(r);
    let is_short = |s: &str| {
        let mut c = s.chars();
        matches!(c.next(), Some(k) if k.to_ascii_uppercase() == kind) && c.clone().next().is_some() && c.all(|d| d.is_ascii_digit())
    };
    if is_short(short) {
        return Ok(short.to_ascii_uppercase());
    }
    if kind == 'W' {
        let doi = r
            .strip_prefix("https://doi.org/")
            .or_else(|| r.strip_prefix("http://doi.org/"))
            .or_else(|| r.strip_prefix("doi:"))
            .unwrap_or(r);
        if doi.starts_with("10.") && doi.contains('/') {
            return Ok(format!("https://doi.org/{}", encode(doi)));
        }
    }
    // External ids OpenAlex accepts in the path (orcid:, ror:, issn:, pmid:, ...).
    if let Some((scheme, value)) = r.split_once(':') {
        if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic()) && !value.is_empty() && !r.contains("//") {
            return Ok(format!("{}:{}", scheme.to_ascii_lowercase(), encode(value)));
        }
    }
    Err(ToolError::invalid(format!(
        "'{raw}' is not an OpenAlex id of this kind (expected e.g. {kind}123456789 or https://openalex.org/{kind}123456789{})",
        if kind == 'W' { ", or a DOI" } else { "" }
    )))
}

fn twenty_five() -> u32 {
    25
}
fn one() -> u32 {
    1
}

macro_rules! search_tool {
    ($ty:ident, $args:ident, $name:literal, $path:literal, $qtype:literal, $desc:literal) => {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            /// Full-text search terms.
            #[serde(default)]
            #[schemars(extend("x-dive-type" = $qtype))]
            pub search: Option<String>,
            /// OpenAlex filter expression, e.g. publication_year:>2020,is_oa:true.
            #[serde(default)]
            pub filter: Option<String>,
            /// Sort, e.g. cited_by_count:desc.
            #[serde(default)]
            pub sort: Option<String>,
            /// Results per page (1-200).
            #[serde(default = "twenty_five")]
            #[schemars(range(min = 1, max = 200))]
            pub per_page: u32,
            /// 1-based page number.
            #[serde(default = "one")]
            #[schemars(range(min = 1))]
            pub page: u32,
        }

        pub struct $ty;
        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = SearchPage;
            async fn run(a: $args) -> Result<SearchPage, ToolError> {
                let mut p: Vec<(&str, String)> = Vec::new();
                for (k, v) in [("search", &a.search), ("filter", &a.filter), ("sort", &a.sort)] {
                    if let Some(v) = v.as_ref().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                        p.push((k, v.to_string()));
                    }
                }
                p.push(("per-page", a.per_page.to_string()));
                p.push(("page", a.page.to_string()));
                get_json(&url_with_query(&format!("{API}/{}", $path), &p)).await
            }
        }
    };
}

macro_rules! get_tool {
    ($ty:ident, $args:ident, $name:literal, $path:literal, $kind:literal, $field:ident, $field_name:literal, $desc:literal) => {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            /// The OpenAlex id (short or URL form).
            #[serde(rename = $field_name)]
            #[schemars(length(min = 1), extend("x-dive-type" = "openalex_id"))]
            pub $field: String,
            /// Comma-separated top-level fields to return (default: all).
            #[serde(default)]
            pub select: Option<String>,
        }

        pub struct $ty;
        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = Entity;
            async fn run(a: $args) -> Result<Entity, ToolError> {
                let id = entity_path($kind, &a.$field)?;
                let mut p: Vec<(&str, String)> = Vec::new();
                if let Some(s) = a.select.as_ref().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    let mut fields: Vec<&str> = s.split(',').map(str::trim).collect();
                    // `id` is always selected: it identifies the result.
                    if !fields.contains(&"id") {
                        fields.insert(0, "id");
                    }
                    p.push(("select", fields.join(",")));
                }
                get_json(&url_with_query(&format!("{API}/{}/{id}", $path), &p)).await
            }
        }
    };
}

search_tool!(SearchWorks, SearchWorksArgs, "openalex_search_works", "works", "search_text",
    "Search OpenAlex works (papers, books, datasets) by text, filters and sort; returns a page of works.");
get_tool!(GetWork, GetWorkArgs, "openalex_get_work", "works", 'W', work_id, "work_id",
    "Fetch one OpenAlex work by id (W...), OpenAlex URL or DOI.");
search_tool!(SearchAuthors, SearchAuthorsArgs, "openalex_search_authors", "authors", "author_name",
    "Search OpenAlex authors by name, filters and sort.");
get_tool!(GetAuthor, GetAuthorArgs, "openalex_get_author", "authors", 'A', author_id, "author_id",
    "Fetch one OpenAlex author by id (A...), OpenAlex URL or orcid:ID.");
search_tool!(SearchInstitutions, SearchInstitutionsArgs, "openalex_search_institutions", "institutions", "institution_name",
    "Search OpenAlex institutions (universities, companies, ...) by name, filters and sort.");
get_tool!(GetInstitution, GetInstitutionArgs, "openalex_get_institution", "institutions", 'I', institution_id, "institution_id",
    "Fetch one OpenAlex institution by id (I...), OpenAlex URL or ror:ID.");
search_tool!(SearchSources, SearchSourcesArgs, "openalex_search_sources", "sources", "journal_name",
    "Search OpenAlex sources (journals, repositories, conferences) by name, filters and sort.");
get_tool!(GetSource, GetSourceArgs, "openalex_get_source", "sources", 'S', source_id, "source_id",
    "Fetch one OpenAlex source by id (S...), OpenAlex URL or issn:ISSN.");
search_tool!(SearchPublishers, SearchPublishersArgs, "openalex_search_publishers", "publishers", "publisher_name",
    "Search OpenAlex publishers by name, filters and sort.");
search_tool!(SearchTopics, SearchTopicsArgs, "openalex_search_topics", "topics", "topic_name",
    "Search OpenAlex research topics by name, filters and sort.");
search_tool!(SearchFunders, SearchFundersArgs, "openalex_search_funders", "funders", "funder_name",
    "Search OpenAlex research funders by name, filters and sort.");

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeTextArgs {
    /// The title to classify (20-2000 characters).
    #[schemars(length(min = 20, max = 2000), extend("x-dive-type" = "paper_title"))]
    pub title: String,
    /// An abstract to classify with it.
    #[serde(default)]
    pub r#abstract: Option<String>,
}

pub struct AnalyzeText;
impl Tool for AnalyzeText {
    const NAME: &'static str = "openalex_analyze_text";
    const DESCRIPTION: &'static str = "Ask OpenAlex which topics, keywords and concepts a title (and optional abstract) is about.";
    type Args = AnalyzeTextArgs;
    type Output = Map<String, Value>;
    async fn run(a: AnalyzeTextArgs) -> Result<Map<String, Value>, ToolError> {
        let n = a.title.trim().chars().count();
        if !(20..=2000).contains(&n) {
            return Err(ToolError::invalid(format!("title must be 20 to 2000 characters once trimmed (it has {n})")));
        }
        let mut p = vec![("title", a.title.trim().to_string())];
        if let Some(ab) = a.r#abstract.as_ref().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            p.push(("abstract", ab.to_string()));
        }
        get_json(&url_with_query(&format!("{API}/text"), &p)).await
    }
}

dive_tool_sdk::export_tools!(
    SearchWorks,
    GetWork,
    SearchAuthors,
    GetAuthor,
    SearchInstitutions,
    GetInstitution,
    SearchSources,
    GetSource,
    SearchPublishers,
    SearchTopics,
    SearchFunders,
    AnalyzeText,
);
