//! The arXiv export API (`/api/query`): six tools over one endpoint. arXiv answers Atom
//! XML; the tools return it as JSON (feed totals and one object per entry, every field
//! of the entry kept). arXiv reports errors as a feed whose single entry is titled
//! "Error" (often with HTTP 400): those become `upstream` errors carrying its message.

use dive_tool_sdk::http::{self, url_with_query};
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const ENDPOINT: &str = "https://export.arxiv.org/api/query";
const ATOM: &str = "http://www.w3.org/2005/Atom";
const ARXIV: &str = "http://arxiv.org/schemas/atom";
const OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(inline)]
pub enum SortBy {
    #[serde(rename = "relevance")]
    Relevance,
    #[serde(rename = "lastUpdatedDate")]
    LastUpdatedDate,
    #[serde(rename = "submittedDate")]
    SubmittedDate,
}

impl SortBy {
    fn as_str(self) -> &'static str {
        match self {
            SortBy::Relevance => "relevance",
            SortBy::LastUpdatedDate => "lastUpdatedDate",
            SortBy::SubmittedDate => "submittedDate",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum SortOrder {
    Ascending,
    Descending,
}

#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Author {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Link {
    pub href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One paper.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Entry {
    /// The entry's Atom id, e.g. http://arxiv.org/abs/1605.08386v1.
    pub id: String,
    /// The arXiv identifier with its version, e.g. 1605.08386v1.
    #[schemars(extend("x-dive-type" = "arxiv_id"))]
    pub arxiv_id: String,
    #[schemars(extend("x-dive-type" = "paper_title"))]
    pub title: String,
    pub summary: String,
    pub published: String,
    pub updated: String,
    pub authors: Vec<Author>,
    pub categories: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "doi"))]
    pub doi: Option<String>,
    pub links: Vec<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdf_url: Option<String>,
}

/// A page of results.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Feed {
    pub total_results: u64,
    pub start_index: u64,
    pub items_per_page: u64,
    pub entries: Vec<Entry>,
}

fn text_of(node: roxmltree::Node<'_, '_>, ns: &str, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.has_tag_name((ns, name)))
        .map(|c| c.text().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Convert an arXiv Atom feed to JSON; an error feed becomes an `upstream` error.
pub fn parse_feed(xml: &str) -> Result<Feed, ToolError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| {
        ToolError::upstream(format!("arXiv answered something that is not XML ({e}): {}", http::snippet(xml.as_bytes())))
    })?;
    let feed = doc.root_element();
    if !feed.has_tag_name((ATOM, "feed")) {
        return Err(ToolError::upstream(format!(
            "arXiv answered XML that is not an Atom feed: {}",
            http::snippet(xml.as_bytes())
        )));
    }
    let number = |name: &str| -> u64 {
        text_of(feed, OPENSEARCH, name).and_then(|t| t.trim().parse().ok()).unwrap_or(0)
    };
    let mut entries = Vec::new();
    for e in feed.children().filter(|c| c.has_tag_name((ATOM, "entry"))) {
        let id = text_of(e, ATOM, "id").unwrap_or_default();
        let title = text_of(e, ATOM, "title").unwrap_or_default();
        if id.contains("/api/errors") || (title == "Error" && !id.contains("/abs/")) {
            let msg = text_of(e, ATOM, "summary").unwrap_or_else(|| "unknown error".into());
            return Err(ToolError::upstream(format!("arXiv: {msg}")));
        }
        let arxiv_id = id.rsplit_once("/abs/").map(|(_, r)| r.to_string()).unwrap_or_else(|| id.clone());
        let authors = e
            .children()
            .filter(|c| c.has_tag_name((ATOM, "author")))
            .map(|a| Author {
                name: text_of(a, ATOM, "name").unwrap_or_default(),
                affiliation: text_of(a, ARXIV, "affiliation"),
            })
            .collect();
        let categories = e
            .children()
            .filter(|c| c.has_tag_name((ATOM, "category")))
            .filter_map(|c| c.attribute("term").map(str::to_string))
            .collect();
        let links: Vec<Link> = e
            .children()
            .filter(|c| c.has_tag_name((ATOM, "link")))
            .filter_map(|l| {
                Some(Link {
                    href: l.attribute("href")?.to_string(),
                    rel: l.attribute("rel").map(str::to_string),
                    mime_type: l.attribute("type").map(str::to_string),
                    title: l.attribute("title").map(str::to_string),
                })
            })
            .collect();
        let pdf_url = links
            .iter()
            .find(|l| l.title.as_deref() == Some("pdf") || l.mime_type.as_deref() == Some("application/pdf"))
            .map(|l| l.href.clone());
        entries.push(Entry {
            arxiv_id,
            title,
            summary: text_of(e, ATOM, "summary").unwrap_or_default(),
            published: text_of(e, ATOM, "published").unwrap_or_default(),
            updated: text_of(e, ATOM, "updated").unwrap_or_default(),
            authors,
            categories,
            primary_category: e
                .children()
                .find(|c| c.has_tag_name((ARXIV, "primary_category")))
                .and_then(|c| c.attribute("term").map(str::to_string)),
            comment: text_of(e, ARXIV, "comment"),
            journal_ref: text_of(e, ARXIV, "journal_ref"),
            doi: text_of(e, ARXIV, "doi"),
            links,
            pdf_url,
            id,
        });
    }
    Ok(Feed {
        total_results: number("totalResults"),
        start_index: number("startIndex"),
        items_per_page: number("itemsPerPage"),
        entries,
    })
}

