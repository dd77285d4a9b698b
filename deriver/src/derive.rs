//! Derivation: from a trace's calls to a question whose answer is a value the calls
//! returned, phrased along the value's dependency path back to the seed, round by
//! round (each round extends or composes the previous one).
//!
//! Everything here depends only on the evidence (and so on the trace id): deriving
//! twice gives the same tasks.

use crate::evidence::{leaves, EvidenceCall, Leaf, ToolInfo};
use crate::graph::{canonical_form, FlowGraph};
use crate::question::{Composer, Style};
use crate::task::{answer_text, AnswerPath, Binding, Evidence, EvidenceRef, Round, ToolGraph};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What derivation starts from.
pub struct DeriveInput<'a> {
    /// What breaks ties between equally scored questions: the trace's
    /// [`evidence_key`](dive_runtime::trace::TraceDoc::evidence_key) (its id without
    /// response headers), so the same answers give the same task, whatever `date` or
    /// request-id headers came with them. Also the evidence's trace until the caller
    /// sets the recorded trace's id.
    pub evidence_key: &'a str,
    pub seed: &'a Value,
    pub seed_type: &'a str,
    pub tools: &'a BTreeMap<String, ToolInfo>,
    pub calls: &'a [EvidenceCall],
    /// The call indices of each round, in order.
    pub rounds: &'a [Vec<usize>],
    /// The task's sampled exemplar questions: they steer the questions' surface form.
    pub exemplars: &'a [String],
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

/// Result fields that restate the call's own inputs (a location built from the given
/// start and end, the enzyme or table asked for) or describe the service's envelope
/// (a message version, a status): never answers.
const RESTATES_INPUT: &[&str] = &["location", "operator", "operation", "pattern", "genetic_code", "window", "strand", "alphabet", "table", "table_id", "table_name", "enzyme", "sequence_type", "weight_type", "method", "dist", "input", "query", "format", "message_version", "message_type", "status", "request_id", "api_name", "fields"];

/// What an answer must not be for one call: its inputs and its ancestors' inputs (an
/// echo), the seed or a piece of it, a field or enum name of the tool's schemas.
struct AnswerRules {
    echoes: Vec<Value>,
    /// Seed and constant texts, upper-cased: an answer inside them is given by the question.
    texts: Vec<String>,
    /// Property names and enum values of the tool's schemas, lower-cased.
    names: BTreeSet<String>,
    /// The tool's relation phrase (it marks fields that restate the inputs).
    relation: Option<&'static crate::phrases::Relation>,
}

impl AnswerRules {
    fn new(input: &DeriveInput<'_>, upto: &[EvidenceCall], call: &EvidenceCall, ancestors: &BTreeSet<usize>) -> AnswerRules {
        let mut echoes = Vec::new();
        for c in upto.iter().filter(|c| c.index == call.index || ancestors.contains(&c.index)) {
            arg_scalars(&c.args, &mut echoes);
        }
        let mut texts: Vec<String> = echoes.iter().filter_map(Value::as_str).map(str::to_uppercase).collect();
        if let Value::String(s) = input.seed {
            texts.push(s.to_uppercase());
        }
        let mut names = BTreeSet::new();
        if let Some(t) = input.tools.get(&call.tool) {
            schema_names(&t.input_schema, &mut names);
            if let Some(o) = &t.output_schema {
                schema_names(o, &mut names);
            }
        }
        AnswerRules { echoes, texts, names, relation: crate::phrases::relation(&call.tool) }
    }

    /// A value that can stand as an answer: short, not an echo, not a single character,
    /// not a piece of the seed or of a constant, not a field or enum name.
    fn allows(&self, leaf: &Leaf, seed: &Value) -> bool {
        if self.echoes.contains(&leaf.value) || &leaf.value == seed || self.restates(&leaf.key) {
            return false;
        }
        match &leaf.value {
            Value::String(s) => {
                let t = s.trim();
                let n = t.chars().count();
                (2..=120).contains(&n)
                    && !s.contains('\n')
                    && !self.names.contains(&t.to_lowercase())
                    && !self.texts.iter().any(|x| x.contains(&t.to_uppercase()))
            }
            Value::Number(_) => true,
            _ => false,
        }
    }
}

