//! The evidence store: content-addressed blobs and traces, named refs. Boring on purpose
//! (git's object store): `objects/ab/cdef…` keyed by BLAKE3, written to a temporary file
//! and renamed into place, checked on every read.
//!
//! ```text
//! STORE/objects/ab/cdef…        blobs: HTTP bodies, results
//! STORE/traces/ab/cdef….json    trace files; the name is the trace id
//! STORE/refs/<name>             a trace id (named refs, e.g. refs/tasks/run-1)
//! STORE/cassettes/<name>.json   imported recordings (see cassette.rs)
//! STORE/tmp/                    temporary files (a crash may leave some; gc removes them)
//! ```
//! Several processes may write into one store at once: every file appears whole via an
//! atomic rename, and equal content has an equal name.
//!
//! The same layout also lives on an S3-compatible object store (`s3://BUCKET/PREFIX`,
//! see [`crate::store_s3`]): [`Store::open_location`] picks the backend, and every
//! method below works on either. An object-store `Store` keeps a local read cache of
//! blobs (checked on every read like the store itself) in its local root.

use crate::hash::Hash;
use crate::store_s3::{PendingPut, S3Backend, S3Error, S3Location, ObjectWrite};
use crate::untrusted::{self, caps, Follow, UntrustedError};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Store files are created `rw-rw-rw-` less the umask, like any file a tool writes, so
/// a shared store is as readable as its owner's umask says (tempfile alone gives 0600).
fn temp_builder(prefix: &str) -> tempfile::Builder<'_, 'static> {
    use std::os::unix::fs::PermissionsExt;
    let mut b = tempfile::Builder::new();
    b.prefix(prefix).permissions(std::fs::Permissions::from_mode(0o666));
    b
}

/// A file or dir in the store that is not what the store writes there (a symlink, a
/// device, a stray name). fsck reports them; gc never deletes or follows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    /// Where it is (on an object store, its `s3://` URL).
    pub path: PathBuf,
    /// What is wrong with it, in words (e.g. "is a symlink").
    pub why: String,
}

/// What `objects/` holds: well-formed object files, and everything else.
#[derive(Debug, Default)]
pub struct ObjectScan {
    /// (hash, path) of each regular file named like an object, in a real (not symlinked)
    /// `objects/xx/` dir. On an object store the path is the object's `s3://` URL.
    pub objects: Vec<(String, PathBuf)>,
    /// Size and last-modified time of each object, by hash (when it could be read).
    pub info: HashMap<String, (u64, SystemTime)>,
    /// Everything else found there; left alone.
    pub strays: Vec<Stray>,
}

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A filesystem operation on the store failed.
    #[error("store {path}: {source}")]
    Io {
        /// The file or dir it failed on.
        path: PathBuf,
        /// What the filesystem said.
        #[source]
        source: std::io::Error,
    },
    /// No object with this hash is in the store (the hash is named, as given; a
    /// malformed hash is reported this way too).
    #[error("object {0} is not in the store (was it removed by gc, or is this the wrong --store?)")]
    MissingObject(String),
    /// An object's bytes do not hash to its name: the store was changed outside dive.
    #[error("object {hash} is corrupt: its content hashes to {actual}; the store was modified outside dive (run `dive store fsck`)")]
    CorruptObject {
        /// The object's name, the hash it should have.
        hash: String,
        /// The hash of the bytes found.
        actual: String,
    },
    /// No trace with this id is in the store (the id is named; empty when a caller
    /// only uses the variant to mean "not found").
    #[error("trace {0} is not in the store (`dive store fsck` lists the traces there are)")]
    MissingTrace(String),
    /// A trace does not hash to its id, does not parse, or is not in canonical form;
    /// also an imported cassette's unreadable index.
    #[error("trace {id} is corrupt: {message}")]
    CorruptTrace {
        /// The trace id (or cassette name).
        id: String,
        /// What is wrong with it.
        message: String,
    },
    /// The text is neither a trace id, a unique prefix of one, nor a ref in this store.
    #[error("'{0}' is not a trace id, a unique id prefix or a ref name in this store")]
    UnknownTrace(String),
    /// The id prefix matches more than one trace.
    #[error("'{0}' matches several traces; give more characters of the id")]
    AmbiguousTrace(String),
    /// The ref name breaks [`Store::check_ref_name`].
    #[error("invalid ref name '{0}': use letters, digits, '-', '_', '.' and '/' between parts")]
    BadRefName(String),
    /// An id prefix of fewer than 6 hex digits that is not a ref name.
    #[error("'{0}' is too short to pick a trace: give at least 6 hex digits of its id, or a ref name")]
    PrefixTooShort(String),
    /// The bounded reader refused a store file (over its cap, or not a regular file).
    #[error("store: {0}")]
    Untrusted(#[from] UntrustedError),
    /// Reading one trace back would load more distinct blob bytes than `limit`
    /// ([`caps::TRACE_EVIDENCE_BYTES`]).
    #[error("the trace's evidence is over {limit} distinct bytes; this dive loads at most that for one trace")]
    EvidenceTooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
    /// A path in the store is a symlink, not a regular file, or not under the store
    /// root; the store neither reads through nor deletes such a path.
    #[error("store {path}: {why}; the store does not follow links out of itself (run `dive store fsck`)")]
    Unsafe {
        /// The offending path.
        path: PathBuf,
        /// What is wrong with it, in words.
        why: String,
    },
    /// The object store refused or failed a request (after retries), or is misconfigured.
    #[error(transparent)]
    Remote(#[from] S3Error),
}

/// Writes (blob, trace and ref puts) a store keeps under way at once on an object store.
pub const REMOTE_PUTS_IN_FLIGHT: usize = 32;

/// What a write on an object store is, so a later write waits only for those it names:
/// a trace for its blobs and usage, a ref for its trace (and the same ref set before).
#[derive(Debug, Clone, PartialEq, Eq)]
enum WriteKind {
    Blob,
    Usage(Hash),
    Trace(Hash),
    Ref(String),
}

/// The writes under way on an object store, in the order started, and the refs set in
/// group-commit mode whose writes have not yet been waited for (read back from here, so
/// this process sees its own refs at once).
#[derive(Debug, Default)]
struct RemoteWrites {
    started: std::collections::VecDeque<(WriteKind, PendingPut)>,
    refs: HashMap<String, String>,
}

impl RemoteWrites {
    /// Let go of the writes answered without error; the first error, if one was (a
    /// failed write is kept, so what waits for it is never sent, and reported again at
    /// the next [`Store::commit`]).
    fn reap(&mut self) -> Result<(), S3Error> {
        let mut first_error = None;
        self.started.retain(|(_, put)| match put.outcome() {
            None => true,
            Some(Ok(())) => false,
            Some(Err(e)) => {
                first_error.get_or_insert(e);
                true
            }
        });
        first_error.map_or(Ok(()), Err)
    }
}

/// Object-store reads [`Store::prefetch_blobs`] and the sweeps of `fsck` keep in flight
/// at once.
pub const PREFETCH_IN_FLIGHT: usize = 16;

/// Keys one chunk of a sweep (`fsck` over a bucket) asks for at once.
pub const SWEEP_CHUNK: usize = 256;

/// Bytes one chunk of a sweep holds before its answer ends (the rest is asked again).
pub const SWEEP_BUDGET: u64 = 256 << 20;

/// A directory opened to resolve paths below it; None if it cannot be.
fn open_dir(path: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC).open(path).ok()
}

