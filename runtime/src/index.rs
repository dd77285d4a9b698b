//! The pool index: what loading a package found out — its tools' specs and its
//! component's digest — kept beside the compiled-component cache, so that a process
//! that runs one tool or lists names reads, compiles and instantiates no other package.
//!
//! ```text
//! CACHE/index/<BLAKE3 of (engine tag, package dir)>.json    one entry per package
//! ```
//!
//! An entry holds the package directory, the BLAKE3 of its manifest bytes, the
//! component's file stamp (size, mtime, ctime, inode, device) and BLAKE3, the engine's
//! compatibility tag and the specs `list-tools` returned. It is used only when the
//! manifest bytes hash the same, the component's stamp is the same and the engine is
//! the same; anything else — a missing, unreadable, oversized, foreign, malformed or
//! stale entry — is a miss, and the package is loaded in full and its entry rewritten.
//!
//! A stamp can only vouch for a file written well before the entry was (a file
//! rewritten within the file system's timestamp granularity keeps its stamp, as git's
//! "racy" index entries). So an entry whose component changed less than
//! [`RACY_WINDOW`] before the entry was written is checked by hashing the component
//! again, and is rewritten once it is no longer racy.
//!
//! The index is untrusted input, like the compiled cache: used only when the file and
//! its directory belong to this user and nobody else can write them, read with a
//! bounded read, and checked field by field. It never widens anything: the policy comes
//! from the manifest read now, and a component is still hashed when it is loaded for a
//! call and refused if its digest is not the indexed one.

use crate::manifest::Manifest;
use crate::untrusted::{self, caps, Follow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// The entry format this dive writes and reads.
pub const INDEX_VERSION: u32 = 1;
/// The largest entry read (specs of up to [`caps::TOOLS_PER_COMPONENT`] tools).
pub const ENTRY_BYTES: u64 = 16 << 20;
/// A component changed this shortly before its entry was written is hashed again on use.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Why an index entry could not be written (reads never fail: they miss).
#[derive(Debug, Error)]
pub enum IndexError {
    /// The entry's directory could not be made private, or the entry not written.
    #[error("cannot write the pool index entry {path}: {source}")]
    Write {
        /// The entry file.
        path: PathBuf,
        /// What the filesystem said.
        #[source]
        source: std::io::Error,
    },
}

/// What identifies a component file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStamp {
    /// Length in bytes.
    pub size: u64,
    /// Last content change, in nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Last status change, in nanoseconds since the Unix epoch.
    pub ctime_ns: i128,
    /// Inode number.
    pub ino: u64,
    /// Device the file is on.
    pub dev: u64,
}

impl FileStamp {
    /// The stamp of the regular file at `path` (a symlink is not followed).
    pub fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::symlink_metadata(path).ok()?;
        if !m.file_type().is_file() {
            return None;
        }
        Some(FileStamp {
            size: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        })
    }

    /// The later of the file's content and status change times.
    fn changed_ns(&self) -> i128 {
        self.mtime_ns.max(self.ctime_ns)
    }
}

/// One tool as `list-tools` declared it, its schemas as the compact JSON text of the values
/// a full load parsed (so a spec read back is the one a full load made). Reading an entry
/// checks that text is JSON but builds no values: a command parses only the schemas it
/// uses ([`crate::schema::Schema`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexedTool {
    /// The tool's name (snake_case, unique in the pool).
    pub name: String,
    /// What the tool does, as the component describes it.
    pub description: String,
    /// The JSON Schema (draft 2020-12) its arguments must match.
    pub input_schema: Box<serde_json::value::RawValue>,
    /// The JSON Schema its result must match, when it declares one.
    pub output_schema: Option<Box<serde_json::value::RawValue>>,
}

/// What a full load of a package found out: everything a command that does not run the
/// package needs.
#[derive(Debug, Clone)]
pub struct Indexed {
    /// BLAKE3 of the component's bytes.
    pub component_hash: blake3::Hash,
    /// The component's length in bytes.
    pub component_size: u64,
    /// Its tools, in the order `list-tools` gave them.
    pub tools: Vec<IndexedTool>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    version: u32,
    engine: String,
    dir: PathBuf,
    manifest: String,
    component_path: PathBuf,
    component: FileStamp,
    component_hash: String,
    /// When the entry was written (ns since the Unix epoch).
    written_ns: i128,
    tools: Vec<IndexedTool>,
}

/// The index of one engine in one cache directory.
#[derive(Debug, Clone)]
pub struct PoolIndex {
    dir: PathBuf,
    engine: String,
}

/// A package as the index is asked about it: its manifest (read now) and that
/// manifest's bytes' digest.
pub struct Lookup<'a> {
    /// The package's manifest, as just read.
    pub manifest: &'a Manifest,
    /// BLAKE3 of that manifest's bytes ([`Manifest::load_digested`]).
    pub manifest_hash: &'a blake3::Hash,
}

