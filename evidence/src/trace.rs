//! Evidence traces: what every call saw and returned, as canonical JSON whose BLAKE3 is
//! the trace id. Bodies and results are blobs in the store, referenced by hash.
//!
//! A trace file (`traces/ab/cdef….json`) holds exactly the canonical bytes of the
//! document, so checking it is one BLAKE3 over the file. Resource use, which differs
//! run to run, is kept beside it (`….usage.json`), outside the hash.

use crate::untrusted::caps;
use crate::exchange::{FailureCode, HttpExchange, HttpOutcome, RequestRecord, ResponseRecord};
use crate::determinism::DeterminismConfig;
use crate::record::{CallRecord, ErrorBody, ErrorReport, Outcome, ToolErrorKind, ToolIdentity, Usage};
use dive_policy::rules::Rule;
use crate::hash::Hash;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format new traces are written in.
pub const TRACE_FORMAT: TraceFormat = TraceFormat::V2;

/// A trace's format, named in its `format` field. Every version this dive knows is read,
/// replayed and verified with the bytes it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TraceFormat {
    /// `dive-trace/1`: sorted keys, serde_json's compact number form (`1e-6`), `seed` and
    /// `clock_ns` as JSON numbers.
    V1,
    /// `dive-trace/2`: exactly RFC 8785 (ECMAScript number form, `0.000001`), `seed` and
    /// `clock_ns` as decimal strings (they exceed 2^53, which RFC 8785 numbers cannot hold).
    V2,
}

impl TraceFormat {
    /// The name written in the trace.
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::V1 => "dive-trace/1",
            TraceFormat::V2 => "dive-trace/2",
        }
    }
}

impl std::fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for TraceFormat {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        match name.as_str() {
            "dive-trace/1" => Ok(TraceFormat::V1),
            "dive-trace/2" => Ok(TraceFormat::V2),
            other => Err(format!("unknown format '{other}' (this dive reads dive-trace/1 and dive-trace/2)")),
        }
    }
}

impl From<TraceFormat> for String {
    fn from(f: TraceFormat) -> String {
        f.name().to_string()
    }
}

/// A body stored as a blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// The blob's hash: its name in the store.
    pub blake3: Hash,
    /// Its length in bytes.
    pub len: u64,
}

/// A request in a trace ([`RequestRecord`] with its body stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDoc {
    /// The body; absent when it was empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BlobRef>,
    /// The headers the guest set, in order (no secrets: the host adds those later).
    pub headers: Vec<(String, String)>,
    /// The HTTP method.
    pub method: String,
    /// The logical URL the guest asked for (not an `--upstream` target).
    pub url: String,
}

/// A response in a trace ([`ResponseRecord`] with its body stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseDoc {
    /// The body as the guest received it, secrets scrubbed (stored even when empty).
    pub body: BlobRef,
    /// The response headers, in order.
    pub headers: Vec<(String, String)>,
    /// The HTTP status.
    pub status: u16,
}

/// A request that got no response, as the guest was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDoc {
    /// The wasi:http error code the guest saw.
    pub code: FailureCode,
    /// What happened, as the transport explained it.
    pub message: String,
}

/// One HTTP exchange in a trace: the request and exactly one of `response` or
/// `failure` (a recording with neither replays as an `internal-error` failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeDoc {
    /// How the request failed, when it got no response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureDoc>,
    /// What the guest sent.
    pub request: RequestDoc,
    /// What came back, when anything did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseDoc>,
}

/// How a call ended, in a trace ([`Outcome`] with the result stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeDoc {
    /// The tool returned a result.
    Ok {
        /// The result's JSON text, exactly as the tool returned it.
        result: BlobRef,
    },
    /// The tool returned an error.
    ToolError {
        /// Whose fault it was.
        kind: ToolErrorKind,
        /// The tool's explanation.
        message: String,
    },
    /// A sandbox rule was broken; the call was ended.
    Violation {
        /// What happened.
        message: String,
        /// The rule broken.
        rule: Rule,
    },
    /// The guest trapped without breaking a rule.
    Trap {
        /// The trap, as wasmtime describes it.
        message: String,
    },
}

