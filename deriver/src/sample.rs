//! Config sampling: everything random about a task comes from the run seed and the
//! task index, so `--seed` fixes the whole dataset.

use dive_runtime::Domain;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Deserialize;
use serde_json::Value;

/// A named random stream for one purpose of one task.
pub fn rng(run_seed: u64, index: u64, purpose: &str) -> ChaCha20Rng {
    let mut h = blake3::Hasher::new();
    h.update(b"dive-synth/1\0");
    h.update(&run_seed.to_le_bytes());
    h.update(&index.to_le_bytes());
    h.update(purpose.as_bytes());
    ChaCha20Rng::from_seed(*h.finalize().as_bytes())
}

/// A 64-bit value from a named stream (e.g. the trace seed of a task).
pub fn derive_u64(run_seed: u64, index: u64, purpose: &str) -> u64 {
    use rand::Rng;
    rng(run_seed, index, purpose).next_u64()
}

/// Pick k distinct items (k clamped to len), in the order drawn.
pub fn pick<T: Clone>(rng: &mut ChaCha20Rng, items: &[T], k: usize) -> Vec<T> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let k = k.min(items.len());
    for i in 0..k {
        let j = rng.random_range(i..idx.len());
        idx.swap(i, j);
    }
    idx[..k].iter().map(|&i| items[i].clone()).collect()
}

/// One entity seed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Seed {
    pub value: Value,
    #[serde(rename = "type")]
    pub sem_type: String,
}

impl Seed {
    /// The seed as text: a string as it is, anything else as JSON.
    pub fn text(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("unknown domain '{0}': choose academic, biological, financial or medical")]
    UnknownDomain(String),
    #[error("the general domain has no seeds of its own: build another domain and add the general tools with --include-general")]
    GeneralHasNoSeeds,
    #[error("the seed pool {0} is empty: give it at least one {{\"value\", \"type\"}} line")]
    Empty(String),
    #[error("{file}:{line}: not a seed line ({message}); each line is {{\"value\": ..., \"type\": ...}}")]
    BadLine { file: String, line: usize, message: String },
    #[error("cannot read the seed pool {file}: {message}")]
    Io { file: String, message: String },
}

const ACADEMIC: &str = include_str!("../data/seeds/academic.jsonl");
const BIOLOGICAL: &str = include_str!("../data/seeds/biological.jsonl");
const FINANCIAL: &str = include_str!("../data/seeds/financial.jsonl");
const MEDICAL: &str = include_str!("../data/seeds/medical.jsonl");
const EXEMPLARS: &str = include_str!("../data/exemplars.jsonl");

pub fn parse_pool(name: &str, text: &str) -> Result<Vec<Seed>, PoolError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let s: Seed = serde_json::from_str(line).map_err(|e| PoolError::BadLine { file: name.into(), line: i + 1, message: e.to_string() })?;
        out.push(s);
    }
    if out.is_empty() {
        return Err(PoolError::Empty(name.into()));
    }
    Ok(out)
}

/// The shipped pool of a domain (general has none: its tools join other domains).
pub fn builtin_pool(domain: Domain) -> Result<Vec<Seed>, PoolError> {
    let text = match domain {
        Domain::Academic => ACADEMIC,
        Domain::Biological => BIOLOGICAL,
        Domain::Financial => FINANCIAL,
        Domain::Medical => MEDICAL,
        Domain::General => return Err(PoolError::GeneralHasNoSeeds),
    };
    parse_pool(&format!("built-in {domain} pool"), text)
}

/// Read a pool from a file.
pub fn file_pool(path: &std::path::Path) -> Result<Vec<Seed>, PoolError> {
    // A seed file may come from anywhere: a regular file, bounded like a task file.
    let text = dive_runtime::untrusted::read_text_bounded(path, dive_runtime::untrusted::caps::TASK_FILE_BYTES, "the seed file cap")
        .map_err(|e| PoolError::Io { file: path.display().to_string(), message: e.to_string() })?;
    parse_pool(&path.display().to_string(), &text)
}

/// The shipped question exemplars (domain, question).
pub fn exemplars() -> Vec<(String, String)> {
    EXEMPLARS
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v.get("domain")?.as_str()?.to_string(), v.get("question")?.as_str()?.to_string())))
        .collect()
}

/// A DNA coding sequence generated from the stream: ATG, 20–80 sense codons, a stop.
pub fn generated_dna(rng: &mut ChaCha20Rng) -> String {
    const BASES: [char; 4] = ['A', 'C', 'G', 'T'];
    const STOPS: [&str; 3] = ["TAA", "TAG", "TGA"];
    let codons = rng.random_range(20..=80);
    let mut s = String::from("ATG");
    while s.len() < 3 * (codons + 1) {
        let c: String = (0..3).map(|_| BASES[rng.random_range(0..4)]).collect();
        if !STOPS.contains(&c.as_str()) {
            s.push_str(&c);
        }
    }
    s.push_str(STOPS[rng.random_range(0..3)]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed_by_seed_index_and_purpose() {
        assert_eq!(derive_u64(1, 2, "a"), derive_u64(1, 2, "a"));
        assert_ne!(derive_u64(1, 2, "a"), derive_u64(1, 3, "a"));
        assert_ne!(derive_u64(1, 2, "a"), derive_u64(1, 2, "b"));
        let items: Vec<u32> = (0..10).collect();
        let p = pick(&mut rng(5, 0, "x"), &items, 4);
        assert_eq!(p, pick(&mut rng(5, 0, "x"), &items, 4));
        let mut sorted = p.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 4);
        assert_eq!(pick(&mut rng(5, 0, "x"), &items, 40).len(), 10);
    }

    #[test]
    fn pools_parse_and_bad_pools_say_why() {
        for d in [Domain::Academic, Domain::Biological, Domain::Financial, Domain::Medical] {
            assert!(builtin_pool(d).unwrap().len() > 1000);
        }
        assert!(matches!(builtin_pool(Domain::General), Err(PoolError::GeneralHasNoSeeds)));
        assert!(matches!(parse_pool("p", "\n"), Err(PoolError::Empty(_))));
        let e = parse_pool("p", "{\"value\": 1, \"type\": \"x\"}\nnot json").unwrap_err();
        assert!(e.to_string().contains("p:2"), "{e}");
        assert!(exemplars().len() >= 20);
    }

    #[test]
    fn generated_dna_is_a_coding_sequence() {
        let s = generated_dna(&mut rng(1, 1, "dna"));
        assert!(s.starts_with("ATG") && s.len().is_multiple_of(3));
        assert!(s.chars().all(|c| "ACGT".contains(c)));
    }
}
