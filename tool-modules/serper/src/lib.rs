//! Web search through Serper (`POST https://google.serper.dev/search`), which answers
//! Google result pages as JSON. Two tools: `search` (one query) and `parallel_search`
//! (up to ten queries sent at the same time from the guest).
//!
//! The API key is the host's secret SERPER_API_KEY, added by the host as the
//! `X-API-KEY` header; the tool never sees it. Results are normalised: organic results
//! (title, link, snippet, position, date when given, sitelinks), the answer box and
//! knowledge graph when Google shows one, "people also ask", related searches and top
//! stories. Serper's error answers (`{"message": ..., "statusCode": ...}`) become
//! `upstream` errors carrying Serper's message.

use dive_tool_sdk::http;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

const ENDPOINT: &str = "https://google.serper.dev/search";

#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Sitelink {
    pub title: String,
    #[schemars(extend("x-dive-type" = "url"))]
    pub link: String,
}

/// One ordinary ("organic") result.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Organic {
    /// 1-based rank on the result page.
    pub position: u64,
    pub title: String,
    #[schemars(extend("x-dive-type" = "url"))]
    pub link: String,
    pub snippet: String,
    /// Publication date as Google shows it (e.g. "3 days ago", "Mar 4, 2024").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sitelinks: Vec<Sitelink>,
    /// Extra facts Google lists under the result (e.g. "Rating": "4.5").
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

/// The direct answer Google shows above the results.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct AnswerBox {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snippet_highlighted: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "url"))]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// The entity panel Google shows beside the results.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct KnowledgeGraph {
    pub title: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "url"))]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "url"))]
    pub description_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Facts of the panel, label to value, in Google's order.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

/// A question from the "People also ask" box with the answer Google quotes.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct PeopleAlsoAsk {
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "url"))]
    pub link: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct TopStory {
    pub title: String,
    #[schemars(extend("x-dive-type" = "url"))]
    pub link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// One result page, normalised.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct SearchResult {
    /// The query as it was sent.
    #[schemars(extend("x-dive-type" = "search_query"))]
    pub query: String,
    pub organic: Vec<Organic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_box: Option<AnswerBox>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge_graph: Option<KnowledgeGraph>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people_also_ask: Vec<PeopleAlsoAsk>,
    /// Other queries Google suggests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-dive-type" = "search_query"))]
    pub related_searches: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_stories: Vec<TopStory>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn object(v: &Value, key: &str) -> Map<String, Value> {
    v.get(key).and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Serper's error shape, `{"message": "...", "statusCode": 403}`, when the body is one.
fn service_error(v: &Value) -> Option<String> {
    let msg = text(v, "message")?;
    let looks_like_results = v.get("organic").is_some() || v.get("searchParameters").is_some();
    if looks_like_results && v.get("statusCode").is_none() {
        return None;
    }
    Some(match v.get("statusCode").and_then(Value::as_u64) {
        Some(code) => format!("Serper: {msg} (status {code})"),
        None => format!("Serper: {msg}"),
    })
}

/// Turn one Serper answer (status and body) into a normalised result page.
pub fn parse_answer(query: &str, status: u16, body: &[u8]) -> Result<SearchResult, ToolError> {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(ToolError::upstream(if (200..300).contains(&status) {
                format!("Serper answered something that is not JSON ({e}): {}", http::snippet(body))
            } else {
                format!("Serper: HTTP {status}: {}", http::snippet(body))
            }))
        }
    };
    if let Some(msg) = service_error(&v) {
        return Err(ToolError::upstream(msg));
    }
    if !(200..300).contains(&status) {
        return Err(ToolError::upstream(format!("Serper: HTTP {status}: {}", http::snippet(body))));
    }
    if !v.is_object() || (v.get("organic").is_none() && v.get("searchParameters").is_none()) {
        return Err(ToolError::upstream(format!(
            "Serper answered JSON without search results: {}",
            http::snippet(body)
        )));
    }
    let organic = items(&v, "organic")
        .enumerate()
        .filter_map(|(i, o)| {
            Some(Organic {
                position: o.get("position").and_then(Value::as_u64).unwrap_or(i as u64 + 1),
                title: text(o, "title").unwrap_or_default(),
                link: text(o, "link")?,
                snippet: text(o, "snippet").unwrap_or_default(),
                date: text(o, "date"),
                sitelinks: items(o, "sitelinks")
                    .filter_map(|s| Some(Sitelink { title: text(s, "title").unwrap_or_default(), link: text(s, "link")? }))
                    .collect(),
                attributes: object(o, "attributes"),
            })
        })
        .collect();
    let answer_box = v.get("answerBox").filter(|a| a.is_object()).map(|a| AnswerBox {
        title: text(a, "title"),
        answer: text(a, "answer"),
        snippet: text(a, "snippet"),
        snippet_highlighted: items(a, "snippetHighlighted").filter_map(|s| s.as_str().map(str::to_string)).collect(),
        link: text(a, "link"),
        date: text(a, "date"),
    });
    let knowledge_graph = v.get("knowledgeGraph").filter(|k| k.is_object()).map(|k| KnowledgeGraph {
        title: text(k, "title").unwrap_or_default(),
        kind: text(k, "type"),
        website: text(k, "website"),
        description: text(k, "description"),
        description_source: text(k, "descriptionSource"),
        description_link: text(k, "descriptionLink"),
        image_url: text(k, "imageUrl"),
        attributes: object(k, "attributes"),
    });
    let people_also_ask = items(&v, "peopleAlsoAsk")
        .filter_map(|p| {
            Some(PeopleAlsoAsk {
                question: text(p, "question")?,
                snippet: text(p, "snippet"),
                title: text(p, "title"),
                link: text(p, "link"),
            })
        })
        .collect();
    let related_searches = items(&v, "relatedSearches")
        .filter_map(|r| text(r, "query").or_else(|| r.as_str().map(str::to_string)))
        .collect();
    let top_stories = items(&v, "topStories")
        .filter_map(|t| {
            Some(TopStory {
                title: text(t, "title").unwrap_or_default(),
                link: text(t, "link")?,
                source: text(t, "source"),
                date: text(t, "date"),
            })
        })
        .collect();
    Ok(SearchResult {
        query: query.to_string(),
        organic,
        answer_box,
        knowledge_graph,
        people_also_ask,
        related_searches,
        top_stories,
    })
}

