//! TogoWS (DBCLS) REST tools: database entries, keyword search and its hit count, and
//! format conversion. TogoWS chooses the answer's format by the URL's extension: JSON
//! (`.json`) is returned as JSON, everything else (FASTA, XML, flat files, id lists) as
//! the text TogoWS sent, FASTA also split into records.
//!
//! The catalog's origin is http://togows.org; the service itself answers at
//! https://togows.dbcls.jp, where togows.org redirects. The host never follows
//! redirects, so the tools follow one to either origin themselves (a new request that
//! the host checks like any other).

use dive_tool_sdk::http::{self, encode, Response};
use dive_tool_sdk::{hand_schema, json, Tool, ToolError, Value};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// FASTA answers are split into records by bio_core (its record type is the output schema's).
pub use bio_core::fasta::{parse_fasta, FastaRecord};

const BASE: &str = "http://togows.org";
const ORIGINS: &[&str] = &["http://togows.org", "https://togows.dbcls.jp"];
const DATABASES: &[&str] = &["uniprot", "ncbi-pubmed", "ncbi-nucleotide", "ncbi-protein", "ncbi-taxonomy", "ebi-ena", "ddbj"];

fn db_schema(description: &str) -> Value {
    json!({"type": "string", "enum": DATABASES, "description": description, "x-dive-type": "togows_database"})
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let after = url.find("://")? + 3;
    let end = url[after..].find('/').map(|i| after + i).unwrap_or(url.len());
    Some(&url[..end])
}

/// Send a request, following up to three redirects within the TogoWS origins; a non-2xx
/// answer is an `upstream` error with TogoWS's message.
async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Result<Response, ToolError> {
    let mut url = url.to_string();
    for _ in 0..4 {
        let resp = http::send(method, &url, headers, body.clone()).await?;
        if matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
            let Some(loc) = resp.header("location").map(str::trim).filter(|l| !l.is_empty()) else {
                return Err(ToolError::upstream(format!("TogoWS answered HTTP {} without a Location", resp.status)));
            };
            let next = if loc.starts_with('/') { format!("{}{loc}", origin_of(&url).unwrap_or(BASE)) } else { loc.to_string() };
            if !origin_of(&next).is_some_and(|o| ORIGINS.contains(&o)) {
                return Err(ToolError::upstream(format!("TogoWS redirected to {next}, outside {}", ORIGINS.join(" and "))));
            }
            url = next;
            continue;
        }
        if !resp.is_success() {
            return Err(ToolError::upstream(format!("TogoWS answered HTTP {}: {}", resp.status, http::snippet(&resp.body))));
        }
        return Ok(resp);
    }
    Err(ToolError::upstream("TogoWS redirected too many times"))
}

fn path_part(name: &str, v: &str) -> Result<String, ToolError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(ToolError::invalid(format!("{name} must not be blank")));
    }
    Ok(encode(t))
}

/// TogoWS reports some failures in a 200 text body.
fn text_error(text: &str) -> Option<String> {
    let t = text.trim_start();
    for p in ["Error:", "ERROR:", "Error ", "error:"] {
        if t.starts_with(p) {
            return Some(http::snippet(t.as_bytes()));
        }
    }
    None
}

// ---------------------------------------------------------------------------------
// Search and count

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountArgs {
    pub database: String,
    pub query: String,
}

hand_schema!(CountArgs, "CountArgs", json!({
    "type": "object",
    "properties": {
        "database": db_schema("Database to search: uniprot, ncbi-pubmed, ncbi-nucleotide, ncbi-protein, ncbi-taxonomy, ebi-ena or ddbj."),
        "query": {"type": "string", "minLength": 1, "x-dive-type": "search_text", "description": "Keywords in the database's own query syntax, e.g. insulin or 'lung cancer'."}
    },
    "required": ["database", "query"],
    "additionalProperties": false
}));

#[derive(Debug, Serialize, JsonSchema)]
pub struct CountResult {
    pub database: String,
    pub query: String,
    /// How many entries match.
    pub count: u64,
}

pub fn parse_count(text: &str) -> Result<u64, ToolError> {
    if let Some(m) = text_error(text) {
        return Err(ToolError::upstream(format!("TogoWS: {m}")));
    }
    text.trim().parse().map_err(|_| {
        if text.trim().is_empty() {
            ToolError::upstream("TogoWS answered an empty body where a count was expected")
        } else {
            ToolError::upstream(format!("TogoWS answered something that is not a count: {}", http::snippet(text.as_bytes())))
        }
    })
}

pub struct SearchCount;
impl Tool for SearchCount {
    const NAME: &'static str = "togows_search_count";
    const DESCRIPTION: &'static str = "Count the entries of a TogoWS-served database (UniProt, PubMed, NCBI nucleotide/protein/taxonomy, ENA, DDBJ) that match a keyword query.";
    type Args = CountArgs;
    type Output = CountResult;
    async fn run(a: CountArgs) -> Result<CountResult, ToolError> {
        let q = path_part("query", &a.query)?;
        let resp = request("GET", &format!("{BASE}/search/{}/{q}/count", a.database), &[], None).await?;
        Ok(CountResult { count: parse_count(&resp.text())?, database: a.database, query: a.query.trim().to_string() })
    }
}

