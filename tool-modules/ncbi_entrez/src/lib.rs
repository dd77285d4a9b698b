//! NCBI Entrez E-utilities (eutils.ncbi.nlm.nih.gov): search, fetch, summaries, database
//! info, links, citation matching and spelling. E-utilities answer XML (or text for
//! ECitMatch and for text-mode EFetch); the tools return JSON that keeps every field of
//! the answer. An `<ERROR>` element with text (or an `error`/`ERROR` member in a JSON
//! answer) becomes an `upstream` error carrying NCBI's message, whatever the HTTP status.
//!
//! Every request carries `tool=dive`, as NCBI asks of E-utility clients. The optional
//! API key is added by the host (`NCBI_API_KEY`, as the `api_key` query parameter).

mod xml;

use bio_core::fasta;
use dive_tool_sdk::http::{self, url_with_query, Response};
use dive_tool_sdk::{hand_schema, json, Tool, ToolError, Value};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Map;

pub use xml::element_to_json;

const BASE: &str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils";

/// The Entrez databases the tools accept.
pub const DBS: &[&str] = &[
    "pubmed", "protein", "nucleotide", "nuccore", "gene", "genome", "structure", "pmc", "taxonomy", "snp", "geo",
    "sra", "books", "cancerchromosomes", "cdd", "gap", "domains", "genomeprj", "gensat", "gds", "homologene",
    "journals", "mesh", "ncbisearch", "nlmcatalog", "omia", "omim", "popset", "probe", "proteinclusters", "pcassay",
    "pccompound", "pcsubstance", "toolkit", "unigene", "unists",
];

// The arguments' JSON Schemas are written out by hand with `hand_schema!` (enums, bounds
// and defaults exactly as E-utilities take them).

fn db_schema(description: &str) -> Value {
    json!({"type": "string", "enum": DBS, "description": description, "x-dive-type": "ncbi_database"})
}

const DATE_PATTERN_SEARCH: &str = r"^\d{4}(/\d{2})?(/\d{2})?$";
const DATE_PATTERN_LINK: &str = r"^\d{4}(/\d{2}(/\d{2})?)?$";

// ---------------------------------------------------------------------------------
// Requests and error answers

/// GET one E-utility with the given parameters (plus `tool=dive`); a non-2xx answer is
/// an `upstream` error with NCBI's own message.
/// Above this many UIDs E-utilities asks for POST (the URL would grow too long for GET).
const GET_MAX_IDS: usize = 200;
/// The most UIDs one request takes (E-utilities' retmax ceiling).
const MAX_IDS: usize = 10_000;

/// GET the utility, or POST it with the `id` list as a form body when the list holds
/// more than [`GET_MAX_IDS`] UIDs (the other parameters stay in the query, where the
/// host adds the API key).
async fn eutil(endpoint: &str, mut params: Vec<(&str, String)>) -> Result<Response, ToolError> {
    params.push(("tool", "dive".to_string()));
    let many = params.iter().any(|(k, v)| *k == "id" && v.split(',').count() > GET_MAX_IDS);
    let resp = if many {
        let (form, query): (Vec<_>, Vec<_>) = params.into_iter().partition(|(k, _)| *k == "id");
        let url = url_with_query(&format!("{BASE}/{endpoint}"), &query);
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", http::encode(v))).collect();
        let headers = [("content-type", "application/x-www-form-urlencoded")];
        http::send("POST", &url, &headers, Some(body.join("&").into_bytes())).await?
    } else {
        http::get(&url_with_query(&format!("{BASE}/{endpoint}"), &params)).await?
    };
    if !resp.is_success() {
        return Err(ToolError::upstream(format!("HTTP {}: {}", resp.status, message_of(&resp.body))));
    }
    Ok(resp)
}

/// The most telling message in an error answer: an XML `<ERROR>`, a JSON `error`, an
/// HTML title, or else the start of the body.
pub fn message_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let t = text.trim();
    if t.starts_with('<') {
        if let Ok(doc) = roxmltree::Document::parse_with_options(t, xml::options()) {
            if let Some(m) = xml_error(doc.root_element(), 3) {
                return m;
            }
            for tag in ["title", "h1"] {
                if let Some(n) = doc.descendants().find(|n| n.has_tag_name(tag)) {
                    let s = xml::all_text(n);
                    if !s.trim().is_empty() {
                        return s.trim().to_string();
                    }
                }
            }
        }
    } else if let Ok(v) = serde_json::from_str::<Value>(t) {
        if let Some(m) = json_error(&v) {
            return m;
        }
    }
    http::snippet(body)
}

/// The text of the first non-empty `<ERROR>` at most `depth` levels below `node`
/// (the node itself included).
pub fn xml_error(node: roxmltree::Node<'_, '_>, depth: usize) -> Option<String> {
    if node.is_element() && node.tag_name().name().eq_ignore_ascii_case("ERROR") {
        let t = xml::all_text(node);
        let t = t.trim();
        if !t.is_empty() {
            return Some(t.to_string());
        }
    }
    if depth == 0 {
        return None;
    }
    node.children().filter(|c| c.is_element()).find_map(|c| xml_error(c, depth - 1))
}

/// An `error`/`ERROR` member (text, or a list of texts) of a JSON answer or of one of
/// its top-level objects (`esearchresult.ERROR`).
pub fn json_error(v: &Value) -> Option<String> {
    fn direct(v: &Value) -> Option<String> {
        let o = v.as_object()?;
        for k in ["error", "ERROR"] {
            match o.get(k) {
                Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_string()),
                Some(Value::Array(a)) if !a.is_empty() => {
                    return Some(a.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>().join("; "))
                }
                _ => {}
            }
        }
        None
    }
    direct(v).or_else(|| v.as_object()?.values().find_map(direct))
}

