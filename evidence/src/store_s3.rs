//! The object-store backend of [`crate::store::Store`] (ARCHITECTURE.md §12): the same
//! layout and content addressing as the directory store, as keys under
//! `s3://BUCKET/PREFIX/` on any S3-compatible service, through the `object_store` crate.
//!
//! ```text
//! PREFIX/objects/ab/cdef…        blobs, written once (a put that finds one is a no-op)
//! PREFIX/traces/ab/cdef….json    traces and their .usage.json, written once
//! PREFIX/refs/<name>             a trace id, replaced by conditional put only
//! PREFIX/cassettes/<name>.json   imported recordings
//! PREFIX/files/<name>            named files (published shard task files)
//! ```
//! Objects never change once written, so concurrent writers need no lock: two writers of
//! one object write the same bytes and the second put is refused as already present.
//! Credentials and endpoint come from the standard `AWS_*` variables; requests that fail
//! with 5xx or throttling are retried with exponential backoff.
//!
//! The store API is synchronous; this backend runs its requests on one process-wide
//! I/O runtime (never dropped, so it is safe to use from inside other async code).

use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, Shared};
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as KeyPath;
use object_store::{BackoffConfig, ObjectStore, ObjectStoreExt, PutMode, PutOptions, RetryConfig, UpdateVersion};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// Why an object-store operation failed, naming the key and what to do.
#[derive(Debug, Error)]
pub enum S3Error {
    /// `s3://` given without a bucket, or with parts the store cannot use.
    #[error("'{url}' is not an object store location: {why} (write s3://BUCKET/PREFIX)")]
    BadUrl {
        /// The location as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The client could not be configured (endpoint, credentials, region).
    #[error("cannot use {url}: {message} (set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and, for a service other than AWS, AWS_ENDPOINT_URL)")]
    Config {
        /// The store's `s3://BUCKET/PREFIX`.
        url: String,
        /// The client's complaint.
        message: String,
    },
    /// A request failed after its retries. (`cause` is shown in the message, not chained:
    /// object_store's own text already carries its causes.)
    #[error("{op} {url}/{key}: {cause} (check AWS_ENDPOINT_URL, the credentials and the bucket)")]
    Request {
        /// The operation: `get`, `put`, `head`, `list` or `delete`.
        op: &'static str,
        /// The store's `s3://BUCKET/PREFIX`.
        url: String,
        /// The key below the prefix (for `list`, the dir listed).
        key: String,
        /// The last failure, as the client reported it.
        cause: Box<object_store::Error>,
    },
    /// An object is larger than the store reads (the same bound as the directory store).
    #[error("{url}/{key} is {size} bytes; at most {limit} are read ({what})")]
    TooLarge {
        /// The store's `s3://BUCKET/PREFIX`.
        url: String,
        /// The key below the prefix.
        key: String,
        /// Its listed size, or the bytes received when the stream ran past the bound.
        size: u64,
        /// The bound, in bytes.
        limit: u64,
        /// Which cap the bound is, in words.
        what: &'static str,
    },
    /// A write's error, as seen by a later write that waited for it and so was not sent.
    #[error(transparent)]
    Shared(Arc<S3Error>),
    /// A ref kept changing under us while we tried to update it.
    #[error("ref {url}/{key} changed {tries} times while being updated; try again")]
    Contended {
        /// The store's `s3://BUCKET/PREFIX`.
        url: String,
        /// The ref's key below the prefix (`refs/<name>`).
        key: String,
        /// How many conditional puts were refused.
        tries: usize,
    },
}

/// Where a `--store` points: a directory or an object-store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket name.
    pub bucket: String,
    /// The key prefix inside the bucket, without leading or trailing `/` (may be empty).
    pub prefix: String,
}

impl S3Location {
    /// Parse `s3://BUCKET[/PREFIX]`; `None` when `spec` is not an `s3://` location.
    pub fn parse(spec: &str) -> Option<Result<S3Location, S3Error>> {
        let rest = spec.strip_prefix("s3://")?;
        let bad = |why: &str| Some(Err(S3Error::BadUrl { url: spec.to_string(), why: why.to_string() }));
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return bad("the bucket name must be 3 to 63 lowercase letters, digits, '-' or '.'");
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
            return bad("the prefix may not hold empty, '.' or '..' parts");
        }
        Some(Ok(S3Location { bucket: bucket.to_string(), prefix: prefix.to_string() }))
    }

    /// `s3://BUCKET/PREFIX`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// One object as a listing shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The key below the store prefix (e.g. `objects/ab/cdef…`).
    pub rel: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
}