impl AnswerRules {
    /// Whether a field only restates the call's inputs (by name, or as the table says).
    fn restates(&self, key: &str) -> bool {
        RESTATES_INPUT.contains(&crate::types::normalize_name(key).as_str()) || self.relation.is_some_and(|r| r.restates(key))
    }
}

/// Whether `call` depends on the seed through values calls computed, not through values a
/// call only repeated from its own arguments (an enzyme name echoed back by a search).
fn computed_from_seed(graph: &FlowGraph, calls: &[EvidenceCall], call: usize) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![call];
    while let Some(c) = stack.pop() {
        for f in graph.flows.iter().filter(|f| f.to == c) {
            match f.from {
                None => return true,
                Some(p) if !repeats_argument(calls, p, &f.from_path) && seen.insert(p) => stack.push(p),
                Some(_) => {}
            }
        }
    }
    false
}

/// Whether the value at `path` of call `p`'s result is one of that call's own arguments.
fn repeats_argument(calls: &[EvidenceCall], p: usize, path: &str) -> bool {
    let Some(call) = calls.iter().find(|c| c.index == p) else { return false };
    let Some(v) = call.result.as_ref().and_then(|r| r.pointer(path)) else { return false };
    let mut args = Vec::new();
    arg_scalars(&call.args, &mut args);
    args.contains(v)
}

/// Every property name and enum value in a schema (lower-cased).
fn schema_names(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                out.extend(props.keys().map(|k| k.to_lowercase()));
            }
            if let Some(Value::Array(e)) = m.get("enum") {
                out.extend(e.iter().filter_map(Value::as_str).map(str::to_lowercase));
            }
            m.values().for_each(|v| schema_names(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| schema_names(v, out)),
        _ => {}
    }
}

/// Lists whose length is fixed by their format (a date as [year, month, day], a point as
/// [x, y, z]): counting them asks nothing.
const FIXED_SHAPE_LISTS: &[&str] = &["date_parts", "coordinates", "translation", "rotation", "v1", "v2", "v3", "v4", "fields"];

/// Most calls an answer's path may hold (each is a relation phrase in the question).
const MAX_PATH_CALLS: usize = 4;

/// Score for each distinct tool beyond the first on the answer's path: answers that need
/// several tools are what a solver should learn to reach.
const DISTINCT_TOOL_BONUS: i64 = 14;
/// At most this many extra tools count (deeper paths already score by depth).
const DISTINCT_TOOL_CAP: i64 = 3;

/// Longest question, in words, taken while a shorter one is among the candidates: a
/// question composed along a path whose calls each take several flowing values (dates
/// feeding dates, as in the financial domain) can run to hundreds of words, which no
/// solver or trainer reads. A round whose candidates are all longer adds no question
/// (the task keeps its earlier round's); a first round takes its shortest.
const MAX_QUESTION_WORDS: usize = 45;

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
        // The best-scored question within the word budget, else the shortest.
        let mut shortest: Option<(usize, Round)> = None;
        for cand in cands.into_iter().take(40) {
            let (question, steps) = phrase(input, &graph, &upto, &cand.answer);
            let truth = answer_text(&cand.value);
            if leaks(&question, &truth) {
                continue;
            }
            let words = question.split_whitespace().count();
            let round = Round {
                round: r + 1,
                question,
                ground_truth: truth,
                answer_path: cand.answer.clone(),
                composition: cand.composition.to_string(),
                calls: steps,
            };
            if words <= MAX_QUESTION_WORDS {
                shortest = Some((words, round));
                break;
            }
            if shortest.as_ref().is_none_or(|(w, _)| words < *w) {
                shortest = Some((words, round));
            }
        }
        match shortest {
            Some((words, round)) if words <= MAX_QUESTION_WORDS || rounds_out.is_empty() => rounds_out.push(round),
            // Every question of this round is over the budget: the task keeps the last
            // round that had one within it.
            _ => {}
        }
    }
    let last = rounds_out.last()?;
    let graph = FlowGraph::build(input.seed, calls);
    let evidence = Evidence {
        trace: input.evidence_key.to_string(),
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
    let mut out = Vec::new();
    let mut numeric: BTreeMap<String, Vec<NumericLeaf>> = BTreeMap::new();
    for call in upto.iter().filter(|c| round_calls.contains(&c.index)) {
        let Some(result) = &call.result else { continue };
        let Some(path) = PathScore::of(round, upto, call, graph, prev) else { continue };
        let rules = AnswerRules::new(input, upto, call, &path.ancestors);
        let schema = input.tools.get(&call.tool).and_then(|t| t.output_schema.as_ref());
        for leaf in leaves(result, schema, LEAF_CAP) {
            match &leaf.value {
                Value::Array(items) => out.extend(list_candidates(input, round, upto, call, &rules, &leaf, items, &path)),
                _ if rules.allows(&leaf, input.seed) => {
                    if leaf.value.is_number() {
                        let found = NumericLeaf { call: call.index, path: leaf.path.clone(), value: leaf.value.clone(), depth: path.depth };
                        numeric.entry(leaf.key.clone()).or_default().push(found);
                    }
                    out.extend(value_candidates(input, round, call, &leaf, &path));
                }
                _ => {}
            }
        }
    }
    if round > 1 {
        out.extend(comparison_candidates(input, round, &numeric));
    }
    out
}

