//! Semantic Scholar (api.semanticscholar.org): the Graph API (papers, authors, search,
//! citations), the Recommendations API and the Datasets release list. JSON answers are
//! passed through unchanged. An API key, when the host has one, is added by the host as
//! `x-api-key`; the tools never see it. Only the parameters a caller gives are sent,
//! except `limit` where the tool's documented default differs from the service's.

use dive_tool_sdk::http::{self, encode, url_with_query};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

const API: &str = "https://api.semanticscholar.org";

fn opt(k: &'static str, v: &Option<String>) -> Option<(&'static str, String)> {
    v.as_ref().map(|s| s.trim()).filter(|s| !s.is_empty()).map(|s| (k, s.to_string()))
}

fn num<T: ToString>(k: &'static str, v: Option<T>) -> Option<(&'static str, String)> {
    v.map(|n| (k, n.to_string()))
}

/// Turn a Semantic Scholar answer into JSON, or an `upstream` error with its message.
fn answer(resp: http::Response) -> Result<Value, ToolError> {
    if !resp.is_success() {
        let msg = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .or_else(|| v.get("message"))
                    .map(|m| m.as_str().map(str::to_string).unwrap_or_else(|| m.to_string()))
            })
            .unwrap_or_else(|| http::snippet(&resp.body));
        return Err(ToolError::upstream(format!("Semantic Scholar answered HTTP {}: {msg}", resp.status)));
    }
    resp.json()
}

async fn get(path: &str, params: Vec<Option<(&'static str, String)>>) -> Result<Value, ToolError> {
    let p: Vec<(&str, String)> = params.into_iter().flatten().collect();
    answer(http::get(&url_with_query(&format!("{API}{path}"), &p)).await?)
}

/// A paper or author id for the URL path: S2 ids, CorpusId:, DOI:, ARXIV:, PMID:, URL:
/// forms are kept (':' and '/' allowed), anything else that could escape the path is
/// refused.
fn id_part(what: &str, raw: &str) -> Result<String, ToolError> {
    let r = raw.trim();
    if r.is_empty() || r.contains("..") || r.contains(['?', '#', ' ']) {
        return Err(ToolError::invalid(format!("'{raw}' is not a valid {what}")));
    }
    Ok(r.split('/').map(|seg| seg.split(':').map(encode).collect::<Vec<_>>().join(":")).collect::<Vec<_>>().join("/"))
}

fn zero() -> u32 {
    0
}

/// Declare an argument struct and a tool in one go.
macro_rules! tool {
    ($ty:ident, $name:literal, $desc:literal, $args:ident { $($field:tt)* }, |$a:ident| $body:expr) => {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args { $($field)* }

        pub struct $ty;
        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = Value;
            async fn run($a: $args) -> Result<Value, ToolError> {
                $body.await
            }
        }
    };
}

tool!(PaperSearch, "semantic_scholar_paper_search", "Relevance search for papers by keywords, with filters (year, venue, fields of study, publication types, citations, open access) and paging.",
    PaperSearchArgs {
        /// Keywords.
        #[schemars(length(min = 1), extend("x-dive-type" = "search_text"))]
        pub query: String,
        /// Comma-separated fields to return, e.g. title,year,authors,externalIds.
        #[serde(default)] pub fields: Option<String>,
        /// e.g. JournalArticle,Review.
        #[serde(default, rename = "publicationTypes")] pub publication_types: Option<String>,
        /// Present (any value) to keep only papers with a public PDF.
        #[serde(default, rename = "openAccessPdf")] pub open_access_pdf: Option<String>,
        /// Minimum citation count.
        #[serde(default, rename = "minCitationCount")] pub min_citation_count: Option<String>,
        /// Date or year range, e.g. 2019-03-05:2020.
        #[serde(default, rename = "publicationDateOrYear")] pub publication_date_or_year: Option<String>,
        /// Year or range, e.g. 2016-2020.
        #[serde(default)] pub year: Option<String>,
        /// Comma-separated venues.
        #[serde(default)] pub venue: Option<String>,
        /// Comma-separated fields of study.
        #[serde(default, rename = "fieldsOfStudy")] pub fields_of_study: Option<String>,
        /// 0-based offset.
        #[serde(default = "zero")] #[schemars(range(min = 0))] pub offset: u32,
        /// Results per page (at most 100).
        #[serde(default)] #[schemars(range(min = 1, max = 100), extend("default" = 100))] pub limit: Option<u32>,
    },
    |a| get("/graph/v1/paper/search", vec![
        Some(("query", a.query.clone())), opt("fields", &a.fields), opt("publicationTypes", &a.publication_types),
        opt("openAccessPdf", &a.open_access_pdf), opt("minCitationCount", &a.min_citation_count),
        opt("publicationDateOrYear", &a.publication_date_or_year), opt("year", &a.year), opt("venue", &a.venue),
        opt("fieldsOfStudy", &a.fields_of_study), num("offset", Some(a.offset)), num("limit", a.limit),
    ]));

