//! FASTA text split into records, for the remote sequence families (ncbi_entrez,
//! togows) that return a FASTA answer both as text and as records.
//!
//! A record starts at each header line (`>` then the header); the lines after it, up
//! to the next header, are its sequence with all whitespace removed. Lines before the
//! first header are ignored, and trailing whitespace (a `\r` of CRLF text) never counts.
//! `id` is the first word of the header, `description` the whole header trimmed,
//! `length` the number of sequence characters.

use schemars::JsonSchema;
use serde::Serialize;

// No doc comments on the struct or its fields on purpose: schemars would turn them into
// descriptions in the output schema of every family that returns this type as it is
// (togows). A family that documents the fields keeps its own schema type and converts
// with `From` (ncbi_entrez).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FastaRecord {
    pub id: String,
    pub description: String,
    pub sequence: String,
    pub length: usize,
}

/// The records of a FASTA text, in order (see the module documentation).
pub fn parse_fasta(text: &str) -> Vec<FastaRecord> {
    let mut out: Vec<FastaRecord> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(h) = line.strip_prefix('>') {
            out.push(FastaRecord {
                id: h.split_whitespace().next().unwrap_or_default().to_string(),
                description: h.trim().to_string(),
                sequence: String::new(),
                length: 0,
            });
        } else if let Some(r) = out.last_mut() {
            r.sequence.extend(line.chars().filter(|c| !c.is_whitespace()));
            r.length = r.sequence.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_start_records_and_sequence_lines_join() {
        let text = "junk before\r\n>NM_000207.3 Homo sapiens insulin\r\nAGC CCT\r\nATCA\n>empty\n>P01308  spaced  header \nMALW\n";
        let r = parse_fasta(text);
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].id.as_str(), r[0].description.as_str()), ("NM_000207.3", "NM_000207.3 Homo sapiens insulin"));
        assert_eq!((r[0].sequence.as_str(), r[0].length), ("AGCCCTATCA", 10));
        assert_eq!((r[1].id.as_str(), r[1].sequence.as_str(), r[1].length), ("empty", "", 0));
        assert_eq!((r[2].id.as_str(), r[2].description.as_str()), ("P01308", "P01308  spaced  header"));
        assert!(parse_fasta("no header\nACGT\n").is_empty());
    }
}
