//! Sharded builds (ARCHITECTURE.md §12): `dive synth --shard K/N` builds only the task
//! indices i with i mod N = K, and [`merge`] joins the shard files in index order into
//! the file one process would have written for the same seed and count.
//!
//! A task index is a *sample*: some samples yield no task, so the one-process file holds
//! the first `count` indices that yield one. A shard cannot know where that cut falls,
//! so each shard builds a little more than its share ([`Shard::quota`]); the merge keeps
//! only indices below the *frontier* (the first index some shard has not yet decided)
//! and refuses, naming the shard to extend, when the shards do not reach `count` tasks.
//!
//! Each finished shard also writes a small manifest beside its task file (the run it
//! belongs to, its place and the count asked for), so a merge cannot mix runs or miss
//! a shard.

use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// One shard of a run: `index` of `of` (`--shard K/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K: this shard builds the indices i with i mod N = K.
    pub index: u64,
    /// N: how many shards the run has.
    pub of: u64,
}

/// Why a `--shard` value or a set of shard files cannot be used.
#[derive(Debug, Error)]
pub enum ShardError {
    #[error("--shard '{0}': write K/N with 0 <= K < N, e.g. 0/4 (N at most 100000)")]
    BadSpec(String),
    #[error("{name}: not a shard manifest ({message}); it is written when `dive synth --shard` finishes")]
    BadManifest { name: String, message: String },
    #[error("{name}:{line}: {message}")]
    BadTask { name: String, line: usize, message: String },
    #[error("{name}: task index {index} is not in shard {k}/{n} (i mod {n} = {k}); the file belongs to another shard or run")]
    WrongShard { name: String, index: u64, k: u64, n: u64 },
    #[error("{name}: task index {index} comes after {previous}; a shard file is in index order")]
    OutOfOrder { name: String, index: u64, previous: u64 },
    #[error("the shards do not belong together: {0}")]
    Mismatch(String),
    #[error("shard {missing}/{n} is missing: give one file for each of the {n} shards")]
    MissingShard { missing: u64, n: u64 },
    #[error("the shards reach {have} of the {want} tasks below index {frontier} (where shard {shard}/{n} stops): run each shard again with the same settings plus `--resume --shard-extra {extra}`, then merge again")]
    TooShort { have: usize, want: usize, frontier: u64, shard: u64, n: u64, extra: u64 },
}

impl Shard {
    /// Parse `K/N`.
    pub fn parse(spec: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::BadSpec(spec.to_string());
        let (k, n) = spec.split_once('/').ok_or_else(bad)?;
        let (index, of): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if of == 0 || of > 100_000 || index >= of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }

    /// The whole run (one process): shard 0 of 1.
    pub const WHOLE: Shard = Shard { index: 0, of: 1 };

    /// The first task index this shard builds.
    pub fn first(&self) -> u64 {
        self.index
    }

    /// Whether task index `i` belongs to this shard.
    pub fn owns(&self, i: u64) -> bool {
        i % self.of == self.index
    }

    /// How many tasks this shard builds for a run of `count`: its share, plus `extra`
    /// (default [`Shard::default_extra`]) so the shards together reach past the cut.
    pub fn quota(&self, count: usize, extra: Option<u64>) -> usize {
        let share = count.div_ceil(self.of as usize);
        share + extra.unwrap_or_else(|| self.default_extra(count)) as usize
    }

    /// The default extra tasks per shard: none for one shard; else 5% of the share plus
    /// 2, which covers the spread between shards' yields at the success rates seen.
    pub fn default_extra(&self, count: usize) -> u64 {
        if self.of == 1 {
            return 0;
        }
        let share = count.div_ceil(self.of as usize) as u64;
        share.div_ceil(20) + 2
    }

    /// `tasks.shard-K-of-N.jsonl`: the shard's task file name.
    pub fn file_name(&self) -> String {
        format!("tasks.shard-{}-of-{}.jsonl", self.index, self.of)
    }
}

/// The manifest beside a shard's task file: `X.jsonl` → `X.json`.
pub fn manifest_name(task_file: &str) -> String {
    format!("{}.json", task_file.strip_suffix(".jsonl").unwrap_or(task_file))
}

/// What a finished shard says about itself (`tasks.shard-K-of-N.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardManifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// Which shard.
    pub shard: Shard,
    /// The task count asked of the whole run.
    pub count: usize,
    /// The run's key (every setting that changes a task; see `SynthOptions::run_key`).
    pub run_key: String,
    /// Tasks in the shard file.
    pub tasks: usize,
}

/// The manifest format this dive writes and reads.
pub const MANIFEST_FORMAT: &str = "dive-shard/1";