/// Parse an XML answer whose root must be one of `roots`; an `<ERROR>` near the top is
/// an `upstream` error.
fn parse_xml<'a>(text: &'a str, roots: &[&str], what: &str) -> Result<roxmltree::Document<'a>, ToolError> {
    let doc = roxmltree::Document::parse_with_options(text, xml::options()).map_err(|e| {
        if text.trim().is_empty() {
            ToolError::upstream(format!("NCBI {what} answered an empty body"))
        } else {
            ToolError::upstream(format!("NCBI {what} answered something that is not XML ({e}): {}", http::snippet(text.as_bytes())))
        }
    })?;
    let root = doc.root_element();
    if let Some(m) = xml_error(root, 1) {
        return Err(ToolError::upstream(format!("NCBI {what}: {m}")));
    }
    if !roots.iter().any(|r| root.has_tag_name(*r)) {
        return Err(ToolError::upstream(format!(
            "NCBI {what} answered <{}> where {} was expected: {}",
            root.tag_name().name(),
            roots.join(" or "),
            http::snippet(text.as_bytes())
        )));
    }
    Ok(doc)
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('{') | Some('['))
}

fn parse_json(text: &str, what: &str) -> Result<Value, ToolError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        ToolError::upstream(format!("NCBI {what} answered malformed JSON ({e}): {}", http::snippet(text.as_bytes())))
    })?;
    if let Some(m) = json_error(&v) {
        return Err(ToolError::upstream(format!("NCBI {what}: {m}")));
    }
    Ok(v)
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

fn child_text(n: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(n, name).map(|c| xml::all_text(c).trim().to_string())
}

fn texts(n: Option<roxmltree::Node<'_, '_>>, name: &str) -> Vec<String> {
    n.map(|n| n.children().filter(|c| c.has_tag_name(name)).map(|c| xml::all_text(c).trim().to_string()).collect())
        .unwrap_or_default()
}

fn number(s: Option<String>) -> u64 {
    s.and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

/// Split a comma-separated id list (blank items rejected; at most `max` ids).
fn id_list(ids: &str, max: usize) -> Result<String, ToolError> {
    let parts: Vec<&str> = ids.split(',').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ToolError::invalid(format!("id must be a comma-separated list of ids without blank items, got '{ids}'")));
    }
    if parts.len() > max {
        return Err(ToolError::invalid(format!("at most {max} ids per request (E-utilities' limit), got {}", parts.len())));
    }
    Ok(parts.join(","))
}

fn nonblank(name: &str, v: &str) -> Result<String, ToolError> {
    let t = v.trim();
    if t.is_empty() {
        Err(ToolError::invalid(format!("{name} must not be blank")))
    } else {
        Ok(t.to_string())
    }
}

fn push_opt<T: ToString>(params: &mut Vec<(&'static str, String)>, name: &'static str, v: &Option<T>) {
    if let Some(v) = v {
        params.push((name, v.to_string()));
    }
}

// ---------------------------------------------------------------------------------
// ESearch

fn twenty() -> u32 {
    20
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    pub db: String,
    pub term: String,
    #[serde(default = "twenty")]
    pub retmax: u32,
    #[serde(default)]
    pub retstart: u32,
    pub sort: Option<String>,
    pub rettype: Option<String>,
    pub datetype: Option<String>,
    pub mindate: Option<String>,
    pub maxdate: Option<String>,
}

hand_schema!(SearchArgs, "SearchArgs", json!({
    "type": "object",
    "properties": {
        "db": db_schema("Entrez database to search, e.g. pubmed, nuccore, protein, gene, taxonomy."),
        "term": {"type": "string", "minLength": 1, "x-dive-type": "search_text",
                 "description": "Entrez query; field tags ([au], [ti], [orgn], [mh] ...) and AND/OR/NOT work."},
        "retmax": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 20, "description": "How many ids to return at most."},
        "retstart": {"type": "integer", "minimum": 0, "default": 0, "description": "0-based offset of the first id returned (paging)."},
        "sort": {"type": "string", "enum": ["relevance", "pub_date", "author", "journal"], "description": "Order of the ids (database dependent)."},
        "rettype": {"type": "string", "enum": ["uilist", "count"], "default": "uilist", "description": "uilist returns the ids; count returns only the number of matches."},
        "datetype": {"type": "string", "enum": ["mdat", "pdat", "edat", "crdt", "mhda"], "description": "Which date mindate/maxdate filter on: modification, publication, Entrez, creation or MeSH date."},
        "mindate": {"type": "string", "pattern": DATE_PATTERN_SEARCH, "x-dive-type": "date", "description": "Start of the date range, YYYY, YYYY/MM or YYYY/MM/DD (usually with maxdate; sent alone as given, E-utilities decides)."},
        "maxdate": {"type": "string", "pattern": DATE_PATTERN_SEARCH, "x-dive-type": "date", "description": "End of the date range, YYYY, YYYY/MM or YYYY/MM/DD (usually with mindate; sent alone as given, E-utilities decides)."}
    },
    "required": ["db", "term"],
    "additionalProperties": false
}));

#[derive(Debug, Serialize, JsonSchema)]
pub struct Translation {
    pub from: String,
    pub to: String,
}

/// An ESearch answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResult {
    pub db: String,
    /// How many records match the query in all.
    pub count: u64,
    pub retmax: u64,
    pub retstart: u64,
    /// The matching UIDs of this page (PMIDs for pubmed).
    #[schemars(extend("x-dive-type" = "ncbi_uid"))]
    pub ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_translation: Option<String>,
    /// How terms of the query were expanded.
    pub translation_set: Vec<Translation>,
    /// The parsed query: term sets (Term, Field, Count, Explode) and operators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translation_stack: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webenv: Option<String>,
    /// ErrorList entries by kind (PhraseNotFound, FieldNotFound ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub errors: Map<String, Value>,
    /// WarningList entries by kind (PhraseIgnored, QuotedPhraseNotFound, OutputMessage ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub warnings: Map<String, Value>,
}

