//! `dive store fsck` and `dive store gc`.

use crate::cassette;
use crate::store::{is_hash, Store, StoreError};
use crate::trace::{blob_refs, trace_of_bytes};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

/// What [`fsck`] checked and found.
#[derive(Debug, Default, Serialize)]
pub struct FsckReport {
    /// Objects re-hashed (strays in `objects/` are problems, not counted here).
    pub objects_checked: usize,
    /// Traces read back and their blob references resolved.
    pub traces_checked: usize,
    /// Refs checked to name a trace in this store.
    pub refs_checked: usize,
    /// Imported cassettes read and their bodies resolved.
    pub cassettes_checked: usize,
    /// One line per problem, each naming the bad object, trace, ref or cassette.
    pub problems: Vec<String>,
    /// Temporary files an interrupted writer left behind (harmless; gc removes them).
    pub stale_temp_files: usize,
}

impl FsckReport {
    /// No problems (stale temporary files do not count).
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Re-hash every object and trace; check that every reference resolves.
pub fn fsck(store: &Store) -> Result<FsckReport, StoreError> {
    let mut r = FsckReport::default();
    let mut good_objects = BTreeSet::new();
    let scan = store.scan_objects()?;
    for stray in &scan.strays {
        r.problems.push(format!("{}: {} (left alone)", stray.path.display(), stray.why));
    }
    let names: Vec<String> = scan.objects.into_iter().map(|(name, _)| name).collect();
    let checked = store.check_stored_blobs(&names);
    for (name, c) in names.into_iter().zip(checked) {
        r.objects_checked += 1;
        match c {
            Ok(()) => {
                good_objects.insert(name);
            }
            Err(StoreError::CorruptObject { hash, actual }) => {
                r.problems.push(format!("object {hash}: corrupt (its content hashes to {actual})"))
            }
            Err(e) => r.problems.push(format!("object {name}: {e}")),
        }
    }
    let ids = store.trace_ids()?;
    // The traces whose bytes could be read (well-formed or not): a ref to one is fine.
    let mut readable = BTreeSet::new();
    store.stored_traces(&ids, |id, got| {
        r.traces_checked += 1;
        if got.is_ok() {
            readable.insert(id.to_string());
        }
        match got.and_then(|bytes| trace_of_bytes(id, &bytes, None)) {
            Ok((doc, _)) => {
                for b in blob_refs(&doc) {
                    if !good_objects.contains(b.blake3.as_str()) {
                        let why = if store.has_blob(&b.blake3) { "corrupt" } else { "missing" };
                        r.problems.push(format!("trace {id}: references {why} object {}", b.blake3));
                    }
                }
            }
            Err(e) => r.problems.push(format!("trace {id}: {e}")),
        }
    });
    for (name, id) in store.refs()? {
        r.refs_checked += 1;
        // A trace read above is there; any other is looked for alone.
        if !is_hash(&id) || (!readable.contains(&id) && store.get_trace_file(&id).is_err()) {
            r.problems.push(format!("ref {name}: points at {id}, which is not a trace in this store"));
        }
    }
    for (name, c) in cassette::list(store)? {
        r.cassettes_checked += 1;
        match c {
            Ok(c) => {
                for h in c.blob_hashes() {
                    if !good_objects.contains(h) {
                        r.problems.push(format!("cassette {name}: references missing or corrupt object {h}"));
                    }
                }
            }
            Err(e) => r.problems.push(format!("cassette {name}: {e}")),
        }
    }
    r.stale_temp_files = store.stale_temp_files()?.len();
    Ok(r)
}

/// What [`gc`] removed, or would remove in a dry run.
#[derive(Debug, Default, Serialize)]
pub struct GcReport {
    /// Objects no trace or cassette references (removed, or to remove in a dry run).
    pub unreachable_objects: Vec<String>,
    /// Unreachable objects kept because they are younger than the grace period (a
    /// recording may be writing them right now).
    pub kept_recent: usize,
    /// Temporary files older than the grace period (removed, or to remove).
    pub stale_temp_files: usize,
    /// Total size of `unreachable_objects`, in bytes (temporary files not included).
    pub bytes: u64,
    /// Whether the removals were made; `false` for a dry run.
    pub applied: bool,
    /// What gc found in objects/ that is not an object (symlinks, special files, stray
    /// names): never removed, never followed.
    pub strays: Vec<String>,
}

/// Remove what no trace (every stored trace is kept) or cassette reaches. A dry run
/// unless `apply`. Objects younger than `grace` are kept: a recorder writes its blobs
/// before its trace.
pub fn gc(store: &Store, apply: bool, grace: Duration) -> Result<GcReport, StoreError> {
    let mut reachable = BTreeSet::new();
    // An unreadable trace protects nothing, but we never delete on its account either:
    // refuse to collect while the store has corrupt traces.
    let mut unreadable = None;
    store.stored_traces(&store.trace_ids()?, |id, got| match got.and_then(|bytes| trace_of_bytes(id, &bytes, None)) {
        Ok((doc, _)) => reachable.extend(blob_refs(&doc).into_iter().map(|b| b.blake3.to_string())),
        Err(e) => {
            unreadable.get_or_insert(e);
        }
    });
    if let Some(e) = unreadable {
        return Err(e);
    }
    for (_, c) in cassette::list(store)? {
        let c = c?;
        reachable.extend(c.blob_hashes().map(str::to_string));
    }
    let now = SystemTime::now();
    let older = |t: SystemTime| now.duration_since(t).unwrap_or_default() >= grace;
    let old_enough = |p: &std::path::Path| std::fs::symlink_metadata(p).and_then(|m| m.modified()).map(older).unwrap_or(false);
    let mut r = GcReport {
        applied: apply,
        ..Default::default()
    };
    // Only regular files in real dirs of the store are ever removed: a symlinked
    // `objects/xx` or `tmp/`, or a stray, is reported, not followed.
    let scan = store.scan_objects()?;
    r.strays = scan.strays.iter().map(|s| format!("{}: {}", s.path.display(), s.why)).collect();
    for (h, p) in scan.objects {
        if reachable.contains(&h) {
            continue;
        }
        // Size and age as the scan saw them (a stat, or the object store's listing).
        let (size, modified) = scan.info.get(&h).copied().unwrap_or((0, now));
        if !older(modified) {
            r.kept_recent += 1;
            continue;
        }
        r.bytes += size;
        if apply {
            store.remove_object(&h, &p)?;
        }
        r.unreachable_objects.push(h);
    }
    for t in store.stale_temp_files()? {
        if old_enough(&t) {
            r.stale_temp_files += 1;
            if apply {
                store.remove_owned(&t)?;
            }
        }
    }
    Ok(r)
}
