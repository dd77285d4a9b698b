//! Integer arguments as JSON Schema sees them: `2` and `2.0` are the same integer
//! (the runtime's schema check accepts both), so the tools accept both too.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

fn to_int<E: Error, T: TryFrom<u64>>(n: &serde_json::Number) -> Result<T, E> {
    let v = match (n.as_u64(), n.as_f64()) {
        (Some(v), _) => Some(v),
        (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0 => {
            Some(f as u64)
        }
        _ => None,
    };
    let v = v.ok_or_else(|| E::custom(format!("expected a non-negative integer, got {n}")))?;
    T::try_from(v).map_err(|_| E::custom(format!("the integer {v} is too large")))
}

/// `#[serde(deserialize_with = "bio_core::de::int")]`
pub fn int<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
    to_int(&serde_json::Number::deserialize(d)?)
}

/// `#[serde(default, deserialize_with = "bio_core::de::opt_int")]`
pub fn opt_int<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        Some(n) => to_int(&n).map(Some),
        None => Ok(None),
    }
}