fn kinds(n: Option<roxmltree::Node<'_, '_>>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(n) = n {
        for c in n.children().filter(|c| c.is_element()) {
            let entry = m.entry(c.tag_name().name().to_string()).or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(a) = entry {
                a.push(Value::String(xml::all_text(c).trim().to_string()));
            }
        }
    }
    m
}

/// Convert an ESearch answer (XML, or JSON from retmode=json).
pub fn parse_search(db: &str, text: &str) -> Result<SearchResult, ToolError> {
    if looks_like_json(text) {
        let v = parse_json(text, "esearch")?;
        let r = v.get("esearchresult").ok_or_else(|| ToolError::upstream(format!("NCBI esearch answered JSON without esearchresult: {}", http::snippet(text.as_bytes()))))?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
        let obj = |k: &str| r.get(k).and_then(Value::as_object).map(|o| o.iter().filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty())).map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        return Ok(SearchResult {
            db: db.to_string(),
            count: number(s("count")),
            retmax: number(s("retmax")),
            retstart: number(s("retstart")),
            ids: r.get("idlist").and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default(),
            query_translation: s("querytranslation"),
            translation_set: r.get("translationset").and_then(Value::as_array).map(|a| a.iter().map(|t| Translation {
                from: t["from"].as_str().unwrap_or_default().to_string(),
                to: t["to"].as_str().unwrap_or_default().to_string(),
            }).collect()).unwrap_or_default(),
            translation_stack: r.get("translationstack").and_then(Value::as_array).cloned().unwrap_or_default(),
            query_key: s("querykey"),
            webenv: s("webenv"),
            errors: obj("errorlist"),
            warnings: obj("warninglist"),
        });
    }
    let doc = parse_xml(text, &["eSearchResult"], "esearch")?;
    let root = doc.root_element();
    Ok(SearchResult {
        db: db.to_string(),
        count: number(child_text(root, "Count")),
        retmax: number(child_text(root, "RetMax")),
        retstart: number(child_text(root, "RetStart")),
        ids: texts(child(root, "IdList"), "Id"),
        query_translation: child_text(root, "QueryTranslation"),
        translation_set: child(root, "TranslationSet")
            .map(|s| {
                s.children()
                    .filter(|c| c.has_tag_name("Translation"))
                    .map(|t| Translation { from: child_text(t, "From").unwrap_or_default(), to: child_text(t, "To").unwrap_or_default() })
                    .collect()
            })
            .unwrap_or_default(),
        translation_stack: child(root, "TranslationStack")
            .map(|s| {
                s.children()
                    .filter(|c| c.is_element())
                    .map(|c| {
                        let mut m = Map::new();
                        m.insert(c.tag_name().name().to_string(), element_to_json(c));
                        Value::Object(m)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        query_key: child_text(root, "QueryKey"),
        webenv: child_text(root, "WebEnv"),
        errors: kinds(child(root, "ErrorList")),
        warnings: kinds(child(root, "WarningList")),
    })
}

pub struct Search;
impl Tool for Search {
    const NAME: &'static str = "ncbi_entrez_search";
    const DESCRIPTION: &'static str = "Run an Entrez query (ESearch) against one NCBI database and get the matching UIDs \
        (PMIDs for PubMed), the total count and how NCBI translated the query; page with retstart/retmax.";
    type Args = SearchArgs;
    type Output = SearchResult;
    async fn run(a: SearchArgs) -> Result<SearchResult, ToolError> {
        let term = nonblank("term", &a.term)?;
        let mut p: Vec<(&str, String)> = vec![
            ("db", a.db.clone()),
            ("term", term),
            ("retmax", a.retmax.to_string()),
            ("retstart", a.retstart.to_string()),
            ("rettype", a.rettype.clone().unwrap_or_else(|| "uilist".into())),
        ];
        push_opt(&mut p, "sort", &a.sort);
        push_opt(&mut p, "datetype", &a.datetype);
        push_opt(&mut p, "mindate", &a.mindate);
        push_opt(&mut p, "maxdate", &a.maxdate);
        let resp = eutil("esearch.fcgi", p).await?;
        parse_search(&a.db, &resp.text())
    }
}

// ---------------------------------------------------------------------------------
// EFetch

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchArgs {
    pub db: String,
    pub id: String,
    pub rettype: Option<String>,
    pub retmode: Option<String>,
    #[serde(default)]
    pub retstart: u32,
    #[serde(default = "twenty")]
    pub retmax: u32,
    pub strand: Option<u8>,
    pub seq_start: Option<u64>,
    pub seq_stop: Option<u64>,
    pub complexity: Option<u8>,
}

hand_schema!(FetchArgs, "FetchArgs", json!({
    "type": "object",
    "properties": {
        "db": db_schema("Entrez database holding the records."),
        "id": {"type": "string", "minLength": 1, "x-dive-type": "ncbi_uid", "description": "One UID or accession, or several separated by commas (up to 10,000; more than 200 are sent by POST, as E-utilities asks)."},
        "rettype": {"type": "string", "enum": ["xml", "fasta", "gb", "abstract", "medline", "docsum", "uilist"], "description": "Record format (with retmode): e.g. fasta or gb for sequences, abstract or medline for PubMed."},
        "retmode": {"type": "string", "enum": ["xml", "text", "json", "html"], "description": "Encoding of the answer; XML answers are converted to JSON, text is returned as text (FASTA also split into records)."},
        "retstart": {"type": "integer", "minimum": 0, "default": 0, "description": "0-based index of the first record returned."},
        "retmax": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 20, "description": "How many records to return at most."},
        "strand": {"type": "integer", "enum": [1, 2], "description": "Sequence strand: 1 plus, 2 minus (reverse complement)."},
        "seq_start": {"type": "integer", "minimum": 1, "description": "First residue to return (1-based)."},
        "seq_stop": {"type": "integer", "minimum": 1, "description": "Last residue to return (1-based)."},
        "complexity": {"type": "integer", "enum": [0, 1, 2], "description": "How much of a sequence record's data blob to return: 0 whole blob, 1 the bioseq, 2 the minimal bioseq-set."}
    },
    "required": ["db", "id"],
    "additionalProperties": false
}));

/// One FASTA record of a text answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FastaRecord {
    /// The first word of the header line (accession.version for NCBI sequences).
    #[schemars(extend("x-dive-type" = "accession"))]
    pub id: String,
    /// The whole header line, without '>'.
    pub description: String,
    pub sequence: String,
    pub length: usize,
}

/// An EFetch answer: XML records converted to JSON, or the text as sent.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FetchResult {
    pub db: String,
    /// The ids asked for.
    #[schemars(extend("x-dive-type" = "ncbi_uid"))]
    pub ids: Vec<String>,
    /// xml, json or text: how NCBI answered.
    pub format: String,
    /// The root element of an XML answer (PubmedArticleSet, GBSet, TaxaSet ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The answer as JSON: XML elements become objects keyed by child name (attributes
    /// as "@name", text beside attributes as "#text"; children of *List/*Set elements
    /// and repeated children are arrays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The answer as text (text and html modes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// FASTA records of a FASTA text answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<FastaRecord>>,
}