impl OutcomeDoc {
    /// How a failed call reads to whoever made it (None for a result): the same
    /// [`ErrorReport`] the runtime's outcome gives.
    pub fn error_report(&self) -> Option<ErrorReport<'_>> {
        let body = match self {
            OutcomeDoc::Ok { .. } => return None,
            OutcomeDoc::ToolError { kind, message } => ErrorBody { kind: kind.as_str(), rule: None, message },
            OutcomeDoc::Violation { rule, message } => ErrorBody { kind: "sandbox_violation", rule: Some(*rule), message },
            OutcomeDoc::Trap { message } => ErrorBody { kind: "trap", rule: None, message },
        };
        Some(ErrorReport { error: body })
    }
}

/// One call in a trace: what was called with what, what it sent and got, how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDoc {
    /// Canonical: built from canonical JSON text, so its keys are in sorted order.
    pub args: Value,
    /// Its HTTP exchanges, in the order the guest made them.
    pub http: Vec<ExchangeDoc>,
    /// The call's index in its session: unique in the trace, the order of
    /// [`TraceDoc::calls`], and what the call's random streams are derived from
    /// (gaps are allowed).
    pub index: u64,
    /// How it ended.
    pub outcome: OutcomeDoc,
    /// The tool called: component hash, tool name, policy hash.
    pub tool: ToolIdentity,
}

/// The hashed part of a trace.
///
/// Every struct of the trace declares its fields in sorted order, so serializing in
/// declaration order *is* the canonical form and the id can be hashed while serializing,
/// with no intermediate value (`canonical_order_is_kept` checks this). How numbers are
/// written depends on the [`TraceFormat`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TraceDoc {
    /// The calls, in index order.
    pub calls: Vec<CallDoc>,
    /// The pinned wall-clock instant, nanoseconds since the Unix epoch.
    #[serde(deserialize_with = "number_or_text")]
    pub clock_ns: u64,
    /// The format the trace is written in; it fixes the canonical bytes.
    pub format: TraceFormat,
    /// A model's chat-completions exchanges made while the trace was recorded (the LLM
    /// evidence policy, rephrasing), in order: evidence like any HTTP exchange, so a
    /// rebuild with `--replay` answers them from here. Absent from the JSON when empty
    /// (traces without a model keep their bytes).
    #[serde(default)]
    pub model: Vec<ExchangeDoc>,
    /// The version of the runtime that recorded it.
    pub runtime: String,
    /// The trace seed every call's random streams are derived from.
    #[serde(deserialize_with = "number_or_text")]
    pub seed: u64,
}

impl Serialize for TraceDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TraceDoc", 5)?;
        st.serialize_field("calls", &self.calls)?;
        match self.format {
            TraceFormat::V1 => st.serialize_field("clock_ns", &self.clock_ns)?,
            TraceFormat::V2 => st.serialize_field("clock_ns", &self.clock_ns.to_string())?,
        }
        st.serialize_field("format", &self.format)?;
        if self.model.is_empty() {
            st.skip_field("model")?;
        } else {
            st.serialize_field("model", &self.model)?;
        }
        st.serialize_field("runtime", &self.runtime)?;
        match self.format {
            TraceFormat::V1 => st.serialize_field("seed", &self.seed)?,
            TraceFormat::V2 => st.serialize_field("seed", &self.seed.to_string())?,
        }
        st.end()
    }
}

/// A 64-bit counter written as a JSON number (format 1) or a decimal string (format 2);
/// which one a format uses is checked by comparing the canonical bytes.
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wide {
        Number(u64),
        Text(String),
    }
    match Wide::deserialize(d)? {
        Wide::Number(n) => Ok(n),
        Wide::Text(t) if !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()) => {
            t.parse().map_err(serde::de::Error::custom)
        }
        Wide::Text(t) => Err(serde::de::Error::custom(format!("'{}' is not a decimal 64-bit integer", t.chars().take(24).collect::<String>()))),
    }
}

impl TraceDoc {
    /// The trace id: BLAKE3 of the canonical JSON of the document.
    pub fn id(&self) -> Hash {
        let mut h = std::io::BufWriter::with_capacity(64 * 1024, blake3::Hasher::new());
        self.write_canonical(&mut h);
        let h = h.into_inner().map_err(|e| e.into_error()).expect("hashing does not fail");
        Hash::from(h.finalize())
    }