/// How candidate answers are ranked (higher first; ties broken by the trace). Each
/// weight rewards what makes a question worth training on — more tools to reach the
/// answer, a value that means something — or penalises what makes it trivial.
mod weight {
    /// Per call on the answer's path: a deeper answer takes more steps to reach.
    pub const PER_CALL: i64 = 10;
    /// The answer's call joins two branches of the evidence (it has two parents).
    pub const JOIN: i64 = 6;
    /// After round 1: the answer builds on the previous round's calls, or goes deeper
    /// than it (a round must extend the task, not restart it).
    pub const EXTENDS: i64 = 25;
    /// A set-membership (yes/no) question on a list.
    pub const MEMBERSHIP: i64 = 3;
    /// The length of a list.
    pub const COUNT: i64 = 2;
    /// A numeric answer asked as yes/no against a threshold, over the value itself.
    pub const THRESHOLD: i64 = 1;
    /// The value has a semantic type beyond its key's name (an id, a date, a sequence).
    pub const TYPED: i64 = 2;
    /// The output schema describes the field.
    pub const DOCUMENTED: i64 = 2;
    /// Penalty: a generic field (`length`, `count`, `status`) says little.
    pub const GENERIC: i64 = 12;
    /// Penalty: text over 40 characters is hard to match as an answer.
    pub const LONG_TEXT: i64 = 6;
    /// Penalty per level of nesting of the field, up to [`MAX_NESTING`].
    pub const PER_NESTING: i64 = 1;
    /// Nesting counted at most this deep.
    pub const MAX_NESTING: i64 = 4;
    /// A comparison of two calls' values, over their paths' depth.
    pub const COMPARISON: i64 = 28;
}

/// A numeric field found in a round, for comparisons across calls.
struct NumericLeaf {
    call: usize,
    path: String,
    value: Value,
    depth: usize,
}

/// What an answer's path through the evidence is worth, before the answer itself.
struct PathScore {
    /// The call's ancestors in the evidence (worked out once, for the answer rules too).
    ancestors: BTreeSet<usize>,
    /// Calls on the path (the call and its ancestors).
    depth: usize,
    /// The path's score ([`weight`]).
    base: i64,
    /// How the path composes its calls: `chain`, `join` or `extend`.
    composition: &'static str,
}