impl From<fasta::FastaRecord> for FastaRecord {
    fn from(r: fasta::FastaRecord) -> Self {
        FastaRecord { id: r.id, description: r.description, sequence: r.sequence, length: r.length }
    }
}

/// The FASTA records of a text answer (split by bio_core).
pub fn parse_fasta(text: &str) -> Vec<FastaRecord> {
    fasta::parse_fasta(text).into_iter().map(FastaRecord::from).collect()
}

/// Convert an EFetch answer given its content type.
pub fn parse_fetch(db: &str, ids: Vec<String>, content_type: Option<&str>, text: &str) -> Result<FetchResult, ToolError> {
    let ct = content_type.unwrap_or_default().to_ascii_lowercase();
    let t = text.trim_start();
    if t.trim().is_empty() {
        return Err(ToolError::upstream(format!("NCBI efetch answered an empty body for {db} id {}", ids.join(","))));
    }
    let mut out = FetchResult { db: db.to_string(), ids, format: "text".into(), root: None, data: None, text: None, records: None };
    let is_html = ct.contains("html") || t.to_ascii_lowercase().starts_with("<!doctype html") || t.to_ascii_lowercase().starts_with("<html");
    if !is_html && (ct.contains("xml") || t.starts_with("<?xml") || t.starts_with("<!DOCTYPE") || t.starts_with('<')) {
        let doc = roxmltree::Document::parse_with_options(text, xml::options()).map_err(|e| {
            ToolError::upstream(format!("NCBI efetch answered malformed XML ({e}): {}", http::snippet(text.as_bytes())))
        })?;
        let root = doc.root_element();
        if let Some(m) = xml_error(root, 1) {
            return Err(ToolError::upstream(format!("NCBI efetch: {m}")));
        }
        out.format = "xml".into();
        out.root = Some(root.tag_name().name().to_string());
        out.data = Some(element_to_json(root));
        return Ok(out);
    }
    if !is_html && (ct.contains("json") || looks_like_json(t)) {
        out.format = "json".into();
        out.data = Some(parse_json(text, "efetch")?);
        return Ok(out);
    }
    if let Some(rest) = t.strip_prefix("Error:").or_else(|| t.strip_prefix("ERROR:")) {
        return Err(ToolError::upstream(format!("NCBI efetch: {}", rest.trim())));
    }
    if t.starts_with('>') {
        out.records = Some(parse_fasta(text));
    }
    out.text = Some(text.to_string());
    Ok(out)
}

pub struct Fetch;
impl Tool for Fetch {
    const NAME: &'static str = "ncbi_entrez_fetch";
    const DESCRIPTION: &'static str = "Download full records (EFetch) from an NCBI database by UID or accession: PubMed \
        articles, GenBank/protein records, FASTA sequences, taxonomy entries and more. XML answers come back as JSON \
        with every element kept; text formats (FASTA, GenBank flat file, MEDLINE) come back as text, FASTA also as records.";
    type Args = FetchArgs;
    type Output = FetchResult;
    async fn run(a: FetchArgs) -> Result<FetchResult, ToolError> {
        let ids = id_list(&a.id, MAX_IDS)?;
        if let (Some(s), Some(e)) = (a.seq_start, a.seq_stop) {
            if s > e {
                return Err(ToolError::invalid(format!("seq_start ({s}) is after seq_stop ({e})")));
            }
        }
        let mut p: Vec<(&str, String)> = vec![("db", a.db.clone()), ("id", ids.clone())];
        push_opt(&mut p, "rettype", &a.rettype);
        push_opt(&mut p, "retmode", &a.retmode);
        p.push(("retstart", a.retstart.to_string()));
        p.push(("retmax", a.retmax.to_string()));
        push_opt(&mut p, "strand", &a.strand);
        push_opt(&mut p, "seq_start", &a.seq_start);
        push_opt(&mut p, "seq_stop", &a.seq_stop);
        push_opt(&mut p, "complexity", &a.complexity);
        let resp = eutil("efetch.fcgi", p).await?;
        parse_fetch(&a.db, ids.split(',').map(str::to_string).collect(), resp.header("content-type"), &resp.text())
    }
}

// ---------------------------------------------------------------------------------
// ESummary

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryArgs {
    pub db: String,
    pub id: String,
    #[serde(default)]
    pub retstart: u32,
    #[serde(default = "twenty")]
    pub retmax: u32,
    pub version: Option<String>,
}

