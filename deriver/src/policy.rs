//! The built-in evidence policy: no model. It offers every typed value seen so far (the
//! seed first, then values from results) to the parameters that accept that type, and
//! picks the next call preferring tools not yet used, values not yet used and values
//! from the latest calls — giving chains (a result feeds the next call), fan-outs (one
//! value feeds several tools) and fan-ins (two calls' values meet in one call).

use crate::derived;
use crate::evidence::{leaves, Leaf, ToolInfo};
use crate::types;
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A value on offer to later calls.
#[derive(Debug, Clone)]
pub struct Offer {
    pub sem_type: String,
    pub value: Value,
    /// The call whose result held it; None: the seed.
    pub from: Option<usize>,
    pub uses: u32,
}

/// One parameter of a tool, as the policy sees it.
#[derive(Debug, Clone)]
struct Param {
    name: String,
    sem_type: String,
    /// The schema tags the type (`x-dive-type`), rather than the name standing in.
    tagged: bool,
    required: bool,
    schema: Value,
}

/// What the policy knows and has done in one task.
pub struct PolicyState {
    pub offers: Vec<Offer>,
    pub used_tools: BTreeMap<String, u32>,
    /// (tool, canonical args) already called: never repeated.
    pub called: BTreeSet<(String, String)>,
    pub calls_made: usize,
}

/// Flags the policy always turns on, and why: all optimal alignments of two 200-base
/// sequences are a thousand near-copies (megabytes of trace for one score), and the
/// alignment strings are no answers (several alignments are optimal), so an alignment
/// is asked for its score only; a protein ends at its first stop codon, as a cell makes
/// it (and as protein tools accept it). Questions leave them unsaid: "the protein
/// encoded by …" means it.
pub const SETTINGS: &[&str] = &["one_alignment_only", "score_only", "to_stop"];

/// Score of a proposal per parameter filled from a value seen (at most two count).
const FED_BY_OFFER: i64 = 40;
/// Per parameter filled with a derived value (a matrix, an enzyme): below a seen value,
/// so chains from the seed come first, above calling the same tool again.
const FED_BY_DERIVATION: i64 = 20;
/// Per value not used by any call yet: spreads calls over the evidence.
const FRESH_VALUE: i64 = 15;
/// Per value from the latest call: makes chains rather than stars.
const FROM_LATEST: i64 = 10;
/// Per earlier call of the same tool: spreads calls over the toolset.
const REPEATED_TOOL: i64 = 60;
/// A tool that needs no input and could take none of the values on offer (a catalogue,
/// a table) is called now and then, after the chains: it feeds later calls (enzyme
/// names, codes) and reaches every tool.
const NEEDS_NOTHING: i64 = 10;
/// Required parameters all filled by defaults, nothing from the task: a last resort.
const FED_NOTHING: i64 = -80;
/// Random spread added to every score.
const JITTER: i64 = 25;

/// Most values a single result may offer (a large listing must not drown the rest).
const OFFERS_PER_CALL: usize = 60;

impl PolicyState {
    pub fn new(seed: Value, seed_type: &str) -> PolicyState {
        PolicyState {
            offers: vec![Offer { sem_type: seed_type.to_string(), value: seed, from: None, uses: 0 }],
            used_tools: BTreeMap::new(),
            called: BTreeSet::new(),
            calls_made: 0,
        }
    }

    /// Take in a call's result: its typed values become offers.
    pub fn observe(&mut self, call: usize, result: &Value, output_schema: Option<&Value>) {
        let mut added = 0;
        for leaf in leaves(result, output_schema, 2000) {
            if added >= OFFERS_PER_CALL {
                break;
            }
            if leaf.value.is_array() || !types::is_offerable(&leaf.sem_type, &leaf.value) {
                continue;
            }
            let leaf = Leaf { sem_type: types::refine(&leaf.sem_type, &leaf.value), ..leaf };
            if self.offers.iter().any(|o| o.value == leaf.value && o.sem_type == leaf.sem_type) {
                continue;
            }
            self.offers.push(Offer { sem_type: leaf.sem_type, value: leaf.value, from: Some(call), uses: 0 });
            added += 1;
        }
    }
}

fn params(tool: &ToolInfo) -> Vec<Param> {
    let required: BTreeSet<&str> = tool.input_schema.get("required").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(props) = tool.input_schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    props
        .iter()
        .map(|(name, schema)| Param {
            name: name.clone(),
            sem_type: types::type_of(name, Some(schema)),
            tagged: schema.get("x-dive-type").is_some(),
            required: required.contains(name.as_str()),
            schema: schema.clone(),
        })
        .collect()
}