/// Map a bounded read's error: a missing file is `missing`, anything else stays.
fn not_found_as(e: UntrustedError, missing: StoreError) -> StoreError {
    match e {
        UntrustedError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => missing,
        other => StoreError::Untrusted(other),
    }
}

pub use crate::hash::is_hash;

/// That `bytes` are the blob `hash` names: else [`StoreError::CorruptObject`].
fn check_hash(hash: &Hash, bytes: &[u8]) -> Result<(), StoreError> {
    let actual = Hash::of(bytes);
    if actual != *hash {
        return Err(StoreError::CorruptObject { hash: hash.to_string(), actual: actual.into() });
    }
    Ok(())
}

/// A handle on one evidence store, a directory or an object store. Cheap to clone;
/// clones share the writes not yet made durable, so any clone's [`Store::commit`] or
/// [`Store::flush`] covers them.
#[derive(Debug, Clone)]
pub struct Store {
    /// The store's directory; for an object store, the local read cache of its blobs.
    root: PathBuf,
    /// That directory, open: reads resolve their paths below it with the kernel refusing
    /// symlinks ([`Store::read_inside`]).
    root_dir: Option<Arc<std::fs::File>>,
    /// The object store this store lives on, when it is not a directory.
    remote: Option<Arc<S3Backend>>,
    /// Blobs written but not yet fsynced; flushed before any trace that may use them.
    pending: std::sync::Arc<std::sync::Mutex<Vec<PathBuf>>>,
    /// On an object store, the writes under way ([`RemoteWrites`]).
    remote_writes: Arc<std::sync::Mutex<RemoteWrites>>,
    /// Group commit: writes are not fsynced one by one; [`Store::commit`] makes
    /// everything written so far durable at once.
    group_commit: bool,
}

/// A cassette index file's name, and its bytes or why they cannot be read.
pub(crate) type CassetteFile = (String, Result<Vec<u8>, StoreError>);