fn one() -> u32 {
    1
}
fn ten() -> u32 {
    10
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    pub database: String,
    pub query: String,
    #[serde(default = "one")]
    pub offset: u32,
    #[serde(default = "ten")]
    pub limit: u32,
}

hand_schema!(SearchArgs, "SearchArgs", json!({
    "type": "object",
    "properties": {
        "database": db_schema("Database to search: uniprot, ncbi-pubmed, ncbi-nucleotide, ncbi-protein, ncbi-taxonomy, ebi-ena or ddbj."),
        "query": {"type": "string", "minLength": 1, "x-dive-type": "search_text", "description": "Keywords in the database's own query syntax."},
        "offset": {"type": "integer", "minimum": 1, "default": 1, "description": "1-based position of the first hit returned."},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10, "description": "How many hits to return at most."}
    },
    "required": ["database", "query"],
    "additionalProperties": false
}));

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResult {
    pub database: String,
    pub query: String,
    pub offset: u32,
    pub limit: u32,
    /// Entry ids of the hits, in TogoWS's order (use with togows_entry).
    #[schemars(extend("x-dive-type" = "togows_entry_id"))]
    pub ids: Vec<String>,
}

pub fn parse_ids(text: &str) -> Result<Vec<String>, ToolError> {
    if let Some(m) = text_error(text) {
        return Err(ToolError::upstream(format!("TogoWS: {m}")));
    }
    if text.trim_start().starts_with('<') {
        return Err(ToolError::upstream(format!("TogoWS answered markup where ids were expected: {}", http::snippet(text.as_bytes()))));
    }
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect())
}

pub struct Search;
impl Tool for Search {
    const NAME: &'static str = "togows_search";
    const DESCRIPTION: &'static str = "Search a TogoWS-served database by keywords and get one page of matching entry ids (offset is 1-based).";
    type Args = SearchArgs;
    type Output = SearchResult;
    async fn run(a: SearchArgs) -> Result<SearchResult, ToolError> {
        let q = path_part("query", &a.query)?;
        let url = format!("{BASE}/search/{}/{q}/{},{}", a.database, a.offset, a.limit);
        let resp = request("GET", &url, &[], None).await?;
        Ok(SearchResult { ids: parse_ids(&resp.text())?, database: a.database, query: a.query.trim().to_string(), offset: a.offset, limit: a.limit })
    }
}

// ---------------------------------------------------------------------------------
// Entries

