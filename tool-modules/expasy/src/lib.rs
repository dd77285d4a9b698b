//! ExPASy PROSITE (prosite.expasy.org): PROSITE pattern/profile entries and their PRODOC
//! documentation. PROSITE serves both as flat-file text (`PS00001.txt`, `PDOC00001.txt`);
//! the tools parse that text into JSON keeping every line type, or return the HTML
//! entry page when asked.

use dive_tool_sdk::http::{self, Response};
use dive_tool_sdk::{hand_schema, json, Tool, ToolError, Value};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Map;

const ORIGIN: &str = "https://prosite.expasy.org";

fn check_id(id: &str, prefix: &str) -> Result<String, ToolError> {
    let t = id.trim();
    let digits = t.strip_prefix(prefix).unwrap_or("");
    if digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(ToolError::invalid(format!("'{id}' is not a {prefix} accession ({prefix} and five digits, e.g. {prefix}00001)")))
    }
}

/// GET a PROSITE page; HTTP errors and pages that are not the entry are `upstream` errors.
async fn fetch(url: &str, what: &str) -> Result<Response, ToolError> {
    let resp = http::get(url).await?;
    if !resp.is_success() {
        let text = resp.text();
        let msg = html_title(&text).unwrap_or_else(|| http::snippet(&resp.body));
        return Err(ToolError::upstream(format!("PROSITE answered HTTP {} for {what}: {msg}", resp.status)));
    }
    if resp.body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ToolError::upstream(format!("PROSITE answered an empty body for {what}")));
    }
    Ok(resp)
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + 7;
    let end = start + lower[start..].find("</title>")?;
    let t = text[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

/// A text answer that is not a flat-file entry (an HTML error page, a message).
fn not_an_entry(text: &str, what: &str) -> ToolError {
    let msg = html_title(text).unwrap_or_else(|| http::snippet(text.as_bytes()));
    ToolError::upstream(format!("PROSITE has no entry {what}: {msg}"))
}

// ---------------------------------------------------------------------------------
// PROSITE entries

/// Dates of the DT line.
#[derive(Debug, Default, Serialize, JsonSchema, PartialEq)]
pub struct Dates {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_update: Option<String>,
    /// Any other dated event, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

/// One DR line entry: a UniProtKB/Swiss-Prot sequence and how the entry classes it.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct SwissProtRef {
    #[schemars(extend("x-dive-type" = "uniprot_id"))]
    pub accession: String,
    pub entry_name: String,
    /// T true positive, N false negative, F false positive, P potential, ? unknown.
    pub flag: String,
    /// The flag spelled out.
    pub kind: String,
}

/// A PROSITE entry, line type by line type.
#[derive(Debug, Default, Serialize, JsonSchema, PartialEq)]
pub struct PrositeRecord {
    /// AC, e.g. PS00107.
    #[schemars(extend("x-dive-type" = "prosite_id"))]
    pub accession: String,
    /// ID name, e.g. PROTEIN_KINASE_ATP.
    pub name: String,
    /// ID type: PATTERN, MATRIX or RULE.
    #[serde(rename = "type")]
    pub entry_type: String,
    pub dates: Dates,
    pub description: String,
    /// PA lines joined (PROSITE pattern syntax).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "prosite_pattern"))]
    pub pattern: Option<String>,
    /// MA lines (profile definition), as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrix: Vec<String>,
    /// RU lines, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// NR statistics: /KEY=value pairs (RELEASE, TOTAL, POSITIVE, FALSE_POS ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub statistics: Map<String, Value>,
    /// CC comments: /KEY=value pairs (TAXO-RANGE, MAX-REPEAT, SITE ...); a key given
    /// several times holds a list.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub comments: Map<String, Value>,
    /// DR lines: Swiss-Prot cross-references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swissprot: Vec<SwissProtRef>,
    /// 3D lines: PDB ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-dive-type" = "pdb_id"))]
    pub pdb: Vec<String>,
    /// DO line: the PRODOC documentation entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "prodoc_id"))]
    pub prodoc: Option<String>,
    /// PR line: the ProRule entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prorule: Option<String>,
    /// PP lines (post-processing), as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postprocessing: Vec<String>,
    /// Lines of any other type, by line code.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub other_lines: Map<String, Value>,
}

fn flag_kind(f: &str) -> &'static str {
    match f {
        "T" => "true_positive",
        "N" => "false_negative",
        "F" => "false_positive",
        "P" => "potential",
        "?" => "unknown",
        _ => "other",
    }
}