fn check_query(q: &str) -> Result<&str, ToolError> {
    let t = q.trim();
    if t.is_empty() {
        return Err(ToolError::invalid("a query must not be empty"));
    }
    Ok(t)
}

async fn run_query(query: String) -> Result<SearchResult, ToolError> {
    let body = json!({ "q": query });
    let resp = http::send(
        "POST",
        ENDPOINT,
        &[("content-type", "application/json"), ("accept", "application/json")],
        Some(body.to_string().into_bytes()),
    )
    .await?;
    parse_answer(&query, resp.status, &resp.body)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to search the web for. Google operators work, e.g. `site:who.int measles`,
    /// `intitle:report`, `"exact phrase"`, `-excluded`.
    #[schemars(length(min = 1), extend("x-dive-type" = "search_query"))]
    pub query: String,
}

pub struct Search;
impl Tool for Search {
    const NAME: &'static str = "search";
    const DESCRIPTION: &'static str = "Search the web (Google results via Serper) for one query. Returns the ranked \
        organic results with title, link, snippet and date, plus Google's answer box, knowledge panel, \
        'people also ask' questions and related searches when the page has them.";
    type Args = SearchArgs;
    type Output = SearchResult;
    async fn run(a: SearchArgs) -> Result<SearchResult, ToolError> {
        let q = check_query(&a.query)?.to_string();
        run_query(q).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelArgs {
    /// The queries to run, one web search each (Google operators allowed); all are
    /// sent at the same time.
    #[schemars(length(min = 1, max = 10), inner(length(min = 1)), extend("x-dive-type" = "search_query"))]
    pub queries: Vec<String>,
}

/// The outcome of one query of a parallel search.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum QueryOutcome {
    /// The query's result page.
    Found(SearchResult),
    /// The query failed; the other queries' results are still given.
    Failed {
        #[schemars(extend("x-dive-type" = "search_query"))]
        query: String,
        error: String,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ParallelResult {
    /// One entry per query, in the order the queries were given.
    pub results: Vec<QueryOutcome>,
    pub succeeded: usize,
    pub failed: usize,
}

pub struct ParallelSearch;
impl Tool for ParallelSearch {
    const NAME: &'static str = "parallel_search";
    const DESCRIPTION: &'static str = "Run several web searches (Google results via Serper) at once, 1 to 10 queries. \
        Each query gets the same normalised result page as the search tool, in the order given; a query that \
        fails carries its own error while the others still answer.";
    type Args = ParallelArgs;
    type Output = ParallelResult;
    async fn run(a: ParallelArgs) -> Result<ParallelResult, ToolError> {
        if a.queries.is_empty() || a.queries.len() > 10 {
            return Err(ToolError::invalid(format!("give between 1 and 10 queries (got {})", a.queries.len())));
        }
        let queries = a
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| check_query(q).map(str::to_string).map_err(|_| ToolError::invalid(format!("queries[{i}] is empty"))))
            .collect::<Result<Vec<_>, _>>()?;
        // Every query at once, so their requests are in flight together.
        let outcomes = futures_util::future::join_all(queries.iter().cloned().map(run_query)).await;
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for (q, o) in queries.iter().zip(outcomes) {
            match o {
                Ok(r) => results.push(QueryOutcome::Found(r)),
                Err(e) => {
                    let msg = match &e {
                        ToolError::InvalidArgs(m) | ToolError::Upstream(m) | ToolError::Internal(m) => m.clone(),
                    };
                    errors.push(msg.clone());
                    results.push(QueryOutcome::Failed { query: q.clone(), error: msg })
                }
            }
        }
        if errors.len() == queries.len() {
            let mut uniq = errors.clone();
            uniq.dedup();
            return Err(ToolError::upstream(format!("every query failed: {}", uniq.join("; "))));
        }
        Ok(ParallelResult { succeeded: queries.len() - errors.len(), failed: errors.len(), results })
    }
}

dive_tool_sdk::export_tools!(Search, ParallelSearch);