/// A connection to one `s3://BUCKET/PREFIX`.
#[derive(Debug)]
pub struct S3Backend {
    location: S3Location,
    client: Arc<AmazonS3>,
    /// Immutable keys this process has written or seen: not put again.
    known: Mutex<HashSet<String>>,
    /// Permits for the writes under way ([`S3Backend::start`]).
    slots: Arc<WriteSlots>,
    /// Mutable keys this process has read or written ([`S3Backend::put_conditional`]).
    present: Mutex<HashSet<String>>,
}

/// Whether a key is replaced in place (a ref, a cassette index, a named file) rather than
/// written once under its hash.
fn is_mutable(rel: &str) -> bool {
    !(rel.starts_with("objects/") || rel.starts_with("traces/"))
}

/// How many times a ref update is retried when another writer changed the ref first.
const REF_TRIES: usize = 8;

/// The process-wide runtime the object store's requests run on. It lives for the whole
/// process, so no store is ever dropped with its runtime inside another runtime.
fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dive-s3")
            .enable_all()
            .build()
            .expect("the object-store I/O runtime starts")
    })
}

/// Run `fut` on the I/O runtime and wait for it (callable from sync and async code).
/// The answer comes back over a plain channel: polling a tokio `JoinHandle` from code
/// that runs inside another runtime's `block_on` would spin on that runtime's
/// cooperative budget, which never refills there.
fn block<T: Send + 'static>(fut: impl std::future::Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    io_runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().expect("an object-store request task ended without an answer (it panicked)")
}

/// One read of at most `limit` bytes: the bytes and version, or `Err(size)` when the
/// object is larger (its listed size, or what had arrived when the stream passed the
/// bound: the listed size may lie, and no more than the bound is ever held).
async fn get_async(client: Arc<AmazonS3>, key: KeyPath, limit: u64) -> Result<Result<(Vec<u8>, UpdateVersion), u64>, object_store::Error> {
    let r = client.get(&key).await?;
    let version = UpdateVersion { e_tag: r.meta.e_tag.clone(), version: r.meta.version.clone() };
    if r.meta.size > limit {
        return Ok(Err(r.meta.size));
    }
    let mut out = Vec::with_capacity(r.meta.size as usize);
    let mut stream = r.into_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if out.len() as u64 + chunk.len() as u64 > limit {
            return Ok(Err(out.len() as u64 + chunk.len() as u64));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Ok((out, version)))
}

/// A put that creates an object only if it is absent (`If-None-Match: *`).
async fn put_create(client: Arc<AmazonS3>, key: KeyPath, bytes: Vec<u8>) -> Result<(), object_store::Error> {
    let opts = PutOptions { mode: PutMode::Create, ..Default::default() };
    client.put_opts(&key, Bytes::from(bytes).into(), opts).await.map(drop)
}

/// A write's answer, shared by everyone who waits for it (an error is shared too).
type Answer = Result<(), Arc<S3Error>>;

/// A write under way on the I/O runtime ([`S3Backend::start`]). It holds one of the
/// backend's write slots until it is answered. Clones wait for the same write, so later
/// writes can be made to wait for it ([`S3Backend::start`]'s `after`).
#[derive(Clone)]
pub struct PendingPut {
    answer: Shared<BoxFuture<'static, Answer>>,
    /// Set when the write is answered.
    outcome: Arc<OnceLock<Answer>>,
}

impl std::fmt::Debug for PendingPut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingPut").field("done", &self.is_finished()).finish()
    }
}

impl PendingPut {
    /// Wait for the write's answer.
    pub fn wait(self) -> Result<(), S3Error> {
        block(self.answer).map_err(unshare)
    }

    /// Whether the answer has come (so [`PendingPut::wait`] returns at once).
    pub fn is_finished(&self) -> bool {
        self.outcome.get().is_some()
    }

    /// The answer, if it has come.
    pub fn outcome(&self) -> Option<Result<(), S3Error>> {
        self.outcome.get().map(|a| a.clone().map_err(unshare))
    }
}

/// A shared error as the error itself when nobody else holds it.
fn unshare(e: Arc<S3Error>) -> S3Error {
    Arc::try_unwrap(e).unwrap_or_else(S3Error::Shared)
}

