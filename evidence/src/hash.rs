//! BLAKE3 content hashes as a type: 64 lowercase hex digits, checked once when a hash is
//! made or read, so nothing that holds a [`Hash`] can be short or malformed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A BLAKE3 hash, written as 64 lowercase hex digits (the ids of traces and objects).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, std::hash::Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hash(String);

/// Text that is not a BLAKE3 hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{shown}' is not a BLAKE3 hash (64 lowercase hex digits)")]
pub struct NotAHash {
    /// The start of the text, for the message.
    pub shown: String,
}

/// Whether `s` is a BLAKE3 hash as dive writes it: 64 lowercase hex digits.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Hash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash::from(blake3::hash(bytes))
    }

    /// `s` as a hash, if it is one.
    pub fn parse(s: &str) -> Result<Hash, NotAHash> {
        if is_hash(s) {
            Ok(Hash(s.to_string()))
        } else {
            Err(NotAHash { shown: s.chars().take(72).collect() })
        }
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The store's fan-out: the first two digits (the directory) and the other 62.
    pub fn split(&self) -> (&str, &str) {
        self.0.split_at(2)
    }
}

impl From<blake3::Hash> for Hash {
    fn from(h: blake3::Hash) -> Hash {
        Hash(h.to_hex().to_string())
    }
}

impl TryFrom<String> for Hash {
    type Error = NotAHash;
    fn try_from(s: String) -> Result<Hash, NotAHash> {
        if is_hash(&s) {
            Ok(Hash(s))
        } else {
            Err(NotAHash { shown: s.chars().take(72).collect() })
        }
    }
}

impl std::str::FromStr for Hash {
    type Err = NotAHash;
    fn from_str(s: &str) -> Result<Hash, NotAHash> {
        Hash::parse(s)
    }
}

impl From<Hash> for String {
    fn from(h: Hash) -> String {
        h.0
    }
}

impl AsRef<str> for Hash {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Hash {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Hash {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Hash {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Hash {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_hash_is_64_lowercase_hex_digits() {
        let h = Hash::of(b"dive");
        assert_eq!(h.as_str(), blake3::hash(b"dive").to_hex().as_str());
        assert_eq!(Hash::parse(h.as_str()).unwrap(), h);
        assert!(Hash::parse(&h.as_str().to_uppercase()).is_err());
        assert!(Hash::parse("ab").is_err());
        assert!(Hash::parse("").is_err());
        let (dir, rest) = h.split();
        assert_eq!((dir.len(), rest.len()), (2, 62));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{h}\""));
        assert!(serde_json::from_str::<Hash>("\"abc\"").is_err());
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(s in ".{0,80}") {
            prop_assert_eq!(Hash::parse(&s).is_ok(), is_hash(&s));
        }
    }
}