/// Whether a value fits a parameter's schema in the ways that matter here (JSON type,
/// enum, string length, numeric bounds); the runtime validates fully before the call.
fn fits(schema: &Value, v: &Value) -> bool {
    let ty = schema.get("type").and_then(Value::as_str);
    let ok_type = match (ty, v) {
        (Some("string"), Value::String(_)) => true,
        (Some("integer"), Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Some("number"), Value::Number(_)) => true,
        (None, _) => true,
        _ => false,
    };
    if !ok_type {
        return false;
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return false;
        }
    }
    if let Value::String(s) = v {
        let n = s.chars().count() as u64;
        if schema.get("minLength").and_then(Value::as_u64).is_some_and(|m| n < m) || schema.get("maxLength").and_then(Value::as_u64).is_some_and(|m| n > m) {
            return false;
        }
    }
    if let Some(x) = v.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| x < m) || schema.get("maximum").and_then(Value::as_f64).is_some_and(|m| x > m) {
            return false;
        }
    }
    true
}

/// A value for a parameter no seen value can fill, when the schema offers one.
fn fallback(rng: &mut ChaCha20Rng, schema: &Value) -> Option<Value> {
    if let Some(d) = schema.get("default") {
        return Some(d.clone());
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array).filter(|e| !e.is_empty()) {
        return Some(e[rng.random_range(0..e.len())].clone());
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("boolean") => Some(Value::Bool(false)),
        Some("integer") | Some("number") => schema.get("minimum").cloned().or(Some(Value::from(1))).filter(|v| fits(schema, v)),
        _ => None,
    }
}

/// A proposed call.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub tool: String,
    pub args: Value,
    /// Offers used (indices into `PolicyState::offers`).
    pub used: Vec<usize>,
}