    /// The id of this trace with every response's headers left out (the calls' HTTP
    /// exchanges and the model's): what a derivation may depend on. Two recordings of
    /// the same answers, which differ only in headers such as `date` or a request id,
    /// have the same key; a trace whose responses carry no headers (one of local tools
    /// only, for one) has its own id as its key.
    pub fn evidence_key(&self) -> Hash {
        let exchanges = || self.calls.iter().flat_map(|c| c.http.iter()).chain(self.model.iter());
        if !exchanges().any(|ex| ex.response.as_ref().is_some_and(|r| !r.headers.is_empty())) {
            return self.id();
        }
        let mut bare = self.clone();
        let clear = |ex: &mut ExchangeDoc| {
            if let Some(r) = ex.response.as_mut() {
                r.headers.clear();
            }
        };
        bare.calls.iter_mut().flat_map(|c| c.http.iter_mut()).for_each(clear);
        bare.model.iter_mut().for_each(clear);
        bare.id()
    }

    /// The canonical bytes (what the id hashes and what the trace file holds).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical<W: std::io::Write>(&self, w: W) {
        match self.format {
            TraceFormat::V1 => crate::canonical::to_writer_format1(w, self),
            TraceFormat::V2 => crate::canonical::to_writer_rfc8785(w, self),
        }
        .expect("a trace serializes")
    }

    /// The seed and pinned instant the trace was recorded with, to replay it under.
    pub fn determinism(&self) -> DeterminismConfig {
        DeterminismConfig {
            seed: self.seed,
            clock_ns: self.clock_ns,
        }
    }
}

/// Where the blobs of a record go: into a store, or only hashed (for comparison).
pub enum BlobSink<'a> {
    /// Write each blob into this store.
    Store(&'a Store),
    /// Only hash each blob; nothing is written.
    HashOnly,
}

impl BlobSink<'_> {
    fn put(&self, bytes: &[u8]) -> Result<BlobRef, StoreError> {
        let blake3 = match self {
            BlobSink::Store(s) => s.put_blob(bytes)?,
            BlobSink::HashOnly => Hash::of(bytes),
        };
        Ok(BlobRef {
            blake3,
            len: bytes.len() as u64,
        })
    }
}

/// One exchange in its trace form, its bodies stored.
pub fn exchange_doc(ex: &HttpExchange, sink: &BlobSink<'_>) -> Result<ExchangeDoc, StoreError> {
    let body = if ex.request.body.is_empty() { None } else { Some(sink.put(&ex.request.body)?) };
    let request = RequestDoc { method: ex.request.method.clone(), url: ex.request.url.clone(), headers: ex.request.headers.clone(), body };
    let (response, failure) = match &ex.outcome {
        HttpOutcome::Response(r) => (Some(ResponseDoc { status: r.status, headers: r.headers.clone(), body: sink.put(&r.body)? }), None),
        HttpOutcome::Failed { code, message } => (None, Some(FailureDoc { code: *code, message: message.clone() })),
    };
    Ok(ExchangeDoc { request, response, failure })
}

/// Turn a call record into its trace form, storing its bodies.
pub fn call_doc(index: u64, rec: &CallRecord, sink: &BlobSink<'_>) -> Result<CallDoc, StoreError> {
    let http = rec.exchanges.iter().map(|ex| exchange_doc(ex, sink)).collect::<Result<Vec<_>, _>>()?;
    let outcome = match &rec.outcome {
        Outcome::Ok(text) => OutcomeDoc::Ok {
            result: sink.put(text.as_bytes())?,
        },
        Outcome::ToolError { kind, message } => OutcomeDoc::ToolError {
            kind: *kind,
            message: message.clone(),
        },
        Outcome::Violation { rule, message } => OutcomeDoc::Violation {
            rule: *rule,
            message: message.clone(),
        },
        Outcome::Trap { message } => OutcomeDoc::Trap {
            message: message.clone(),
        },
    };
    let args: Value = serde_json::from_str(&rec.args).unwrap_or(Value::String(rec.args.clone()));
    Ok(CallDoc {
        index,
        tool: rec.tool.clone(),
        args,
        http,
        outcome,
    })
}