/// `/KEY=value;` pairs of NR and CC lines, in order.
fn slash_pairs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        let Some(kv) = part.strip_prefix('/') else { continue };
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    out
}

fn push_pair(m: &mut Map<String, Value>, k: String, v: String) {
    match m.get_mut(&k) {
        None => {
            m.insert(k, Value::String(v));
        }
        Some(Value::Array(a)) => a.push(Value::String(v)),
        Some(old) => {
            let prev = old.take();
            *old = Value::Array(vec![prev, Value::String(v)]);
        }
    }
}

/// Parse one PROSITE flat-file entry (up to `//`).
pub fn parse_prosite(text: &str) -> Result<PrositeRecord, String> {
    let mut r = PrositeRecord::default();
    let mut pa = String::new();
    let mut nr = String::new();
    let mut cc = String::new();
    let mut seen_id = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line == "//" {
            break;
        }
        if line.len() < 2 {
            continue;
        }
        let code = &line[..2];
        let rest = line.get(5..).unwrap_or("").trim();
        match code {
            "ID" => {
                seen_id = true;
                let body = rest.trim_end_matches('.');
                let (name, ty) = body.split_once(';').unwrap_or((body, ""));
                r.name = name.trim().to_string();
                r.entry_type = ty.trim().to_string();
            }
            "AC" => r.accession = rest.trim_end_matches(';').trim().to_string(),
            "DT" => {
                for part in rest.trim_end_matches('.').split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    // Older entries: "APR-1990 (CREATED)"; current ones: "01-APR-1990 CREATED".
                    let (date, what) = match part.split_once('(') {
                        Some((d, w)) => (d.trim().to_string(), w.trim_end_matches(')').trim().to_ascii_uppercase()),
                        None => match ["CREATED", "DATA UPDATE", "INFO UPDATE"].iter().find(|w| part.ends_with(*w)) {
                            Some(w) => (part[..part.len() - w.len()].trim().to_string(), w.to_string()),
                            None => (part.to_string(), String::new()),
                        },
                    };
                    match what.as_str() {
                        "CREATED" => r.dates.created = Some(date),
                        "DATA UPDATE" => r.dates.data_update = Some(date),
                        "INFO UPDATE" => r.dates.info_update = Some(date),
                        _ => r.dates.other.push(part.to_string()),
                    }
                }
            }
            "DE" => {
                if !r.description.is_empty() {
                    r.description.push(' ');
                }
                r.description.push_str(rest);
            }
            "PA" => pa.push_str(rest),
            "MA" => r.matrix.push(rest.to_string()),
            "RU" => r.rules.push(rest.to_string()),
            "NR" => {
                nr.push_str(rest);
                nr.push(' ');
            }
            "CC" => {
                cc.push_str(rest);
                cc.push(' ');
            }
            "DR" => {
                for item in rest.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    let f: Vec<&str> = item.split(',').map(str::trim).collect();
                    let flag = f.get(2).copied().unwrap_or("").to_string();
                    r.swissprot.push(SwissProtRef {
                        accession: f.first().copied().unwrap_or("").to_string(),
                        entry_name: f.get(1).copied().unwrap_or("").to_string(),
                        kind: flag_kind(&flag).to_string(),
                        flag,
                    });
                }
            }
            "3D" => r.pdb.extend(rest.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)),
            "DO" => r.prodoc = Some(rest.trim_end_matches(';').trim().to_string()),
            "PR" => r.prorule = Some(rest.trim_end_matches(';').trim().to_string()),
            "PP" => r.postprocessing.push(rest.to_string()),
            "  " => {}
            other => push_pair(&mut r.other_lines, other.trim().to_string(), rest.to_string()),
        }
    }
    if !seen_id || r.accession.is_empty() {
        return Err("the text is not a PROSITE entry (no ID/AC lines)".into());
    }
    if !pa.is_empty() {
        r.pattern = Some(pa);
    }
    for (k, v) in slash_pairs(&nr) {
        push_pair(&mut r.statistics, k, v);
    }
    for (k, v) in slash_pairs(&cc) {
        push_pair(&mut r.comments, k, v);
    }
    Ok(r)
}