impl PoolIndex {
    /// The index under `cache_dir` for the engine whose compatibility tag is `engine`.
    pub fn new(cache_dir: &Path, engine: &str) -> PoolIndex {
        PoolIndex {
            dir: cache_dir.join("index"),
            engine: engine.to_string(),
        }
    }

    fn entry_path(&self, package_dir: &Path) -> PathBuf {
        let mut h = blake3::Hasher::new();
        h.update(self.engine.as_bytes());
        h.update(&[0]);
        h.update(package_dir.as_os_str().as_encoded_bytes());
        self.dir.join(format!("{}.json", h.finalize().to_hex()))
    }

    /// What the index knows of this package, if its entry is present, private, well
    /// formed and current (see the module doc); `None` in every other case.
    pub fn get(&self, at: &Lookup<'_>) -> Option<Indexed> {
        let dir = at.manifest.real_dir().ok()?;
        let path = self.entry_path(&dir);
        if !crate::fsutil::owned_and_private(&path) {
            return None;
        }
        let bytes = untrusted::read_bounded(&path, ENTRY_BYTES, "the index entry cap", Follow::No).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        let component = untrusted::inside_real(&dir, &at.manifest.component).ok()?;
        let stamp = FileStamp::of(&component)?;
        let current = entry.version == INDEX_VERSION
            && entry.engine == self.engine
            && entry.dir == dir
            && entry.manifest == at.manifest_hash.to_hex().as_str()
            && entry.component_path == component
            && entry.component == stamp;
        if !current {
            return None;
        }
        let component_hash = blake3::Hash::from_hex(&entry.component_hash).ok()?;
        check_tools(&entry.tools, at.manifest)?;
        let racy = stamp.changed_ns() + RACY_WINDOW.as_nanos() as i128 >= entry.written_ns;
        let indexed = Indexed {
            component_hash,
            component_size: stamp.size,
            tools: entry.tools,
        };
        if racy {
            return self.recheck(at, &component, stamp, indexed);
        }
        Some(indexed)
    }

    /// A racy entry: hash the component again; use (and rewrite) the entry only if the
    /// bytes are the indexed ones and the file did not change while being read.
    fn recheck(&self, at: &Lookup<'_>, component: &Path, stamp: FileStamp, indexed: Indexed) -> Option<Indexed> {
        let bytes = untrusted::read_bounded(component, caps::COMPONENT_BYTES, "the component size cap", Follow::No).ok()?;
        if blake3::hash(&bytes) != indexed.component_hash || FileStamp::of(component) != Some(stamp) {
            return None;
        }
        if let Err(e) = self.put(at, stamp, &indexed) {
            tracing::debug!("{e}");
        }
        Some(indexed)
    }

    /// Record what a full load found. `stamp` is the component's stamp taken before its
    /// bytes were read (a later change then shows as a different stamp).
    pub fn put(&self, at: &Lookup<'_>, stamp: FileStamp, indexed: &Indexed) -> Result<(), IndexError> {
        let Ok(dir) = at.manifest.real_dir() else { return Ok(()) };
        let Ok(component_path) = untrusted::inside_real(&dir, &at.manifest.component) else { return Ok(()) };
        let path = self.entry_path(&dir);
        let entry = Entry {
            version: INDEX_VERSION,
            engine: self.engine.clone(),
            dir,
            manifest: at.manifest_hash.to_hex().to_string(),
            component_path,
            component: stamp,
            component_hash: indexed.component_hash.to_hex().to_string(),
            written_ns: now_ns(),
            tools: indexed.tools.clone(),
        };
        let bytes = serde_json::to_vec(&entry).expect("an index entry serializes");
        let write = |source| IndexError::Write { path: path.clone(), source };
        crate::fsutil::private_dir(&path).map_err(write)?;
        crate::fsutil::write_atomic_mode(&path, &bytes, 0o600).map_err(write)
    }

    /// Drop this package's entry (its component turned out not to be the indexed one).
    pub fn forget(&self, manifest: &Manifest) {
        if let Ok(dir) = manifest.real_dir() {
            let _ = std::fs::remove_file(self.entry_path(&dir));
        }
    }
}

fn now_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i128).unwrap_or(0)
}

/// The checks a full load makes of the specs that do not need the schemas compiled:
/// a bounded, non-empty list of unique snake_case names with schemas that are JSON
/// objects (or booleans) serde_json can parse into values, and a manifest whose
/// `[tools.X]` sections name listed tools. A schema that is JSON but not a valid JSON
/// Schema is refused at the first call that uses it.
fn check_tools(tools: &[IndexedTool], manifest: &Manifest) -> Option<()> {
    if tools.is_empty() || tools.len() > caps::TOOLS_PER_COMPONENT {
        return None;
    }
    let mut seen = BTreeSet::new();
    for t in tools {
        let schema = crate::schema::is_usable;
        if !crate::package::is_snake_case(&t.name)
            || !seen.insert(t.name.as_str())
            || !schema(&t.input_schema)
            || !t.output_schema.as_deref().is_none_or(schema)
        {
            return None;
        }
    }
    manifest.tool_policies.keys().all(|k| seen.contains(k.as_str())).then_some(())
}