hand_schema!(SummaryArgs, "SummaryArgs", json!({
    "type": "object",
    "properties": {
        "db": db_schema("Entrez database holding the records."),
        "id": {"type": "string", "minLength": 1, "x-dive-type": "ncbi_uid", "description": "One UID, or several separated by commas (up to 10,000; more than 200 are sent by POST, as E-utilities asks)."},
        "retstart": {"type": "integer", "minimum": 0, "default": 0, "description": "0-based index of the first summary returned."},
        "retmax": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 20, "description": "How many summaries to return at most."},
        "version": {"type": "string", "enum": ["1.0", "2.0"], "default": "2.0", "description": "Summary format: 2.0 gives each database's full field set, 1.0 the older typed Item list."}
    },
    "required": ["db", "id"],
    "additionalProperties": false
}));

/// One document summary: its UID and every field NCBI gave, under NCBI's names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DocSummary {
    #[schemars(extend("x-dive-type" = "ncbi_uid"))]
    pub uid: String,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// An ESummary answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SummaryResult {
    pub db: String,
    /// The summary format NCBI answered in (1.0: DocSum items; 2.0: DocumentSummary).
    pub version: String,
    pub documents: Vec<DocSummary>,
    /// Per-id errors NCBI reported beside the summaries it could give.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_build: Option<String>,
}

/// A version 1.0 `<Item Name Type>` as JSON: List → array, Structure → object,
/// Integer → number, anything else → text.
fn v1_item(n: roxmltree::Node<'_, '_>) -> Value {
    let items = || n.children().filter(|c| c.has_tag_name("Item"));
    match n.attribute("Type") {
        Some("List") => Value::Array(items().map(v1_item).collect()),
        Some("Structure") => {
            Value::Object(group(items().map(|c| (c.attribute("Name").unwrap_or("Item").to_string(), v1_item(c)))))
        }
        Some("Integer") => {
            let t = xml::all_text(n);
            t.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(t.trim().to_string()))
        }
        _ => Value::String(xml::all_text(n).trim().to_string()),
    }
}

/// Name/value pairs as an object; a name given more than once holds the list of its values.
fn group(pairs: impl IntoIterator<Item = (String, Value)>) -> Map<String, Value> {
    let mut order: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, v) in pairs {
        match order.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v),
            None => order.push((k, vec![v])),
        }
    }
    order
        .into_iter()
        .map(|(k, mut vs)| if vs.len() == 1 { (k, vs.pop().unwrap()) } else { (k, Value::Array(vs)) })
        .collect()
}

pub fn parse_summary(db: &str, text: &str) -> Result<SummaryResult, ToolError> {
    if looks_like_json(text) {
        let v: Value = serde_json::from_str(text).map_err(|e| ToolError::upstream(format!("NCBI esummary answered malformed JSON ({e}): {}", http::snippet(text.as_bytes()))))?;
        let result = v.get("result").and_then(Value::as_object);
        let Some(result) = result else {
            let m = json_error(&v)
                .or_else(|| v.get("esummaryresult").map(|e| e.to_string()))
                .unwrap_or_else(|| http::snippet(text.as_bytes()));
            return Err(ToolError::upstream(format!("NCBI esummary: {m}")));
        };
        let uids: Vec<String> = result.get("uids").and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
        let mut documents = Vec::new();
        let mut errors = Vec::new();
        for uid in uids {
            match result.get(&uid) {
                Some(Value::Object(o)) => {
                    let mut fields = o.clone();
                    fields.remove("uid");
                    documents.push(DocSummary { uid, fields });
                }
                _ => errors.push(format!("no summary for {uid}")),
            }
        }
        if documents.is_empty() {
            if let Some(m) = json_error(&v) {
                return Err(ToolError::upstream(format!("NCBI esummary: {m}")));
            }
        }
        return Ok(SummaryResult { db: db.to_string(), version: "2.0".into(), documents, errors, db_build: None });
    }
    let doc = roxmltree::Document::parse_with_options(text, xml::options()).map_err(|e| {
        if text.trim().is_empty() {
            ToolError::upstream("NCBI esummary answered an empty body")
        } else {
            ToolError::upstream(format!("NCBI esummary answered something that is not XML ({e}): {}", http::snippet(text.as_bytes())))
        }
    })?;
    let root = doc.root_element();
    if !root.has_tag_name("eSummaryResult") {
        if let Some(m) = xml_error(root, 1) {
            return Err(ToolError::upstream(format!("NCBI esummary: {m}")));
        }
        return Err(ToolError::upstream(format!("NCBI esummary answered <{}>: {}", root.tag_name().name(), http::snippet(text.as_bytes()))));
    }
    let top_errors: Vec<String> = root
        .children()
        .filter(|c| c.tag_name().name().eq_ignore_ascii_case("ERROR"))
        .map(|c| xml::all_text(c).trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let mut documents = Vec::new();
    let mut version = "1.0".to_string();
    let mut db_build = None;
    let mut errors = top_errors.clone();
    if let Some(set) = child(root, "DocumentSummarySet") {
        version = "2.0".into();
        db_build = child_text(set, "DbBuild");
        errors.extend(
            set.children()
                .filter(|c| c.tag_name().name().eq_ignore_ascii_case("ERROR"))
                .map(|c| xml::all_text(c).trim().to_string())
                .filter(|t| !t.is_empty()),
        );
        for d in set.children().filter(|c| c.has_tag_name("DocumentSummary")) {
            let mut fields = match element_to_json(d) {
                Value::Object(o) => o,
                Value::String(s) if s.is_empty() => Map::new(),
                other => {
                    let mut m = Map::new();
                    m.insert("#text".into(), other);
                    m
                }
            };
            fields.remove("@uid");
            documents.push(DocSummary { uid: d.attribute("uid").unwrap_or_default().to_string(), fields });
        }
    }
    for d in root.children().filter(|c| c.has_tag_name("DocSum")) {
        let fields = group(d.children().filter(|c| c.has_tag_name("Item")).map(|it| (it.attribute("Name").unwrap_or("Item").to_string(), v1_item(it))));
        documents.push(DocSummary { uid: child_text(d, "Id").unwrap_or_default(), fields });
    }
    if documents.is_empty() {
        if !errors.is_empty() {
            return Err(ToolError::upstream(format!("NCBI esummary: {}", errors.join("; "))));
        }
    }
    Ok(SummaryResult { db: db.to_string(), version, documents, errors, db_build })
}

pub struct Summary;
impl Tool for Summary {
    const NAME: &'static str = "ncbi_entrez_summary";
    const DESCRIPTION: &'static str = "Get document summaries (ESummary) for NCBI UIDs: titles, authors, dates, organism, \
        lengths and the other summary fields of each record, under NCBI's own field names.";
    type Args = SummaryArgs;
    type Output = SummaryResult;
    async fn run(a: SummaryArgs) -> Result<SummaryResult, ToolError> {
        let ids = id_list(&a.id, MAX_IDS)?;
        let p: Vec<(&str, String)> = vec![
            ("db", a.db.clone()),
            ("id", ids),
            ("retstart", a.retstart.to_string()),
            ("retmax", a.retmax.to_string()),
            ("version", a.version.clone().unwrap_or_else(|| "2.0".into())),
        ];
        let resp = eutil("esummary.fcgi", p).await?;
        parse_summary(&a.db, &resp.text())
    }
}

// ---------------------------------------------------------------------------------
// EInfo

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoArgs {
    pub db: Option<String>,
    pub version: Option<String>,
}

hand_schema!(InfoArgs, "InfoArgs", json!({
    "type": "object",
    "properties": {
        "db": db_schema("Database to describe; leave out to list every Entrez database."),
        "version": {"type": "string", "enum": ["1.0", "2.0"], "default": "2.0", "description": "EInfo format; 2.0 adds field details such as IsTruncatable and IsRangeable."}
    },
    "required": [],
    "additionalProperties": false
}));

/// An EInfo answer: the database list, or one database's description.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InfoResult {
    /// All Entrez database names (when no db was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "ncbi_database"))]
    pub databases: Option<Vec<String>>,
    /// The database's DbInfo under NCBI's names: DbName, MenuName, Description, DbBuild,
    /// Count, LastUpdate, FieldList.Field[] and LinkList.Link[].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_info: Option<Value>,
}

