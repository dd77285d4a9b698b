//! `browse`: fetch one web page and answer a question about it from its text.
//!
//! The tool fetches the page itself over wasi:http (manifest `network = ["*"]`: any
//! public host; the host refuses loopback/private/link-local addresses unless started
//! with --allow-private-network). Redirects (301/302/303/307/308) are followed here, up
//! to [`MAX_REDIRECTS`] hops, each hop a request of its own that the host checks like
//! any other; only http and https are followed.
//!
//! HTML is turned into readable text in the guest (title, `#` headings, paragraphs,
//! `- ` list items, table rows as `a | b`, links collected with absolute URLs; script,
//! style, noscript, template, svg and the head dropped; entities decoded). The charset
//! comes from the byte-order mark, the Content-Type header, the page's `<meta>`
//! declaration, else UTF-8 / Windows-1252. text/plain, JSON and XML are read as text;
//! other (binary) types are refused.
//!
//! The page is cut into passages, ranked against the question's terms with BM25 (ties
//! by position); the best few are always returned with their scores. Then a language
//! model is asked to answer from the page text, when the user configured one (see
//! [`llm`]): the guest always sends one chat-completions request to the logical origin
//! `https://llm.dive.invalid`, which the host sends to the user's `--upstream` base URL
//! with the key and model name from its secrets, or fails at once when it is not mapped.
//! The result says which answered (`answered_by`: "llm" or "passages"); a model error
//! never fails the browse, it becomes a `note`.

mod extract;
mod llm;
mod rank;

