//! Derivation: from a trace's calls to a question whose answer is a value the calls
//! returned, phrased along the value's dependency path back to the seed, round by
//! round (each round extends or composes the previous one).
//!
//! Everything here depends only on the evidence (and so on the trace id): deriving
//! twice gives the same tasks.

use crate::evidence::{leaves, EvidenceCall, Leaf, ToolInfo};
use crate::graph::{canonical_form, FlowGraph};
use crate::task::{answer_text, AnswerPath, Binding, Evidence, EvidenceRef, Round, ToolGraph};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What derivation starts from.
pub struct DeriveInput<'a> {
    pub trace_id: &'a str,
    pub seed: &'a Value,
    pub seed_type: &'a str,
    pub tools: &'a BTreeMap<String, ToolInfo>,
    pub calls: &'a [EvidenceCall],
    /// The call indices of each round, in order.
    pub rounds: &'a [Vec<usize>],
}

/// The result of deriving a task from one trace.
pub struct Derived {
    pub rounds: Vec<Round>,
    pub evidence: Evidence,
    pub tool_graph: ToolGraph,
}

/// A possible answer.
#[derive(Clone)]
struct Candidate {
    answer: AnswerPath,
    value: Value,
    score: i64,
    composition: &'static str,
    tie: [u8; 8],
}

const LEAF_CAP: usize = 400;