fn raw() -> String {
    "raw".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrositeArgs {
    pub prosite_id: String,
    #[serde(default = "raw")]
    pub format: String,
}

hand_schema!(PrositeArgs, "PrositeArgs", json!({
    "type": "object",
    "properties": {
        "prosite_id": {"type": "string", "pattern": "^PS\\d{5}$", "x-dive-type": "prosite_id", "description": "PROSITE accession: PS and five digits, e.g. PS00107."},
        "format": {"type": "string", "enum": ["html", "raw"], "default": "raw", "description": "raw: the flat-file entry parsed into fields; html: the entry's web page."}
    },
    "required": ["prosite_id"],
    "additionalProperties": false
}));

/// A PROSITE entry: parsed fields (raw) or the web page (html).
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrositeOut {
    #[schemars(extend("x-dive-type" = "prosite_id"))]
    pub prosite_id: String,
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<PrositeRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

async fn prosite_text(id: &str) -> Result<(String, PrositeRecord), ToolError> {
    let resp = fetch(&format!("{ORIGIN}/{id}.txt"), id).await?;
    let text = resp.text();
    let rec = parse_prosite(&text).map_err(|_| not_an_entry(&text, id))?;
    Ok((text, rec))
}

pub struct Prosite;
impl Tool for Prosite {
    const NAME: &'static str = "expasy_prosite";
    const DESCRIPTION: &'static str = "Look up a PROSITE entry (a protein family/domain signature) by accession: its name, \
        type, pattern or profile, statistics, comments, the Swiss-Prot sequences it matches, PDB structures and the PRODOC \
        documentation id; or its HTML page.";
    type Args = PrositeArgs;
    type Output = PrositeOut;
    async fn run(a: PrositeArgs) -> Result<PrositeOut, ToolError> {
        let id = check_id(&a.prosite_id, "PS")?;
        if a.format == "html" {
            let resp = fetch(&format!("{ORIGIN}/cgi-bin/prosite/get-prosite-entry?{id}"), &id).await?;
            let html = resp.text();
            return Ok(PrositeOut { prosite_id: id, format: "html".into(), record: None, title: html_title(&html), html: Some(html) });
        }
        if a.format != "raw" {
            return Err(ToolError::invalid(format!("format must be raw or html, got '{}'", a.format)));
        }
        let (_, rec) = prosite_text(&id).await?;
        Ok(PrositeOut { prosite_id: id, format: "raw".into(), record: Some(rec), title: None, html: None })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrositeRawArgs {
    pub prosite_id: String,
}

hand_schema!(PrositeRawArgs, "PrositeRawArgs", json!({
    "type": "object",
    "properties": {
        "prosite_id": {"type": "string", "pattern": "^PS\\d{5}$", "x-dive-type": "prosite_id", "description": "PROSITE accession: PS and five digits, e.g. PS00001."}
    },
    "required": ["prosite_id"],
    "additionalProperties": false
}));

/// The flat-file text of a PROSITE entry, with its identifying lines picked out.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrositeRawOut {
    #[schemars(extend("x-dive-type" = "prosite_id"))]
    pub prosite_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub entry_type: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "prodoc_id"))]
    pub prodoc: Option<String>,
    /// The PA lines joined (PROSITE pattern syntax); absent for profile (MA) entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "prosite_pattern"))]
    pub pattern: Option<String>,
    /// The entry exactly as PROSITE sent it.
    pub text: String,
}

