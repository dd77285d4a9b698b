//! Recordings made by others: VCR-style YAML cassettes (the vcrpy format) imported into
//! the store, and [`CassetteAnswers`], which answers requests from them with no network
//! (the runtime's cassette transport sends through it).
//!
//! Matching is vcrpy's default: method, scheme, host, port, path, and the query as a set
//! of pairs; each recorded interaction answers once, first unused match first.

use crate::exchange::{RequestRecord, ResponseRecord};
use crate::store::{Store, StoreError};
use crate::trace::BlobRef;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value as Yaml;
use crate::untrusted::caps;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use thiserror::Error;

/// Why a cassette was not imported.
#[derive(Debug, Error)]
pub enum CassetteError {
    /// The file is not a cassette dive can import: bad YAML, too deep or too large
    /// once expanded, or an interaction missing its method, URI or status.
    #[error("{path} is not a vcrpy cassette: {message}")]
    Format {
        /// The cassette file, as given.
        path: String,
        /// What is wrong, naming the interaction (from 0) where there is one.
        message: String,
    },
    /// Storing a body or the cassette index failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bounded reader refused the file (over [`caps::CASSETTE_BYTES`], not a
    /// regular file, not UTF-8).
    #[error("cannot import the cassette: {0}")]
    Untrusted(#[from] crate::untrusted::UntrustedError),
}

/// A recorded request, as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CassetteRequest {
    /// The HTTP method, uppercase.
    pub method: String,
    /// The absolute URL, as recorded (checked to parse).
    pub uri: String,
    /// Header name/value pairs in recorded order; a header recorded with several values
    /// gives one pair per value.
    pub headers: Vec<(String, String)>,
    /// The body, when it was not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BlobRef>,
}

/// A recorded response, as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CassetteResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Header name/value pairs; after a gzip or deflate body was decoded,
    /// `content-encoding` is gone and `content-length` gives the decoded length.
    pub headers: Vec<(String, String)>,
    /// The body, decoded (possibly empty).
    pub body: BlobRef,
}

/// One recorded request and the response it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// What was sent.
    pub request: CassetteRequest,
    /// What came back.
    pub response: CassetteResponse,
}

/// An imported cassette as the store keeps it (`cassettes/<name>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCassette {
    /// The file name it was imported from (no directory).
    pub source: String,
    /// Its interactions, in file order.
    pub interactions: Vec<Interaction>,
}

impl StoredCassette {
    /// The hash of every body it refers to: per interaction, the request body (if any)
    /// then the response body. `fsck` checks these blobs and `gc` keeps them.
    pub fn blob_hashes(&self) -> impl Iterator<Item = &str> {
        self.interactions.iter().flat_map(|i| {
            i.request
                .body
                .as_ref()
                .map(|b| b.blake3.as_str())
                .into_iter()
                .chain(std::iter::once(i.response.body.blake3.as_str()))
        })
    }
}

/// An imported cassette's name, and the cassette or why it cannot be read.
pub type Listed = (String, Result<StoredCassette, StoreError>);

/// Every imported cassette as (name, parsed or error), sorted by name.
pub fn list(store: &Store) -> Result<Vec<Listed>, StoreError> {
    let mut out = Vec::new();
    for (name, bytes) in store.cassette_files()? {
        let parsed = bytes.and_then(|b| {
            serde_json::from_slice::<StoredCassette>(&b).map_err(|e| StoreError::CorruptTrace {
                id: name.clone(),
                message: format!("unreadable cassette index: {e}"),
            })
        });
        out.push((name, parsed));
    }
    Ok(out)
}

fn yaml_str<'a>(v: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    v.as_mapping().and_then(|m| m.get(Yaml::String(key.to_string())))
}

/// Bytes of a vcrpy body: a plain string, `{string: ...}` (text or `!!binary`),
/// `{base64_string: ...}`, or null.
fn body_bytes(v: Option<&Yaml>) -> Result<Vec<u8>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    match v {
        Yaml::Null => Ok(Vec::new()),
        Yaml::String(s) => Ok(s.as_bytes().to_vec()),
        Yaml::Tagged(t) => tagged_bytes(t),
        Yaml::Mapping(_) => {
            if let Some(b64) = yaml_str(v, "base64_string") {
                let s = b64.as_str().ok_or("base64_string is not text")?;
                return decode_b64(s);
            }
            match yaml_str(v, "string") {
                Some(Yaml::String(s)) => Ok(s.as_bytes().to_vec()),
                Some(Yaml::Tagged(t)) => tagged_bytes(t),
                Some(Yaml::Null) | None => Ok(Vec::new()),
                Some(other) => Err(format!("unexpected body value {other:?}")),
            }
        }
        other => Err(format!("unexpected body value {other:?}")),
    }
}

