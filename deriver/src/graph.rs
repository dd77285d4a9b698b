//! The data-flow graph of a trace: an edge i → j when a value from call i's result is
//! an argument of call j (found by value, so it holds for any policy, model or not).
//! The seed is node `None`.

use crate::evidence::{pointer_token, EvidenceCall};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One flow of a value into an argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// The producing call; None: the seed.
    pub from: Option<usize>,
    /// JSON Pointer of the value in the producer's result ("" for the seed).
    pub from_path: String,
    pub to: usize,
    /// JSON Pointer of the argument in the consumer's arguments.
    pub arg_path: String,
}

#[derive(Debug, Clone, Default)]
pub struct FlowGraph {
    pub flows: Vec<Flow>,
}

/// Whether a value is distinctive enough that equality means it flowed (not chance).
fn distinctive(v: &Value) -> bool {
    match v {
        Value::String(s) => s.chars().count() >= 3,
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.abs() >= 1000,
            (None, Some(f)) => f.fract() != 0.0 || f.abs() >= 1000.0,
            _ => false,
        },
        _ => false,
    }
}

fn key_of(v: &Value) -> Option<String> {
    distinctive(v).then(|| v.to_string())
}

fn scalars(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| scalars(c, format!("{path}/{}", pointer_token(k)), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| scalars(c, format!("{path}/{i}"), out)),
        Value::Null | Value::Bool(_) => {}
        _ => out.push((path, v.clone())),
    }
}

impl FlowGraph {
    /// Build the graph of `calls` (in index order) started from `seed`.
    pub fn build(seed: &Value, calls: &[EvidenceCall]) -> FlowGraph {
        // value -> (producing call, path); the first producer of a value is its source (a
        // later result that merely echoes it, e.g. an input repeated in the output, is not).
        let mut produced: HashMap<String, (Option<usize>, String)> = HashMap::new();
        if let Some(k) = key_of(seed) {
            produced.insert(k, (None, String::new()));
        }
        let mut flows = Vec::new();
        for call in calls {
            let mut args = Vec::new();
            scalars(&call.args, String::new(), &mut args);
            for (arg_path, v) in args {
                if let Some(k) = key_of(&v) {
                    if let Some((from, from_path)) = produced.get(&k) {
                        flows.push(Flow { from: *from, from_path: from_path.clone(), to: call.index, arg_path });
                    }
                }
            }
            if let Some(result) = &call.result {
                let mut out = Vec::new();
                scalars(result, String::new(), &mut out);
                for (path, v) in out {
                    if let Some(k) = key_of(&v) {
                        produced.entry(k).or_insert((Some(call.index), path));
                    }
                }
            }
        }
        FlowGraph { flows }
    }

    /// Calls feeding `call` directly (None = the seed).
    pub fn parents(&self, call: usize) -> BTreeSet<Option<usize>> {
        self.flows.iter().filter(|f| f.to == call).map(|f| f.from).collect()
    }

    /// Every call `call` depends on, transitively (not including itself), sorted.
    pub fn ancestors(&self, call: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![call];
        while let Some(c) = stack.pop() {
            for p in self.parents(c).into_iter().flatten() {
                if seen.insert(p) {
                    stack.push(p);
                }
            }
        }
        seen
    }

    /// Whether `call` depends on the seed, directly or through other calls.
    pub fn reaches_seed(&self, call: usize) -> bool {
        let mut all = self.ancestors(call);
        all.insert(call);
        all.iter().any(|c| self.parents(*c).contains(&None))
    }

    /// Length of the longest dependency chain ending at `call` (a root call has depth 1).
    pub fn depth(&self, call: usize) -> usize {
        let mut memo = BTreeMap::new();
        self.depth_memo(call, &mut memo)
    }

    fn depth_memo(&self, call: usize, memo: &mut BTreeMap<usize, usize>) -> usize {
        if let Some(d) = memo.get(&call) {
            return *d;
        }
        memo.insert(call, 1); // guards against cycles (none in a trace: flows go forward)
        let d = 1 + self.parents(call).into_iter().flatten().filter(|p| *p < call).map(|p| self.depth_memo(p, memo)).max().unwrap_or(0);
        memo.insert(call, d);
        d
    }