impl ShardManifest {
    /// Parse a manifest, naming `name` in the error.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<ShardManifest, ShardError> {
        let bad = |message: String| ShardError::BadManifest { name: name.to_string(), message };
        let m: ShardManifest = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if m.format != MANIFEST_FORMAT {
            return Err(bad(format!("format '{}', this dive reads {MANIFEST_FORMAT}", m.format)));
        }
        Shard::parse(&format!("{}/{}", m.shard.index, m.shard.of)).map_err(|e| bad(e.to_string()))?;
        Ok(m)
    }

    /// The manifest as a file (pretty JSON and a newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a manifest serializes");
        out.push(b'\n');
        out
    }
}

/// One shard to merge: its manifest and its task file, with names for messages.
pub struct ShardInput {
    /// The task file's name (a path or a store name).
    pub name: String,
    /// Its manifest.
    pub manifest: ShardManifest,
    /// The task file's bytes.
    pub tasks: Vec<u8>,
}

/// A shard's complete task lines by index, checked to belong to it and in order.
fn shard_lines(input: &ShardInput) -> Result<BTreeMap<u64, &[u8]>, ShardError> {
    let (name, s) = (&input.name, input.manifest.shard);
    let mut out = BTreeMap::new();
    let mut previous: Option<u64> = None;
    for (i, line) in input.tasks.split_inclusive(|&b| b == b'\n').enumerate() {
        if line.last() != Some(&b'\n') || line.iter().all(u8::is_ascii_whitespace) {
            continue; // a cut-off last line (an interrupted shard) or a blank line
        }
        let task: Task = serde_json::from_slice(line).map_err(|e| ShardError::BadTask { name: name.clone(), line: i + 1, message: format!("not a task record ({e})") })?;
        let index = task.config.index;
        if !s.owns(index) {
            return Err(ShardError::WrongShard { name: name.clone(), index, k: s.index, n: s.of });
        }
        if let Some(p) = previous.filter(|&p| index <= p) {
            return Err(ShardError::OutOfOrder { name: name.clone(), index, previous: p });
        }
        previous = Some(index);
        out.insert(index, line);
    }
    Ok(out)
}

/// Check that the inputs are the N shards of one run, each once; return N and count.
fn check_set(inputs: &[ShardInput]) -> Result<(u64, usize), ShardError> {
    let first = &inputs.first().ok_or_else(|| ShardError::Mismatch("no shard files given".into()))?.manifest;
    let n = first.shard.of;
    for i in inputs {
        let m = &i.manifest;
        if (m.shard.of, m.count, &m.run_key) != (n, first.count, &first.run_key) {
            return Err(ShardError::Mismatch(format!(
                "{} is shard {}/{} of run {} (count {}), but {} is shard {}/{} of run {} (count {})",
                inputs[0].name, first.shard.index, n, first.run_key, first.count, i.name, m.shard.index, m.shard.of, m.run_key, m.count
            )));
        }
    }
    for k in 0..n {
        match inputs.iter().filter(|i| i.manifest.shard.index == k).count() {
            0 => return Err(ShardError::MissingShard { missing: k, n }),
            1 => {}
            _ => return Err(ShardError::Mismatch(format!("shard {k}/{n} is given more than once"))),
        }
    }
    Ok((n, first.count))
}

/// Join the N shards of a run into the one-process task file: the first `count` tasks
/// in index order, each line byte for byte as its shard wrote it.
pub fn merge(inputs: &[ShardInput]) -> Result<Vec<u8>, ShardError> {
    let (n, count) = check_set(inputs)?;
    let mut all = BTreeMap::new();
    // The frontier: every index below it has been decided by its shard. A shard has
    // decided every index of its own up to its last task.
    let mut frontier = u64::MAX;
    let mut short_shard = 0;
    for input in inputs {
        let lines = shard_lines(input)?;
        let next = lines.keys().next_back().map_or(input.manifest.shard.index, |&last| last + 1);
        if next < frontier {
            frontier = next;
            short_shard = input.manifest.shard.index;
        }
        all.extend(lines);
    }
    let chosen: Vec<&[u8]> = all.range(..frontier).map(|(_, l)| *l).take(count).collect();
    if chosen.len() < count {
        let missing = (count - chosen.len()) as u64;
        let extra = Shard { index: short_shard, of: n }.default_extra(count) + missing.div_ceil(n) * 2 + 2;
        return Err(ShardError::TooShort { have: chosen.len(), want: count, frontier, shard: short_shard, n, extra });
    }
    Ok(chosen.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(Shard::parse("1/3").unwrap(), Shard { index: 1, of: 3 });
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = Shard::parse("2/4").unwrap();
        assert!(s.owns(6) && !s.owns(7));
        assert_eq!(Shard::WHOLE.quota(10, None), 10);
        assert_eq!(s.quota(10, Some(0)), 3);
        assert!(s.quota(100, None) > 25);
    }
}