tool!(PaperBulkSearch, "semantic_scholar_paper_bulk_search", "Bulk paper search (boolean query syntax, sortable, up to 1000 per call, continuation token for more).",
    PaperBulkSearchArgs {
        /// Boolean query: + - | " * ( ) ~N.
        #[schemars(length(min = 1), extend("x-dive-type" = "search_text"))]
        pub query: String,
        /// Continuation token from a previous answer.
        #[serde(default)] pub token: Option<String>,
        #[serde(default)] pub fields: Option<String>,
        /// e.g. citationCount:desc or publicationDate:asc.
        #[serde(default)] pub sort: Option<String>,
        #[serde(default, rename = "publicationTypes")] pub publication_types: Option<String>,
        #[serde(default, rename = "openAccessPdf")] pub open_access_pdf: Option<String>,
        #[serde(default, rename = "minCitationCount")] pub min_citation_count: Option<String>,
        #[serde(default, rename = "publicationDateOrYear")] pub publication_date_or_year: Option<String>,
        #[serde(default)] pub year: Option<String>,
        #[serde(default)] pub venue: Option<String>,
        #[serde(default, rename = "fieldsOfStudy")] pub fields_of_study: Option<String>,
    },
    |a| get("/graph/v1/paper/search/bulk", vec![
        Some(("query", a.query.clone())), opt("token", &a.token), opt("fields", &a.fields), opt("sort", &a.sort),
        opt("publicationTypes", &a.publication_types), opt("openAccessPdf", &a.open_access_pdf),
        opt("minCitationCount", &a.min_citation_count), opt("publicationDateOrYear", &a.publication_date_or_year),
        opt("year", &a.year), opt("venue", &a.venue), opt("fieldsOfStudy", &a.fields_of_study),
    ]));

/// Declare a paged "id + fields + offset + limit" tool.
macro_rules! paged_by_id {
    ($ty:ident, $name:literal, $desc:literal, $args:ident, $field:ident, $idtype:literal, $path_fmt:literal) => {
        tool!($ty, $name, $desc, $args {
            #[schemars(length(min = 1), extend("x-dive-type" = $idtype))]
            pub $field: String,
            /// Comma-separated fields to return.
            #[serde(default)] pub fields: Option<String>,
            /// 0-based offset.
            #[serde(default = "zero")] #[schemars(range(min = 0))] pub offset: u32,
            /// Results per page (at most 1000).
            #[serde(default)] #[schemars(range(min = 1, max = 1000), extend("default" = 100))] pub limit: Option<u32>,
        }, |a| async move {
            let id = id_part(stringify!($field), &a.$field)?;
            get(&format!($path_fmt, id), vec![opt("fields", &a.fields), num("offset", Some(a.offset)), num("limit", a.limit)]).await
        });
    };
}

paged_by_id!(AuthorPapers, "semantic_scholar_author_papers", "The papers of one author, paged.", AuthorPapersArgs, author_id, "s2_author_id", "/graph/v1/author/{}/papers");
paged_by_id!(PaperAuthors, "semantic_scholar_paper_authors", "The authors of one paper, paged.", PaperAuthorsArgs, paper_id, "s2_paper_id", "/graph/v1/paper/{}/authors");
paged_by_id!(PaperCitations, "semantic_scholar_paper_citations", "The papers that cite one paper, paged.", PaperCitationsArgs, paper_id, "s2_paper_id", "/graph/v1/paper/{}/citations");
paged_by_id!(PaperReferences, "semantic_scholar_paper_references", "The papers one paper cites, paged.", PaperReferencesArgs, paper_id, "s2_paper_id", "/graph/v1/paper/{}/references");

tool!(AuthorSearch, "semantic_scholar_author_search", "Search authors by name.",
    AuthorSearchArgs {
        /// An author's name.
        #[schemars(length(min = 1), extend("x-dive-type" = "author_name"))]
        pub query: String,
        #[serde(default)] pub fields: Option<String>,
        #[serde(default = "zero")] #[schemars(range(min = 0))] pub offset: u32,
        #[serde(default)] #[schemars(range(min = 1, max = 1000), extend("default" = 100))] pub limit: Option<u32>,
    },
    |a| get("/graph/v1/author/search", vec![Some(("query", a.query.clone())), opt("fields", &a.fields), num("offset", Some(a.offset)), num("limit", a.limit)]));

tool!(GetAuthor, "semantic_scholar_get_author", "Fetch one author by Semantic Scholar author id.",
    GetAuthorArgs {
        #[schemars(length(min = 1), extend("x-dive-type" = "s2_author_id"))]
        pub author_id: String,
        #[serde(default)] pub fields: Option<String>,
    },
    |a| async move { get(&format!("/graph/v1/author/{}", id_part("author_id", &a.author_id)?), vec![opt("fields", &a.fields)]).await });