use dive_tool_sdk::http;
use dive_tool_sdk::{Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Characters of page text returned in `text` (the ranking reads the whole page).
pub const MAX_TEXT_CHARS: usize = 40_000;
/// Passages returned.
pub const TOP_K: usize = 5;

const USER_AGENT: &str = "dive-browse/0.1 (sandboxed research tool)";
const ACCEPT: &str = "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.8,*/*;q=0.5";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrowseArgs {
    /// Address of the page to read (http or https).
    #[schemars(extend("format" = "uri", "x-dive-type" = "url"))]
    pub url: String,
    /// The question to answer from the page: its words pick the passages returned, and it is
    /// what the configured language model (if any) is asked.
    #[schemars(length(min = 1))]
    pub query: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Passage {
    /// 1 = most relevant.
    pub rank: usize,
    /// BM25 score against the question's terms (higher is more relevant).
    pub score: f64,
    /// 0-based position of the passage in the page.
    pub position: usize,
    /// The heading the passage sits under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub text: String,
    /// Which of the question's terms the passage contains.
    pub matched_terms: Vec<String>,
}

/// What answered the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnsweredBy {
    /// The configured language model, reading the page text (see `answer`).
    Llm,
    /// The lexical ranking alone: read `passages` (no model configured, or it failed).
    Passages,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PageLink {
    pub text: String,
    #[schemars(extend("x-dive-type" = "url"))]
    pub url: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BrowseResult {
    /// The address asked for.
    #[schemars(extend("x-dive-type" = "url"))]
    pub url: String,
    /// The address the page was finally read from, after redirects.
    #[schemars(extend("x-dive-type" = "url"))]
    pub final_url: String,
    /// Each address that redirected, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<String>,
    pub status: u16,
    pub content_type: String,
    /// The character encoding the page was decoded with.
    pub charset: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub query: String,
    /// The words of the question used for ranking.
    pub query_terms: Vec<String>,
    /// How passages were chosen: "bm25" (lexical ranking, deterministic).
    pub method: String,
    /// "llm" when the configured language model answered (`answer`), else "passages".
    pub answered_by: AnsweredBy,
    /// The language model's answer, drawn from the page text (only when answered_by is "llm").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The passages that best match the question, best first.
    pub passages: Vec<Passage>,
    /// Said when the configured language model gave no answer (with its endpoint's
    /// message), or when no passage contains any of the question's terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The page as readable text (headings marked with '#', list items with '- ').
    pub text: String,
    /// Length in characters of the page's whole readable text.
    pub text_chars: usize,
    /// True when the page was larger than what is read or returned.
    pub truncated: bool,
    /// Links on the page (absolute http/https URLs, each once, in page order).
    pub links: Vec<PageLink>,
    /// How many distinct links the page has (the list is capped).
    pub links_total: usize,
}

fn parse_url(raw: &str) -> Result<url::Url, ToolError> {
    let mut u = url::Url::parse(raw.trim()).map_err(|e| ToolError::invalid(format!("'url' is not a valid URL ({e}): {raw}")))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(ToolError::invalid(format!("'url' must be an http or https address, not {}:", u.scheme())));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(ToolError::invalid(format!("'url' has no host: {raw}")));
    }
    u.set_fragment(None);
    Ok(u)
}

/// What a response's content is.
enum Readable {
    Html,
    Text,
}

fn classify(content_type: &str, body: &[u8]) -> Result<Readable, String> {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "text/html" || essence == "application/xhtml+xml" {
        return Ok(Readable::Html);
    }
    let texty = essence.starts_with("text/")
        || essence == "application/json"
        || essence.ends_with("+json")
        || essence == "application/xml"
        || essence.ends_with("+xml")
        || essence == "application/javascript"
        || essence == "application/x-ndjson";
    if texty {
        return Ok(Readable::Text);
    }
    if essence.is_empty() || essence == "application/octet-stream" {
        // No (useful) type given: look at the bytes.
        let start: Vec<u8> = body.iter().take(512).copied().skip_while(|b| b.is_ascii_whitespace()).take(64).collect();
        let lower = String::from_utf8_lossy(&start).to_ascii_lowercase();
        if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.starts_with("<head") {
            return Ok(Readable::Html);
        }
        if !body.iter().take(4096).any(|&b| b == 0) && essence.is_empty() {
            return Ok(Readable::Text);
        }
    }
    Err(if essence.is_empty() { "no content type (and binary content)".into() } else { essence })
}

struct Fetched {
    final_url: url::Url,
    redirects: Vec<String>,
    response: http::Response,
}

async fn fetch(start: url::Url) -> Result<Fetched, ToolError> {
    let mut current = start;
    let mut redirects: Vec<String> = Vec::new();
    loop {
        let resp = http::send("GET", current.as_str(), &[("user-agent", USER_AGENT), ("accept", ACCEPT)], None).await?;
        if !matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
            return Ok(Fetched { final_url: current, redirects, response: resp });
        }
        let Some(location) = resp.header("location").map(str::trim).filter(|l| !l.is_empty()) else {
            return Err(ToolError::upstream(format!("{current} answered HTTP {} without a Location to go to", resp.status)));
        };
        let mut next = current
            .join(location)
            .map_err(|e| ToolError::upstream(format!("{current} redirected to an invalid address '{location}': {e}")))?;
        next.set_fragment(None);
        if next.scheme() != "http" && next.scheme() != "https" {
            return Err(ToolError::upstream(format!(
                "{current} redirected to {next}, which is not an http or https address (not followed)"
            )));
        }
        redirects.push(current.to_string());
        if redirects.iter().any(|r| r == next.as_str()) {
            return Err(ToolError::upstream(format!(
                "redirect loop: {} leads back to {next} (not followed further)",
                redirects.join(" -> ")
            )));
        }
        if redirects.len() > MAX_REDIRECTS {
            return Err(ToolError::upstream(format!(
                "too many redirects (more than {MAX_REDIRECTS}): {} -> {next}",
                redirects.join(" -> ")
            )));
        }
        current = next;
    }
}

fn cut_chars(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

pub async fn browse(a: BrowseArgs) -> Result<BrowseResult, ToolError> {
    let start = parse_url(&a.url)?;
    if a.query.trim().is_empty() {
        return Err(ToolError::invalid("'query' must not be empty"));
    }
    let Fetched { final_url, redirects, response } = fetch(start.clone()).await?;
    let content_type = response.header("content-type").unwrap_or("").trim().to_string();
    let kind = classify(&content_type, &response.body);
    if !response.is_success() {
        let detail = match kind {
            Ok(Readable::Html) => {
                let (t, _) = extract::decode(&response.body, extract::charset_param(&content_type).as_deref(), true);
                let p = extract::html_to_page(&t, Some(&final_url));
                let text = p.render();
                let title = p.title.map(|t| format!("{t}: ")).unwrap_or_default();
                format!("{title}{}", http::snippet(text.as_bytes()))
            }
            _ => http::snippet(&response.body),
        };
        return Err(ToolError::upstream(format!("{final_url} answered HTTP {}: {detail}", response.status)));
    }
    let kind = kind.map_err(|ct| {
        ToolError::upstream(format!(
            "{final_url} is not readable text: its content type is {ct} (browse reads HTML, plain text, JSON and XML)"
        ))
    })?;
    let header_charset = extract::charset_param(&content_type);
    let (page, charset) = match kind {
        Readable::Html => {
            let (t, cs) = extract::decode(&response.body, header_charset.as_deref(), true);
            (extract::html_to_page(&t, Some(&final_url)), cs)
        }
        Readable::Text => {
            let (t, cs) = extract::decode(&response.body, header_charset.as_deref(), false);
            (extract::text_to_page(&t), cs)
        }
    };
    let full = page.render();
    let text_chars = full.chars().count();
    let (text, cut) = cut_chars(&full, MAX_TEXT_CHARS);
    let passages = rank::passages(&page.blocks);
    let terms = rank::query_terms(&a.query);
    let ranked = rank::rank(&passages, &terms);
    let passage_note = if passages.is_empty() {
        Some("the page has no readable text".to_string())
    } else if ranked.is_empty() {
        Some("no passage of the page contains any of the question's terms; read 'text' instead".to_string())
    } else {
        None
    };
    let ranked: Vec<rank::Scored> = ranked.into_iter().take(TOP_K).collect();
    // Ask the model (if the host has one) unless there is nothing to read.
    let reply = if passages.is_empty() {
        llm::Reply::NotConfigured
    } else {
        let best: Vec<&rank::Passage> = ranked.iter().map(|s| &passages[s.passage]).collect();
        let context = llm::page_context(&full, &best);
        llm::ask(&llm::request_body(&a.query, page.title.as_deref(), final_url.as_str(), &context)).await
    };
    let (answered_by, answer, llm_note) = match reply {
        llm::Reply::Answer(t) => (AnsweredBy::Llm, Some(t), None),
        llm::Reply::NotConfigured => (AnsweredBy::Passages, None, None),
        llm::Reply::Failed(why) => (
            AnsweredBy::Passages,
            None,
            Some(format!("no answer from the language model, the passages are the lexical ranking: {why}")),
        ),
    };
    let note = match (llm_note, passage_note) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    let top = ranked
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let p = &passages[s.passage];
            Passage {
                rank: i + 1,
                score: s.score,
                position: p.index,
                section: p.section.clone(),
                text: p.text.clone(),
                matched_terms: s.matched,
            }
        })
        .collect();
    Ok(BrowseResult {
        url: start.to_string(),
        final_url: final_url.to_string(),
        redirects,
        status: response.status,
        content_type: if content_type.is_empty() { "unknown".into() } else { content_type },
        charset: charset.to_string(),
        title: page.title.clone(),
        query: a.query,
        query_terms: terms,
        method: "bm25".into(),
        answered_by,
        answer,
        passages: top,
        note,
        text: text.to_string(),
        text_chars,
        truncated: page.truncated || cut,
        links: page.links.iter().map(|l| PageLink { text: l.text.clone(), url: l.url.clone() }).collect(),
        links_total: page.links_total,
    })
}

pub struct Browse;
impl Tool for Browse {
    const NAME: &'static str = "browse";
    const DESCRIPTION: &'static str = "Open a web page (following redirects) and answer a question from it: returns the \
        page's title and clean readable text (headings, paragraphs, lists, table rows), its links as absolute URLs, \
        and the passages that best match the question, ranked by a deterministic BM25 word-match score. When the \
        host has a language model configured, its answer drawn from the page text is added ('answer').";
    type Args = BrowseArgs;
    type Output = BrowseResult;
    async fn run(a: BrowseArgs) -> Result<BrowseResult, ToolError> {
        browse(a).await
    }
}

dive_tool_sdk::export_tools!(Browse);
