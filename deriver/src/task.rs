//! Task records (JSON Lines) and the answer binding every task carries.

use crate::evidence::EvidenceCall;
use dive_runtime::Domain;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How an answer is computed from the evidence: a value at (call, JSON path) of one
/// call's result, the length of an array there, the largest/smallest of several bound
/// values, or whether the first of two bound values exceeds the second ("yes"/"no").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AnswerPath {
    Value { call: usize, path: String },
    Count { call: usize, path: String },
    Max { of: Vec<Binding> },
    Min { of: Vec<Binding> },
    /// "yes" when the list at (call, path) holds `item`, else "no".
    Contains { call: usize, path: String, item: Value },
    /// "yes" when the first bound value exceeds the second, or `than` when it is given.
    Exceeds {
        of: Vec<Binding>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        than: Option<f64>,
    },
}

/// A value of one call's result.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Binding {
    pub call: usize,
    pub path: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError {
    #[error("call {0} is not in the evidence")]
    NoCall(usize),
    #[error("call {0} has no result (it failed)")]
    Failed(usize),
    #[error("call {call}'s result has nothing at {path}")]
    NoValue { call: usize, path: String },
    #[error("the value at call {call} {path} is not {what}")]
    Kind { call: usize, path: String, what: &'static str },
}

fn at<'a>(calls: &'a [EvidenceCall], call: usize, path: &str) -> Result<&'a Value, EvalError> {
    let c = calls.iter().find(|c| c.index == call).ok_or(EvalError::NoCall(call))?;
    let r = c.result.as_ref().ok_or(EvalError::Failed(call))?;
    r.pointer(path).ok_or_else(|| EvalError::NoValue { call, path: path.to_string() })
}

impl AnswerPath {
    /// The answer this binding gives on these calls.
    pub fn evaluate(&self, calls: &[EvidenceCall]) -> Result<Value, EvalError> {
        match self {
            AnswerPath::Value { call, path } => at(calls, *call, path).cloned(),
            AnswerPath::Count { call, path } => match at(calls, *call, path)? {
                Value::Array(a) => Ok(Value::from(a.len())),
                _ => Err(EvalError::Kind { call: *call, path: path.clone(), what: "a list" }),
            },
            AnswerPath::Max { of } | AnswerPath::Min { of } => {
                let mut best: Option<(f64, Value)> = None;
                for b in of {
                    let v = at(calls, b.call, &b.path)?;
                    let x = v.as_f64().ok_or_else(|| EvalError::Kind { call: b.call, path: b.path.clone(), what: "a number" })?;
                    let better = match &best {
                        None => true,
                        Some((y, _)) => matches!(self, AnswerPath::Max { .. }) && x > *y || matches!(self, AnswerPath::Min { .. }) && x < *y,
                    };
                    if better {
                        best = Some((x, v.clone()));
                    }
                }
                best.map(|(_, v)| v).ok_or(EvalError::NoCall(usize::MAX))
            }
            AnswerPath::Contains { call, path, item } => match at(calls, *call, path)? {
                Value::Array(a) => Ok(Value::from(if a.iter().any(|v| same_item(v, item)) { "yes" } else { "no" })),
                _ => Err(EvalError::Kind { call: *call, path: path.clone(), what: "a list" }),
            },
            AnswerPath::Exceeds { of, than } => {
                let number = |b: &Binding| at(calls, b.call, &b.path)?.as_f64().ok_or_else(|| EvalError::Kind { call: b.call, path: b.path.clone(), what: "a number" });
                let (x, y) = match (of.as_slice(), than) {
                    ([a, b], None) => (number(a)?, number(b)?),
                    ([a], Some(t)) => (number(a)?, *t),
                    _ => return Err(EvalError::NoCall(usize::MAX)),
                };
                Ok(Value::from(if x > y { "yes" } else { "no" }))
            }
        }
    }

    /// The calls whose results the answer reads.
    pub fn calls(&self) -> Vec<usize> {
        match self {
            AnswerPath::Value { call, .. } | AnswerPath::Count { call, .. } | AnswerPath::Contains { call, .. } => vec![*call],
            AnswerPath::Max { of } | AnswerPath::Min { of } | AnswerPath::Exceeds { of, .. } => of.iter().map(|b| b.call).collect(),
        }
    }
}