tool!(GetPaper, "semantic_scholar_get_paper", "Fetch one paper by id: S2 paper id, CorpusId:, DOI:, ARXIV:, PMID:, PMCID:, MAG:, ACL: or URL:.",
    GetPaperArgs {
        #[schemars(length(min = 1), extend("x-dive-type" = "s2_paper_id"))]
        pub paper_id: String,
        #[serde(default)] pub fields: Option<String>,
    },
    |a| async move { get(&format!("/graph/v1/paper/{}", id_part("paper_id", &a.paper_id)?), vec![opt("fields", &a.fields)]).await });

tool!(PaperAutocomplete, "semantic_scholar_paper_autocomplete", "Title completions for a partial query (for interactive search).",
    PaperAutocompleteArgs {
        #[schemars(length(min = 1), extend("x-dive-type" = "search_text"))]
        pub query: String,
    },
    |a| get("/graph/v1/paper/autocomplete", vec![Some(("query", a.query.clone()))]));

tool!(PaperTitleSearch, "semantic_scholar_paper_title_search", "Find the single paper whose title best matches the query.",
    PaperTitleSearchArgs {
        #[schemars(length(min = 1), extend("x-dive-type" = "paper_title"))]
        pub query: String,
        #[serde(default)] pub fields: Option<String>,
    },
    |a| get("/graph/v1/paper/search/match", vec![Some(("query", a.query.clone())), opt("fields", &a.fields)]));

fn ten() -> u32 {
    10
}

tool!(SnippetSearch, "semantic_scholar_snippet_search", "Search text snippets inside papers; returns matching passages with their papers.",
    SnippetSearchArgs {
        #[schemars(length(min = 1), extend("x-dive-type" = "search_text"))]
        pub query: String,
        #[serde(default = "ten")] #[schemars(range(min = 1, max = 1000))] pub limit: u32,
    },
    |a| get("/graph/v1/snippet/search", vec![Some(("query", a.query.clone())), num("limit", Some(a.limit))]));

async fn batch(path: &str, ids: &[String], fields: &Option<String>) -> Result<Value, ToolError> {
    let ids: Vec<String> = ids.iter().map(|s| s.trim().to_string()).collect();
    if ids.iter().any(String::is_empty) {
        return Err(ToolError::invalid("ids must not contain blank entries"));
    }
    let p: Vec<(&str, String)> = opt("fields", fields).into_iter().collect();
    let body = serde_json::json!({ "ids": ids });
    let resp = http::send(
        "POST",
        &url_with_query(&format!("{API}{path}"), &p),
        &[("content-type", "application/json")],
        Some(body.to_string().into_bytes()),
    )
    .await?;
    answer(resp)
}

tool!(AuthorBatch, "semantic_scholar_author_batch", "Fetch up to 1000 authors by id in one request (null for ids not found).",
    AuthorBatchArgs {
        #[schemars(length(min = 1, max = 1000), extend("x-dive-type" = "s2_author_id"))]
        pub ids: Vec<String>,
        #[serde(default)] pub fields: Option<String>,
    },
    |a| batch("/graph/v1/author/batch", &a.ids, &a.fields));

tool!(PaperBatch, "semantic_scholar_paper_batch", "Fetch up to 500 papers by id in one request (null for ids not found).",
    PaperBatchArgs {
        #[schemars(length(min = 1, max = 500), extend("x-dive-type" = "s2_paper_id"))]
        pub ids: Vec<String>,
        #[serde(default)] pub fields: Option<String>,
    },
    |a| batch("/graph/v1/paper/batch", &a.ids, &a.fields));

/// Declare a "recommended papers for one paper" tool (two catalog names share it).
macro_rules! recommend {
    ($ty:ident, $name:literal, $desc:literal, $args:ident) => {
        tool!($ty, $name, $desc, $args {
            #[schemars(length(min = 1), extend("x-dive-type" = "s2_paper_id"))]
            pub paper_id: String,
            /// How many recommendations (at most 500).
            #[serde(default = "ten")] #[schemars(range(min = 1, max = 500))] pub limit: u32,
        }, |a| async move {
            get(&format!("/recommendations/v1/papers/forpaper/{}", id_part("paper_id", &a.paper_id)?), vec![num("limit", Some(a.limit))]).await
        });
    };
}

recommend!(PaperRecommendations, "semantic_scholar_paper_recommendations", "Papers Semantic Scholar recommends for one seed paper.", PaperRecommendationsArgs);
recommend!(RecommendPapers, "semantic_scholar_recommend_papers", "Recommend papers similar to one seed paper.", RecommendPapersArgs);

tool!(ReleaseList, "semantic_scholar_release_list", "List the Semantic Scholar dataset release dates.",
    ReleaseListArgs {},
    |_a| get("/datasets/v1/release/", vec![]));

dive_tool_sdk::export_tools!(
    PaperSearch, PaperBulkSearch, AuthorPapers, AuthorSearch, GetAuthor, GetPaper, PaperAuthors, PaperCitations,
    PaperReferences, PaperAutocomplete, PaperTitleSearch, SnippetSearch, AuthorBatch, PaperBatch,
    PaperRecommendations, RecommendPapers, ReleaseList,
);