impl PathScore {
    /// The path to `call`'s results, or None when no question may end there: too many
    /// calls to read as one question, or a value the seed does not lead to.
    fn of(round: usize, upto: &[EvidenceCall], call: &EvidenceCall, graph: &FlowGraph, prev: Option<&Round>) -> Option<PathScore> {
        let ancestors = graph.ancestors(call.index);
        let depth = ancestors.len() + 1;
        // A question names every call on its path: past a few, it stops being readable.
        if depth > MAX_PATH_CALLS {
            return None;
        }
        // A question walks back to the seed: a value the seed does not lead to is no answer
        // (a value a call merely repeated from its arguments leads nowhere).
        if !graph.reaches_seed(call.index) || !computed_from_seed(graph, upto, call.index) {
            return None;
        }
        let distinct_tools = upto.iter().filter(|c| c.index == call.index || ancestors.contains(&c.index)).map(|c| c.tool.as_str()).collect::<BTreeSet<_>>().len() as i64;
        let several = DISTINCT_TOOL_BONUS * (distinct_tools - 1).clamp(0, DISTINCT_TOOL_CAP);
        let joins = graph.parents(call.index).into_iter().flatten().count() >= 2;
        let prev_calls: BTreeSet<usize> = prev.map(|p| p.calls.iter().copied().collect()).unwrap_or_default();
        let prev_depth = prev.map(|p| p.calls.len()).unwrap_or(0);
        let extends = round > 1 && (ancestors.iter().any(|a| prev_calls.contains(a)) || depth > prev_depth);
        let base = depth as i64 * weight::PER_CALL + several + if joins { weight::JOIN } else { 0 } + if extends { weight::EXTENDS } else { 0 };
        let composition = if joins {
            "join"
        } else if extends {
            "extend"
        } else {
            "chain"
        };
        Some(PathScore { ancestors, depth, base, composition })
    }
}

/// A list's answers: its length, and for some lists a membership question.
#[allow(clippy::too_many_arguments)]
fn list_candidates(input: &DeriveInput<'_>, round: usize, upto: &[EvidenceCall], call: &EvidenceCall, rules: &AnswerRules, leaf: &Leaf, items: &[Value], path: &PathScore) -> Vec<Candidate> {
    let fixed_shape = FIXED_SHAPE_LISTS.contains(&crate::types::normalize_name(&leaf.key).as_str());
    let echoed = fixed_shape || rules.echoes.contains(&Value::from(items.len())) || rules.restates(&leaf.key) || rules.relation.is_some_and(|r| r.uncountable(&leaf.key));
    if !(2..=200).contains(&items.len()) || leaf.path.is_empty() || echoed {
        return Vec::new();
    }
    let mut out = Vec::new();
    let pick = tie(input.evidence_key, round, &format!("member {} {}", call.index, leaf.path));
    if let Some((item, yes)) = member(items, pick, || same_key_items(upto, &leaf.key)) {
        out.push(Candidate {
            answer: AnswerPath::Contains { call: call.index, path: leaf.path.clone(), item },
            value: Value::from(if yes { "yes" } else { "no" }),
            score: path.base + weight::MEMBERSHIP,
            composition: "membership",
            tie: tie(input.evidence_key, round, &format!("member tie {} {}", call.index, leaf.path)),
        });
    }
    let key = format!("count {} {}", call.index, leaf.path);
    out.push(Candidate {
        answer: AnswerPath::Count { call: call.index, path: leaf.path.clone() },
        value: Value::from(items.len()),
        score: path.base + weight::COUNT,
        composition: "count",
        tie: tie(input.evidence_key, round, &key),
    });
    out
}

/// A scalar's answers: the value, and for about one number in sixteen a yes/no
/// question against a round threshold near it (DIVE's exemplars: ~5% yes/no).
fn value_candidates(input: &DeriveInput<'_>, round: usize, call: &EvidenceCall, leaf: &Leaf, path: &PathScore) -> Vec<Candidate> {
    let key = format!("value {} {}", call.index, leaf.path);
    let score = path.base + numeric_kind(&leaf.value) + value_weight(leaf);
    let pick = tie(input.evidence_key, round, &key);
    let mut out = Vec::new();
    if let Some((than, yes)) = leaf.value.as_f64().filter(|_| pick[3].is_multiple_of(16)).and_then(|v| threshold(v, pick[4])) {
        out.push(Candidate {
            answer: AnswerPath::Exceeds { of: vec![Binding { call: call.index, path: leaf.path.clone() }], than: Some(than) },
            value: Value::from(if yes { "yes" } else { "no" }),
            score: score + weight::THRESHOLD,
            composition: "yes-no",
            tie: tie(input.evidence_key, round, &format!("threshold {key}")),
        });
    }
    out.push(Candidate {
        answer: AnswerPath::Value { call: call.index, path: leaf.path.clone() },
        value: leaf.value.clone(),
        score,
        composition: path.composition,
        tie: pick,
    });
    out
}