/// One write of [`S3Backend::start`].
#[derive(Debug)]
pub enum ObjectWrite {
    /// An immutable object, put once: create-if-absent, and present counts as written.
    Once {
        /// The key below the prefix.
        rel: String,
        /// The object.
        bytes: Vec<u8>,
    },
    /// A mutable object (a ref) replaced by conditional put, as
    /// [`S3Backend::put_conditional`].
    Replace {
        /// The key below the prefix.
        rel: String,
        /// The new content.
        bytes: Vec<u8>,
        /// The bound on reading the current content.
        limit: u64,
    },
}

/// How many writes may be under way at once: a counting semaphore whose permits
/// ([`WriteSlot`]) are taken on the caller's thread, before the write is started, and
/// given back when the write is answered.
#[derive(Debug)]
struct WriteSlots {
    free: Mutex<usize>,
    freed: std::sync::Condvar,
}

/// One permit of [`WriteSlots`], given back when dropped.
#[derive(Debug)]
pub struct WriteSlot(Arc<WriteSlots>);

impl WriteSlots {
    fn take(self: &Arc<Self>) -> WriteSlot {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        WriteSlot(self.clone())
    }
}

impl Drop for WriteSlot {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// Retries for 5xx and throttling answers: 100 ms doubling to 5 s, up to 10 tries within
/// 2 minutes (object_store retries only what is safe to retry).
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig { init_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(5), base: 2.0 },
        max_retries: 10,
        retry_timeout: Duration::from_secs(120),
    }
}

/// Whether an endpoint URL is plain HTTP to this machine (allowed without TLS).
fn is_loopback_http(endpoint: &str) -> bool {
    let Ok(u) = url::Url::parse(endpoint) else { return false };
    u.scheme() == "http"
        && match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            None => false,
        }
}