/// Write a trace (and its usage) into the store; returns its id.
pub fn write_trace(store: &Store, doc: &TraceDoc, usage: Vec<Usage>) -> Result<Hash, StoreError> {
    let bytes = doc.canonical_bytes();
    let id = Hash::of(&bytes);
    let usage = serde_json::to_vec(&usage).expect("usage serializes");
    store.put_trace_file(&id, &bytes, &usage)?;
    Ok(id)
}

/// Read a trace and check that its id matches its content.
pub fn read_trace(store: &Store, id: &str) -> Result<(TraceDoc, Vec<Usage>), StoreError> {
    let (bytes, usage) = store.get_trace_file(id)?;
    trace_of_bytes(id, &bytes, usage)
}

/// A trace's document from its stored bytes, checked: the bytes hash to `id` and are the
/// document's canonical form. A usage file that cannot be read gives no figures.
pub fn trace_of_bytes(id: &str, bytes: &[u8], usage: Option<Vec<u8>>) -> Result<(TraceDoc, Vec<Usage>), StoreError> {
    let corrupt = |message: String| StoreError::CorruptTrace {
        id: id.to_string(),
        message,
    };
    let actual = Hash::of(bytes);
    if actual != id {
        return Err(corrupt(format!(
            "its content hashes to {actual}: the trace was modified after it was written"
        )));
    }
    let doc: TraceDoc = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("it is not a readable trace ({e})")))?;
    if doc.canonical_bytes() != bytes {
        return Err(corrupt("it is not in canonical form".into()));
    }
    // Usage is informational: a damaged usage file loses figures, never evidence.
    let usage = usage.and_then(|u| serde_json::from_slice(&u).ok()).unwrap_or_default();
    Ok((doc, usage))
}

/// The bodies of one exchange that are blobs.
fn exchange_bodies(ex: &ExchangeDoc) -> impl Iterator<Item = &BlobRef> {
    ex.request.body.iter().chain(ex.response.as_ref().map(|r| &r.body))
}

/// The blobs a trace references, in order of appearance (repeats included): each call's
/// exchange bodies then its result, then the model exchanges' bodies.
pub fn blob_refs(doc: &TraceDoc) -> Vec<&BlobRef> {
    let mut out = Vec::new();
    for c in &doc.calls {
        for ex in &c.http {
            out.extend(exchange_bodies(ex));
        }
        if let OutcomeDoc::Ok { result } = &c.outcome {
            out.push(result);
        }
    }
    for ex in &doc.model {
        out.extend(exchange_bodies(ex));
    }
    out
}

/// The bodies of the calls' recorded exchanges that are blobs (what a replay answers
/// requests from).
pub fn exchange_blob_refs(doc: &TraceDoc) -> impl Iterator<Item = &BlobRef> {
    doc.calls.iter().flat_map(|c| c.http.iter().flat_map(exchange_bodies))
}

/// The calls' recorded results.
pub fn result_blob_refs(doc: &TraceDoc) -> impl Iterator<Item = &BlobRef> {
    doc.calls.iter().filter_map(|c| match &c.outcome {
        OutcomeDoc::Ok { result } => Some(result),
        _ => None,
    })
}

/// Blobs loaded from the store for one reader of a trace, each once: a trace that names
/// one blob many times costs its size once, and the distinct bytes loaded are bounded
/// ([`caps::TRACE_EVIDENCE_BYTES`]), so a forged trace cannot make a replay hold more.
pub struct BlobCache<'s> {
    store: &'s Store,
    loaded: std::collections::HashMap<String, bytes::Bytes>,
    total: u64,
}

impl<'s> BlobCache<'s> {
    /// An empty cache reading from `store`.
    pub fn new(store: &'s Store) -> Self {
        BlobCache { store, loaded: Default::default(), total: 0 }
    }