fn tagged_bytes(t: &serde_yaml_ng::value::TaggedValue) -> Result<Vec<u8>, String> {
    let tag = t.tag.to_string();
    let text = t.value.as_str().ok_or("a tagged body is not text")?;
    if tag.ends_with("binary") {
        decode_b64(text)
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

fn decode_b64(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .map_err(|e| format!("bad base64 body: {e}"))
}

fn headers(v: Option<&Yaml>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(Yaml::Mapping(m)) = v {
        for (k, val) in m {
            let Some(k) = k.as_str() else { continue };
            match val {
                Yaml::Sequence(items) => {
                    for i in items {
                        out.push((k.to_string(), scalar(i)));
                    }
                }
                other => out.push((k.to_string(), scalar(other))),
            }
        }
    }
    out
}

fn scalar(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Null => String::new(),
        other => format!("{other:?}"),
    }
}

/// Read a decoder to its end, at most `limit` bytes: `Ok(None)` when the data is not
/// in that encoding, an error when it decodes to more than `limit`.
fn decode_bounded(reader: impl Read, limit: u64) -> Result<Option<Vec<u8>>, String> {
    match crate::untrusted::read_at_most(reader, limit) {
        Ok(Some(out)) => Ok(Some(out)),
        Ok(None) => Err(format!(
            "a body decompresses to more than the {limit} bytes left of the decoded-body caps ({} a body, {} for all of a cassette's bodies); split the cassette or store the body decoded",
            caps::DECODED_BODY_BYTES,
            caps::CASSETTE_EXPANDED_BYTES
        )),
        Err(_) => Ok(None),
    }
}

/// Undo a gzip/deflate content encoding, fixing the headers to match. At most `limit`
/// decoded bytes (a small compressed body can expand a thousandfold).
fn decode_content(headers: &mut Vec<(String, String)>, body: Vec<u8>, limit: u64) -> Result<Vec<u8>, String> {
    let enc = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, v)| v.trim().to_ascii_lowercase());
    let decoded = match enc.as_deref() {
        Some("gzip") | Some("x-gzip") if body.starts_with(&[0x1f, 0x8b]) => {
            decode_bounded(flate2::read::MultiGzDecoder::new(&body[..]), limit)?
        }
        Some("deflate") => decode_bounded(flate2::read::ZlibDecoder::new(&body[..]), limit)?,
        // The header says encoded but the recorder stored the decoded body.
        Some("gzip") | Some("x-gzip") | Some("br") | Some("zstd") if !body.starts_with(&[0x1f, 0x8b]) && looks_textual(&body) => {
            Some(body.clone())
        }
        _ => None,
    };
    Ok(match decoded {
        Some(out) => {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-encoding") && !k.eq_ignore_ascii_case("content-length"));
            headers.push(("content-length".into(), out.len().to_string()));
            out
        }
        None => body,
    })
}

/// Refuse YAML that would cost far more to load than its size: flow collections nested
/// deeper than [`caps::YAML_FLOW_DEPTH`] (the parser's cost grows with the square of
/// the depth), and documents whose aliases expand past
/// [`caps::CASSETTE_EXPANDED_BYTES`]. Both are found before a value is built.
fn check_yaml_bounds(text: &str) -> Result<(), String> {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > caps::YAML_FLOW_DEPTH {
                    return Err(format!("it nests collections deeper than {} levels", caps::YAML_FLOW_DEPTH));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let budget = std::cell::Cell::new(caps::CASSETTE_EXPANDED_BYTES);
    serde::de::DeserializeSeed::deserialize(Measure(&budget), serde_yaml_ng::Deserializer::from_str(text))
        .map_err(|e| format!("invalid YAML: {e}"))
}

/// A visitor that walks a YAML document as its reader would (aliases expanded) without
/// building it, charging each node against a byte budget.
struct Measure<'b>(&'b std::cell::Cell<u64>);