    /// Call-level edges (i, j), deduplicated, seed excluded.
    pub fn edges(&self) -> BTreeSet<(usize, usize)> {
        self.flows.iter().filter_map(|f| f.from.map(|i| (i, f.to))).collect()
    }
}

/// Why a task's tool graph cannot be used (task files come from anywhere).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("the tool graph has {0} nodes; at most {MAX_NODES} are read")]
    TooManyNodes(usize),
    #[error("the tool graph has {0} edges; at most {MAX_EDGES} are read")]
    TooManyEdges(usize),
    #[error("the tool graph has an edge {0} -> {1} to a node it does not have")]
    EdgeOutOfRange(usize, usize),
    #[error("the tool graph has a cycle (call {0} depends on itself); a data-flow graph never does")]
    Cycle(usize),
}

/// The most nodes of a tool graph read from a task file.
pub const MAX_NODES: usize = 4_096;
/// The most edges of a tool graph read from a task file.
pub const MAX_EDGES: usize = 16_384;
/// Longest a node's form may grow before it is replaced by its BLAKE3 (`#hex`): a
/// graph where every call feeds the next two would otherwise unfold exponentially.
const FORM_CAP: usize = 1_024;

/// The nodes of a DAG in topological order (parents first), or why it is not one.
pub fn topological_order(n: usize, edges: &BTreeSet<(usize, usize)>) -> Result<Vec<usize>, GraphError> {
    if n > MAX_NODES {
        return Err(GraphError::TooManyNodes(n));
    }
    if edges.len() > MAX_EDGES {
        return Err(GraphError::TooManyEdges(edges.len()));
    }
    let mut indegree = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for &(i, j) in edges {
        if i >= n || j >= n {
            return Err(GraphError::EdgeOutOfRange(i, j));
        }
        indegree[j] += 1;
        children[i].push(j);
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop() {
        order.push(i);
        for &c in &children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.push(c);
            }
        }
    }
    match (0..n).find(|&i| indegree[i] > 0) {
        Some(i) => Err(GraphError::Cycle(i)),
        None => Ok(order),
    }
}

/// A node's form, bounded: past [`FORM_CAP`] it is replaced by its hash.
fn bounded(form: String) -> String {
    if form.len() > FORM_CAP {
        format!("#{}", blake3::hash(form.as_bytes()).to_hex())
    } else {
        form
    }
}

/// Each node's label with the sorted forms of its `links` (parents or children),
/// computed along `order` so that every link is done first.
fn forms(labels: &[String], links: &[Vec<usize>], order: impl Iterator<Item = usize>) -> Vec<String> {
    let mut out = vec![String::new(); labels.len()];
    for i in order {
        let mut ps: Vec<&str> = links[i].iter().map(|&p| out[p].as_str()).collect();
        ps.sort_unstable();
        let form = if ps.is_empty() { labels[i].clone() } else { format!("{}({})", labels[i], ps.join(",")) };
        out[i] = bounded(form);
    }
    out
}