/// Propose the next call, or None when nothing new can be called. `valid` checks full
/// arguments against the tool's schema (the runtime's validator).
pub fn propose(state: &PolicyState, tools: &[&ToolInfo], rng: &mut ChaCha20Rng, valid: &dyn Fn(&str, &Value) -> bool) -> Option<Proposal> {
    let latest = state.offers.iter().filter_map(|o| o.from).max();
    let mut scored: Vec<(i64, Proposal)> = Vec::new();
    for tool in tools {
        let ps = params(tool);
        for attempt in 0..3 {
            let mut args = Map::new();
            let mut used = Vec::new();
            let mut fed = 0i64;
            let mut ok = true;
            // Parameters no value on offer fills but that a derived value can (matrices,
            // coordinates, enzymes, locations): filled after the others, from them.
            let mut deferred: Vec<(&Param, derived::Shape)> = Vec::new();
            // Whether some parameter could have taken a value on offer (then leaving it
            // empty is not "needing nothing").
            let mut feedable = false;
            for p in &ps {
                // A choice from a fixed list (an enum) is a setting, not an entity: it is
                // filled from results only when the schema tags it with a type.
                let takes_offers = p.tagged || p.schema.get("enum").is_none();
                // Offers this parameter accepts, freshest and least used first; the
                // attempt number walks down the list so retries try other values.
                let mut cands: Vec<(i64, usize)> = state
                    .offers
                    .iter()
                    .enumerate()
                    // One value fills one parameter of a call: aligning a sequence against itself says nothing.
                    .filter(|(i, o)| takes_offers && !used.contains(i) && types::accepts(&p.sem_type, &o.sem_type) && fits(&p.schema, &o.value))
                    .map(|(i, o)| {
                        let fresh = match (o.from, latest) {
                            (Some(f), Some(l)) if f == l => 6,
                            (None, _) => 3,
                            _ => 0,
                        };
                        (fresh - 4 * o.uses as i64 + rng.random_range(0..4), i)
                    })
                    .collect();
                cands.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                feedable |= !cands.is_empty();
                // A build starts from its seed: an optional parameter the still unused seed
                // fits always takes it (APIs whose every parameter is optional, like
                // Tushare's, would otherwise be called without it).
                let seed_fits = cands.iter().any(|(_, i)| state.offers[*i].from.is_none() && state.offers[*i].uses == 0);
                let fill_optional = !p.required && !cands.is_empty() && (seed_fits || rng.random_range(0..100) < 35);
                if p.required || fill_optional {
                    if let Some((_, i)) = cands.get(attempt.min(cands.len().saturating_sub(1))) {
                        args.insert(p.name.clone(), state.offers[*i].value.clone());
                        used.push(*i);
                        fed += 1;
                        continue;
                    }
                }
                if p.required {
                    if let Some(shape) = derived::shape(&p.name, &p.schema) {
                        deferred.push((p, shape));
                        continue;
                    }
                    match fallback(rng, &p.schema) {
                        Some(v) => {
                            args.insert(p.name.clone(), v);
                        }
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
            }
            let mut derived_fills = 0i64;
            for (p, shape) in deferred {
                match derived::value(shape, &args, &state.offers, rng).or_else(|| fallback(rng, &p.schema)) {
                    Some(v) => {
                        args.insert(p.name.clone(), v);
                        derived_fills += 1;
                    }
                    None => ok = false,
                }
            }
            if !ok {
                break;
            }
            for p in ps.iter().filter(|p| SETTINGS.contains(&p.name.as_str())) {
                args.insert(p.name.clone(), Value::Bool(true));
            }
            let args = Value::Object(args);
            let key = (tool.name.clone(), crate::canonical_text(&args));
            if state.called.contains(&key) {
                continue;
            }
            if !valid(&tool.name, &args) {
                continue;
            }
            let uses = state.used_tools.get(&tool.name).copied().unwrap_or(0) as i64;
            let fresh_values = used.iter().filter(|&&i| state.offers[i].uses == 0).count() as i64;
            let from_latest = used.iter().filter(|&&i| state.offers[i].from.is_some() && state.offers[i].from == latest).count() as i64;
            let needs_nothing = ps.iter().all(|p| !p.required);
            let base = match (fed, derived_fills) {
                (0, 0) if needs_nothing && !feedable => NEEDS_NOTHING,
                (0, 0) => FED_NOTHING,
                // A derived value lets a call happen; it adds nothing to a call the
                // evidence already feeds (or such calls would crowd out the rest).
                (0, _) => FED_BY_DERIVATION,
                _ => FED_BY_OFFER * fed.min(2),
            };
            let score = base + FRESH_VALUE * fresh_values + FROM_LATEST * from_latest - REPEATED_TOOL * uses + rng.random_range(0..JITTER);
            scored.push((score, Proposal { tool: tool.name.clone(), args, used }));
            break;
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.tool.cmp(&b.1.tool)));
    scored.into_iter().next().map(|(_, p)| p)
}

/// Whether some parameter of `tool` takes a value of `sem_type` (as [`propose`] fills
/// parameters: an enum only when its type is tagged).
pub fn takes(tool: &ToolInfo, sem_type: &str) -> bool {
    params(tool).iter().any(|p| (p.tagged || p.schema.get("enum").is_none()) && types::accepts(&p.sem_type, sem_type))
}

/// Record that a proposal was made (whatever its outcome).
pub fn mark(state: &mut PolicyState, p: &Proposal) {
    state.called.insert((p.tool.clone(), crate::canonical_text(&p.args)));
    *state.used_tools.entry(p.tool.clone()).or_insert(0) += 1;
    for &i in &p.used {
        state.offers[i].uses += 1;
    }
    state.calls_made += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::rng;
    use serde_json::json;

    fn tool(name: &str, input: Value, output: Value) -> ToolInfo {
        ToolInfo { name: name.into(), domain: dive_runtime::Domain::Biological, description: String::new(), input_schema: input, output_schema: Some(output), retrieval: false }
    }

    #[test]
    fn chains_from_the_seed_through_typed_values() {
        let translate = tool(
            "translate",
            json!({"type": "object", "required": ["sequence"], "properties": {"sequence": {"type": "string", "x-dive-type": "nucleotide_sequence"}, "table": {"type": "integer", "default": 1}}}),
            json!({"properties": {"protein": {"x-dive-type": "protein_sequence"}}}),
        );
        let weight = tool(
            "weight",
            json!({"type": "object", "required": ["sequence"], "properties": {"sequence": {"type": "string", "x-dive-type": "protein_sequence"}}}),
            json!({}),
        );
        let matrix = tool("matrix", json!({"type": "object", "required": ["data"], "properties": {"data": {"type": "array"}}}), json!({}));
        let tools = vec![&weight, &translate, &matrix];
        let mut st = PolicyState::new(json!("ATGAAACCC"), "dna_sequence");
        let mut r = rng(1, 0, "policy");
        let ok = |_: &str, _: &Value| true;
        let p = propose(&st, &tools, &mut r, &ok).unwrap();
        assert_eq!(p.tool, "translate", "only translate takes a DNA sequence");
        assert_eq!(p.args["sequence"], json!("ATGAAACCC"));
        mark(&mut st, &p);
        st.observe(0, &json!({"protein": "MKP"}), translate.output_schema.as_ref());
        let p = propose(&st, &tools, &mut r, &ok).unwrap();
        assert_eq!((p.tool.as_str(), &p.args), ("weight", &json!({"sequence": "MKP"})));
        mark(&mut st, &p);
        // Nothing new: translate with the same sequence was called; weight likewise.
        let again = propose(&st, &tools, &mut r, &ok);
        assert!(again.as_ref().is_none_or(|p| p.tool == "translate" && p.args.get("table").is_some()), "{again:?}");
        // A validator that refuses everything leaves nothing to call.
        assert!(propose(&PolicyState::new(json!("ATG"), "dna_sequence"), &tools, &mut r, &|_, _| false).is_none());
    }
}