async fn query(params: Vec<(&str, String)>) -> Result<Feed, ToolError> {
    let url = url_with_query(ENDPOINT, &params);
    let resp = http::get(&url).await?;
    let text = resp.text();
    // arXiv puts its error message in an Atom error feed, even with HTTP 400.
    match parse_feed(&text) {
        Err(e) if resp.is_success() => Err(e),
        Err(ToolError::Upstream(m)) => Err(ToolError::upstream(format!("HTTP {}: {m}", resp.status))),
        Err(e) => Err(e),
        Ok(_) if !resp.is_success() => Err(ToolError::upstream(format!("arXiv answered HTTP {}: {}", resp.status, http::snippet(&resp.body)))),
        Ok(feed) => Ok(feed),
    }
}

fn zero() -> u32 {
    0
}
fn ten() -> u32 {
    10
}
fn descending() -> SortOrder {
    SortOrder::Descending
}

fn search_params(q: String, start: u32, max: u32, sort_by: SortBy, order: SortOrder) -> Vec<(&'static str, String)> {
    vec![
        ("search_query", q),
        ("start", start.to_string()),
        ("max_results", max.to_string()),
        ("sortBy", sort_by.as_str().to_string()),
        ("sortOrder", if order == SortOrder::Ascending { "ascending" } else { "descending" }.to_string()),
    ]
}

/// Declare a search tool: its args (with its own sort default) and how the query is
/// checked or completed.
macro_rules! search_tool {
    ($ty:ident, $args:ident, $name:literal, $sort_default:ident, $sort_fn:ident, $sort_fn_name:literal, $qtype:literal, $desc:literal, $prepare:expr) => {
        fn $sort_fn() -> SortBy {
            SortBy::$sort_default
        }

        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $args {
            /// arXiv query; field prefixes ti:, au:, abs:, co:, jr:, cat:, rn:, all: and AND/OR/ANDNOT work.
            #[schemars(length(min = 1), extend("x-dive-type" = $qtype))]
            pub search_query: String,
            /// 0-based index of the first result.
            #[serde(default = "zero")]
            #[schemars(range(min = 0))]
            pub start: u32,
            /// How many results (at most 2000 per request).
            #[serde(default = "ten")]
            #[schemars(range(min = 1, max = 2000))]
            pub max_results: u32,
            #[serde(rename = "sortBy", default = $sort_fn_name)]
            pub sort_by: SortBy,
            #[serde(rename = "sortOrder", default = "descending")]
            pub sort_order: SortOrder,
        }

        pub struct $ty;
        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Args = $args;
            type Output = Feed;
            async fn run(a: $args) -> Result<Feed, ToolError> {
                let prepare: fn(&str) -> Result<String, ToolError> = $prepare;
                let q = prepare(a.search_query.trim())?;
                query(search_params(q, a.start, a.max_results, a.sort_by, a.sort_order)).await
            }
        }
    };
}