/// Whether two list items are the same: numbers by value (`3` is `3.0`), the rest equal.
fn same_item(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// How an answer is checked against the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verifier {
    /// Byte-equal text.
    Exact,
    /// Equal after case folding, trimming and collapsing whitespace and end punctuation.
    Normalized,
    /// A number within `rel_tol` (relative) or `abs_tol` (absolute) of the truth.
    Numeric { rel_tol: f64, abs_tol: f64 },
    /// The same set of items (order and duplicates ignored; items normalized).
    Set,
}

/// One round of a task's derivation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    pub round: usize,
    pub question: String,
    pub ground_truth: String,
    pub answer_path: AnswerPath,
    /// How the question was built (extend, join, compare, count).
    pub composition: String,
    /// The calls the question walks through, in order.
    pub calls: Vec<usize>,
}

/// Where the evidence is: the trace and the calls the answer depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub trace: String,
    pub calls: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub index: usize,
    pub tool: String,
}

/// The data-flow graph of the whole trace, labelled by tool name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolGraph {
    pub nodes: Vec<String>,
    pub edges: Vec<(usize, usize)>,
    /// Calls that took the seed directly.
    pub from_seed: Vec<usize>,
}

/// How the task was sampled (what `--seed` fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthConfig {
    pub index: u64,
    pub run_seed: u64,
    pub seed_type: String,
    pub exemplars: Vec<usize>,
    pub policy: String,
}

/// A task record (one JSON line). Field names follow DIVE's where DIVE has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub uuid: String,
    pub question: String,
    pub ground_truth: String,
    pub domain: Domain,
    pub seed: String,
    pub tools: Vec<String>,
    pub evidence: Evidence,
    pub derivation_history: Vec<Round>,
    pub rounds_completed: usize,
    pub trace: String,
    pub answer_path: AnswerPath,
    pub verifier: Verifier,
    pub tool_graph: ToolGraph,
    pub config: SynthConfig,
}

impl Task {
    /// The uuid: the content hash of everything else, written as a UUID (version 8,
    /// RFC 9562 "custom"), so equal content gives the equal uuid.
    pub fn content_uuid(&self) -> String {
        let mut t = self.clone();
        t.uuid = String::new();
        let bytes = dive_runtime::canonical::to_vec_format1(&t).expect("a task serializes");
        let h = blake3::hash(&bytes);
        let mut b = [0u8; 16];
        b.copy_from_slice(&h.as_bytes()[..16]);
        b[6] = (b[6] & 0x0f) | 0x80;
        b[8] = (b[8] & 0x3f) | 0x80;
        let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
    }
}

/// A value as the text of a ground truth.
pub fn answer_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(answer_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The verifier that fits a value.
pub fn verifier_for(v: &Value) -> Verifier {
    match v {
        Value::Number(n) if n.is_f64() => Verifier::Numeric { rel_tol: 1e-6, abs_tol: 1e-9 },
        Value::Number(_) => Verifier::Numeric { rel_tol: 0.0, abs_tol: 0.0 },
        Value::Array(_) => Verifier::Set,
        Value::String(s) if s.len() > 40 && !s.contains(' ') => Verifier::Exact,
        Value::Bool(_) => Verifier::Normalized,
        _ => Verifier::Normalized,
    }
}

fn normalize(s: &str) -> String {
    let folded: String = s.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    folded.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '!' | '"' | '\'' | '`')).trim().to_string()
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches('%').replace(',', "");
    t.trim().parse::<f64>().ok()
}

fn set_items(s: &str) -> Vec<String> {
    let t = s.trim();
    let items: Vec<String> = match serde_json::from_str::<Value>(t) {
        Ok(Value::Array(a)) => a.iter().map(answer_text).collect(),
        _ => t.split([',', ';', '\n']).map(str::to_string).collect(),
    };
    let mut v: Vec<String> = items.iter().map(|i| normalize(i)).filter(|i| !i.is_empty()).collect();
    v.sort();
    v.dedup();
    v
}

