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

/// A position in a text: a non-negative integer, where any integer past `u64::MAX`
/// (JSON carries it as a float, e.g. 1e20) is the same as `u64::MAX`, as every
/// position past the end of a text is for Python's slices and searches.
fn to_index<E: Error>(n: &serde_json::Number) -> Result<u64, E> {
    match n.as_f64() {
        Some(f)
            if n.as_u64().is_none() && f >= 18_446_744_073_709_551_616.0 && f.fract() == 0.0 =>
        {
            Ok(u64::MAX)
        }
        _ => to_int(n),
    }
}

/// `#[serde(default, deserialize_with = "bio_core::de::index")]`
pub fn index<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    to_index(&serde_json::Number::deserialize(d)?)
}

/// `#[serde(default, deserialize_with = "bio_core::de::opt_index")]`
pub fn opt_index<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        Some(n) => to_index(&n).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn index(v: serde_json::Value) -> Result<u64, serde_json::Error> {
        super::index(v)
    }

    #[test]
    fn positions_past_u64_saturate() {
        assert_eq!(index(json!(7)).unwrap(), 7);
        assert_eq!(index(json!(7.0)).unwrap(), 7);
        assert_eq!(index(json!(1e20)).unwrap(), u64::MAX);
        assert_eq!(index(json!(u64::MAX)).unwrap(), u64::MAX);
        assert!(index(json!(1.5)).is_err());
        assert!(index(json!(-1)).is_err());
    }
}