pub struct PrositeRaw;
impl Tool for PrositeRaw {
    const NAME: &'static str = "expasy_prosite_raw";
    const DESCRIPTION: &'static str = "Get a PROSITE entry's flat-file text (ID, AC, DT, DE, PA/MA, NR, CC, DR, 3D, DO lines) \
        exactly as PROSITE serves it, with its name, type, description, pattern and PRODOC id picked out.";
    type Args = PrositeRawArgs;
    type Output = PrositeRawOut;
    async fn run(a: PrositeRawArgs) -> Result<PrositeRawOut, ToolError> {
        let id = check_id(&a.prosite_id, "PS")?;
        let (text, rec) = prosite_text(&id).await?;
        Ok(PrositeRawOut {
            prosite_id: id,
            name: rec.name,
            entry_type: rec.entry_type,
            description: rec.description,
            prodoc: rec.prodoc,
            pattern: rec.pattern,
            text,
        })
    }
}

// ---------------------------------------------------------------------------------
// PRODOC documentation

#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct PrositeRef {
    #[schemars(extend("x-dive-type" = "prosite_id"))]
    pub accession: String,
    pub name: String,
}

/// One numbered literature reference.
#[derive(Debug, Serialize, JsonSchema, PartialEq)]
pub struct Reference {
    pub number: u32,
    /// Authors (the lines before the quoted title, or before the citation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Journal, volume, pages and year (or the book reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "pmid"))]
    pub pubmed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-dive-type" = "doi"))]
    pub doi: Option<String>,
    /// The whole reference as written (lines joined).
    pub text: String,
}

/// A PRODOC documentation entry.
#[derive(Debug, Default, Serialize, JsonSchema, PartialEq)]
pub struct ProdocRecord {
    #[schemars(extend("x-dive-type" = "prodoc_id"))]
    pub accession: String,
    /// The PROSITE entries this document covers.
    pub prosite_refs: Vec<PrositeRef>,
    /// The boxed heading.
    pub title: String,
    /// The documentation text (heading box and references excluded), line breaks kept.
    pub text: String,
    pub references: Vec<Reference>,
}

fn ref_start(line: &str) -> Option<(u32, &str)> {
    let rest = line.strip_prefix('[')?;
    let (n, after) = rest.split_once(']')?;
    let n: u32 = n.trim().parse().ok()?;
    Some((n, after.trim()))
}

fn build_reference(number: u32, lines: &[String]) -> Reference {
    let mut ids_line = Vec::new();
    let mut body = Vec::new();
    for l in lines {
        if l.starts_with("PubMed=") || l.starts_with("DOI=") {
            ids_line.push(l.clone());
        } else {
            body.push(l.clone());
        }
    }
    let mut pubmed = None;
    let mut doi = None;
    for part in ids_line.join("; ").split(';').map(str::trim) {
        if let Some(v) = part.strip_prefix("PubMed=") {
            pubmed = Some(v.trim().to_string());
        } else if let Some(v) = part.strip_prefix("DOI=") {
            doi = Some(v.trim().to_string());
        }
    }
    let joined = body.join(" ");
    let (authors, title, citation) = match (joined.find('"'), joined.rfind('"')) {
        (Some(a), Some(b)) if b > a => {
            let au = joined[..a].trim();
            (
                (!au.is_empty()).then(|| au.to_string()),
                Some(joined[a + 1..b].trim().to_string()),
                Some(joined[b + 1..].trim().to_string()).filter(|c| !c.is_empty()),
            )
        }
        _ => {
            if body.len() >= 2 {
                // Authors end with a period on their last line; what follows is the citation.
                let split = body.iter().position(|l| l.ends_with('.')).map(|i| i + 1).unwrap_or(1).min(body.len() - 1);
                (Some(body[..split].join(" ")), None, Some(body[split..].join(" ")))
            } else {
                (None, None, Some(joined.clone()).filter(|c| !c.is_empty()))
            }
        }
    };
    Reference { number, authors, title, citation, pubmed, doi, text: lines.join(" ") }
}

