//! Complement and transcription, as Bio.Seq does them: a byte translation table
//! built from IUPACData's complement maps (upper and lower case); every other
//! character is left as it is.

use crate::data::{AMBIGUOUS_DNA_COMPLEMENT, AMBIGUOUS_RNA_COMPLEMENT};

fn table(map: &[(&str, &str)], extra_from: &str, extra_like: &str) -> [u8; 256] {
    let mut t = [0u8; 256];
    for (i, slot) in t.iter_mut().enumerate() {
        *slot = i as u8;
    }
    let like = map.iter().find(|(k, _)| *k == extra_like).map(|(_, v)| *v);
    let pairs = map.iter().copied().chain(like.map(|v| (extra_from, v)));
    for (k, v) in pairs {
        let (k, v) = (k.as_bytes()[0], v.as_bytes()[0]);
        t[k as usize] = v;
        t[k.to_ascii_lowercase() as usize] = v.to_ascii_lowercase();
    }
    t
}

/// Bio.Seq's DNA complement table: IUPAC DNA complements, and U treated as T.
fn dna_table() -> [u8; 256] {
    table(AMBIGUOUS_DNA_COMPLEMENT, "U", "T")
}

/// Bio.Seq's RNA complement table: IUPAC RNA complements, and T treated as U.
fn rna_table() -> [u8; 256] {
    table(AMBIGUOUS_RNA_COMPLEMENT, "T", "U")
}

fn map_bytes(seq: &str, t: &[u8; 256], reverse: bool) -> String {
    let mut out: Vec<u8> = seq.bytes().map(|b| t[b as usize]).collect();
    if reverse {
        out.reverse();
    }
    // The tables map ASCII to ASCII only; the callers pass ASCII text.
    String::from_utf8(out).expect("complement of ASCII text is ASCII")
}

pub fn complement(seq: &str) -> String {
    map_bytes(seq, &dna_table(), false)
}

pub fn reverse_complement(seq: &str) -> String {
    map_bytes(seq, &dna_table(), true)
}

pub fn complement_rna(seq: &str) -> String {
    map_bytes(seq, &rna_table(), false)
}

pub fn reverse_complement_rna(seq: &str) -> String {
    map_bytes(seq, &rna_table(), true)
}

/// DNA to RNA: T becomes U (and t becomes u).
pub fn transcribe(seq: &str) -> String {
    seq.replace('T', "U").replace('t', "u")
}

/// RNA to DNA: U becomes T (and u becomes t).
pub fn back_transcribe(seq: &str) -> String {
    seq.replace('U', "T").replace('u', "t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biopython_examples() {
        assert_eq!(reverse_complement("ACGTUacgtuXYZxyz"), "zrxZRXaacgtAACGT");
        assert_eq!(complement("CGAUT"), "GCTAA");
        assert_eq!(complement_rna("CGAUT"), "GCUAA");
        assert_eq!(reverse_complement_rna("CGAUT"), "AAUCG");
        assert_eq!(transcribe("ACTGNt"), "ACUGNu");
        assert_eq!(back_transcribe("ACUGNu"), "ACTGNt");
    }
}