impl S3Backend {
    /// Connect to `location` with the standard `AWS_*` variables. Plain-HTTP endpoints are
    /// allowed on loopback only (a local S3-compatible server); elsewhere use https or set
    /// `AWS_ALLOW_HTTP=true` explicitly.
    pub fn open(location: S3Location) -> Result<S3Backend, S3Error> {
        // object_store's HTTP client uses rustls without a bundled provider: dive signs
        // and talks TLS with ring everywhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = location.url();
        // from_env reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (default
        // us-east-1), AWS_ENDPOINT_URL, AWS_SESSION_TOKEN and the rest of the standard set.
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&location.bucket).with_retry(retry_config());
        if std::env::var("AWS_ENDPOINT_URL").is_ok_and(|e| is_loopback_http(&e)) {
            builder = builder.with_allow_http(true);
        }
        let client = builder.build().map_err(|e| S3Error::Config { url: url.clone(), message: e.to_string() })?;
        let slots = Arc::new(WriteSlots { free: Mutex::new(crate::store::REMOTE_PUTS_IN_FLIGHT), freed: Default::default() });
        Ok(S3Backend { location, client: Arc::new(client), known: Mutex::new(HashSet::new()), slots, present: Mutex::new(HashSet::new()) })
    }

    /// `s3://BUCKET/PREFIX`.
    pub fn url(&self) -> String {
        self.location.url()
    }

    fn key(&self, rel: &str) -> KeyPath {
        if self.location.prefix.is_empty() {
            KeyPath::from(rel)
        } else {
            KeyPath::from(format!("{}/{rel}", self.location.prefix))
        }
    }

    fn request_error(&self, op: &'static str, rel: &str) -> impl FnOnce(object_store::Error) -> S3Error + '_ {
        let (url, key) = (self.url(), rel.to_string());
        move |cause| S3Error::Request { op, url, key, cause: Box::new(cause) }
    }

    /// Whether this process has written or seen the immutable object `rel`, so a write
    /// of it once ([`ObjectWrite::Once`]) sends nothing.
    pub fn is_known(&self, rel: &str) -> bool {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).contains(rel)
    }

    fn remember(&self, rel: &str) {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).insert(rel.to_string());
    }

    /// A write slot: waits while [`crate::store::REMOTE_PUTS_IN_FLIGHT`] writes are under
    /// way. Take it before [`S3Backend::start`], outside any lock a write's end needs.
    pub fn write_slot(&self) -> WriteSlot {
        self.slots.take()
    }

    /// Start `writes` on the I/O runtime and return at once: they are sent one after
    /// another once every write in `after` has been answered, and not at all if one of
    /// those failed (its error is this write's answer). `slot` is held until the end.
    pub fn start(self: &Arc<Self>, slot: WriteSlot, after: Vec<PendingPut>, writes: Vec<ObjectWrite>) -> PendingPut {
        let (me, outcome) = (self.clone(), Arc::new(OnceLock::new()));
        let answered = outcome.clone();
        let task = io_runtime().spawn(async move {
            let answer = me.write_after(after, writes).await;
            drop(slot);
            let _ = answered.set(answer.clone());
            answer
        });
        let answer = async move { task.await.unwrap_or_else(|e| panic!("an object-store write task ended without an answer: {e}")) };
        PendingPut { answer: answer.boxed().shared(), outcome }
    }

    /// `writes` in order once every write in `after` is answered; the first error.
    async fn write_after(&self, after: Vec<PendingPut>, writes: Vec<ObjectWrite>) -> Answer {
        let mut first_error = None;
        for earlier in after {
            if let Err(e) = earlier.answer.await {
                first_error.get_or_insert(e);
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        for w in writes {
            match w {
                ObjectWrite::Once { rel, bytes } => self.put_once_async(rel, bytes).await,
                ObjectWrite::Replace { rel, bytes, limit } => self.put_conditional_async(&rel, bytes, limit).await,
            }
            .map_err(Arc::new)?;
        }
        Ok(())
    }

    /// An immutable object put once: a put that finds it present is a no-op.
    async fn put_once_async(&self, rel: String, bytes: Vec<u8>) -> Result<(), S3Error> {
        if self.is_known(&rel) {
            return Ok(());
        }
        let got = put_create(self.client.clone(), self.key(&rel), bytes).await;
        self.put_answer(got, &rel)
    }

    /// A create-once put's answer: present already counts as written.
    fn put_answer(&self, got: Result<(), object_store::Error>, rel: &str) -> Result<(), S3Error> {
        match got {
            Ok(()) | Err(object_store::Error::AlreadyExists { .. }) | Err(object_store::Error::Precondition { .. }) => {
                self.remember(rel);
                Ok(())
            }
            Err(e) => Err(self.request_error("put", rel)(e)),
        }
    }

    /// Read an object of at most `limit` bytes; `Ok(None)` when it is not there.
    pub fn get_bounded(&self, rel: &str, limit: u64, what: &'static str) -> Result<Option<Vec<u8>>, S3Error> {
        let (client, key) = (self.client.clone(), self.key(rel));
        let got = block(get_async(client, key, limit));
        let got = self.answer(got, rel, limit, what)?.map(|(bytes, _)| bytes);
        if got.is_some() && is_mutable(rel) {
            self.saw_present(rel);
        }
        Ok(got)
    }

    /// Whether this process has seen the mutable object `rel` (a ref, a named file)
    /// present: its next conditional put reads it first instead of trying a create.
    fn seen_present(&self, rel: &str) -> bool {
        self.present.lock().unwrap_or_else(|p| p.into_inner()).contains(rel)
    }

    fn saw_present(&self, rel: &str) {
        self.present.lock().unwrap_or_else(|p| p.into_inner()).insert(rel.to_string());
    }

    /// Read many objects of at most `limit` bytes each with up to `in_flight` requests at
    /// once; the answers come in the order of `rels`. Once more than `budget` bytes have
    /// arrived, the reads still under way are dropped and the answer ends there (the
    /// keys after it are left out).
    pub fn get_many(&self, rels: &[String], limit: u64, what: &'static str, in_flight: usize, budget: u64) -> Vec<Result<Option<Vec<u8>>, S3Error>> {
        let requests: Vec<_> = rels.iter().map(|rel| get_async(self.client.clone(), self.key(rel), limit)).collect();
        let got = block(async move {
            let mut received = 0u64;
            futures::stream::iter(requests)
                .buffered(in_flight.max(1))
                .take_while(move |got| {
                    let within = received <= budget;
                    if let Ok(Ok((bytes, _))) = got {
                        received += bytes.len() as u64;
                    }
                    std::future::ready(within)
                })
                .collect::<Vec<_>>()
                .await
        });
        got.into_iter().zip(rels).map(|(got, rel)| self.answer(got, rel, limit, what).map(|v| v.map(|(bytes, _)| bytes))).collect()
    }

    /// A read's answer: None when the object is not there.
    fn answer(&self, got: Result<Result<(Vec<u8>, UpdateVersion), u64>, object_store::Error>, rel: &str, limit: u64, what: &'static str) -> Result<Option<(Vec<u8>, UpdateVersion)>, S3Error> {
        match got {
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(size)) => Err(S3Error::TooLarge { url: self.url(), key: rel.to_string(), size, limit, what }),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.request_error("get", rel)(e)),
        }
    }

    /// Whether an object is there (a HEAD request).
    pub fn exists(&self, rel: &str) -> Result<bool, S3Error> {
        if self.is_known(rel) {
            return Ok(true);
        }
        let (client, key) = (self.client.clone(), self.key(rel));
        match block(async move { client.head(&key).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.request_error("head", rel)(e)),
        }
    }

    /// Replace a mutable object (a ref, a named file) by conditional put: created only if
    /// absent (tried first, as one request, unless this process has seen it present),
    /// updated only if nobody changed it since we read it; retried on a race.
    pub fn put_conditional(self: &Arc<Self>, rel: &str, bytes: Vec<u8>, limit: u64) -> Result<(), S3Error> {
        let (me, rel) = (self.clone(), rel.to_string());
        block(async move { me.put_conditional_async(&rel, bytes, limit).await })
    }

    async fn put_conditional_async(&self, rel: &str, bytes: Vec<u8>, limit: u64) -> Result<(), S3Error> {
        if !self.seen_present(rel) {
            // Most refs a build sets are new: create it (one request instead of a read
            // and a put); one that is there after all is read and updated below.
            let opts = PutOptions { mode: PutMode::Create, ..Default::default() };
            match self.client.put_opts(&self.key(rel), Bytes::from(bytes.clone()).into(), opts).await {
                Ok(_) => {
                    self.saw_present(rel);
                    return Ok(());
                }
                Err(object_store::Error::AlreadyExists { .. }) | Err(object_store::Error::Precondition { .. }) => {}
                Err(e) => return Err(self.request_error("put", rel)(e)),
            }
        }
        self.saw_present(rel);
        for _ in 0..REF_TRIES {
            let got = get_async(self.client.clone(), self.key(rel), limit).await;
            let mode = match self.answer(got, rel, limit, "the ref size cap")? {
                Some((current, _)) if current == bytes => return Ok(()),
                Some((_, version)) => PutMode::Update(version),
                None => PutMode::Create,
            };
            let opts = PutOptions { mode, ..Default::default() };
            match self.client.put_opts(&self.key(rel), Bytes::from(bytes.clone()).into(), opts).await {
                Ok(_) => return Ok(()),
                Err(object_store::Error::AlreadyExists { .. }) | Err(object_store::Error::Precondition { .. }) => continue,
                Err(e) => return Err(self.request_error("put", rel)(e)),
            }
        }
        Err(S3Error::Contended { url: self.url(), key: rel.to_string(), tries: REF_TRIES })
    }

    /// Every object under `dir/` (relative to the store prefix), sorted by key.
    pub fn list(&self, dir: &str) -> Result<Vec<Listed>, S3Error> {
        let (client, prefix) = (self.client.clone(), self.key(dir));
        let base = match self.location.prefix.as_str() {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let metas = block(async move { client.list(Some(&prefix)).collect::<Vec<_>>().await });
        let mut out = Vec::with_capacity(metas.len());
        for m in metas {
            let m = m.map_err(self.request_error("list", dir))?;
            let full = m.location.to_string();
            let rel = full.strip_prefix(&base).unwrap_or(&full).to_string();
            out.push(Listed { rel, size: m.size, modified: SystemTime::from(m.last_modified) });
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }

    /// Delete an object (gc of an unreachable blob).
    pub fn delete(&self, rel: &str) -> Result<(), S3Error> {
        let (client, key) = (self.client.clone(), self.key(rel));
        match block(async move { client.delete(&key).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                self.known.lock().unwrap_or_else(|p| p.into_inner()).remove(rel);
                Ok(())
            }
            Err(e) => Err(self.request_error("delete", rel)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        let l = S3Location::parse("s3://dive-store/runs/a/").unwrap().unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("dive-store", "runs/a"));
        assert_eq!(l.url(), "s3://dive-store/runs/a");
        assert_eq!(S3Location::parse("s3://bucket").unwrap().unwrap().prefix, "");
        assert!(S3Location::parse("/tmp/store").is_none());
        assert!(S3Location::parse("s3://").unwrap().is_err());
        assert!(S3Location::parse("s3://Bad_Bucket/x").unwrap().is_err());
        assert!(S3Location::parse("s3://bucket/a/../b").unwrap().is_err());
        assert!(is_loopback_http("http://127.0.0.1:9000"));
        assert!(is_loopback_http("http://localhost:9000"));
        assert!(!is_loopback_http("http://s3.example.org"));
        assert!(!is_loopback_http("https://127.0.0.1:9000"));
    }
}
