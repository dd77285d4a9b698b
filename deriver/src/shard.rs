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
//!
//! The merge streams: a first pass reads each shard file once and keeps only where each
//! task line lies (its index, offset, length and a digest: 48 bytes a task); the
//! second copies the chosen lines, in index order, from the files still open to the
//! output, refusing a line that changed in between.

use crate::verify::{TaskFileError, TaskReader};
use dive_runtime::untrusted::caps;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::Path;
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
    #[error(transparent)]
    Tasks(#[from] TaskFileError),
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
    #[error("{name}: cannot read it: {source}")]
    Read { name: String, source: std::io::Error },
    #[error("{name}: the file changed while it was being merged; merge again once the shard is finished")]
    Changed { name: String },
    #[error("cannot write the merged file: {0}")]
    Write(std::io::Error),
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

/// Where a shard's task lines are read from.
pub enum ShardSource {
    /// A file, read twice through the same open file (one renamed over its path in
    /// between is not seen; one changed in place is refused).
    File(std::fs::File),
    /// Bytes already read (a file from the store).
    Bytes(Vec<u8>),
}

/// One shard to merge: its manifest and its task file, with names for messages.
pub struct ShardInput {
    /// The task file's name (a path or a store name).
    pub name: String,
    /// Its manifest.
    pub manifest: ShardManifest,
    /// Its task lines.
    pub source: ShardSource,
}

/// Where one task line lies: in which input, at which offset, how long, and a digest
/// of its bytes to check when it is read again.
struct LineAt {
    index: u64,
    input: usize,
    offset: u64,
    len: usize,
    digest: [u8; 16],
}

fn digest16(line: &[u8]) -> [u8; 16] {
    let mut d = [0u8; 16];
    d.copy_from_slice(&blake3::hash(line).as_bytes()[..16]);
    d
}

/// The first pass over input `at`: where each of its task lines lies, checked to belong
/// to it and in order. It is read as any task file is ([`TaskReader`]: the line and
/// file caps, UTF-8, a task record with a bounded DAG), except that a cut-off last line
/// (an interrupted shard) ends it.
fn shard_lines(input: &ShardInput, at: usize) -> Result<Vec<LineAt>, ShardError> {
    let (name, s) = (&input.name, input.manifest.shard);
    let reader: Box<dyn BufRead + '_> = match &input.source {
        ShardSource::File(f) => Box::new(std::io::BufReader::new(f.take(caps::TASK_FILE_BYTES + 1))),
        ShardSource::Bytes(b) => Box::new(&b[..]),
    };
    let mut tasks = TaskReader::new(reader, Path::new(name)).complete_lines_only();
    let mut out = Vec::new();
    let mut previous: Option<u64> = None;
    while let Some(next) = tasks.next_spanned() {
        let (task, span) = next?;
        let index = task.config.index;
        if !s.owns(index) {
            return Err(ShardError::WrongShard { name: name.clone(), index, k: s.index, n: s.of });
        }
        if let Some(p) = previous.filter(|&p| index <= p) {
            return Err(ShardError::OutOfOrder { name: name.clone(), index, previous: p });
        }
        previous = Some(index);
        out.push(LineAt { index, input: at, offset: span.offset, len: span.len, digest: digest16(tasks.line_bytes()) });
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

/// The lines the one-process file holds, in index order: the first `count` below the
/// frontier (every index below it has been decided by its shard; a shard has decided
/// every index of its own up to its last task).
fn choose(inputs: &[ShardInput], n: u64, count: usize) -> Result<Vec<LineAt>, ShardError> {
    let mut all = Vec::new();
    let (mut frontier, mut short_shard) = (u64::MAX, 0);
    for (at, input) in inputs.iter().enumerate() {
        let lines = shard_lines(input, at)?;
        let next = lines.last().map_or(input.manifest.shard.index, |l| l.index + 1);
        if next < frontier {
            frontier = next;
            short_shard = input.manifest.shard.index;
        }
        all.extend(lines);
    }
    all.retain(|l| l.index < frontier);
    all.sort_unstable_by_key(|l| l.index);
    all.truncate(count);
    if all.len() < count {
        let missing = (count - all.len()) as u64;
        let extra = Shard { index: short_shard, of: n }.default_extra(count) + missing.div_ceil(n) * 2 + 2;
        return Err(ShardError::TooShort { have: all.len(), want: count, frontier, shard: short_shard, n, extra });
    }
    Ok(all)
}

/// Join the N shards of a run into the one-process task file, written to `out`: the
/// first `count` tasks in index order, each line byte for byte as its shard wrote it.
/// Every check (the set, each line, enough tasks) is made before the first byte is
/// written; only a shard file changed in between can stop the merge part way. Returns
/// the number of tasks written.
pub fn merge(inputs: &[ShardInput], out: &mut impl Write) -> Result<usize, ShardError> {
    let (n, count) = check_set(inputs)?;
    let chosen = choose(inputs, n, count)?;
    let mut buf = Vec::new();
    for l in &chosen {
        let input = &inputs[l.input];
        let line = match &input.source {
            ShardSource::Bytes(b) => &b[l.offset as usize..l.offset as usize + l.len],
            ShardSource::File(f) => {
                use std::os::unix::fs::FileExt;
                buf.resize(l.len, 0);
                f.read_exact_at(&mut buf, l.offset).map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => ShardError::Changed { name: input.name.clone() },
                    _ => ShardError::Read { name: input.name.clone(), source: e },
                })?;
                &buf[..]
            }
        };
        if digest16(line) != l.digest {
            return Err(ShardError::Changed { name: input.name.clone() });
        }
        out.write_all(line).map_err(ShardError::Write)?;
    }
    Ok(chosen.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task line for index `i` (the test fixtures' task, renumbered).
    fn line(i: u64) -> String {
        use crate::task::Task;
        let text = include_str!("../../tests/data/pre-split/tasks.jsonl").lines().next().unwrap();
        let mut t: Task = serde_json::from_str(text).unwrap();
        t.config.index = i;
        t.uuid = format!("uuid-{i}");
        format!("{}\n", serde_json::to_string(&t).unwrap())
    }

    fn input(k: u64, n: u64, count: usize, source: ShardSource) -> ShardInput {
        let manifest = ShardManifest { format: MANIFEST_FORMAT.into(), shard: Shard { index: k, of: n }, count, run_key: "run".into(), tasks: 0 };
        ShardInput { name: format!("shard-{k}"), manifest, source }
    }

    fn bytes(text: &str) -> ShardSource {
        ShardSource::Bytes(text.as_bytes().to_vec())
    }

    #[test]
    fn merges_in_index_order_below_the_frontier_from_files_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        // Shard 0 has 0, 2, 4, 6 and a cut-off line; shard 1 has 1, 3 (a blank line
        // between) and has not decided 5: the frontier is 4, so the file is 0..=3 and
        // shard 0's 4 and 6 are left out.
        let cut = &line(8)[..40];
        let zero = format!("{}{}{}{}{cut}", line(0), line(2), line(4), line(6));
        let one = format!("{}\n{}", line(1), line(3));
        std::fs::write(dir.path().join("0"), &zero).unwrap();
        let file = ShardSource::File(std::fs::File::open(dir.path().join("0")).unwrap());
        let mut out = Vec::new();
        assert_eq!(merge(&[input(1, 2, 4, bytes(&one)), input(0, 2, 4, file)], &mut out).unwrap(), 4);
        assert_eq!(String::from_utf8(out).unwrap(), (0..4).map(line).collect::<String>());
        // Asked for 5, the shards decide only 4.
        let err = merge(&[input(0, 2, 5, bytes(&zero)), input(1, 2, 5, bytes(&one))], &mut Vec::new()).unwrap_err();
        assert!(matches!(err, ShardError::TooShort { have: 4, want: 5, frontier: 4, shard: 1, .. }), "{err}");
    }

    #[test]
    fn bad_shard_lines_are_named_before_anything_is_written() {
        let cases = [
            (format!("{}{}", line(2), line(0)), "comes after"),
            (format!("{}{}", line(0), line(1)), "is not in shard 0/2"),
            (format!("{}{{\"not\": \"a task\"}}\n", line(0)), "shard-0:2: not a task record"),
            (format!("{}{}\n", line(0), "x".repeat(caps::TASK_LINE_BYTES + 1)), "shard-0:2: not a task record (the line is over"),
        ];
        for (zero, want) in cases {
            let mut out = Vec::new();
            let err = merge(&[input(0, 2, 1, bytes(&zero)), input(1, 2, 1, bytes(&line(1)))], &mut out).unwrap_err();
            assert!(err.to_string().contains(want), "{err} (wanted {want})");
            assert!(out.is_empty());
        }
    }

    /// A writer that rewrites a shard file in place (same length, other bytes) when
    /// the merge writes its first line: the lines after are not the ones indexed.
    struct Tamper(std::path::PathBuf, bool);

    impl Write for Tamper {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if !self.1 {
                let text = std::fs::read_to_string(&self.0).unwrap().replace("uuid-", "UUID-");
                std::fs::write(&self.0, text).unwrap();
                self.1 = true;
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_shard_file_changed_during_the_merge_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0");
        std::fs::write(&path, format!("{}{}", line(0), line(2))).unwrap();
        let file = ShardSource::File(std::fs::File::open(&path).unwrap());
        let err = merge(&[input(0, 2, 3, file), input(1, 2, 3, bytes(&format!("{}{}", line(1), line(3))))], &mut Tamper(path, false)).unwrap_err();
        assert!(matches!(&err, ShardError::Changed { name } if name == "shard-0"), "{err}");
    }

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