    /// A blob's bytes (checked against its hash), loaded at most once.
    pub fn get(&mut self, hash: &str) -> Result<bytes::Bytes, StoreError> {
        if let Some(b) = self.loaded.get(hash) {
            return Ok(b.clone());
        }
        let bytes = bytes::Bytes::from(self.store.get_blob(hash)?);
        self.total += bytes.len() as u64;
        if self.total > caps::TRACE_EVIDENCE_BYTES {
            return Err(StoreError::EvidenceTooLarge { limit: caps::TRACE_EVIDENCE_BYTES });
        }
        self.loaded.insert(hash.to_string(), bytes.clone());
        Ok(bytes)
    }
}

/// Load a call's recorded exchanges back from the store (bodies checked).
pub fn load_exchanges(store: &Store, call: &CallDoc) -> Result<Vec<HttpExchange>, StoreError> {
    load_exchanges_cached(&mut BlobCache::new(store), call)
}

/// [`load_exchanges`] through a cache shared by the calls of one trace.
pub fn load_exchanges_cached(cache: &mut BlobCache<'_>, call: &CallDoc) -> Result<Vec<HttpExchange>, StoreError> {
    call.http.iter().map(|ex| load_exchange(cache, ex)).collect()
}

/// The model exchanges of a trace ([`TraceDoc::model`]) loaded back (bodies checked).
pub fn load_model_exchanges(store: &Store, doc: &TraceDoc) -> Result<Vec<HttpExchange>, StoreError> {
    let mut cache = BlobCache::new(store);
    doc.model.iter().map(|ex| load_exchange(&mut cache, ex)).collect()
}