/// The canonical form of a labelled DAG: equal for graphs equal up to renumbering.
/// Iterative and bounded, so a hostile task file cannot overflow the stack (a cycle is
/// an error) or make it exponential.
pub fn canonical_form(labels: &[String], edges: &BTreeSet<(usize, usize)>) -> Result<String, GraphError> {
    let n = labels.len();
    let order = topological_order(n, edges)?;
    let mut parents = vec![Vec::new(); n];
    let mut children = vec![Vec::new(); n];
    for &(i, j) in edges {
        parents[j].push(i);
        children[i].push(j);
    }
    let ups = forms(labels, &parents, order.iter().copied());
    let downs = forms(labels, &children, order.iter().rev().copied());
    let node = |i: usize| format!("{}|{}", ups[i], downs[i]);
    let mut nodes: Vec<String> = (0..n).map(node).collect();
    nodes.sort();
    let mut es: Vec<String> = edges.iter().map(|&(i, j)| format!("{}>{}", node(i), node(j))).collect();
    es.sort();
    Ok(format!("{}#{}", nodes.join(";"), es.join(";")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(index: usize, tool: &str, args: Value, result: Value) -> EvidenceCall {
        EvidenceCall { index, tool: tool.into(), args, result: Some(result) }
    }

    #[test]
    fn flows_follow_values_from_seed_through_calls() {
        let seed = json!("ATGAAACCC");
        let calls = vec![
            call(0, "translate", json!({"sequence": "ATGAAACCC", "table": 1}), json!({"protein": "MKP", "table": 1})),
            call(1, "weight", json!({"sequence": "MKP"}), json!({"molecular_weight": 358.46})),
            call(2, "gc", json!({"sequence": "ATGAAACCC"}), json!({"gc": 0.44})),
            call(3, "both", json!({"a": "MKP", "b": 358.46}), json!({})),
        ];
        let g = FlowGraph::build(&seed, &calls);
        assert_eq!(g.parents(0), BTreeSet::from([None]));
        assert_eq!(g.parents(1), BTreeSet::from([Some(0)]));
        assert_eq!(g.parents(3), BTreeSet::from([Some(0), Some(1)]));
        assert_eq!(g.ancestors(3), BTreeSet::from([0, 1]));
        assert_eq!(g.depth(3), 3);
        assert!(g.reaches_seed(3));
        // small integers (table: 1) are not taken as data flow
        assert!(g.flows.iter().all(|f| !f.arg_path.contains("table")));
        let f = g.flows.iter().find(|f| f.to == 1).unwrap();
        assert_eq!((f.from_path.as_str(), f.arg_path.as_str()), ("/protein", "/sequence"));
    }

    #[test]
    fn canonical_form_ignores_numbering_but_not_shape() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = canonical_form(&l(&["t", "w", "g"]), &BTreeSet::from([(0, 1), (0, 2)])).unwrap();
        let b = canonical_form(&l(&["g", "t", "w"]), &BTreeSet::from([(1, 0), (1, 2)])).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "g(t)|g;t|t(g,w);w(t)|w#t|t(g,w)>g(t)|g;t|t(g,w)>w(t)|w", "the form of small graphs is unchanged");
        let chain = canonical_form(&l(&["t", "w", "g"]), &BTreeSet::from([(0, 1), (1, 2)])).unwrap();
        assert_ne!(a, chain);
        let two_roots = canonical_form(&l(&["t", "t", "w", "g"]), &BTreeSet::from([(0, 2), (1, 3)])).unwrap();
        assert_ne!(a, two_roots);
    }

    #[test]
    fn hostile_graphs_are_refused_or_bounded() {
        let labels = |n: usize| (0..n).map(|i| format!("t{}", i % 3)).collect::<Vec<_>>();
        let cycle = canonical_form(&labels(3), &BTreeSet::from([(0, 1), (1, 2), (2, 0)]));
        assert!(matches!(cycle, Err(GraphError::Cycle(_))), "{cycle:?}");
        let self_loop = canonical_form(&labels(1), &BTreeSet::from([(0, 0)]));
        assert!(matches!(self_loop, Err(GraphError::Cycle(0))));
        let out = canonical_form(&labels(2), &BTreeSet::from([(0, 5)]));
        assert!(matches!(out, Err(GraphError::EdgeOutOfRange(0, 5))));
        // Each call feeds the next two: unfolded, the form would double per node.
        let n = 60;
        let edges: BTreeSet<(usize, usize)> = (0..n).flat_map(|i| [(i, i + 1), (i, i + 2)]).filter(|&(_, j)| j < n).collect();
        let form = canonical_form(&labels(n), &edges).unwrap();
        assert!(form.len() < 1 << 20, "{} bytes", form.len());
        // Renumbering still gives the same form once forms are hashed.
        let flip = |i: usize| n - 1 - i;
        let rev_labels: Vec<String> = (0..n).map(|i| labels(n)[flip(i)].clone()).collect();
        let rev_edges: BTreeSet<(usize, usize)> = edges.iter().map(|&(i, j)| (flip(i), flip(j))).collect();
        assert_eq!(canonical_form(&rev_labels, &rev_edges).unwrap(), form);
        // A chain as deep as the node cap does not recurse.
        let deep: BTreeSet<(usize, usize)> = (0..MAX_NODES - 1).map(|i| (i, i + 1)).collect();
        assert!(canonical_form(&labels(MAX_NODES), &deep).is_ok());
        assert!(matches!(canonical_form(&labels(MAX_NODES + 1), &BTreeSet::new()), Err(GraphError::TooManyNodes(_))));
    }
}