fn fasta() -> String {
    "fasta".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryArgs {
    pub database: String,
    pub entry_id: String,
    #[serde(default = "fasta")]
    pub format: String,
    pub field: Option<String>,
}

hand_schema!(EntryArgs, "EntryArgs", json!({
    "type": "object",
    "properties": {
        "database": db_schema("Database holding the entry."),
        "entry_id": {"type": "string", "minLength": 1, "x-dive-type": "togows_entry_id",
                     "description": "Entry id or accession in that database, e.g. P01308 (uniprot), 16381885 (ncbi-pubmed), NM_000207 (ncbi-nucleotide); several may be joined with commas."},
        "format": {"type": "string", "enum": ["fasta", "xml", "json", "list"], "default": "fasta",
                   "description": "fasta: sequence(s); xml: the database's XML; json: the entry parsed by TogoWS; list: the entry's flat-file text."},
        "field": {"type": "string", "description": "Just one field of the entry (names depend on the database, e.g. definition, organism, seq, title); with a field, format json gives JSON and any other format gives the field's text."}
    },
    "required": ["database", "entry_id"],
    "additionalProperties": false
}));

/// An entry (or one field of it) as TogoWS sent it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EntryResult {
    pub database: String,
    #[schemars(extend("x-dive-type" = "togows_entry_id"))]
    pub entry_id: String,
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The JSON answer (format json).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The text answer (every other format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// FASTA answers split into records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<FastaRecord>>,
}

pub fn entry_result(database: String, entry_id: String, format: String, field: Option<String>, text: &str) -> Result<EntryResult, ToolError> {
    if text.trim().is_empty() {
        return Err(ToolError::upstream(format!("TogoWS has no entry {entry_id} in {database} (empty answer)")));
    }
    if let Some(m) = text_error(text) {
        return Err(ToolError::upstream(format!("TogoWS: {m}")));
    }
    let mut out = EntryResult { database, entry_id, format: format.clone(), field, data: None, text: None, records: None };
    if format == "json" {
        let v: Value = serde_json::from_str(text).map_err(|e| ToolError::upstream(format!("TogoWS answered malformed JSON ({e}): {}", http::snippet(text.as_bytes()))))?;
        out.data = Some(v);
        return Ok(out);
    }
    if format == "fasta" && out.field.is_none() {
        if !text.trim_start().starts_with('>') {
            return Err(ToolError::upstream(format!("TogoWS answered something that is not FASTA: {}", http::snippet(text.as_bytes()))));
        }
        out.records = Some(parse_fasta(text));
    }
    out.text = Some(text.to_string());
    Ok(out)
}

pub struct Entry;
impl Tool for Entry {
    const NAME: &'static str = "togows_entry";
    const DESCRIPTION: &'static str = "Fetch an entry (or one field of it) from a TogoWS-served database by id: as FASTA, \
        the database's XML, TogoWS's JSON or the flat-file text.";
    type Args = EntryArgs;
    type Output = EntryResult;
    async fn run(a: EntryArgs) -> Result<EntryResult, ToolError> {
        let ids: Vec<String> = a.entry_id.split(',').map(str::trim).map(str::to_string).collect();
        if ids.iter().any(|i| i.is_empty()) {
            return Err(ToolError::invalid(format!("entry_id holds a blank id: '{}'", a.entry_id)));
        }
        let id_part = ids.iter().map(|i| encode(i)).collect::<Vec<_>>().join(",");
        let field = a.field.as_deref().map(str::trim).filter(|f| !f.is_empty()).map(str::to_string);
        if let Some(f) = &field {
            if !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
                return Err(ToolError::invalid(format!("field '{f}' is not a field name")));
            }
        }
        let mut url = format!("{BASE}/entry/{}/{id_part}", a.database);
        if let Some(f) = &field {
            url.push('/');
            url.push_str(f);
        }
        let ext = match (a.format.as_str(), field.is_some()) {
            ("json", _) => Some("json"),
            (_, true) => None,
            ("fasta", false) => Some("fasta"),
            ("xml", false) => Some("xml"),
            ("list", false) => None,
            (other, _) => return Err(ToolError::invalid(format!("format must be fasta, xml, json or list, got '{other}'"))),
        };
        if let Some(e) = ext {
            url.push('.');
            url.push_str(e);
        }
        let resp = request("GET", &url, &[], None).await?;
        entry_result(a.database, ids.join(","), a.format, field, &resp.text())
    }
}

// ---------------------------------------------------------------------------------
// Conversion

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertArgs {
    pub data: String,
    pub input_format: String,
    pub output_format: String,
}

hand_schema!(ConvertArgs, "ConvertArgs", json!({
    "type": "object",
    "properties": {
        "data": {"type": "string", "minLength": 1, "x-dive-type": "sequence_record", "description": "The record(s) to convert, in input_format (e.g. a GenBank flat file or FASTA text)."},
        "input_format": {"type": "string", "enum": ["fasta", "genbank", "ena", "ddbj", "uniprot", "blast", "blasttable", "blastxml", "megablast", "csv", "gff", "gvf", "rdfxml", "ttl"],
                         "description": "Format of data."},
        "output_format": {"type": "string", "enum": ["fasta", "genbank", "ena", "gff", "ntriples", "n3", "rdfxml", "ttl"],
                          "description": "Format wanted: sequence formats, GFF or RDF serialisations."}
    },
    "required": ["data", "input_format", "output_format"],
    "additionalProperties": false
}));

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConvertResult {
    pub input_format: String,
    pub output_format: String,
    /// The converted data as TogoWS sent it.
    pub text: String,
    /// FASTA output split into records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<FastaRecord>>,
}

pub struct Convert;
impl Tool for Convert {
    const NAME: &'static str = "togows_convert";
    const DESCRIPTION: &'static str = "Convert biological data between formats with TogoWS: GenBank/EMBL/UniProt/BLAST/GFF \
        input to FASTA, GenBank, GFF or RDF (N-Triples, N3, RDF/XML, Turtle).";
    type Args = ConvertArgs;
    type Output = ConvertResult;
    async fn run(a: ConvertArgs) -> Result<ConvertResult, ToolError> {
        if a.data.trim().is_empty() {
            return Err(ToolError::invalid("data must not be blank"));
        }
        let url = format!("{BASE}/convert/{}.{}", a.input_format, a.output_format);
        let resp = request("POST", &url, &[("content-type", "text/plain")], Some(a.data.clone().into_bytes())).await?;
        let text = resp.text();
        if text.trim().is_empty() {
            return Err(ToolError::upstream(format!("TogoWS converted {} to {} into nothing (empty answer)", a.input_format, a.output_format)));
        }
        if let Some(m) = text_error(&text) {
            return Err(ToolError::upstream(format!("TogoWS: {m}")));
        }
        let records = (a.output_format == "fasta").then(|| parse_fasta(&text));
        Ok(ConvertResult { input_format: a.input_format, output_format: a.output_format, text, records })
    }
}

dive_tool_sdk::export_tools!(SearchCount, Entry, Search, Convert);