fn tie(trace: &str, round: usize, key: &str) -> [u8; 8] {
    let h = blake3::hash(format!("{trace}\n{round}\n{key}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    b
}

fn arg_scalars(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => m.values().for_each(|c| arg_scalars(c, out)),
        Value::Array(a) => a.iter().for_each(|c| arg_scalars(c, out)),
        Value::Null => {}
        other => out.push(other.clone()),
    }
}

/// A value that can stand as an answer (short, not an echo of an input).
fn answerable(leaf: &Leaf, echoes: &[Value], seed: &Value) -> bool {
    if echoes.contains(&leaf.value) || &leaf.value == seed {
        return false;
    }
    match &leaf.value {
        Value::String(s) => {
            let n = s.chars().count();
            (1..=120).contains(&n) && !s.contains('\n') && !s.trim().is_empty()
        }
        Value::Number(_) => true,
        _ => false,
    }
}

fn numeric_kind(v: &Value) -> i64 {
    match v {
        Value::Number(_) => 3,
        Value::String(_) => 2,
        _ => 0,
    }
}

/// Derive the rounds of a task. None when no round yields a question.
pub fn derive(input: &DeriveInput<'_>) -> Option<Derived> {
    let calls = input.calls;
    let mut rounds_out: Vec<Round> = Vec::new();
    let mut seen_so_far: Vec<usize> = Vec::new();
    for (r, round_calls) in input.rounds.iter().enumerate() {
        seen_so_far.extend(round_calls.iter().copied());
        let upto: Vec<EvidenceCall> = calls.iter().filter(|c| seen_so_far.contains(&c.index)).cloned().collect();
        let graph = FlowGraph::build(input.seed, &upto);
        let prev = rounds_out.last();
        let mut cands = candidates(input, r + 1, &upto, round_calls, &graph, prev);
        cands.sort_by(|a, b| b.score.cmp(&a.score).then(a.tie.cmp(&b.tie)));
        for cand in cands.into_iter().take(40) {
            let (question, steps) = phrase(input, &graph, &upto, &cand.answer);
            let truth = answer_text(&cand.value);
            if leaks(&question, &truth) {
                continue;
            }
            rounds_out.push(Round {
                round: r + 1,
                question,
                ground_truth: truth,
                answer_path: cand.answer.clone(),
                composition: cand.composition.to_string(),
                calls: steps,
            });
            break;
        }
    }
    let last = rounds_out.last()?;
    let graph = FlowGraph::build(input.seed, calls);
    let evidence = Evidence {
        trace: input.trace_id.to_string(),
        calls: last.calls.iter().map(|&i| EvidenceRef { index: i, tool: tool_of(calls, i) }).collect(),
    };
    let tool_graph = ToolGraph {
        nodes: calls.iter().map(|c| c.tool.clone()).collect(),
        edges: graph.edges().into_iter().collect(),
        from_seed: calls.iter().filter(|c| graph.parents(c.index).contains(&None)).map(|c| c.index).collect(),
    };
    Some(Derived { rounds: rounds_out, evidence, tool_graph })
}

fn tool_of(calls: &[EvidenceCall], i: usize) -> String {
    calls.iter().find(|c| c.index == i).map(|c| c.tool.clone()).unwrap_or_default()
}

/// Whether the question gives the answer away.
fn leaks(question: &str, truth: &str) -> bool {
    let t = truth.trim().to_lowercase();
    if t.is_empty() {
        return true;
    }
    let q = question.to_lowercase();
    // Whole-token match: "1" must not count as leaked by "table 11".
    let mut from = 0;
    while let Some(pos) = q[from..].find(&t) {
        let start = from + pos;
        let end = start + t.len();
        let before = q[..start].chars().next_back();
        let after = q[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '_');
        if boundary(before) && boundary(after) {
            return true;
        }
        from = start + q[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn candidates(
    input: &DeriveInput<'_>,
    round: usize,
    upto: &[EvidenceCall],
    round_calls: &[usize],
    graph: &FlowGraph,
    prev: Option<&Round>,
) -> Vec<Candidate> {
    let prev_calls: BTreeSet<usize> = prev.map(|p| p.calls.iter().copied().collect()).unwrap_or_default();
    let prev_depth = prev.map(|p| p.calls.len()).unwrap_or(0);
    let mut out = Vec::new();
    let mut numeric_by_key: BTreeMap<String, Vec<(usize, String, Value, usize)>> = BTreeMap::new();
    for call in upto.iter().filter(|c| round_calls.contains(&c.index)) {
        let Some(result) = &call.result else { continue };
        let info = input.tools.get(&call.tool);
        let mut echoes = Vec::new();
        arg_scalars(&call.args, &mut echoes);
        let ancestors = graph.ancestors(call.index);
        let depth = ancestors.len() + 1;
        // A question walks back to the seed: a value the seed does not lead to is no answer.
        if !graph.reaches_seed(call.index) {
            continue;
        }
        let parents = graph.parents(call.index).into_iter().flatten().count();
        let extends = round > 1 && (ancestors.iter().any(|a| prev_calls.contains(a)) || depth > prev_depth);
        let base = (depth as i64) * 10 + if parents >= 2 { 6 } else { 0 } + if extends { 25 } else { 0 };
        let composition = if parents >= 2 {
            "join"
        } else if extends {
            "extend"
        } else {
            "chain"
        };
        for leaf in leaves(result, info.and_then(|t| t.output_schema.as_ref()), LEAF_CAP) {
            match &leaf.value {
                Value::Array(items) => {
                    if (2..=200).contains(&items.len()) && !leaf.path.is_empty() {
                        let key = format!("count {} {}", call.index, leaf.path);
                        out.push(Candidate {
                            answer: AnswerPath::Count { call: call.index, path: leaf.path.clone() },
                            value: Value::from(items.len()),
                            score: base + 2,
                            composition: "count",
                            tie: tie(input.trace_id, round, &key),
                        });
                    }
                }
                _ if answerable(&leaf, &echoes, input.seed) => {
                    let typed = if leaf.sem_type != crate::types::normalize_name(&leaf.key) { 2 } else { 0 };
                    let shallow = leaf.path.matches('/').count() as i64;
                    let documented = if leaf.description.is_some() { 2 } else { 0 };
                    let generic = if crate::types::is_generic(&crate::types::normalize_name(&leaf.key)) { 12 } else { 0 };
                    let long = matches!(&leaf.value, Value::String(s) if s.chars().count() > 40) as i64 * 6;
                    let key = format!("value {} {}", call.index, leaf.path);
                    if leaf.value.is_number() {
                        numeric_by_key.entry(leaf.key.clone()).or_default().push((call.index, leaf.path.clone(), leaf.value.clone(), depth));
                    }
                    out.push(Candidate {
                        answer: AnswerPath::Value { call: call.index, path: leaf.path.clone() },
                        value: leaf.value.clone(),
                        score: base + numeric_kind(&leaf.value) + typed + documented - generic - long - shallow.min(4),
                        composition,
                        tie: tie(input.trace_id, round, &key),
                    });
                }
                _ => {}
            }
        }
    }
    // Comparisons: the same numeric field in two different calls of this round.
    if round > 1 {
        for (key, vals) in &numeric_by_key {
            // Comparing `length`s or `count`s says little; compare entity figures.
            if crate::types::is_generic(&crate::types::normalize_name(key)) {
                continue;
            }
            let mut by_call: BTreeMap<usize, (String, Value, usize)> = BTreeMap::new();
            for (c, p, v, d) in vals {
                by_call.entry(*c).or_insert((p.clone(), v.clone(), *d));
            }
            if by_call.len() < 2 {
                continue;
            }
            let pair: Vec<(usize, (String, Value, usize))> = by_call.into_iter().take(2).collect();
            let (a, b) = (&pair[0], &pair[1]);
            let (x, y) = (a.1 .1.as_f64().unwrap_or(0.0), b.1 .1.as_f64().unwrap_or(0.0));
            if x == y {
                continue;
            }
            let of = vec![Binding { call: a.0, path: a.1 .0.clone() }, Binding { call: b.0, path: b.1 .0.clone() }];
            let (answer, value) = if tie(input.trace_id, round, key)[0] % 2 == 0 {
                (AnswerPath::Max { of }, if x > y { a.1 .1.clone() } else { b.1 .1.clone() })
            } else {
                (AnswerPath::Min { of }, if x < y { a.1 .1.clone() } else { b.1 .1.clone() })
            };
            out.push(Candidate {
                answer,
                value,
                score: ((a.1 .2 + b.1 .2) as i64) * 10 + 28,
                composition: "compare",
                tie: tie(input.trace_id, round, &format!("cmp {key}")),
            });
        }
    }
    out
}

/// The first clause of a tool description, as an instruction.
fn action(tool: Option<&ToolInfo>, name: &str) -> String {
    let Some(t) = tool else { return format!("run {name}") };
    let d = t.description.trim();
    let mut end = d.find(". ").unwrap_or(d.len());
    for cut in [" as Biopython", " (as ", ", as ", " (Biopython", " — ", "; "] {
        if let Some(p) = d[..end].find(cut) {
            end = end.min(p);
        }
    }
    let s = d[..end].trim().trim_end_matches(['.', ',', ';', ':']).trim();
    if s.is_empty() {
        format!("run {name}")
    } else {
        lower_first(s)
    }
}

/// Lower-case the first letter unless the word is an acronym ("GC content" stays).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), c.clone().next()) {
        (Some(f), Some(second)) if !second.is_uppercase() => f.to_lowercase().collect::<String>() + c.as_str(),
        _ => s.to_string(),
    }
}

/// "`id` of entry 1 of `hits`" for "/hits/0/id".
fn describe_path(path: &str) -> String {
    let tokens: Vec<String> = path.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut i = tokens.len();
    while i > 0 {
        i -= 1;
        let t = &tokens[i];
        if let Ok(n) = t.parse::<usize>() {
            let list = if i > 0 { format!("`{}`", tokens[i - 1]) } else { "the list".into() };
            parts.push(format!("entry {} of {list}", n + 1));
            if i > 0 {
                i -= 1;
            }
        } else {
            parts.push(format!("`{t}`"));
        }
    }
    if parts.is_empty() {
        "the result".into()
    } else {
        parts.join(" of ")
    }
}

fn render_constant(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 80 => format!("\"{}…\"", s.chars().take(77).collect::<String>()),
        Value::String(s) => format!("\"{s}\""),
        other => {
            let t = other.to_string();
            if t.chars().count() > 80 {
                format!("{}…", t.chars().take(77).collect::<String>())
            } else {
                t
            }
        }
    }
}

/// The question for an answer, and the calls it walks through (in order).
fn phrase(input: &DeriveInput<'_>, graph: &FlowGraph, calls: &[EvidenceCall], answer: &AnswerPath) -> (String, Vec<usize>) {
    let mut needed: BTreeSet<usize> = BTreeSet::new();
    for c in answer.calls() {
        needed.insert(c);
        needed.extend(graph.ancestors(c));
    }
    let steps: Vec<usize> = needed.into_iter().collect();
    let step_no = |i: usize| steps.iter().position(|s| *s == i).map(|p| p + 1).unwrap_or(0);
    let seed_text = match input.seed {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut q = format!("Start from the {} \"{}\".", input.seed_type.replace('_', " "), seed_text);
    for &i in &steps {
        let Some(call) = calls.iter().find(|c| c.index == i) else { continue };
        let tool = input.tools.get(&call.tool);
        let mut inputs = Vec::new();
        if let Value::Object(args) = &call.args {
            for (k, v) in args {
                let flows: Vec<_> = graph.flows.iter().filter(|f| f.to == i && f.arg_path.split('/').nth(1) == Some(k.as_str())).collect();
                if let Some(f) = flows.first() {
                    match f.from {
                        None => inputs.push(format!("the starting {} as `{k}`", input.seed_type.replace('_', " "))),
                        Some(p) => inputs.push(format!("{} from step {} as `{k}`", describe_path(&f.from_path), step_no(p))),
                    }
                } else {
                    inputs.push(format!("`{k}` = {}", render_constant(v)));
                }
            }
        }
        let with = if inputs.is_empty() { String::new() } else { format!(", using {}", inputs.join(", ")) };
        q.push_str(&format!(" Step {}: {}{}.", step_no(i), action(tool, &call.tool), with));
    }
    let ask = match answer {
        AnswerPath::Value { call, path } => {
            // Name the field by what its schema says it is, when it says.
            let about = calls
                .iter()
                .find(|c| c.index == *call)
                .and_then(|c| Some((c.result.as_ref()?, input.tools.get(&c.tool)?.output_schema.as_ref())))
                .and_then(|(r, schema)| leaves(r, schema, LEAF_CAP).into_iter().find(|l| l.path == *path)?.description)
                .map(|d| d.trim().trim_end_matches('.').to_string())
                .filter(|d| !d.is_empty() && d.len() <= 120 && !d.contains('\n'));
            match about {
                Some(d) => format!(" What is {} — {} — in the result of step {}?", describe_path(path), lower_first(&d), step_no(*call)),
                None => format!(" What is {} in the result of step {}?", describe_path(path), step_no(*call)),
            }
        }
        AnswerPath::Count { call, path } => format!(" How many entries does {} have in the result of step {}?", describe_path(path), step_no(*call)),
        AnswerPath::Max { of } | AnswerPath::Min { of } => {
            let which = if matches!(answer, AnswerPath::Max { .. }) { "larger" } else { "smaller" };
            let refs: Vec<String> = of.iter().map(|b| format!("{} from step {}", describe_path(&b.path), step_no(b.call))).collect();
            format!(" Which is {}: {}? Give that value.", which, refs.join(" or "))
        }
    };
    q.push_str(&ask);
    (q, steps)
}

/// The canonical form of a task's data-flow graph, labelled by tool name.
pub fn graph_form(g: &ToolGraph) -> Result<String, crate::graph::GraphError> {
    canonical_form(&g.nodes, &g.edges.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tools() -> BTreeMap<String, ToolInfo> {
        let mk = |name: &str, desc: &str, out: Value| ToolInfo {
            name: name.into(),
            domain: "biological".into(),
            description: desc.into(),
            input_schema: json!({"type": "object"}),
            output_schema: Some(out),
            retrieval: false,
        };
        BTreeMap::from([
            ("translate".into(), mk("translate", "Translate a DNA sequence into a protein, as Biopython does.", json!({"properties": {"protein": {"x-dive-type": "protein_sequence"}}}))),
            ("weight".into(), mk("weight", "Molecular weight of a protein in daltons. More text.", json!({"properties": {"molecular_weight": {"description": "Average weight."}}}))),
        ])
    }

    #[test]
    fn questions_walk_back_to_the_seed_and_never_contain_the_answer() {
        let seed = json!("ATGAAACCCTAA");
        let calls = vec![
            EvidenceCall { index: 0, tool: "translate".into(), args: json!({"sequence": "ATGAAACCCTAA", "table": 1}), result: Some(json!({"protein": "MKP*", "table": 1})) },
            EvidenceCall { index: 1, tool: "weight".into(), args: json!({"sequence": "MKP*"}), result: Some(json!({"molecular_weight": 358.4305, "length": 3})) },
        ];
        let t = tools();
        let rounds = vec![vec![0], vec![1]];
        let d = derive(&DeriveInput { trace_id: "t", seed: &seed, seed_type: "dna_sequence", tools: &t, calls: &calls, rounds: &rounds }).unwrap();
        assert_eq!(d.rounds.len(), 2);
        let last = d.rounds.last().unwrap();
        assert_eq!(last.answer_path, AnswerPath::Value { call: 1, path: "/molecular_weight".into() });
        assert_eq!(last.ground_truth, "358.4305");
        assert_eq!(last.calls, vec![0, 1]);
        assert!(last.question.contains("ATGAAACCCTAA"));
        assert!(last.question.contains("`protein` from step 1"));
        assert!(last.question.contains("translate a DNA sequence into a protein"));
        assert!(!last.question.contains("358.43"));
        assert!(last.question.contains("`molecular_weight` — average weight —"), "{}", last.question);
        assert_eq!(d.rounds[0].calls, vec![0]);
        assert_eq!(last.answer_path.evaluate(&calls).unwrap(), json!(358.4305));
        assert_eq!(d.tool_graph.edges, vec![(0, 1)]);
        assert_eq!(d.tool_graph.from_seed, vec![0]);
    }

    #[test]
    fn leaks_are_whole_tokens() {
        assert!(leaks("the weight is 358.4 daltons", "358.4"));
        assert!(!leaks("use table 11", "1"));
        assert!(!leaks("weight 358.43", "358.4"));
        assert!(leaks("protein MKP", "mkp"));
    }

    #[test]
    fn paths_read_as_text() {
        assert_eq!(describe_path("/hits/0/id"), "`id` of entry 1 of `hits`");
        assert_eq!(describe_path("/protein"), "`protein`");
        assert_eq!(describe_path(""), "the result");
    }
}