pub fn parse_info(text: &str) -> Result<InfoResult, ToolError> {
    if looks_like_json(text) {
        let v = parse_json(text, "einfo")?;
        let r = &v["einforesult"];
        return Ok(InfoResult {
            databases: r["dblist"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
            db_info: r["dbinfo"].as_array().and_then(|a| a.first().cloned()).or_else(|| r.get("dbinfo").cloned()),
        });
    }
    let doc = parse_xml(text, &["eInfoResult"], "einfo")?;
    let root = doc.root_element();
    Ok(InfoResult {
        databases: child(root, "DbList").map(|l| texts(Some(l), "DbName")),
        db_info: child(root, "DbInfo").map(element_to_json),
    })
}

pub struct Info;
impl Tool for Info {
    const NAME: &'static str = "ncbi_entrez_einfo";
    const DESCRIPTION: &'static str = "Describe NCBI Entrez databases (EInfo): without db, the list of all databases; with \
        db, its record count, last update, searchable fields and the links it has to other databases.";
    type Args = InfoArgs;
    type Output = InfoResult;
    async fn run(a: InfoArgs) -> Result<InfoResult, ToolError> {
        let mut p: Vec<(&str, String)> = Vec::new();
        push_opt(&mut p, "db", &a.db);
        p.push(("version", a.version.clone().unwrap_or_else(|| "2.0".into())));
        let resp = eutil("einfo.fcgi", p).await?;
        parse_info(&resp.text())
    }
}

// ---------------------------------------------------------------------------------
// ELink

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkArgs {
    pub dbfrom: String,
    pub db: String,
    pub id: String,
    pub linkname: Option<String>,
    pub term: Option<String>,
    pub holding: Option<String>,
    pub datetype: Option<String>,
    pub reldate: Option<u32>,
    pub mindate: Option<String>,
    pub maxdate: Option<String>,
    pub cmd: Option<String>,
}

hand_schema!(LinkArgs, "LinkArgs", json!({
    "type": "object",
    "properties": {
        "dbfrom": db_schema("Database the given ids belong to."),
        "db": db_schema("Database to find linked records in (the same as dbfrom for related records)."),
        "id": {"type": "string", "minLength": 1, "x-dive-type": "ncbi_uid", "description": "One UID, or several separated by commas."},
        "linkname": {"type": "string", "description": "Only this link, named dbfrom_db[_subset], e.g. pubmed_pubmed or gene_protein; all links when left out."},
        "term": {"type": "string", "description": "Entrez query that the linked records must also match."},
        "holding": {"type": "string", "description": "LinkOut provider (institution) to restrict llinks/prlinks answers to."},
        "datetype": {"type": "string", "enum": ["mdat", "pdat", "edat"], "description": "Which date reldate/mindate/maxdate filter on."},
        "reldate": {"type": "integer", "minimum": 0, "description": "Only linked records dated within this many days before today."},
        "mindate": {"type": "string", "pattern": DATE_PATTERN_LINK, "x-dive-type": "date", "description": "Start of the date range, YYYY, YYYY/MM or YYYY/MM/DD (usually with maxdate; sent alone as given, E-utilities decides)."},
        "maxdate": {"type": "string", "pattern": DATE_PATTERN_LINK, "x-dive-type": "date", "description": "End of the date range, YYYY, YYYY/MM or YYYY/MM/DD (usually with mindate; sent alone as given, E-utilities decides)."},
        "cmd": {"type": "string", "enum": ["neighbor", "neighbor_score", "acheck", "ncheck", "lcheck", "llinks", "llinkslib", "prlinks"], "default": "neighbor",
                "description": "What to compute: linked ids (neighbor), with scores (neighbor_score), available links (acheck), neighbor/LinkOut checks (ncheck, lcheck), LinkOut URLs (llinks, llinkslib) or the full-text provider link (prlinks)."}
    },
    "required": ["dbfrom", "db", "id"],
    "additionalProperties": false
}));

#[derive(Debug, Serialize, JsonSchema)]
pub struct Link {
    #[schemars(extend("x-dive-type" = "ncbi_uid"))]
    pub id: String,
    /// Similarity score (neighbor_score).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
}

/// The links of one kind from the source ids.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkSetDb {
    pub dbto: String,
    pub linkname: String,
    pub links: Vec<Link>,
    /// Anything else NCBI put in the LinkSetDb (e.g. an ERROR or Info), under its names.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One LinkSet: the source ids and what they link to. Other blocks (IdUrlList for
/// llinks/prlinks, IdCheckList for acheck/ncheck/lcheck, LinkSetDbHistory, WebEnv) are
/// kept under NCBI's element names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkSet {
    pub dbfrom: String,
    #[schemars(extend("x-dive-type" = "ncbi_uid"))]
    pub ids: Vec<String>,
    pub linksetdbs: Vec<LinkSetDb>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkResult {
    pub linksets: Vec<LinkSet>,
    /// Every linked id over all link sets, in order, without repeats.
    #[schemars(extend("x-dive-type" = "ncbi_uid"))]
    pub linked_ids: Vec<String>,
}

pub fn parse_link(text: &str) -> Result<LinkResult, ToolError> {
    let doc = parse_xml(text, &["eLinkResult"], "elink")?;
    let root = doc.root_element();
    let mut linksets = Vec::new();
    for ls in root.children().filter(|c| c.has_tag_name("LinkSet")) {
        let mut other_pairs: Vec<(String, Value)> = Vec::new();
        let mut linksetdbs = Vec::new();
        for c in ls.children().filter(|c| c.is_element()) {
            match c.tag_name().name() {
                "DbFrom" => {}
                "IdList" => {}
                "LinkSetDb" => {
                    let o = group(
                        c.children()
                            .filter(|x| x.is_element() && !matches!(x.tag_name().name(), "DbTo" | "LinkName" | "Link"))
                            .map(|x| (x.tag_name().name().to_string(), element_to_json(x))),
                    );
                    linksetdbs.push(LinkSetDb {
                        dbto: child_text(c, "DbTo").unwrap_or_default(),
                        linkname: child_text(c, "LinkName").unwrap_or_default(),
                        links: c
                            .children()
                            .filter(|l| l.has_tag_name("Link"))
                            .map(|l| Link { id: child_text(l, "Id").unwrap_or_default(), score: child_text(l, "Score") })
                            .collect(),
                        other: o,
                    })
                }
                name => other_pairs.push((name.to_string(), element_to_json(c))),
            }
        }
        let other = group(other_pairs);
        // An ERROR with nothing linked is the answer's failure.
        if linksetdbs.is_empty() {
            if let Some(Value::String(m)) = other.get("ERROR") {
                if !m.is_empty() && other.len() == 1 {
                    return Err(ToolError::upstream(format!("NCBI elink: {m}")));
                }
            }
        }
        linksets.push(LinkSet {
            dbfrom: child_text(ls, "DbFrom").unwrap_or_default(),
            ids: child(ls, "IdList").map(|l| texts(Some(l), "Id")).unwrap_or_default(),
            linksetdbs,
            other,
        });
    }
    let mut linked_ids: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in &linksets {
        for d in &s.linksetdbs {
            for l in &d.links {
                if seen.insert(l.id.clone()) {
                    linked_ids.push(l.id.clone());
                }
            }
        }
    }
    Ok(LinkResult { linksets, linked_ids })
}

pub struct Elink;
impl Tool for Elink {
    const NAME: &'static str = "ncbi_entrez_elink";
    const DESCRIPTION: &'static str = "Follow Entrez links (ELink) from UIDs in one NCBI database to another or the same one: \
        related articles, gene to protein, sequence to PubMed and so on, with scores, link checks or LinkOut URLs by cmd.";
    type Args = LinkArgs;
    type Output = LinkResult;
    async fn run(a: LinkArgs) -> Result<LinkResult, ToolError> {
        let ids = id_list(&a.id, MAX_IDS)?;
        let mut p: Vec<(&str, String)> = vec![("dbfrom", a.dbfrom.clone()), ("db", a.db.clone()), ("id", ids)];
        p.push(("cmd", a.cmd.clone().unwrap_or_else(|| "neighbor".into())));
        push_opt(&mut p, "linkname", &a.linkname.as_deref().map(str::trim).filter(|s| !s.is_empty()));
        push_opt(&mut p, "term", &a.term.as_deref().map(str::trim).filter(|s| !s.is_empty()));
        push_opt(&mut p, "holding", &a.holding.as_deref().map(str::trim).filter(|s| !s.is_empty()));
        push_opt(&mut p, "datetype", &a.datetype);
        push_opt(&mut p, "reldate", &a.reldate);
        push_opt(&mut p, "mindate", &a.mindate);
        push_opt(&mut p, "maxdate", &a.maxdate);
        let resp = eutil("elink.fcgi", p).await?;
        parse_link(&resp.text())
    }
}

// ---------------------------------------------------------------------------------
// ECitMatch

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitArgs {
    pub bdata: String,
}

hand_schema!(CitArgs, "CitArgs", json!({
    "type": "object",
    "properties": {
        "bdata": {"type": "string", "minLength": 1, "x-dive-type": "citation",
                  "description": "Citations, one per line, each as journal|year|volume|first page|author|your key| (e.g. proc natl acad sci u s a|1991|88|3248|mann bj|c1|)."}
    },
    "required": ["bdata"],
    "additionalProperties": false
}));

/// One citation and the PMID it matched.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CitMatch {
    pub journal: String,
    pub year: String,
    pub volume: String,
    pub first_page: String,
    pub author: String,
    pub key: String,
    /// The matching PubMed id, when exactly one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "pmid"))]
    pub pmid: Option<String>,
    /// found, or NCBI's verdict (NOT_FOUND, AMBIGUOUS ...).
    pub status: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CitResult {
    pub matches: Vec<CitMatch>,
}

pub fn parse_citmatch(text: &str) -> Result<CitResult, ToolError> {
    let mut matches = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() < 7 {
            return Err(ToolError::upstream(format!("NCBI ecitmatch answered an unexpected line: {}", http::snippet(line.as_bytes()))));
        }
        let last = f[6..].join("|").trim().to_string();
        let found = !last.is_empty() && last.chars().all(|c| c.is_ascii_digit());
        matches.push(CitMatch {
            journal: f[0].trim().into(),
            year: f[1].trim().into(),
            volume: f[2].trim().into(),
            first_page: f[3].trim().into(),
            author: f[4].trim().into(),
            key: f[5].trim().into(),
            pmid: found.then(|| last.clone()),
            status: if found { "found".into() } else if last.is_empty() { "NOT_FOUND".into() } else { last },
        });
    }
    if matches.is_empty() {
        return Err(ToolError::upstream(format!("NCBI ecitmatch answered no citation lines: {}", http::snippet(text.as_bytes()))));
    }
    Ok(CitResult { matches })
}