/// What a field itself adds to or takes from an answer ([`weight`]).
fn value_weight(leaf: &Leaf) -> i64 {
    let name = crate::types::normalize_name(&leaf.key);
    let typed = if leaf.sem_type != name { weight::TYPED } else { 0 };
    let documented = if leaf.description.is_some() { weight::DOCUMENTED } else { 0 };
    let generic = if crate::types::is_generic(&name) { weight::GENERIC } else { 0 };
    let long = if matches!(&leaf.value, Value::String(s) if s.chars().count() > 40) { weight::LONG_TEXT } else { 0 };
    let nesting = (leaf.path.matches('/').count() as i64).min(weight::MAX_NESTING) * weight::PER_NESTING;
    typed + documented - generic - long - nesting
}

/// Comparisons: the same numeric field in two different calls of this round — which is
/// larger or smaller, or (one in three) a yes/no "is … higher than …?" with the order
/// drawn too, so "yes" and "no" are equally likely.
fn comparison_candidates(input: &DeriveInput<'_>, round: usize, numeric: &BTreeMap<String, Vec<NumericLeaf>>) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (key, found) in numeric {
        // Comparing `length`s or `count`s says little; compare entity figures.
        if crate::types::is_generic(&crate::types::normalize_name(key)) {
            continue;
        }
        let mut by_call: BTreeMap<usize, &NumericLeaf> = BTreeMap::new();
        for leaf in found {
            by_call.entry(leaf.call).or_insert(leaf);
        }
        let pair: Vec<&NumericLeaf> = by_call.into_values().take(2).collect();
        let [a, b] = pair[..] else { continue };
        let (x, y) = (a.value.as_f64().unwrap_or(0.0), b.value.as_f64().unwrap_or(0.0));
        if x == y {
            continue;
        }
        let of = vec![Binding { call: a.call, path: a.path.clone() }, Binding { call: b.call, path: b.path.clone() }];
        let pick = tie(input.evidence_key, round, key);
        let (answer, value, composition) = if pick[1].is_multiple_of(3) {
            let (first, second, first_larger) = if pick[2].is_multiple_of(2) { (&of[0], &of[1], x > y) } else { (&of[1], &of[0], y > x) };
            let yes_no = Value::from(if first_larger { "yes" } else { "no" });
            (AnswerPath::Exceeds { of: vec![first.clone(), second.clone()], than: None }, yes_no, "yes-no")
        } else if pick[0].is_multiple_of(2) {
            (AnswerPath::Max { of }, if x > y { a.value.clone() } else { b.value.clone() }, "compare")
        } else {
            (AnswerPath::Min { of }, if x < y { a.value.clone() } else { b.value.clone() }, "compare")
        };
        out.push(Candidate {
            answer,
            value,
            score: (a.depth + b.depth) as i64 * weight::PER_CALL + weight::COMPARISON,
            composition,
            tie: tie(input.evidence_key, round, &format!("cmp {key}")),
        });
    }
    out
}