fn nonblank(q: &str) -> Result<String, ToolError> {
    if q.is_empty() {
        Err(ToolError::invalid("search_query must not be blank"))
    } else {
        Ok(q.to_string())
    }
}

/// A bare name or code gets the field prefix; a query that already uses fields is kept.
fn with_prefix(q: &str, prefix: &str) -> Result<String, ToolError> {
    let q = nonblank(q)?;
    if q.contains(':') {
        Ok(q)
    } else {
        Ok(format!("{prefix}{q}"))
    }
}

search_tool!(SearchPapers, SearchPapersArgs, "arxiv_search_papers", Relevance, sort_relevance_a, "sort_relevance_a", "search_text",
    "Search arXiv papers by keywords or fielded query, with paging and sorting.", nonblank);
search_tool!(SearchByAuthor, SearchByAuthorArgs, "arxiv_search_by_author", LastUpdatedDate, sort_updated_b, "sort_updated_b", "author_name",
    "Search arXiv papers by author (au:Name; a bare name gets the au: prefix).", |q| with_prefix(q, "au:"));
search_tool!(SearchByCategory, SearchByCategoryArgs, "arxiv_search_by_category", LastUpdatedDate, sort_updated_c, "sort_updated_c", "arxiv_category",
    "List arXiv papers in a subject category (cat:cs.AI; a bare code gets the cat: prefix).", |q| with_prefix(q, "cat:"));
search_tool!(SearchByDateRange, SearchByDateRangeArgs, "arxiv_search_by_date_range", SubmittedDate, sort_submitted_d, "sort_submitted_d", "search_text",
    "Search arXiv papers submitted (or updated) in a date range: submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM], optionally combined with other terms \
    (a query without a range is sent as given: arXiv answers it like any search).",
    nonblank);
search_tool!(AdvancedSearch, AdvancedSearchArgs, "arxiv_advanced_search", Relevance, sort_relevance_e, "sort_relevance_e", "search_text",
    "Search arXiv with a full boolean query: fields, AND/OR/ANDNOT, quoted phrases and parentheses.", nonblank);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdsArgs {
    /// Comma-separated arXiv ids, e.g. 2104.12255v1,quant-ph/0201082.
    #[schemars(length(min = 1), extend("x-dive-type" = "arxiv_id"))]
    pub id_list: String,
}

pub struct GetPapersByIds;
impl Tool for GetPapersByIds {
    const NAME: &'static str = "arxiv_get_papers_by_ids";
    const DESCRIPTION: &'static str = "Fetch arXiv papers by their identifiers (old style like quant-ph/0201082 or new style like 2104.12255, optionally versioned).";
    type Args = IdsArgs;
    type Output = Feed;
    async fn run(a: IdsArgs) -> Result<Feed, ToolError> {
        let ids: Vec<&str> = a.id_list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if ids.is_empty() {
            return Err(ToolError::invalid("id_list holds no ids"));
        }
        let n = ids.len();
        query(vec![
            ("search_query", String::new()),
            ("id_list", ids.join(",")),
            ("start", "0".into()),
            ("max_results", n.to_string()),
        ])
        .await
    }
}

dive_tool_sdk::export_tools!(SearchPapers, GetPapersByIds, SearchByAuthor, SearchByCategory, SearchByDateRange, AdvancedSearch);