/// Parse a PRODOC entry (`{PDOCnnnnn}` ... `{END}`).
pub fn parse_prodoc(text: &str) -> Result<ProdocRecord, String> {
    let mut r = ProdocRecord::default();
    let mut lines = text.lines().map(str::trim_end);
    let mut begun = false;
    for line in lines.by_ref() {
        if line == "{BEGIN}" {
            begun = true;
            break;
        }
        let Some(inner) = line.strip_prefix('{').and_then(|l| l.strip_suffix('}')) else { continue };
        if let Some((acc, name)) = inner.split_once(';') {
            r.prosite_refs.push(PrositeRef { accession: acc.trim().to_string(), name: name.trim().to_string() });
        } else if inner.starts_with("PDOC") {
            r.accession = inner.trim().to_string();
        }
    }
    if !begun || r.accession.is_empty() {
        return Err("the text is not a PRODOC entry (no {PDOC...} and {BEGIN} lines)".into());
    }
    let mut body: Vec<&str> = Vec::new();
    let mut title_lines: Vec<String> = Vec::new();
    let mut in_box = false;
    let mut box_done = false;
    let mut refs: Vec<(u32, Vec<String>)> = Vec::new();
    let mut in_copyright = false;
    for line in lines {
        if line == "{END}" {
            break;
        }
        if line.starts_with("+---") {
            in_copyright = !in_copyright;
            continue;
        }
        if in_copyright {
            continue;
        }
        if !box_done && line.starts_with('*') {
            if line.chars().all(|c| c == '*') {
                if in_box {
                    box_done = true;
                }
                in_box = !in_box;
            } else {
                title_lines.push(line.trim_matches('*').trim().to_string());
            }
            continue;
        }
        if let Some((n, first)) = ref_start(line) {
            refs.push((n, vec![first.to_string()]));
            continue;
        }
        if let Some((_, cur)) = refs.last_mut() {
            if !line.trim().is_empty() {
                cur.push(line.trim().to_string());
            }
            continue;
        }
        body.push(line);
    }
    r.title = title_lines.join(" ");
    r.text = body.join("\n").trim().to_string();
    r.references = refs.iter().map(|(n, l)| build_reference(*n, l)).collect();
    Ok(r)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProdocArgs {
    pub prodoc_id: String,
}

hand_schema!(ProdocArgs, "ProdocArgs", json!({
    "type": "object",
    "properties": {
        "prodoc_id": {"type": "string", "pattern": "^PDOC\\d{5}$", "x-dive-type": "prodoc_id", "description": "PRODOC accession: PDOC and five digits, e.g. PDOC00100."}
    },
    "required": ["prodoc_id"],
    "additionalProperties": false
}));

pub struct Prodoc;
impl Tool for Prodoc {
    const NAME: &'static str = "expasy_prodoc";
    const DESCRIPTION: &'static str = "Read a PRODOC documentation entry by accession: the PROSITE entries it documents, its \
        heading, the explanatory text (biology, consensus patterns, caveats) and its numbered literature references with PubMed ids.";
    type Args = ProdocArgs;
    type Output = ProdocRecord;
    async fn run(a: ProdocArgs) -> Result<ProdocRecord, ToolError> {
        let id = check_id(&a.prodoc_id, "PDOC")?;
        let resp = fetch(&format!("{ORIGIN}/{id}.txt"), &id).await?;
        let text = resp.text();
        parse_prodoc(&text).map_err(|_| not_an_entry(&text, &id))
    }
}

dive_tool_sdk::export_tools!(Prosite, Prodoc, PrositeRaw);
