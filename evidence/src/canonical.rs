//! Canonical JSON, RFC 8785 (JSON Canonicalization Scheme): object keys sorted by their
//! UTF-16 code units, no insignificant whitespace, strings escaped as serde_json does
//! (which is what RFC 8785 asks: the two-character escapes and `\u00xx` in lower case for
//! other control characters, everything else literal), and numbers as ECMAScript's
//! `Number.prototype.toString` writes them ([`es_number`]). Used for args, policies and
//! trace ids (trace format 2).
//!
//! **Integers** are written exactly, in full digits. RFC 8785 treats every number as an
//! IEEE double, so an integer above 2^53 would be rounded there; dive keeps such values
//! exact instead (a tool argument is never silently changed), and the trace's own 64-bit
//! counters (`seed`, `clock_ns`) are written as decimal strings, so any standard RFC 8785
//! implementation reproduces a trace's bytes.

use serde_json::Value;

/// Canonical text of a JSON value.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Canonical bytes of any serializable value.
pub fn to_vec<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, serde_json::Error> {
    Ok(to_string(&serde_json::to_value(v)?).into_bytes())
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if keys.iter().all(|k| k.is_ascii()) {
                keys.sort_unstable();
            } else {
                keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            }
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::String(text) => write_str(text, out),
        Value::Number(n) => write_number(n, out),
        other => out.push_str(&other.to_string()),
    }
}

/// Integers exactly; floats as ECMAScript writes them (`2.0` -> `2`, `-0.0` -> `0`,
/// `1e-6` -> `0.000001`, `1e21` -> `1e+21`).
fn write_number(n: &serde_json::Number, out: &mut String) {
    match n.as_f64() {
        Some(f) if n.is_f64() => out.push_str(&es_number(f)),
        _ => out.push_str(&n.to_string()),
    }
}

/// A finite double as ECMAScript's `Number.prototype.toString` writes it (ECMA-262
/// §6.1.6.1.20, which RFC 8785 §3.2.2.3 adopts): the shortest digits that round-trip,
/// in plain notation for magnitudes in [1e-6, 1e21), else `d.ddde±x`. Non-finite
/// values have no JSON form; they are written as `null`.
pub fn es_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let (digits, n) = shortest_digits(value.abs());
    let k = digits.len() as i32;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let m = if k == 1 { digits.to_string() } else { format!("{}.{}", &digits[..1], &digits[1..]) };
        format!("{m}e{sign}{}", e.abs())
    };
    if value < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// The shortest digits that round-trip (no leading or trailing zeros) and the position
/// `n` of the decimal point, so that the value is `0.digits × 10^n`. Ryu breaks an
/// exact tie between two shortest candidates toward the even one, as ECMA-262 asks
/// (Rust's own `{:e}` does not: 160778653792.765625 must give …76562).
fn shortest_digits(positive: f64) -> (String, i32) {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(positive);
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu writes an integer exponent")),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    let n = int.len() as i32 + exponent - (all.len() - trimmed.len()) as i32;
    (trimmed.trim_end_matches('0').to_string(), n)
}

/// A serde_json formatter writing floats as RFC 8785 does ([`es_number`]); everything
/// else as compact serde_json. It does not sort keys: it is for values whose structs
/// declare their fields in sorted order and whose maps are already canonical (traces).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rfc8785Formatter;

impl serde_json::ser::Formatter for Rfc8785Formatter {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f64) -> std::io::Result<()> {
        writer.write_all(es_number(value).as_bytes())
    }

    fn write_f32<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f32) -> std::io::Result<()> {
        // The shortest digits of the f32 itself, not of its widened f64.
        let shortest: f64 = value.to_string().parse().unwrap_or(value as f64);
        writer.write_all(es_number(shortest).as_bytes())
    }
}

/// Serialize `value` with the RFC 8785 number form into `writer` (fields in declaration
/// order: see [`Rfc8785Formatter`]).
pub fn to_writer_rfc8785<W: std::io::Write, T: ?Sized + serde::Serialize>(writer: W, value: &T) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::with_formatter(writer, Rfc8785Formatter);
    value.serialize(&mut ser)
}

/// A serde_json formatter writing floats in Ryu's notation (`1e21`, `1e-6`, `2.5`), the
/// form serde_json used when trace format 1 was defined; serde_json's own float printer
/// has changed since (it now writes `1e+21`), so format 1 pins its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Format1Formatter;

