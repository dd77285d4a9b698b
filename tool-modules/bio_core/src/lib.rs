//! Shared logic and data of the local biological tools (bio_seq, codon_table,
//! iupac_data). Plain Rust, no host imports: every function here is a pure
//! computation that matches Biopython 1.88 (Bio.Seq, Bio.Data.CodonTable,
//! Bio.Data.IUPACData) on the inputs the tools accept.

#[rustfmt::skip]
pub mod data;
#[rustfmt::skip]
pub mod pdb_data;

pub mod alphabet;
pub mod cluster;
pub mod codon;
pub mod de;
pub mod fasta;
pub mod geometry;
pub mod nucleotide;
pub mod pairwise;
pub mod schema;
pub mod schema_numeric;
pub mod search;
pub mod superimpose;

/// The largest sequence a tool accepts: 10 MB as JSON text (10,000,000 characters of
/// sequence letters; see [`alphabet::check_len`]). A JSON result of that size still
/// fits the packages' 16 MiB output cap, and the work stays well inside their time and
/// memory limits.
pub const MAX_SEQUENCE_LEN: usize = 10_000_000;

/// An ordered JSON object (serde_json is built with `preserve_order`), used for the
/// letter-to-value tables so they come out in Biopython's order.
pub type JsonMap = serde_json::Map<String, serde_json::Value>;

/// Build an ordered JSON object of strings from (key, value) pairs.
pub fn string_map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> JsonMap {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect()
}