/// For about one list in eight, a set-membership question, as `pick` says: "yes" with
/// an item of the list, or "no" with an item the list lacks.
/// - Whole numbers (positions, lengths): the "no" item is next to one of the list's.
/// - Short names (authors, enzymes, codons, drug classes): the "no" item is a name of
///   the same field elsewhere in the evidence (`elsewhere`), so it is as plausible as
///   the list's own; with none, no question.
///
/// None for other lists.
fn member(items: &[Value], pick: [u8; 8], elsewhere: impl FnOnce() -> Vec<Value>) -> Option<(Value, bool)> {
    if !pick[5].is_multiple_of(8) {
        return None;
    }
    let k = usize::from(pick[6]) % items.len();
    let yes = pick[7].is_multiple_of(2);
    if let Some(whole) = items.iter().map(|v| v.as_i64()).collect::<Option<Vec<i64>>>() {
        if yes {
            return Some((Value::from(whole[k]), true));
        }
        let lowest = whole.iter().min().copied().unwrap_or(0);
        return [1, 2, -1, -2, 3]
            .iter()
            .map(|d| whole[k] + d)
            .find(|x| !whole.contains(x) && (lowest < 0 || *x >= 0))
            .map(|x| (Value::from(x), false));
    }
    if !items.iter().all(is_short_name) {
        return None;
    }
    if yes {
        return Some((items[k].clone(), true));
    }
    let outside: Vec<Value> = elsewhere().into_iter().filter(|v| is_short_name(v) && !items.contains(v)).collect();
    (!outside.is_empty()).then(|| (outside[k % outside.len()].clone(), false))
}

/// A name worth asking about: 2 to 60 characters of one line; not a number, an
/// identifier from code (a field name is never asked about) or a stretch of sequence
/// (a fragment is no name).
fn is_short_name(v: &Value) -> bool {
    let sequence_like = |s: &str| s.len() > 8 && s.chars().all(|c| "ACGTUNacgtun".contains(c));
    v.as_str().is_some_and(|s| {
        (2..=60).contains(&s.chars().count())
            && !s.contains('\n')
            && s.trim().parse::<f64>().is_err()
            && !crate::words::is_identifier_shaped(s)
            && !sequence_like(s)
    })
}

/// Every list item of the field `key` in the evidence so far, in call order, once each.
fn same_key_items(calls: &[EvidenceCall], key: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for call in calls {
        let Some(result) = &call.result else { continue };
        for leaf in leaves(result, None, LEAF_CAP).into_iter().filter(|l| l.key == key) {
            if let Value::Array(items) = leaf.value {
                for item in items {
                    if !out.contains(&item) {
                        out.push(item);
                    }
                }
            }
        }
    }
    out
}

/// A round threshold near `v` for a yes/no question, and whether `v` exceeds it: `v`
/// moved up or down (as `pick` says) by 10–25% and kept to two significant digits, or
/// to a whole number for whole values; never equal to `v`. None for zero or non-finite
/// values, which have no meaningful "near".
fn threshold(v: f64, pick: u8) -> Option<(f64, bool)> {
    if !v.is_finite() || v == 0.0 {
        return None;
    }
    const FACTORS: [f64; 4] = [0.75, 0.9, 1.1, 1.25];
    let moved = v * FACTORS[usize::from(pick % 4)];
    let t = if v.fract() == 0.0 {
        let t = moved.round();
        if t == v { v + if moved > v { 1.0 } else { -1.0 } } else { t }
    } else {
        // Two significant digits through decimal text, so 0.3 is 0.3 and not 0.30000000000000004.
        format!("{moved:.1e}").parse::<f64>().ok()?
    };
    (t != v && t.is_finite()).then_some((t, v > t))
}

/// The question for an answer, and the calls it walks through (in order).
fn phrase(input: &DeriveInput<'_>, graph: &FlowGraph, calls: &[EvidenceCall], answer: &AnswerPath) -> (String, Vec<usize>) {
    let mut needed: BTreeSet<usize> = BTreeSet::new();
    for c in answer.calls() {
        needed.insert(c);
        needed.extend(graph.ancestors(c));
    }
    let composer = Composer { seed: input.seed, seed_type: input.seed_type, tools: input.tools, calls, graph };
    let exemplars: Vec<&str> = input.exemplars.iter().map(String::as_str).collect();
    let style = Style::from_exemplars(&exemplars, salt(input.seed, answer));
    (composer.question(answer, style), needed.into_iter().collect())
}