impl Store {
    /// Open (and create if needed) a store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root = root.into();
        for sub in ["objects", "traces", "refs", "tmp", "cassettes"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(|source| StoreError::Io { path: p, source })?;
        }
        let root_dir = open_dir(&root).map(Arc::new);
        Ok(Store {
            root,
            root_dir,
            remote: None,
            pending: Default::default(),
            remote_writes: Default::default(),
            group_commit: false,
        })
    }

    /// Open the store `--store` names: `s3://BUCKET/PREFIX` opens the object store there
    /// (credentials and endpoint from the `AWS_*` variables) with a local blob cache under
    /// `cache_root` (checked on every read like the store's own); anything else is a
    /// directory, as [`Store::open`].
    pub fn open_location(location: &Path, cache_root: &Path) -> Result<Store, StoreError> {
        let Some(parsed) = location.to_str().and_then(S3Location::parse) else {
            return Store::open(location);
        };
        let parsed = parsed?;
        let cache = cache_root.join(&blake3::hash(parsed.url().as_bytes()).to_hex()[..16]);
        let backend = S3Backend::open(parsed)?;
        let mut store = Store::open(cache)?;
        store.remote = Some(Arc::new(backend));
        Ok(store)
    }

    /// Where the store lives: its directory, or its `s3://BUCKET/PREFIX`.
    pub fn location(&self) -> String {
        match &self.remote {
            Some(r) => r.url(),
            None => self.root.display().to_string(),
        }
    }

    /// Whether this store lives on an object store.
    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// The local directory view: the store itself, or an object store's blob cache.
    fn local(&self) -> Store {
        Store { root: self.root.clone(), root_dir: self.root_dir.clone(), remote: None, pending: Default::default(), remote_writes: Default::default(), group_commit: false }
    }

    /// A key's display name on the object store (for reports).
    fn remote_path(r: &S3Backend, rel: &str) -> PathBuf {
        PathBuf::from(format!("{}/{rel}", r.url()))
    }

    /// Where the store is when neither `--store` nor `DIVE_STORE` names one:
    /// `.dive/store` under the working directory.
    pub fn default_root() -> PathBuf {
        PathBuf::from(".dive/store")
    }

    /// The store's directory; for an object store, its local blob cache.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Read a file of the store, bounded: `missing` when there is none. Every component
    /// below the root must be a real dir or file: the kernel checks that as it opens the
    /// file, and when it cannot (or refuses), [`Store::check_dirs`] does and then the
    /// file is opened without following a final link, which names what was wrong.
    fn read_inside(&self, path: &Path, limit: u64, what: &'static str, missing: StoreError) -> Result<Vec<u8>, StoreError> {
        if let (Some(dir), Ok(rel)) = (&self.root_dir, path.strip_prefix(&self.root)) {
            if let Some(read) = untrusted::read_bounded_beneath(dir, rel, path, limit, what) {
                return read.map_err(StoreError::Untrusted);
            }
        }
        self.check_dirs(path)?;
        untrusted::read_bounded(path, limit, what, Follow::No).map_err(|e| not_found_as(e, missing))
    }

    /// Refuse a path whose dirs below the store root are symlinks (`objects/ab` linked
    /// elsewhere): reads and deletes stay inside the store.
    fn check_dirs(&self, path: &Path) -> Result<(), StoreError> {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return Err(StoreError::Unsafe { path: path.to_path_buf(), why: "not under the store root".into() });
        };
        let mut at = self.root.clone();
        let parts: Vec<_> = rel.components().collect();
        for c in &parts[..parts.len().saturating_sub(1)] {
            at.push(c);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(StoreError::Unsafe { path: at, why: "is a symlink".into() })
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `tmp/`, where files are written before they are renamed into place; refused when
    /// it is not a real dir of the store (a symlink would put writes outside it).
    fn tmp_dir(&self) -> Result<PathBuf, StoreError> {
        let tmp = self.root.join("tmp");
        match not_a_real_dir(&tmp) {
            None => Ok(tmp),
            Some(why) => Err(StoreError::Unsafe { path: tmp, why }),
        }
    }

    /// Where a blob lives in a directory store: `objects/ab/cdef…`.
    pub fn object_path(&self, hash: &Hash) -> PathBuf {
        self.root.join(object_rel(hash))
    }

    /// Where a trace lives in a directory store: `traces/ab/cdef….json`.
    pub fn trace_path(&self, id: &Hash) -> PathBuf {
        self.root.join(trace_rel(id))
    }

    /// Write `bytes` to `dest` atomically via the store's tmp/ directory, fsynced (in
    /// group-commit mode: remembered for the next [`Store::commit`]).
    fn write_file(&self, dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        self.write_file_with(dest, bytes, !self.group_commit)?;
        if self.group_commit {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).push(dest.to_path_buf());
        }
        Ok(())
    }

    /// The same store in group-commit mode, for writers of many traces (`dive synth`):
    /// files still appear whole (temp file + rename), but durability comes from one
    /// [`Store::commit`] for a batch instead of an fsync per file. Whatever refers to a
    /// trace (a task line) must be written only after the commit that covers it.
    ///
    /// On an object store, traces and refs are then written behind: each is started and
    /// the call returns, and commit waits for them all. A trace is still sent only after
    /// its blobs and usage file are answered, and a ref only after its trace, so the
    /// bucket never holds a trace without its blobs or a ref without its trace; this
    /// process reads its own traces (from the cache) and refs at once.
    pub fn with_group_commit(mut self) -> Store {
        self.group_commit = true;
        self
    }

    /// On an object store outside group-commit mode, wait for the writes under way (a
    /// trace or ref is there when its call returns); in group-commit mode they are waited
    /// for at [`Store::commit`].
    fn finish_unless_group_commit(&self) -> Result<(), StoreError> {
        if self.group_commit {
            return Ok(());
        }
        self.finish_remote_puts()
    }

    /// Make everything written so far durable. In group-commit mode this is one
    /// `syncfs` of the store's file system (Linux) or an fsync per file written.
    pub fn commit(&self) -> Result<(), StoreError> {
        // An object store's put is durable when it is acknowledged.
        if self.remote.is_some() {
            return self.finish_remote_puts();
        }
        #[cfg(target_os = "linux")]
        if self.group_commit {
            let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            if pending.is_empty() {
                return Ok(());
            }
            let dir = std::fs::File::open(&self.root).map_err(Self::io(&self.root))?;
            use std::os::fd::AsRawFd;
            // SAFETY: syncfs takes a valid open file descriptor, which `dir` holds for
            // the duration of the call.
            if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
                return Err(StoreError::Io { path: self.root.clone(), source: std::io::Error::last_os_error() });
            }
            return Ok(());
        }
        self.sync_pending()
    }

    fn write_file_with(&self, dest: &Path, bytes: &[u8], sync: bool) -> Result<(), StoreError> {
        let dir = dest.parent().expect("store paths have a parent");
        std::fs::create_dir_all(dir).map_err(Self::io(dir))?;
        // Never write through a symlinked dir (e.g. refs/x -> elsewhere) out of the store.
        self.check_dirs(dest)?;
        let tmpdir = self.tmp_dir()?;
        let mut tmp = temp_builder("w-")
            .tempfile_in(&tmpdir)
            .map_err(Self::io(&tmpdir))?;
        tmp.write_all(bytes).map_err(Self::io(dest))?;
        if sync {
            tmp.as_file().sync_all().map_err(Self::io(dest))?;
        }
        tmp.persist(dest).map_err(|e| StoreError::Io {
            path: dest.to_path_buf(),
            source: e.error,
        })?;
        Ok(())
    }

    /// Make every blob written so far durable (fsync). Traces call this before they are
    /// written, so a stored trace never references a blob a power cut could lose.
    pub fn flush(&self) -> Result<(), StoreError> {
        if self.group_commit {
            return Ok(());
        }
        self.sync_pending()
    }

    fn lock_writes(&self) -> std::sync::MutexGuard<'_, RemoteWrites> {
        self.remote_writes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for every write under way on the object store; the first error, after all
    /// have answered.
    fn finish_remote_puts(&self) -> Result<(), StoreError> {
        let started = std::mem::take(&mut self.lock_writes().started);
        let mut first = None;
        let mut refs_landed = Vec::new();
        for (kind, put) in started {
            if let Err(e) = put.wait() {
                first.get_or_insert(e);
            }
            if let WriteKind::Ref(name) = kind {
                refs_landed.push(name);
            }
        }
        // The bucket now answers for these refs (or their writes failed, and the caller
        // hears it), unless the same ref was set again meanwhile.
        let mut w = self.lock_writes();
        for name in refs_landed {
            if !w.started.iter().any(|(k, _)| matches!(k, WriteKind::Ref(n) if *n == name)) {
                w.refs.remove(&name);
            }
        }
        first.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Start `writes` on the object store, to be sent once the writes already under way
    /// that `waits_for` picks are answered, and return at once (after waiting for a write
    /// slot: at most [`REMOTE_PUTS_IN_FLIGHT`] are under way). An earlier write's error
    /// is returned instead, and nothing is started.
    fn start_remote(&self, r: &Arc<S3Backend>, kind: WriteKind, writes: Vec<ObjectWrite>, waits_for: impl Fn(&WriteKind) -> bool) -> Result<(), StoreError> {
        let slot = r.write_slot();
        let mut w = self.lock_writes();
        w.reap()?;
        let after = w.started.iter().filter(|(k, _)| waits_for(k)).map(|(_, put)| put.clone()).collect();
        let put = r.start(slot, after, writes);
        w.started.push_back((kind, put));
        Ok(())
    }

    fn sync_pending(&self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        let mut dirs = std::collections::BTreeSet::new();
        for p in pending {
            if let Ok(f) = std::fs::File::open(&p) {
                f.sync_all().map_err(Self::io(&p))?;
            }
            if let Some(d) = p.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        for d in dirs {
            if let Ok(f) = std::fs::File::open(&d) {
                let _ = f.sync_all();
            }
        }
        Ok(())
    }

    /// Store a blob; returns its BLAKE3 hex. Existing content is not rewritten. The
    /// blob appears whole (temp file + rename); it is made durable by [`Store::flush`].
    ///
    /// On an object store the put is started and the call returns: up to
    /// [`REMOTE_PUTS_IN_FLIGHT`] writes are under way at once (beyond that the call waits
    /// for a slot); a trace waits for the blob puts under way before it is sent, and a
    /// file or cassette, or [`Store::commit`], for every write. The blob also goes into
    /// the local cache, so this process reads it back before its put is answered. An
    /// earlier write's error is returned by the next write.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Hash, StoreError> {
        let hash = Hash::of(bytes);
        if let Some(r) = &self.remote {
            let _ = self.local().put_blob(bytes);
            let rel = object_rel(&hash);
            if !r.is_known(&rel) {
                self.start_remote(r, WriteKind::Blob, vec![ObjectWrite::Once { rel, bytes: bytes.to_vec() }], |_| false)?;
            }
            return Ok(hash);
        }
        let path = self.object_path(&hash);
        if !path.exists() {
            self.write_file_with(&path, bytes, false)?;
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).push(path);
        }
        Ok(hash)
    }

    /// Store a blob from a reader without holding it in memory: streamed into a
    /// temporary file while hashing, then renamed to its hash.
    pub fn put_blob_from(&self, mut reader: impl std::io::Read) -> Result<(Hash, u64), StoreError> {
        if self.remote.is_some() {
            // An object is uploaded in one put: what the store would not read back (over
            // the object cap) is refused before it is sent.
            let what = "the object size cap";
            let bytes = untrusted::read_at_most(&mut reader, caps::OBJECT_BYTES)
                .map_err(Self::io(&self.root))?
                .ok_or_else(|| UntrustedError::TooLarge { path: PathBuf::from("(streamed body)"), size: caps::OBJECT_BYTES + 1, limit: caps::OBJECT_BYTES, what })?;
            let n = bytes.len() as u64;
            return Ok((self.put_blob(&bytes)?, n));
        }
        let tmpdir = self.tmp_dir()?;
        let mut tmp = temp_builder("s-")
            .tempfile_in(&tmpdir)
            .map_err(Self::io(&tmpdir))?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(Self::io(&tmpdir))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(Self::io(&tmpdir))?;
            total += n as u64;
        }
        let hash = Hash::from(hasher.finalize());
        let dest = self.object_path(&hash);
        if !dest.exists() {
            let dir = dest.parent().expect("has parent");
            std::fs::create_dir_all(dir).map_err(Self::io(dir))?;
            self.check_dirs(&dest)?;
            tmp.as_file().sync_all().map_err(Self::io(&dest))?;
            tmp.persist(&dest).map_err(|e| StoreError::Io {
                path: dest.clone(),
                source: e.error,
            })?;
        }
        Ok((hash, total))
    }

    /// Read a blob and check its hash.
    pub fn get_blob(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        let hash = &Hash::parse(hash).map_err(|_| StoreError::MissingObject(hash.to_string()))?;
        if let Some(r) = &self.remote {
            // The cache is checked like the store; a bad or missing copy is fetched again.
            if let Ok(bytes) = self.local().get_blob(hash) {
                return Ok(bytes);
            }
            let bytes = self.fetch_blob(r, hash)?;
            let _ = self.local().put_blob(&bytes);
            return Ok(bytes);
        }
        let path = self.object_path(hash);
        let bytes = self.read_inside(&path, caps::OBJECT_BYTES, "the object size cap", StoreError::MissingObject(hash.to_string()))?;
        check_hash(hash, &bytes)?;
        Ok(bytes)
    }

    /// On an object store, fetch the blobs among `hashes` that the local cache lacks, up
    /// to [`PREFETCH_IN_FLIGHT`] requests at once, into the cache: the reads that follow,
    /// one at a time, find them there instead of each waiting for a round trip. No more
    /// than [`caps::TRACE_EVIDENCE_BYTES`] are fetched, the most one trace's reader
    /// loads. A blob that cannot be fetched or does not match its hash is skipped here;
    /// the read that needs it fetches it again and reports what is wrong. A directory
    /// store has nothing to do.
    pub fn prefetch_blobs<'h>(&self, hashes: impl IntoIterator<Item = &'h str>) {
        let Some(r) = &self.remote else { return };
        let local = self.local();
        let mut wanted: Vec<Hash> = hashes.into_iter().filter_map(|h| Hash::parse(h).ok()).filter(|h| !local.object_path(h).exists()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.len() < 2 {
            return; // one read gains nothing from being made ahead
        }
        let rels: Vec<String> = wanted.iter().map(object_rel).collect();
        let got = r.get_many(&rels, caps::OBJECT_BYTES, "the object size cap", PREFETCH_IN_FLIGHT, caps::TRACE_EVIDENCE_BYTES);
        for (hash, got) in wanted.iter().zip(got) {
            if let Ok(Some(bytes)) = got {
                if check_hash(hash, &bytes).is_ok() {
                    let _ = local.put_blob(&bytes);
                }
            }
        }
    }

    /// Read a blob from the object store itself (never the cache) and check its hash.
    fn fetch_blob(&self, r: &S3Backend, hash: &Hash) -> Result<Vec<u8>, StoreError> {
        let bytes = r
            .get_bounded(&object_rel(hash), caps::OBJECT_BYTES, "the object size cap")?
            .ok_or_else(|| StoreError::MissingObject(hash.to_string()))?;
        check_hash(hash, &bytes)?;
        Ok(bytes)
    }

    /// Read every key of `rels` from the object store, [`PREFETCH_IN_FLIGHT`] at once,
    /// giving each answer to `each` with its place in `rels`, in order. The answers are
    /// taken in chunks of at most [`SWEEP_CHUNK`] keys and [`SWEEP_BUDGET`] bytes, so a
    /// sweep of a whole bucket holds one chunk at a time.
    fn get_all(r: &S3Backend, rels: &[String], limit: u64, what: &'static str, mut each: impl FnMut(usize, Result<Option<Vec<u8>>, S3Error>)) {
        let mut next = 0;
        while next < rels.len() {
            let end = (next + SWEEP_CHUNK).min(rels.len());
            let got = r.get_many(&rels[next..end], limit, what, PREFETCH_IN_FLIGHT, SWEEP_BUDGET);
            // get_many answers at least the first key: the budget is checked before each.
            let answered = got.len().max(1);
            for (i, got) in got.into_iter().enumerate() {
                each(next + i, got);
            }
            next += answered;
        }
    }

    /// Re-hash many blobs where they are stored (`fsck`): on an object store the bucket's
    /// copies (never the cache), [`PREFETCH_IN_FLIGHT`] reads at once; in a directory,
    /// one after another. One answer per hash, in order.
    pub fn check_stored_blobs(&self, hashes: &[String]) -> Vec<Result<(), StoreError>> {
        let Some(r) = &self.remote else {
            return hashes.iter().map(|h| self.check_blob(h)).collect();
        };
        // A name that is not a hash names no object; only the others are asked for.
        let mut out: Vec<Result<(), StoreError>> = hashes.iter().map(|h| Err(StoreError::MissingObject(h.clone()))).collect();
        let valid: Vec<(usize, Hash)> = hashes.iter().enumerate().filter_map(|(i, h)| Hash::parse(h).ok().map(|h| (i, h))).collect();
        let rels: Vec<String> = valid.iter().map(|(_, h)| object_rel(h)).collect();
        Self::get_all(r, &rels, caps::OBJECT_BYTES, "the object size cap", |k, got| {
            let (i, hash) = &valid[k];
            let bytes = got.map_err(StoreError::from).and_then(|b| b.ok_or_else(|| StoreError::MissingObject(hash.to_string())));
            out[*i] = bytes.and_then(|b| check_hash(hash, &b));
        });
        out
    }

    /// The stored bytes of many traces (`fsck`), given to `each` in order with their
    /// ids: on an object store the bucket's copies (never the cache),
    /// [`PREFETCH_IN_FLIGHT`] reads at once; in a directory, one after another. The
    /// bytes are not checked here ([`crate::trace::trace_of_bytes`] does).
    pub fn stored_traces(&self, ids: &[String], mut each: impl FnMut(&str, Result<Vec<u8>, StoreError>)) {
        let Some(r) = &self.remote else {
            for id in ids {
                each(id, self.get_trace_file(id).map(|(bytes, _)| bytes));
            }
            return;
        };
        let missing = |id: &str| StoreError::MissingTrace(id.to_string());
        // An id that is not a hash names no trace (trace_ids gives none such).
        let (valid, invalid): (Vec<&String>, Vec<&String>) = ids.iter().partition(|id| is_hash(id));
        for id in invalid {
            each(id, Err(missing(id)));
        }
        let rels: Vec<String> = valid.iter().filter_map(|id| Hash::parse(id).ok()).map(|h| trace_rel(&h)).collect();
        Self::get_all(r, &rels, caps::TRACE_BYTES, "the trace size cap", |i, got| {
            let id = valid[i].as_str();
            each(id, got.map_err(StoreError::from).and_then(|b| b.ok_or_else(|| missing(id))));
        });
    }

    /// Re-hash a blob where it is stored (`fsck`): on an object store the bucket's copy
    /// is read, not the local cache.
    pub fn check_blob(&self, hash: &str) -> Result<(), StoreError> {
        match (&self.remote, Hash::parse(hash)) {
            (Some(r), Ok(hash)) => self.fetch_blob(r, &hash).map(drop),
            _ => self.get_blob(hash).map(drop),
        }
    }

    /// Whether the store holds a blob with this hash.
    pub fn has_blob(&self, hash: &str) -> bool {
        let Ok(hash) = Hash::parse(hash) else { return false };
        if let Some(r) = &self.remote {
            return r.exists(&object_rel(&hash)).unwrap_or(false);
        }
        std::fs::symlink_metadata(self.object_path(&hash)).is_ok_and(|m| m.file_type().is_file())
    }

    /// Whether the store holds a trace with this id.
    pub fn has_trace(&self, id: &str) -> bool {
        let Ok(id) = &Hash::parse(id) else { return false };
        match &self.remote {
            Some(r) => r.exists(&trace_rel(id)).unwrap_or(false),
            None => self.trace_path(id).is_file(),
        }
    }

    fn usage_path(&self, id: &Hash) -> PathBuf {
        self.root.join(usage_rel(id))
    }

    /// Store a trace under its id (the caller computed it from `bytes`), with its usage
    /// figures beside it, after making the blobs written so far durable. The usage file
    /// goes first: a trace is never visible without it. (On an object store in
    /// group-commit mode, written behind: see [`Store::with_group_commit`].)
    pub fn put_trace_file(&self, id: &Hash, bytes: &[u8], usage: &[u8]) -> Result<(), StoreError> {
        if let Some(r) = &self.remote {
            // Kept in the cache too, so this process reads it before its put is answered.
            let _ = self.local().with_group_commit().put_trace_file(id, bytes, usage);
            let usage_write = ObjectWrite::Once { rel: usage_rel(id), bytes: usage.to_vec() };
            self.start_remote(r, WriteKind::Usage(id.clone()), vec![usage_write], |_| false)?;
            let trace_write = ObjectWrite::Once { rel: trace_rel(id), bytes: bytes.to_vec() };
            let its_usage = WriteKind::Usage(id.clone());
            self.start_remote(r, WriteKind::Trace(id.clone()), vec![trace_write], |k| *k == WriteKind::Blob || *k == its_usage)?;
            return self.finish_unless_group_commit();
        }
        self.flush()?;
        let path = self.trace_path(id);
        if !path.exists() {
            self.write_file(&self.usage_path(id), usage)?;
            self.write_file(&path, bytes)?;
        }
        Ok(())
    }

    /// A trace of an object store: from the local cache when a copy there still hashes
    /// to its id (a trace is named by its content), else the trace and its usage read at
    /// once from the object store and kept in the cache when both are there.
    fn fetch_trace_file(&self, r: &S3Backend, id: &Hash) -> Result<(Vec<u8>, Option<Vec<u8>>), StoreError> {
        let local = self.local();
        if let Ok((bytes, usage)) = local.get_trace_file(id.as_str()) {
            if Hash::of(&bytes) == *id {
                return Ok((bytes, usage));
            }
        }
        let keys = [trace_rel(id), usage_rel(id)];
        let mut got = r.get_many(&keys, caps::TRACE_BYTES, "the trace size cap", keys.len(), u64::MAX).into_iter();
        let bytes = got.next().unwrap_or(Ok(None))?.ok_or_else(|| StoreError::MissingTrace(id.to_string()))?;
        let usage = got.next().and_then(|u| u.ok().flatten());
        if let (true, Some(usage)) = (Hash::of(&bytes) == *id, &usage) {
            // A cache need not be durable: no fsync per trace read.
            let _ = local.with_group_commit().put_trace_file(id, &bytes, usage);
        }
        Ok((bytes, usage))
    }

    /// A trace's bytes and, when present, its usage file.
    pub fn get_trace_file(&self, id: &str) -> Result<(Vec<u8>, Option<Vec<u8>>), StoreError> {
        let id = &Hash::parse(id).map_err(|_| StoreError::MissingTrace(id.to_string()))?;
        if let Some(r) = &self.remote {
            return self.fetch_trace_file(r, id);
        }
        let path = self.trace_path(id);
        let bytes = self.read_inside(&path, caps::TRACE_BYTES, "the trace size cap", StoreError::MissingTrace(id.to_string()))?;
        let usage = untrusted::read_bounded(&self.usage_path(id), caps::TRACE_BYTES, "the trace size cap", Follow::No).ok();
        Ok((bytes, usage))
    }

    /// Every trace id in the store, sorted.
    pub fn trace_ids(&self) -> Result<Vec<String>, StoreError> {
        if let Some(r) = &self.remote {
            let ids = r.list("traces")?.into_iter().filter_map(|l| {
                let (dir, name) = l.rel.strip_prefix("traces/")?.split_once('/')?;
                let id = format!("{dir}{}", name.strip_suffix(".json").filter(|n| !n.ends_with(".usage"))?);
                (dir.len() == 2 && is_hash(&id)).then_some(id)
            });
            return Ok(ids.collect());
        }
        let mut out = Vec::new();
        let base = self.root.join("traces");
        for d in read_dir_sorted(&base)? {
            let prefix = file_name(&d);
            if prefix.len() != 2 || !is_real_dir(&d) {
                continue;
            }
            for f in read_dir_sorted(&d)? {
                let name = file_name(&f);
                if !is_regular(&f) {
                    continue;
                }
                if name.ends_with(".usage.json") {
                    continue;
                }
                if let Some(rest) = name.strip_suffix(".json") {
                    out.push(format!("{prefix}{rest}"));
                }
            }
        }
        Ok(out)
    }

    /// Every object hash in the store (the names; contents unchecked), sorted.
    pub fn object_hashes(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.scan_objects()?.objects.into_iter().map(|(h, _)| h).collect())
    }

    /// What `objects/` holds, without following any symlink: the objects, and strays
    /// (symlinks, special files, names that are not hashes), sorted by path.
    pub fn scan_objects(&self) -> Result<ObjectScan, StoreError> {
        if let Some(r) = &self.remote {
            return self.scan_remote_objects(r);
        }
        let mut scan = ObjectScan::default();
        let base = self.root.join("objects");
        if let Some(why) = not_a_real_dir(&base) {
            scan.strays.push(Stray { path: base, why });
            return Ok(scan);
        }
        for d in read_dir_sorted(&base)? {
            let prefix = file_name(&d);
            if let Some(why) = not_a_real_dir(&d) {
                scan.strays.push(Stray { path: d, why });
                continue;
            }
            for f in read_dir_sorted(&d)? {
                let name = format!("{prefix}{}", file_name(&f));
                if !is_regular(&f) {
                    let why = std::fs::symlink_metadata(&f).map(|m| untrusted::kind_of(m.file_type())).unwrap_or("unreadable");
                    scan.strays.push(Stray { path: f, why: format!("is {why}, not an object file") });
                } else if !is_hash(&name) {
                    scan.strays.push(Stray { path: f, why: "is not named by a BLAKE3 hash (a stray file)".into() });
                } else {
                    if let Ok(m) = std::fs::symlink_metadata(&f) {
                        scan.info.insert(name.clone(), (m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
                    }
                    scan.objects.push((name, f));
                }
            }
        }
        Ok(scan)
    }

    /// `objects/` on an object store: keys `objects/ab/cdef…` are objects; any other key
    /// there is a stray (reported, never deleted).
    fn scan_remote_objects(&self, r: &S3Backend) -> Result<ObjectScan, StoreError> {
        let mut scan = ObjectScan::default();
        for l in r.list("objects")? {
            let path = Self::remote_path(r, &l.rel);
            let name = l.rel.strip_prefix("objects/").and_then(|n| n.split_once('/')).filter(|(d, _)| d.len() == 2).map(|(d, n)| format!("{d}{n}"));
            match name.filter(|n| is_hash(n)) {
                Some(hash) => {
                    scan.info.insert(hash.clone(), (l.size, l.modified));
                    scan.objects.push((hash, path));
                }
                None => scan.strays.push(Stray { path, why: "is not named by a BLAKE3 hash (a stray object)".into() }),
            }
        }
        Ok(scan)
    }

    /// Remove an unreachable object that [`Store::scan_objects`] listed (gc).
    pub fn remove_object(&self, hash: &str, path: &Path) -> Result<(), StoreError> {
        match (&self.remote, Hash::parse(hash)) {
            (Some(r), Ok(hash)) => Ok(r.delete(&object_rel(&hash))?),
            (Some(_), Err(_)) => Err(StoreError::MissingObject(hash.to_string())),
            (None, _) => self.remove_owned(path),
        }
    }

    /// Check a ref name (after an optional `refs/`): parts of letters, digits, `-`, `_`,
    /// `.` between `/`, none of them `.` or `..`.
    pub fn check_ref_name(name: &str) -> Result<(), StoreError> {
        let name = name.strip_prefix("refs/").unwrap_or(name);
        let ok = !name.is_empty()
            && name.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        if ok {
            Ok(())
        } else {
            Err(StoreError::BadRefName(name.to_string()))
        }
    }

    /// Point `refs/<name>` at a trace. (On an object store in group-commit mode, written
    /// behind, after the trace: see [`Store::with_group_commit`].)
    pub fn set_ref(&self, name: &str, trace_id: &str) -> Result<(), StoreError> {
        let name = name.strip_prefix("refs/").unwrap_or(name);
        Self::check_ref_name(name)?;
        let bytes = format!("{trace_id}\n");
        if let Some(r) = &self.remote {
            let write = ObjectWrite::Replace { rel: format!("refs/{name}"), bytes: bytes.into_bytes(), limit: REF_BYTES };
            let waits_for = |k: &WriteKind| match k {
                WriteKind::Trace(t) => t.as_str() == trace_id,
                WriteKind::Ref(n) => n == name,
                WriteKind::Blob | WriteKind::Usage(_) => false,
            };
            self.start_remote(r, WriteKind::Ref(name.to_string()), vec![write], waits_for)?;
            if self.group_commit {
                self.lock_writes().refs.insert(name.to_string(), trace_id.to_string());
            }
            return self.finish_unless_group_commit();
        }
        self.write_file(&self.root.join("refs").join(name), bytes.as_bytes())
    }

    /// The trace id `refs/<name>` points at (a leading `refs/` is optional); `None` when
    /// there is no such ref or the name is not a valid ref name. The id is not checked.
    pub fn get_ref(&self, name: &str) -> Result<Option<String>, StoreError> {
        let name = name.strip_prefix("refs/").unwrap_or(name);
        if Self::check_ref_name(name).is_err() {
            return Ok(None);
        }
        if let Some(r) = &self.remote {
            if let Some(id) = self.lock_writes().refs.get(name) {
                return Ok(Some(id.clone()));
            }
            let got = r.get_bounded(&format!("refs/{name}"), REF_BYTES, "the ref size cap")?;
            return Ok(got.map(|b| String::from_utf8_lossy(&b).trim().to_string()));
        }
        let path = self.root.join("refs").join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Ok(None);
        }
        match self.read_inside(&path, REF_BYTES, "the ref size cap", StoreError::MissingTrace(String::new())) {
            Ok(b) => Ok(Some(String::from_utf8_lossy(&b).trim().to_string())),
            Err(StoreError::MissingTrace(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// All refs as (name, trace id), sorted by name.
    pub fn refs(&self) -> Result<Vec<(String, String)>, StoreError> {
        if let Some(r) = &self.remote {
            let rels: Vec<String> = r.list("refs")?.into_iter().map(|l| l.rel).filter(|rel| rel.strip_prefix("refs/").is_some_and(|n| Self::check_ref_name(n).is_ok())).collect();
            let mut out = Vec::new();
            let mut first_error = None;
            Self::get_all(r, &rels, REF_BYTES, "the ref size cap", |i, got| match got {
                Ok(Some(id)) => out.push((rels[i]["refs/".len()..].to_string(), String::from_utf8_lossy(&id).trim().to_string())),
                Ok(None) => {} // deleted since the listing
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            });
            return first_error.map_or(Ok(out), |e| Err(e.into()));
        }
        let mut out = Vec::new();
        let base = self.root.join("refs");
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            for p in read_dir_sorted(&dir)? {
                if is_real_dir(&p) {
                    stack.push(p);
                } else if let Ok(id) = untrusted::read_bounded(&p, REF_BYTES, "the ref size cap", Follow::No) {
                    let name = p.strip_prefix(&base).unwrap_or(&p).to_string_lossy().replace('\\', "/");
                    out.push((name, String::from_utf8_lossy(&id).trim().to_string()));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Resolve a trace id, a unique prefix of one (at least 6 hex digits) or a ref name.
    pub fn resolve_trace(&self, what: &str) -> Result<String, StoreError> {
        if is_hash(what) {
            return if self.has_trace(what) {
                Ok(what.to_string())
            } else {
                Err(StoreError::MissingTrace(what.to_string()))
            };
        }
        if let Some(id) = self.get_ref(what)? {
            return Ok(id);
        }
        if !what.is_empty() && what.len() < 6 && what.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::PrefixTooShort(what.to_string()));
        }
        if what.len() >= 6 && what.bytes().all(|b| b.is_ascii_hexdigit()) {
            let lower = what.to_ascii_lowercase();
            let matches: Vec<String> = self.trace_ids()?.into_iter().filter(|id| id.starts_with(&lower)).collect();
            return match matches.len() {
                1 => Ok(matches.into_iter().next().expect("one")),
                0 => Err(StoreError::UnknownTrace(what.to_string())),
                _ => Err(StoreError::AmbiguousTrace(what.to_string())),
            };
        }
        Err(StoreError::UnknownTrace(what.to_string()))
    }

    /// `cassettes/` under [`Store::root`], where a directory store keeps imported
    /// cassettes (an object store keeps them in the bucket).
    pub fn cassette_dir(&self) -> PathBuf {
        self.root.join("cassettes")
    }

    /// Every cassette index as (name, its bytes or why not), sorted by name.
    pub(crate) fn cassette_files(&self) -> Result<Vec<CassetteFile>, StoreError> {
        let what = "the cassette index cap";
        if let Some(r) = &self.remote {
            let mut out = Vec::new();
            for l in r.list("cassettes")? {
                let Some(name) = l.rel.strip_prefix("cassettes/").and_then(|n| n.strip_suffix(".json")) else { continue };
                let got = r.get_bounded(&l.rel, caps::CASSETTE_EXPANDED_BYTES, what).map_err(StoreError::from);
                out.push((name.to_string(), got.and_then(|b| b.ok_or_else(|| StoreError::MissingTrace(name.to_string())))));
            }
            return Ok(out);
        }
        let dir = self.cassette_dir();
        let mut out = Vec::new();
        for p in read_dir_sorted(&dir)? {
            let Some(name) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) else { continue };
            let got = untrusted::read_bounded(&p, caps::CASSETTE_EXPANDED_BYTES, what, Follow::No).map_err(StoreError::from);
            out.push((name.to_string(), got));
        }
        Ok(out)
    }

    /// Store a cassette index as `cassettes/<name>.json`.
    pub(crate) fn put_cassette_file(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        if let Some(r) = &self.remote {
            self.finish_remote_puts()?;
            return Ok(r.put_conditional(&format!("cassettes/{name}.json"), bytes.to_vec(), caps::CASSETTE_EXPANDED_BYTES)?);
        }
        self.write_file(&self.cassette_dir().join(format!("{name}.json")), bytes)
    }

    /// Store a named file (`files/<name>`, e.g. a published shard of a task file),
    /// replacing one of that name; the name follows the ref name rules.
    pub fn put_file(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        Self::check_ref_name(name)?;
        if let Some(r) = &self.remote {
            self.finish_remote_puts()?;
            return Ok(r.put_conditional(&format!("files/{name}"), bytes.to_vec(), caps::TASK_FILE_BYTES)?);
        }
        self.write_file(&self.root.join("files").join(name), bytes)?;
        self.sync_pending()
    }

    /// A named file's bytes, bounded by the task file cap; `None` when there is none.
    pub fn get_file(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Self::check_ref_name(name)?;
        let what = "the task file cap";
        if let Some(r) = &self.remote {
            return Ok(r.get_bounded(&format!("files/{name}"), caps::TASK_FILE_BYTES, what)?);
        }
        let path = self.root.join("files").join(name);
        match self.read_inside(&path, caps::TASK_FILE_BYTES, what, StoreError::MissingTrace(String::new())) {
            Ok(b) => Ok(Some(b)),
            Err(StoreError::MissingTrace(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Temporary files left by interrupted writers: regular files directly in a `tmp/`
    /// that is a real dir (never what a symlink points at).
    pub fn stale_temp_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        // An object store has no temporary files: a put appears whole or not at all.
        if self.remote.is_some() {
            return Ok(Vec::new());
        }
        let tmp = self.root.join("tmp");
        if not_a_real_dir(&tmp).is_some() {
            return Ok(Vec::new());
        }
        Ok(read_dir_sorted(&tmp)?.into_iter().filter(|p| is_regular(p)).collect())
    }

    /// Remove a file the store owns: a regular file whose dirs below the root are real
    /// dirs. Anything else is left alone and reported.
    pub fn remove_owned(&self, path: &Path) -> Result<(), StoreError> {
        self.check_dirs(path)?;
        if !is_regular(path) {
            return Err(StoreError::Unsafe { path: path.to_path_buf(), why: "is not a regular file".into() });
        }
        std::fs::remove_file(path).map_err(Self::io(path))
    }
}

/// The most a ref file may hold (a trace id and a newline).
const REF_BYTES: u64 = 4096;

/// A blob's key below the store root: `objects/ab/cdef…`.
fn object_rel(hash: &Hash) -> String {
    let (dir, rest) = hash.split();
    format!("objects/{dir}/{rest}")
}

/// A trace's key below the store root: `traces/ab/cdef….json`.
fn trace_rel(id: &Hash) -> String {
    let (dir, rest) = id.split();
    format!("traces/{dir}/{rest}.json")
}

/// A trace's usage figures: `traces/ab/cdef….usage.json`.
fn usage_rel(id: &Hash) -> String {
    let (dir, rest) = id.split();
    format!("traces/{dir}/{rest}.usage.json")
}

/// A dir that is not a symlink.
fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_dir())
}

/// A regular file that is not a symlink.
fn is_regular(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file())
}

/// Why `p` is not a real dir, if it is not one.
fn not_a_real_dir(p: &Path) -> Option<String> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_dir() => None,
        Ok(m) => Some(format!("is {}, not a directory of the store", untrusted::kind_of(m.file_type()))),
        Err(e) => Some(format!("cannot be inspected: {e}")),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_corruption_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let h = s.put_blob(b"hello").unwrap();
        assert_eq!(h, blake3::hash(b"hello").to_hex().to_string());
        assert_eq!(s.get_blob(&h).unwrap(), b"hello");
        assert_eq!(s.put_blob(b"hello").unwrap(), h, "idempotent");
        let (h2, n) = s.put_blob_from(&b"streamed body"[..]).unwrap();
        assert_eq!(n, 13);
        assert_eq!(s.get_blob(&h2).unwrap(), b"streamed body");
        std::fs::write(s.object_path(&h), b"hellO").unwrap();
        assert!(matches!(s.get_blob(&h), Err(StoreError::CorruptObject { .. })));
        assert!(matches!(s.get_blob(&"0".repeat(64)), Err(StoreError::MissingObject(_))));
        assert!(s.stale_temp_files().unwrap().is_empty());
    }

    #[test]
    fn reads_refuse_symlinks_below_the_root_and_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let h = s.put_blob(b"kept").unwrap();
        let path = s.object_path(&Hash::parse(&h).unwrap());
        let fan = path.parent().unwrap().to_path_buf();
        // The fan-out dir swapped for a link to a dir holding the same object.
        std::fs::rename(&fan, out.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(out.path().join("moved"), &fan).unwrap();
        match s.get_blob(&h) {
            Err(StoreError::Unsafe { path, why }) => assert!(path == fan && why.contains("symlink"), "{path:?}: {why}"),
            other => panic!("read through a symlinked dir: {other:?}"),
        }
        // The object itself a link to a file with the right bytes.
        std::fs::remove_file(&fan).unwrap();
        std::fs::create_dir(&fan).unwrap();
        std::fs::write(out.path().join("same"), b"kept").unwrap();
        std::os::unix::fs::symlink(out.path().join("same"), &path).unwrap();
        let err = s.get_blob(&h).unwrap_err();
        assert!(matches!(err, StoreError::Untrusted(UntrustedError::NotRegular { kind: "a symlink", .. })), "{err}");
        // A store opened through a symlinked root reads as any other.
        let linked = out.path().join("store-link");
        std::os::unix::fs::symlink(dir.path(), &linked).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"kept").unwrap();
        assert_eq!(Store::open(&linked).unwrap().get_blob(&h).unwrap(), b"kept");
    }

    #[test]
    fn refs_and_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let hash = Hash::of(b"t");
        s.put_trace_file(&hash, b"{}", b"[]").unwrap();
        let id = hash.to_string();
        s.set_ref("runs/first", &id).unwrap();
        assert_eq!(s.resolve_trace("runs/first").unwrap(), id);
        assert_eq!(s.resolve_trace("refs/runs/first").unwrap(), id);
        assert_eq!(s.resolve_trace(&id[..8]).unwrap(), id);
        assert!(matches!(s.resolve_trace("nope"), Err(StoreError::UnknownTrace(_))));
        assert!(s.set_ref("../escape", &id).is_err());
        assert_eq!(s.refs().unwrap(), vec![("runs/first".to_string(), id.clone())]);
        assert_eq!(s.trace_ids().unwrap(), vec![id]);
    }
}
