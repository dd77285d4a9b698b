//! Which characters a sequence argument may hold, and the length cap.

use crate::data::{AMBIGUOUS_DNA_VALUES, AMBIGUOUS_RNA_VALUES};
use crate::MAX_SEQUENCE_LEN;

/// Gap characters accepted in nucleotide sequences (left unchanged by the
/// complement and transcription operations).
pub const NUCLEOTIDE_GAPS: &str = "-.";

/// Extra symbols accepted in general sequences (stop, gaps).
pub const SEQUENCE_SYMBOLS: &str = "*-.";

/// Whether `c` (either case) is an IUPAC nucleotide code Biopython knows: the keys of
/// `ambiguous_dna_values` and `ambiguous_rna_values` (A C G T U R Y S W K M B D H V N X).
pub fn is_nucleotide_code(c: u8) -> bool {
    let up = c.to_ascii_uppercase();
    AMBIGUOUS_DNA_VALUES
        .iter()
        .chain(AMBIGUOUS_RNA_VALUES)
        .any(|(k, _)| k.as_bytes()[0] == up)
}

fn check_len(field: &str, text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n > MAX_SEQUENCE_LEN {
        return Err(format!(
            "{field} is {n} characters long; the limit is {MAX_SEQUENCE_LEN} characters (10 MB)"
        ));
    }
    Ok(())
}

fn check_chars(
    field: &str,
    text: &str,
    allowed: impl Fn(u8) -> bool,
    what: &str,
) -> Result<(), String> {
    for (i, ch) in text.chars().enumerate() {
        let ok = ch.is_ascii() && allowed(ch as u8);
        if !ok {
            return Err(format!(
                "{field}: character {ch:?} at position {i} is not allowed; {what}"
            ));
        }
    }
    Ok(())
}

/// A nucleotide sequence: IUPAC nucleotide codes in either case, plus the gap
/// characters `-` and `.` and any of `extra`.
pub fn check_nucleotide(field: &str, text: &str, extra: &[u8]) -> Result<(), String> {
    check_len(field, text)?;
    check_chars(
        field,
        text,
        |c| is_nucleotide_code(c) || NUCLEOTIDE_GAPS.as_bytes().contains(&c) || extra.contains(&c),
        "use IUPAC nucleotide codes (A C G T U R Y S W K M B D H V N X, either case) and the gap characters '-' '.'",
    )
}

/// A DNA, RNA or protein sequence: ASCII letters plus `*`, `-` and `.`.
pub fn check_sequence(field: &str, text: &str) -> Result<(), String> {
    check_len(field, text)?;
    check_chars(
        field,
        text,
        |c| c.is_ascii_alphabetic() || SEQUENCE_SYMBOLS.as_bytes().contains(&c),
        "use sequence letters (A-Z, either case), '*' for a stop and '-' or '.' for gaps",
    )
}