pub struct CitMatchTool;
impl Tool for CitMatchTool {
    const NAME: &'static str = "ncbi_entrez_ecitmatch";
    const DESCRIPTION: &'static str = "Find the PubMed ids of citations (ECitMatch) given as journal|year|volume|first page|author|key| lines.";
    type Args = CitArgs;
    type Output = CitResult;
    async fn run(a: CitArgs) -> Result<CitResult, ToolError> {
        let lines: Vec<String> = a
            .bdata
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| if l.ends_with('|') { l.to_string() } else { format!("{l}|") })
            .collect();
        if lines.is_empty() {
            return Err(ToolError::invalid("bdata holds no citation"));
        }
        if let Some(bad) = lines.iter().find(|l| l.matches('|').count() < 4) {
            return Err(ToolError::invalid(format!("each citation needs journal|year|volume|first page|author|key|, got '{bad}'")));
        }
        let p: Vec<(&str, String)> = vec![("db", "pubmed".into()), ("retmode", "xml".into()), ("bdata", lines.join("\r"))];
        let resp = eutil("ecitmatch.cgi", p).await?;
        let text = resp.text();
        if text.trim_start().starts_with('<') {
            return Err(ToolError::upstream(format!("NCBI ecitmatch: {}", message_of(&resp.body))));
        }
        parse_citmatch(&text)
    }
}