impl Verifier {
    /// Whether `answer` matches `truth` under this verifier.
    pub fn check(&self, truth: &str, answer: &str) -> bool {
        match self {
            Verifier::Exact => truth == answer,
            Verifier::Normalized => normalize(truth) == normalize(answer),
            Verifier::Numeric { rel_tol, abs_tol } => match (parse_number(truth), parse_number(answer)) {
                (Some(t), Some(a)) => (t - a).abs() <= abs_tol.max(rel_tol * t.abs()),
                _ => false,
            },
            Verifier::Set => set_items(truth) == set_items(answer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verifiers_accept_equivalent_answers_and_reject_others() {
        let n = Verifier::Numeric { rel_tol: 1e-6, abs_tol: 1e-9 };
        assert!(n.check("358.4305", "358.43050001"));
        assert!(n.check("1200", "1,200"));
        assert!(!n.check("358.4305", "358.5"));
        assert!(!n.check("3", "three"));
        let exact_int = Verifier::Numeric { rel_tol: 0.0, abs_tol: 0.0 };
        assert!(exact_int.check("12", " 12 "));
        assert!(!exact_int.check("12", "13"));
        assert!(Verifier::Normalized.check("Aspirin 81 MG", "  aspirin   81 mg."));
        assert!(!Verifier::Normalized.check("aspirin", "ibuprofen"));
        assert!(Verifier::Set.check("a, b, c", "[\"C\", \"b\", \"a\"]"));
        assert!(!Verifier::Set.check("a, b", "a"));
        assert!(Verifier::Exact.check("MKP", "MKP"));
        assert!(!Verifier::Exact.check("MKP", "mkp"));
    }

    #[test]
    fn bindings_evaluate_on_the_evidence() {
        let calls = vec![
            EvidenceCall { index: 0, tool: "a".into(), args: json!({}), result: Some(json!({"w": 2.5, "l": [1, 2, 3]})) },
            EvidenceCall { index: 1, tool: "b".into(), args: json!({}), result: Some(json!({"w": 7})) },
            EvidenceCall { index: 2, tool: "c".into(), args: json!({}), result: None },
        ];
        assert_eq!(AnswerPath::Value { call: 0, path: "/w".into() }.evaluate(&calls), Ok(json!(2.5)));
        assert_eq!(AnswerPath::Count { call: 0, path: "/l".into() }.evaluate(&calls), Ok(json!(3)));
        let of = vec![Binding { call: 0, path: "/w".into() }, Binding { call: 1, path: "/w".into() }];
        assert_eq!(AnswerPath::Max { of: of.clone() }.evaluate(&calls), Ok(json!(7)));
        assert_eq!(AnswerPath::Min { of: of.clone() }.evaluate(&calls), Ok(json!(2.5)));
        assert_eq!(AnswerPath::Exceeds { of: of.clone(), than: None }.evaluate(&calls), Ok(json!("no")), "2.5 does not exceed 7");
        let swapped: Vec<Binding> = of.iter().rev().cloned().collect();
        assert_eq!(AnswerPath::Exceeds { of: swapped, than: None }.evaluate(&calls), Ok(json!("yes")));
        let text = serde_json::to_string(&AnswerPath::Exceeds { of: of.clone(), than: None }).unwrap();
        assert_eq!(text, r#"{"op":"exceeds","of":[{"call":0,"path":"/w"},{"call":1,"path":"/w"}]}"#);
        let above = AnswerPath::Exceeds { of: of[..1].to_vec(), than: Some(2.0) };
        assert_eq!(above.evaluate(&calls), Ok(json!("yes")), "2.5 exceeds 2");
        assert_eq!(serde_json::from_str::<AnswerPath>(&serde_json::to_string(&above).unwrap()).unwrap(), above);
        assert!(AnswerPath::Exceeds { of: of.clone(), than: Some(2.0) }.evaluate(&calls).is_err(), "two values and a threshold is no binding");
        assert_eq!(AnswerPath::Contains { call: 0, path: "/l".into(), item: json!(2.0) }.evaluate(&calls), Ok(json!("yes")));
        assert_eq!(AnswerPath::Contains { call: 0, path: "/l".into(), item: json!(4) }.evaluate(&calls), Ok(json!("no")));
        assert!(AnswerPath::Contains { call: 0, path: "/w".into(), item: json!(4) }.evaluate(&calls).is_err());
        assert_eq!(AnswerPath::Value { call: 2, path: "/w".into() }.evaluate(&calls), Err(EvalError::Failed(2)));
        assert!(AnswerPath::Count { call: 0, path: "/w".into() }.evaluate(&calls).is_err());
    }
}