impl Measure<'_> {
    fn charge<E: serde::de::Error>(&self, bytes: usize) -> Result<(), E> {
        let cost = bytes as u64 + 16;
        match self.0.get().checked_sub(cost) {
            Some(left) => {
                self.0.set(left);
                Ok(())
            }
            None => Err(E::custom(format_args!(
                "the document expands to more than {} bytes (aliases repeating a large value?)",
                caps::CASSETTE_EXPANDED_BYTES
            ))),
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Measure<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Measure<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.charge(0)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.charge(0)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.charge(0)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.charge(0)
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        self.charge(s.len())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.charge(0)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.charge(0)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.charge::<A::Error>(0)?;
        while seq.next_element_seed(Measure(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.charge::<A::Error>(0)?;
        while map.next_key_seed(Measure(self.0))?.is_some() {
            map.next_value_seed(Measure(self.0))?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(Measure(self.0))?;
        variant.newtype_variant_seed(Measure(self.0))
    }
}

fn looks_textual(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok()
}

/// Parse a vcrpy cassette and store its bodies; returns the stored form.
pub fn import(store: &Store, path: &Path) -> Result<(String, StoredCassette), CassetteError> {
    let text = crate::untrusted::read_text_bounded(path, caps::CASSETTE_BYTES, "the cassette size cap")
        .map_err(CassetteError::Untrusted)?;
    import_text(store, &text, path)
}

/// [`import`] of cassette text already read (bounded by the caller), as if from `path`.
pub fn import_text(store: &Store, text: &str, path: &Path) -> Result<(String, StoredCassette), CassetteError> {
    let shown = path.display().to_string();
    let bad = |message: String| CassetteError::Format {
        path: shown.clone(),
        message,
    };
    check_yaml_bounds(text).map_err(bad)?;
    // Decoded bodies of one cassette share one budget: each is stored, so this bounds
    // what one file can make the store hold.
    let mut decode_budget = caps::CASSETTE_EXPANDED_BYTES;
    // The YAML library resolves the core `!!binary` tag to a plain string and forgets
    // it; rename it to a local tag, which it keeps, so binary bodies stay binary.
    let text = text.replace("!!binary ", "!dive-binary ").replace("!!binary\n", "!dive-binary\n");
    let doc: Yaml = serde_yaml_ng::from_str(&text).map_err(|e| bad(format!("invalid YAML: {e}")))?;
    // vcrpy writes `interactions`; Ruby VCR and R vcr write `http_interactions`.
    let items = yaml_str(&doc, "interactions")
        .or_else(|| yaml_str(&doc, "http_interactions"))
        .and_then(|v| v.as_sequence())
        .ok_or_else(|| bad("it has no `interactions` (or `http_interactions`) list".into()))?;
    let mut interactions = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let at = |m: &str| bad(format!("interaction {i}: {m}"));
        let req = yaml_str(it, "request").ok_or_else(|| at("no request"))?;
        let resp = yaml_str(it, "response").ok_or_else(|| at("no response"))?;
        let method = yaml_str(req, "method").and_then(|v| v.as_str()).ok_or_else(|| at("request has no method"))?;
        let uri = yaml_str(req, "uri").and_then(|v| v.as_str()).ok_or_else(|| at("request has no uri"))?;
        url::Url::parse(uri).map_err(|e| at(&format!("request uri '{uri}' is not a URL: {e}")))?;
        let req_body = body_bytes(yaml_str(req, "body")).map_err(|m| at(&m))?;
        let status = yaml_str(resp, "status")
            .and_then(|s| yaml_str(s, "code").or_else(|| yaml_str(s, "status_code")).or(Some(s)))
            .or_else(|| yaml_str(resp, "status_code"))
            .and_then(|c| c.as_u64().or_else(|| c.as_str().and_then(|t| t.trim().parse().ok())))
            .and_then(|c| u16::try_from(c).ok())
            .ok_or_else(|| at("response has no status code"))?;
        let mut resp_headers = headers(yaml_str(resp, "headers"));
        let raw = body_bytes(yaml_str(resp, "body")).map_err(|m| at(&m))?;
        let body = decode_content(&mut resp_headers, raw, decode_budget.min(caps::DECODED_BODY_BYTES)).map_err(|m| at(&m))?;
        decode_budget = decode_budget.saturating_sub(body.len() as u64);
        let put = |b: &[u8]| -> Result<BlobRef, StoreError> {
            Ok(BlobRef {
                blake3: store.put_blob(b)?,
                len: b.len() as u64,
            })
        };
        interactions.push(Interaction {
            request: CassetteRequest {
                method: method.to_ascii_uppercase(),
                uri: uri.to_string(),
                headers: headers(yaml_str(req, "headers")),
                body: if req_body.is_empty() { None } else { Some(put(&req_body)?) },
            },
            response: CassetteResponse {
                status,
                headers: resp_headers,
                body: put(&body)?,
            },
        });
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("cassette");
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .collect();
    let stored = StoredCassette {
        source: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        interactions,
    };
    let bytes = serde_json::to_vec_pretty(&stored).expect("serializes");
    store.put_cassette_file(&name, &bytes)?;
    Ok((name, stored))
}

/// vcrpy's default request identity.
#[derive(Debug, PartialEq, Eq)]
struct MatchKey {
    method: String,
    scheme: String,
    host: String,
    port: u16,
    path: String,
    query: Vec<(String, String)>,
}

fn match_key(method: &str, uri: &str) -> Option<MatchKey> {
    let u = url::Url::parse(uri).ok()?;
    let mut query: Vec<(String, String)> = u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    query.sort();
    Some(MatchKey {
        method: method.to_ascii_uppercase(),
        scheme: u.scheme().to_string(),
        host: u.host_str()?.to_ascii_lowercase(),
        port: u.port_or_known_default()?,
        path: percent_decode_path(u.path()),
        query,
    })
}

fn percent_decode_path(p: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", p.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| p.to_string())
}

/// The interactions of every cassette in a store, each answering once, first unused
/// match first; nothing goes to the network.
pub struct CassetteAnswers {
    entries: Vec<(MatchKey, ResponseRecord)>,
    used: Mutex<Vec<bool>>,
}

impl CassetteAnswers {
    /// Load every imported cassette's interactions (bodies checked).
    pub fn from_store(store: &Store) -> Result<CassetteAnswers, StoreError> {
        let mut entries = Vec::new();
        for (_, c) in list(store)? {
            for i in c?.interactions {
                let Some(key) = match_key(&i.request.method, &i.request.uri) else { continue };
                let body = store.get_blob(&i.response.body.blake3)?;
                entries.push((
                    key,
                    ResponseRecord {
                        status: i.response.status,
                        headers: i.response.headers,
                        body: bytes::Bytes::from(body),
                    },
                ));
            }
        }
        let n = entries.len();
        Ok(CassetteAnswers {
            entries,
            used: Mutex::new(vec![false; n]),
        })
    }

    /// How many interactions were loaded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no cassette holds an interaction.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The recorded response to this request, if an unused interaction matches it (the
    /// interaction is then used up).
    pub fn answer(&self, req: &RequestRecord) -> Option<ResponseRecord> {
        let key = match_key(&req.method, &req.url)?;
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let i = (0..self.entries.len()).find(|&i| !used[i] && self.entries[i].0 == key)?;
        used[i] = true;
        Some(self.entries[i].1.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_order_does_not_matter_but_values_do() {
        let a = match_key("get", "https://api.crossref.org/works?rows=1&query=x").unwrap();
        let b = match_key("GET", "https://api.crossref.org:443/works?query=x&rows=1").unwrap();
        assert_eq!(a, b);
        let c = match_key("GET", "https://api.crossref.org/works?query=y&rows=1").unwrap();
        assert_ne!(a, c);
        let d = match_key("POST", "https://api.crossref.org/works?query=x&rows=1").unwrap();
        assert_ne!(a, d);
    }

    #[test]
    fn imports_text_base64_and_gzip_bodies() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"{\"zipped\":true}").unwrap();
        let gz = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        let yaml = format!(
            r#"interactions:
- request:
    body: null
    headers: {{accept: ['*/*']}}
    method: GET
    uri: https://example.org/a?x=1
  response:
    body: {{string: 'plain text'}}
    headers: {{Content-Type: [text/plain]}}
    status: {{code: 200, message: OK}}
- request:
    body: ''
    headers: {{}}
    method: GET
    uri: https://example.org/b
  response:
    body:
      string: !!binary |
        {gz}
    headers: {{Content-Encoding: [gzip], Content-Length: ['999']}}
    status: {{code: 201, message: Created}}
- request:
    body: 'q=1'
    headers: {{}}
    method: POST
    uri: https://example.org/c
  response:
    body: {{base64_string: aGVsbG8=}}
    headers: {{}}
    status: {{code: 404, message: Not Found}}
version: 1
"#
        );
        let f = dir.path().join("my cassette.yaml");
        std::fs::write(&f, yaml).unwrap();
        let (name, c) = import(&store, &f).unwrap();
        assert_eq!(name, "my_cassette");
        assert_eq!(c.interactions.len(), 3);
        let body = |i: usize| store.get_blob(&c.interactions[i].response.body.blake3).unwrap();
        assert_eq!(body(0), b"plain text");
        assert_eq!(body(1), b"{\"zipped\":true}");
        assert!(c.interactions[1].response.headers.iter().all(|(k, _)| !k.eq_ignore_ascii_case("content-encoding")));
        assert_eq!(c.interactions[1].response.status, 201);
        assert_eq!(body(2), b"hello");
        assert!(c.interactions[2].request.body.is_some());

        for bad in ["not: [valid", "interactions: 5", "interactions:\n- request: {method: GET}\n"] {
            std::fs::write(&f, bad).unwrap();
            let err = import(&store, &f).unwrap_err().to_string();
            assert!(err.contains("my cassette.yaml"), "{err}");
        }
    }
}