// ---------------------------------------------------------------------------------
// ESpell

fn pubmed() -> String {
    "pubmed".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpellArgs {
    pub term: String,
    #[serde(default = "pubmed")]
    pub db: String,
}

hand_schema!(SpellArgs, "SpellArgs", json!({
    "type": "object",
    "properties": {
        "term": {"type": "string", "minLength": 1, "x-dive-type": "search_text", "description": "Query text to check."},
        "db": {"type": "string", "enum": DBS, "default": "pubmed", "x-dive-type": "ncbi_database", "description": "Database whose vocabulary the suggestions come from."}
    },
    "required": ["term"],
    "additionalProperties": false
}));

#[derive(Debug, Serialize, JsonSchema)]
pub struct SpellPart {
    /// original (kept as typed) or replaced (a corrected word).
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SpellResult {
    pub database: String,
    pub query: String,
    /// The suggested query (equal to the query when nothing was corrected).
    #[schemars(extend("x-dive-type" = "search_text"))]
    pub corrected_query: String,
    /// The query piece by piece, in order.
    pub spelled_query: Vec<SpellPart>,
}

pub fn parse_spell(text: &str) -> Result<SpellResult, ToolError> {
    let doc = parse_xml(text, &["eSpellResult"], "espell")?;
    let root = doc.root_element();
    Ok(SpellResult {
        database: child_text(root, "Database").unwrap_or_default(),
        query: child_text(root, "Query").unwrap_or_default(),
        corrected_query: child_text(root, "CorrectedQuery").unwrap_or_default(),
        spelled_query: child(root, "SpelledQuery")
            .map(|s| {
                s.children()
                    .filter(|c| c.is_element())
                    .map(|c| SpellPart { kind: c.tag_name().name().to_ascii_lowercase(), text: xml::all_text(c) })
                    .filter(|p| !p.text.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
    })
}

pub struct Spell;
impl Tool for Spell {
    const NAME: &'static str = "ncbi_entrez_espell";
    const DESCRIPTION: &'static str = "Check the spelling of an Entrez query (ESpell) and get NCBI's corrected query with the replaced words marked.";
    type Args = SpellArgs;
    type Output = SpellResult;
    async fn run(a: SpellArgs) -> Result<SpellResult, ToolError> {
        let term = nonblank("term", &a.term)?;
        let resp = eutil("espell.fcgi", vec![("db", a.db.clone()), ("term", term)]).await?;
        parse_spell(&resp.text())
    }
}

dive_tool_sdk::export_tools!(Search, Fetch, Summary, Info, Elink, CitMatchTool, Spell);
