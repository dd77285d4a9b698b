//! The size cap of text arguments, and the one character rule Biopython itself
//! imposes: a `Bio.Seq.Seq` (or `MutableSeq`) stores its data as ASCII bytes, so text
//! holding a non-ASCII character raises (UnicodeEncodeError) as soon as it becomes
//! one. Every other character is accepted and left as it is, as Biopython does
//! (complement maps only the letters it knows, searches compare bytes).

use crate::MAX_SEQUENCE_LEN;

/// The number of bytes `text` takes inside a JSON string, as serde_json writes it:
/// UTF-8, with `"` `\` and the control characters escaped (`\n`, `\u0001`, ...).
pub fn json_len(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum()
}

/// The size cap: a text argument takes at most [`MAX_SEQUENCE_LEN`] bytes as JSON
/// (10,000,000 characters of sequence letters), so that the arguments, the work and a
/// result of the same size fit the packages' memory and output limits.
pub fn check_len(field: &str, text: &str) -> Result<(), String> {
    let n = json_len(text);
    if n > MAX_SEQUENCE_LEN {
        return Err(format!(
            "{field} takes {n} bytes as JSON text; the limit is {MAX_SEQUENCE_LEN} bytes (10 MB, \
             10,000,000 sequence letters), so that the call fits the sandbox's memory and output limits"
        ));
    }
    Ok(())
}

/// Text that Biopython turns into a `Seq`: ASCII only (anything else raises in
/// Biopython), within the size cap. Any ASCII character is accepted.
pub fn check_seq_text(field: &str, text: &str) -> Result<(), String> {
    check_len(field, text)?;
    match text.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        Some((i, ch)) => Err(format!(
            "{field}: character {ch:?} at position {i} is not ASCII; Biopython's Seq holds ASCII \
             text only (it raises UnicodeEncodeError)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_len_is_serde_json_s() {
        for s in ["ACGT", "a\"b\\c", "\n\t\u{1}\u{1f}\u{7f}", "éſ€𝄞", ""] {
            let encoded = serde_json::to_string(s).unwrap();
            assert_eq!(json_len(s), encoded.len() - 2, "{s:?}");
        }
    }

    #[test]
    fn any_ascii_is_seq_text() {
        assert!(check_seq_text("s", "ACGZ?1 \u{0}\u{7f}*-.").is_ok());
        assert!(check_seq_text("s", "ACGé")
            .unwrap_err()
            .contains("position 3"));
        assert!(check_len("s", &"A".repeat(MAX_SEQUENCE_LEN)).is_ok());
        assert!(check_len("s", &"A".repeat(MAX_SEQUENCE_LEN + 1)).is_err());
        assert!(check_len("s", &"\"".repeat(MAX_SEQUENCE_LEN / 2 + 1)).is_err());
    }
}