impl serde_json::ser::Formatter for Format1Formatter {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f64) -> std::io::Result<()> {
        if !value.is_finite() {
            return writer.write_all(b"null");
        }
        writer.write_all(ryu::Buffer::new().format_finite(value).as_bytes())
    }

    fn write_f32<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f32) -> std::io::Result<()> {
        if !value.is_finite() {
            return writer.write_all(b"null");
        }
        writer.write_all(ryu::Buffer::new().format_finite(value).as_bytes())
    }
}

/// Compact JSON as trace format 1 writes it ([`Format1Formatter`]; no key sorting).
pub fn to_writer_format1<W: std::io::Write, T: ?Sized + serde::Serialize>(writer: W, value: &T) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::with_formatter(writer, Format1Formatter);
    value.serialize(&mut ser)
}

/// Compact JSON bytes in format 1's number notation ([`Format1Formatter`]): for content
/// hashes fixed before RFC 8785 (task uuids), so they do not move with serde_json.
pub fn to_vec_format1<T: ?Sized + serde::Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    to_writer_format1(&mut out, value)?;
    Ok(out)
}

fn write_str(s: &str, out: &mut String) {
    // serde_json's escaping of a string, written in place.
    let mut buf = Vec::with_capacity(s.len() + 2);
    serde_json::to_writer(&mut buf, s).expect("a string serializes");
    out.push_str(std::str::from_utf8(&buf).expect("serde_json writes UTF-8"));
}

#[cfg(test)]
mod tests {

    #[test]
    fn format1_numbers_are_ryu_whatever_serde_json_writes() {
        let v: Value = serde_json::from_str(r#"[1e21,2.0,1e-6,-0.0,123456789012345680000.0,3,0.1]"#).unwrap();
        let text = String::from_utf8(to_vec_format1(&v).unwrap()).unwrap();
        assert_eq!(text, r#"[1e21,2.0,1e-6,-0.0,1.2345678901234568e20,3,0.1]"#);
    }

    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let v: Value = serde_json::from_str(r#"{ "b": [1, 2.5, {"z":null,"a":true}], "a": "x\u00e9\n" }"#).unwrap();
        assert_eq!(to_string(&v), r#"{"a":"xé\n","b":[1,2.5,{"a":true,"z":null}]}"#);
        assert_eq!(to_string(&json!({"\u{e9}":1,"z":2})), r#"{"z":2,"é":1}"#);
        let v: Value = serde_json::from_str(r#"[2.0, -0.0, 1.5, 1e300, 3]"#).unwrap();
        assert_eq!(to_string(&v), "[2,0,1.5,1e+300,3]");
    }

    #[test]
    // The RFC's literal, whose value is exactly representable.
    #[allow(clippy::excessive_precision)]
    fn numbers_follow_ecmascript() {
        // Examples from RFC 8785 Appendix B and ECMA-262.
        let cases: [(f64, &str); 17] = [
            (160778653792.765625, "160778653792.76562"),
            (0.0, "0"),
            (-0.0, "0"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (-1e-6, "-0.000001"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (9007199254740992.0, "9007199254740992"),
            (4.5, "4.5"),
            (0.002, "0.002"),
            (1e23, "1e+23"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (333333333.3333333, "333333333.3333333"),
            (-1.5e-10, "-1.5e-10"),
        ];
        for (f, text) in cases {
            assert_eq!(es_number(f), text, "{f:e}");
            assert_eq!(es_number(f).parse::<f64>().unwrap(), f);
        }
        let v: Value = serde_json::from_str("[1e-6, 2.5e-7, 1e21, 12345678.9]").unwrap();
        assert_eq!(to_string(&v), "[0.000001,2.5e-7,1e+21,12345678.9]");
        let mut out = Vec::new();
        to_writer_rfc8785(&mut out, &v).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), to_string(&v));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z0-9 é\"\\\\]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_form_is_stable_and_lossless(v in arb_json()) {
            let c = to_string(&v);
            let back: Value = serde_json::from_str(&c).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(to_string(&back), c);
        }

        #[test]
        fn es_numbers_round_trip(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let text = es_number(f);
            prop_assert_eq!(text.parse::<f64>().unwrap(), f);
            let v: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(to_string(&v), text);
        }
    }
}