/// A number fixed by the seed and the answer's binding: it varies the surface form.
fn salt(seed: &Value, answer: &AnswerPath) -> u64 {
    let text = format!("{}\n{}", crate::canonical_text(seed), String::from_utf8(dive_runtime::canonical::to_vec_format1(answer).unwrap_or_default()).unwrap_or_default());
    let h = blake3::hash(text.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// The canonical form of a task's data-flow graph, labelled by tool name.
pub fn graph_form(g: &ToolGraph) -> Result<String, crate::graph::GraphError> {
    canonical_form(&g.nodes, &g.edges.iter().copied().collect())
}

#[cfg(test)]
mod tests {

    #[test]
    fn membership_items_are_in_the_list_for_yes_and_beside_it_for_no() {
        let items: Vec<Value> = [3, 4, 10].iter().map(|&n| Value::from(n)).collect();
        let pick = |k: u8, yes: bool| [0, 0, 0, 0, 0, 0, k, if yes { 0 } else { 1 }];
        let none = Vec::new;
        assert_eq!(member(&items, pick(2, true), none), Some((Value::from(10), true)));
        assert_eq!(member(&items, pick(0, false), none), Some((Value::from(5), false)), "3+1 is in the list, 3+2 is not");
        assert_eq!(member(&items, [0, 0, 0, 0, 0, 1, 0, 0], none), None, "seven lists in eight are not asked");
        assert_eq!(member(&[Value::from(0.5), Value::from(1)], pick(0, true), none), None, "whole numbers or names only");
    }

    #[test]
    fn name_lists_take_their_no_item_from_the_same_field_elsewhere() {
        let names: Vec<Value> = ["Ada Lovelace", "Alan Turing"].iter().map(|&n| Value::from(n)).collect();
        let pick = |k: u8, yes: bool| [0, 0, 0, 0, 0, 0, k, if yes { 0 } else { 1 }];
        let elsewhere = || vec![Value::from("Alan Turing"), Value::from("Grace Hopper")];
        assert_eq!(member(&names, pick(1, true), elsewhere), Some((Value::from("Alan Turing"), true)));
        assert_eq!(member(&names, pick(1, false), elsewhere), Some((Value::from("Grace Hopper"), false)), "never an item of the list");
        assert_eq!(member(&names, pick(0, false), Vec::new), None, "no plausible outsider: no question");
        let long = vec![Value::from("x".repeat(61)), Value::from("ab")];
        assert_eq!(member(&long, pick(1, true), Vec::new), None, "names are short");
        assert_eq!(member(&[Value::from("12"), Value::from("ab")], pick(1, true), Vec::new), None, "numbers in text are not names");
        assert_eq!(member(&[Value::from("ACGTTGCAAG"), Value::from("ab")], pick(1, true), Vec::new), None, "nor fragments");
        assert_eq!(member(&[Value::from("ts_code"), Value::from("ab")], pick(1, true), Vec::new), None, "nor field names");
    }

    #[test]
    fn thresholds_are_round_near_and_never_the_value() {
        for (v, pick, want) in [(6.75, 1u8, (6.1, true)), (6.75, 2, (7.4, false)), (3.0, 1, (2.0, true)), (3.0, 2, (4.0, false)), (0.000123, 0, (0.000092, true)), (-4.0, 3, (-5.0, true))] {
            assert_eq!(threshold(v, pick), Some(want), "{v} {pick}");
        }
        for pick in 0..4 {
            for v in [1.0, 2.0, 7.0, 0.5, 1e-9, 123456.789, -0.25] {
                let (t, yes) = threshold(v, pick).unwrap();
                assert!(t != v && yes == (v > t), "{v} {pick} {t}");
            }
        }
        assert_eq!(threshold(0.0, 1), None);
        assert_eq!(threshold(f64::NAN, 1), None);
    }

    use super::*;
    use serde_json::json;

    fn tools() -> BTreeMap<String, ToolInfo> {
        let mk = |name: &str, input: Value, out: Value| ToolInfo {
            name: name.into(),
            domain: dive_runtime::Domain::Biological,
            description: String::new(),
            input_schema: input,
            output_schema: Some(out),
            retrieval: false,
        };
        let translate_in = json!({"type": "object", "properties": {"sequence": {"type": "string"}, "table": {"type": "integer", "default": 1, "x-dive-type": "codon_table_id"}}});
        let translate_out = json!({"properties": {"protein": {"x-dive-type": "protein_sequence"}, "table_name": {}, "length": {}}});
        let seq_in = json!({"type": "object", "properties": {"sequence": {"type": "string"}}});
        BTreeMap::from([
            ("bio_seq_translate".into(), mk("bio_seq_translate", translate_in, translate_out)),
            ("protparam_molecular_weight".into(), mk("protparam_molecular_weight", seq_in.clone(), json!({"properties": {"molecular_weight": {"description": "Average weight."}, "length": {}}}))),
            ("seqfeature_location".into(), mk("seqfeature_location", json!({"type": "object", "properties": {"sequence": {}, "start": {}, "end": {}}}), json!({"properties": {"extracted": {}, "location": {}}}))),
        ])
    }

    fn run(calls: &[EvidenceCall], rounds: &[Vec<usize>]) -> Derived {
        let seed = json!("ATGAAACCCTAA");
        let t = tools();
        derive(&DeriveInput { evidence_key: "t", seed: &seed, seed_type: "dna_sequence", tools: &t, calls, rounds, exemplars: &[] }).unwrap()
    }

    #[test]
    fn questions_walk_back_to_the_seed_in_words_and_never_contain_the_answer() {
        let calls = vec![
            EvidenceCall { index: 0, tool: "bio_seq_translate".into(), args: json!({"sequence": "ATGAAACCCTAA", "table": 2}), result: Some(json!({"protein": "MKP*", "table_name": "Vertebrate Mitochondrial", "length": 4})) },
            EvidenceCall { index: 1, tool: "protparam_molecular_weight".into(), args: json!({"sequence": "MKP*"}), result: Some(json!({"molecular_weight": 358.4305, "length": 3})) },
        ];
        let d = run(&calls, &[vec![0], vec![1]]);
        assert_eq!(d.rounds.len(), 2);
        let last = d.rounds.last().unwrap();
        assert_eq!(last.answer_path, AnswerPath::Value { call: 1, path: "/molecular_weight".into() });
        assert_eq!(last.ground_truth, "358.4305");
        assert_eq!(last.calls, vec![0, 1]);
        let q = &last.question;
        assert!(q.contains("ATGAAACCCTAA") && q.ends_with('?'), "{q}");
        assert!(q.contains("the molecular weight of the protein encoded by"), "{q}");
        assert!(q.contains("under the vertebrate mitochondrial code"), "{q}");
        for bad in ["`", "step", "molecular_weight", "bio_seq", "protparam", "/"] {
            assert!(!q.contains(bad), "{bad} in {q}");
        }
        assert!(!q.contains("358.43"));
        assert_eq!(d.rounds[0].calls, vec![0]);
        assert_ne!(d.rounds[0].ground_truth, "Vertebrate Mitochondrial", "the code's name is said by the question");
        assert_eq!(last.answer_path.evaluate(&calls).unwrap(), json!(358.4305));
        assert_eq!(d.tool_graph.edges, vec![(0, 1)]);
        assert_eq!(d.tool_graph.from_seed, vec![0]);
    }

    #[test]
    fn pieces_of_the_question_and_single_letters_are_no_answers() {
        // The extracted stretch is a piece of the seed, the location restates the
        // arguments: the only answer left is none.
        let calls = vec![EvidenceCall {
            index: 0,
            tool: "seqfeature_location".into(),
            args: json!({"sequence": "ATGAAACCCTAA", "start": 0, "end": 3}),
            result: Some(json!({"extracted": "ATG", "location": "[0:3]", "letter": "A"})),
        }];
        let seed = json!("ATGAAACCCTAA");
        let t = tools();
        assert!(derive(&DeriveInput { evidence_key: "t", seed: &seed, seed_type: "dna_sequence", tools: &t, calls: &calls, rounds: &[vec![0]], exemplars: &[] }).is_none());
    }

    #[test]
    fn leaks_are_whole_tokens() {
        assert!(leaks("the weight is 358.4 daltons", "358.4"));
        assert!(!leaks("use table 11", "1"));
        assert!(!leaks("weight 358.43", "358.4"));
        assert!(leaks("protein MKP", "mkp"));
    }
}
