//! Canonical JSON (RFC 8785 style): object keys sorted by their UTF-16 code units, no
//! insignificant whitespace, numbers as serde_json writes them (integers exactly,
//! floats in shortest round-trip form). Used for args, records and trace ids.

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

/// Numbers as RFC 8785 writes them where it matters for identity: a float with an
/// integral value in the exactly representable range is written as an integer
/// (`2.0` -> `2`, `-0.0` -> `0`), so equal numbers have equal text.
fn write_number(n: &serde_json::Number, out: &mut String) {
    if n.is_f64() {
        if let Some(f) = n.as_f64() {
            const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
            if f.fract() == 0.0 && f.abs() < SAFE {
                out.push_str(&(f as i64).to_string());
                return;
            }
        }
    }
    out.push_str(&n.to_string());
}

fn write_str(s: &str, out: &mut String) {
    // serde_json's escaping of a string, written in place.
    let mut buf = Vec::with_capacity(s.len() + 2);
    serde_json::to_writer(&mut buf, s).expect("a string serializes");
    out.push_str(std::str::from_utf8(&buf).expect("serde_json writes UTF-8"));
}

#[cfg(test)]
mod tests {
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
    }
}
