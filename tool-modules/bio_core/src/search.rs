//! Substring search with Python's `bytes` semantics (what Bio.Seq's count, find,
//! startswith and endswith use): case-sensitive, windows given as slice bounds.
//! Knuth–Morris–Pratt, so every search is linear in the text plus the pattern, even
//! for overlapping counts on repetitive sequences.

/// The window `[start:end]` of a text of length `len`, as Python slices it (for
/// non-negative bounds); empty when start is past end.
pub fn window(len: usize, start: usize, end: Option<usize>) -> (usize, usize) {
    let end = end.unwrap_or(len).min(len);
    let start = start.min(end);
    (start, end)
}

pub struct Matcher<'p> {
    pattern: &'p [u8],
    /// failure[i]: length of the longest proper border of pattern[..=i].
    failure: Vec<u32>,
}

impl<'p> Matcher<'p> {
    /// A matcher for a non-empty pattern.
    pub fn new(pattern: &'p [u8]) -> Matcher<'p> {
        let mut failure = vec![0u32; pattern.len()];
        let mut k = 0usize;
        for i in 1..pattern.len() {
            while k > 0 && pattern[i] != pattern[k] {
                k = failure[k - 1] as usize;
            }
            if pattern[i] == pattern[k] {
                k += 1;
            }
            failure[i] = k as u32;
        }
        Matcher { pattern, failure }
    }

    /// Call `f` with the start of each match in `text`, left to right; overlapping
    /// matches too when `overlapping`, otherwise the scan resumes after each match
    /// (Python's `count`). Stops early when `f` returns false.
    pub fn for_each(&self, text: &[u8], overlapping: bool, mut f: impl FnMut(usize) -> bool) {
        let p = self.pattern;
        if p.is_empty() || p.len() > text.len() {
            return;
        }
        let mut q = 0usize;
        for (i, &b) in text.iter().enumerate() {
            while q > 0 && b != p[q] {
                q = self.failure[q - 1] as usize;
            }
            if b == p[q] {
                q += 1;
            }
            if q == p.len() {
                if !f(i + 1 - p.len()) {
                    return;
                }
                q = if overlapping {
                    self.failure[q - 1] as usize
                } else {
                    0
                };
            }
        }
    }

    /// Lowest match position in `text`.
    pub fn find(&self, text: &[u8]) -> Option<usize> {
        let mut found = None;
        self.for_each(text, false, |i| {
            found = Some(i);
            false
        });
        found
    }

    /// Number of matches in `text`.
    pub fn count(&self, text: &[u8], overlapping: bool) -> u64 {
        let mut n = 0u64;
        self.for_each(text, overlapping, |_| {
            n += 1;
            true
        });
        n
    }
}

/// `text[start:end].startswith(prefix)`, as `bytes.startswith(prefix, start, end)`.
pub fn starts_with(text: &[u8], prefix: &[u8], start: usize, end: Option<usize>) -> bool {
    let (s, e) = window(text.len(), start, end);
    text[s..e].starts_with(prefix)
}

/// `bytes.endswith(suffix, start, end)`.
pub fn ends_with(text: &[u8], suffix: &[u8], start: usize, end: Option<usize>) -> bool {
    let (s, e) = window(text.len(), start, end);
    text[s..e].ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_semantics() {
        let m = Matcher::new(b"AA");
        assert_eq!(m.count(b"AAAA", false), 2);
        assert_eq!(m.count(b"AAAA", true), 3);
        assert_eq!(Matcher::new(b"ATA").count(b"ATATATATA", true), 4);
        assert_eq!(Matcher::new(b"AUG").find(b"GUCAUGGCCAUUGUAAUGGG"), Some(3));
        assert!(starts_with(b"GUCAUG", b"AUG", 3, None));
        assert!(ends_with(b"GUCAUGGCC", b"AUG", 0, Some(6)));
        assert!(!starts_with(b"ABC", b"A", 5, None));
        assert_eq!(window(3, 5, Some(2)), (2, 2));
    }
}