/// One recorded exchange with its bodies loaded.
fn load_exchange(cache: &mut BlobCache<'_>, ex: &ExchangeDoc) -> Result<HttpExchange, StoreError> {
    let request = RequestRecord {
        method: ex.request.method.clone(),
        url: ex.request.url.clone(),
        headers: ex.request.headers.clone(),
        body: match &ex.request.body {
            Some(b) => cache.get(&b.blake3)?,
            None => bytes::Bytes::new(),
        },
    };
    let outcome = match (&ex.response, &ex.failure) {
        (Some(r), _) => HttpOutcome::Response(ResponseRecord { status: r.status, headers: r.headers.clone(), body: cache.get(&r.body.blake3)? }),
        (None, Some(f)) => HttpOutcome::Failed { code: f.code, message: f.message.clone() },
        (None, None) => HttpOutcome::Failed {
            code: FailureCode::InternalError,
            message: "the recording has neither a response nor a failure".into(),
        },
    };
    Ok(HttpExchange { request, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical;

    fn sample() -> TraceDoc {
        let blob = BlobRef { blake3: Hash::parse(&"ab".repeat(32)).unwrap(), len: 3 };
        TraceDoc {
            format: TRACE_FORMAT,
            runtime: "0.1.0".into(),
            seed: 7,
            clock_ns: 9,
            model: vec![],
            calls: vec![CallDoc {
                index: 0,
                tool: ToolIdentity { component: "c".into(), name: "t".into(), policy: "p".into() },
                args: serde_json::from_str(&canonical::to_string(&serde_json::json!({"z": 1, "a": {"y": 2, "b": [1]}}))).unwrap(),
                http: vec![
                    ExchangeDoc {
                        request: RequestDoc { method: "GET".into(), url: "https://x/".into(), headers: vec![("a".into(), "b".into())], body: Some(blob.clone()) },
                        response: Some(ResponseDoc { status: 200, headers: vec![], body: blob.clone() }),
                        failure: None,
                    },
                    ExchangeDoc {
                        request: RequestDoc { method: "GET".into(), url: "https://y/".into(), headers: vec![], body: None },
                        response: None,
                        failure: Some(FailureDoc { code: FailureCode::DnsError, message: "m".into() }),
                    },
                ],
                outcome: OutcomeDoc::Violation { rule: Rule::Network, message: "no".into() },
            }],
        }
    }

    #[test]
    fn the_evidence_key_leaves_out_response_headers_and_nothing_else() {
        let plain = sample();
        assert_eq!(plain.evidence_key(), plain.id(), "no response headers: the key is the id");
        let with_headers = |date: &str| {
            let mut d = sample();
            d.calls[0].http[0].response.as_mut().unwrap().headers = vec![("date".into(), date.into())];
            d.model.push(d.calls[0].http[0].clone());
            d
        };
        let (a, b) = (with_headers("Mon, 07 Dec 2026 13:00:00 GMT"), with_headers("Mon, 07 Dec 2026 13:00:01 GMT"));
        assert_ne!(a.id(), b.id());
        assert_eq!(a.evidence_key(), b.evidence_key(), "only the headers differ");
        let mut other_body = with_headers("x");
        other_body.calls[0].http[0].response.as_mut().unwrap().body.len = 4;
        assert_ne!(other_body.evidence_key(), a.evidence_key(), "a different answer is different evidence");
        let mut other_request = with_headers("x");
        other_request.calls[0].http[0].request.headers.clear();
        assert_ne!(other_request.evidence_key(), a.evidence_key(), "request headers are what the tool sent: kept");
    }

    #[test]
    fn canonical_order_is_kept() {
        let doc = sample();
        let plain = doc.canonical_bytes();
        assert_eq!(String::from_utf8(plain.clone()).unwrap(), canonical::to_string(&serde_json::to_value(&doc).unwrap()));
        assert_eq!(doc.id(), blake3::hash(&plain).to_hex().to_string());
        for o in [OutcomeDoc::Ok { result: BlobRef { blake3: Hash::of(b"x"), len: 1 } }, OutcomeDoc::Trap { message: "t".into() }, OutcomeDoc::ToolError { kind: ToolErrorKind::Upstream, message: "u".into() }] {
            let mut d = sample();
            d.calls[0].outcome = o;
            assert_eq!(String::from_utf8(d.canonical_bytes()).unwrap(), canonical::to_string(&serde_json::to_value(&d).unwrap()));
        }
        // Without a model the key is absent (earlier traces keep their bytes); with one,
        // it sits in sorted place and its bodies are reachable blobs.
        assert!(!String::from_utf8(plain).unwrap().contains("\"model\""));
        let mut d = sample();
        d.model = d.calls[0].http.clone();
        let text = String::from_utf8(d.canonical_bytes()).unwrap();
        assert_eq!(text, canonical::to_string(&serde_json::to_value(&d).unwrap()));
        assert!(text.contains(r#""format":"dive-trace/2","model":[{"request""#), "{text}");
        assert_eq!(blob_refs(&d).len(), blob_refs(&sample()).len() + 2);
        assert_eq!(serde_json::from_str::<TraceDoc>(&text).unwrap(), d);
    }

    #[test]
    fn each_format_keeps_its_bytes() {
        let mut doc = sample();
        doc.seed = u64::MAX;
        doc.clock_ns = 1_733_000_000_123_456_789;
        doc.calls[0].args = serde_json::from_str(r#"{"a":1e-6,"b":[2.5e-7,1e21,3]}"#).unwrap();
        let v2 = String::from_utf8(doc.canonical_bytes()).unwrap();
        assert!(v2.contains(r#""args":{"a":0.000001,"b":[2.5e-7,1e+21,3]}"#), "{v2}");
        assert!(v2.contains(r#""clock_ns":"1733000000123456789""#) && v2.contains(r#""seed":"18446744073709551615""#), "{v2}");
        let back: TraceDoc = serde_json::from_str(&v2).unwrap();
        assert_eq!(back, doc);

        doc.format = TraceFormat::V1;
        let v1 = String::from_utf8(doc.canonical_bytes()).unwrap();
        assert!(v1.contains(r#""args":{"a":1e-6,"b":[2.5e-7,1e21,3]}"#), "{v1}");
        assert!(v1.contains(r#""clock_ns":1733000000123456789"#) && v1.contains(r#""format":"dive-trace/1""#), "{v1}");
        assert_eq!(serde_json::from_str::<TraceDoc>(&v1).unwrap(), doc);
        assert_ne!(doc.id(), back.id());

        let unknown = v1.replace("dive-trace/1", "dive-trace/9");
        let e = serde_json::from_str::<TraceDoc>(&unknown).unwrap_err().to_string();
        assert!(e.contains("unknown format 'dive-trace/9'"), "{e}");
    }
}
