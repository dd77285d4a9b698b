//! DIVE's diversity table for a task set.

use crate::derive::graph_form;
use dive_runtime::Domain;
use crate::graph::{canonical_form, GraphError};
use crate::task::Task;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub tasks: usize,
    pub domains: BTreeMap<Domain, usize>,
    /// Distinct tools called in at least one task's evidence.
    pub tools_covered: usize,
    /// Distinct tools offered in at least one task's toolset.
    pub tools_offered: usize,
    pub unique_toolsets: usize,
    pub unique_call_sequences: usize,
    pub unique_call_graphs: usize,
    /// Distinct graph shapes with nodes labelled Retrieval (R) / Processing (P).
    pub topology_classes: usize,
    pub top_topologies: Vec<(String, usize)>,
    /// Mean number of distinct tools in a task's evidence.
    pub tool_types_per_task: f64,
    pub calls_per_task: f64,
    pub rounds_per_task: f64,
    pub compositions: BTreeMap<String, usize>,
    pub verifiers: BTreeMap<String, usize>,
}

impl Stats {
    pub fn share(part: usize, whole: usize) -> f64 {
        if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
    }
}

/// The table of a task set, its tasks taken in one at a time (`dive stats` and `dive
/// export` stream their task file). Distinct toolsets, call sequences and graphs
/// are counted by a 128-bit BLAKE3 key of each ([`distinct_key`]), not kept: 10,000
/// tasks of 27 offered tools held 67 MB as the values themselves.
#[derive(Debug, Default)]
pub struct StatsBuilder {
    tasks: usize,
    covered: BTreeSet<String>,
    offered: BTreeSet<String>,
    toolsets: BTreeSet<u128>,
    sequences: BTreeSet<u128>,
    graphs: BTreeSet<u128>,
    topologies: BTreeMap<String, usize>,
    domains: BTreeMap<Domain, usize>,
    compositions: BTreeMap<String, usize>,
    verifiers: BTreeMap<String, usize>,
    types: usize,
    calls: usize,
    rounds: usize,
}

impl StatsBuilder {
    /// Count one task. `retrieval` tells whether a tool reaches the network.
    pub fn add(&mut self, t: &Task, retrieval: &dyn Fn(&str) -> bool) {
        self.tasks += 1;
        *self.domains.entry(t.domain).or_insert(0) += 1;
        self.covered.extend(t.tool_graph.nodes.iter().cloned());
        self.offered.extend(t.tools.iter().cloned());
        let mut set: Vec<&str> = t.tools.iter().map(String::as_str).collect();
        set.sort_unstable();
        self.toolsets.insert(distinct_key(&set));
        self.sequences.insert(distinct_key(&t.tool_graph.nodes));
        // Task files are read with their graphs checked (`verify::read_tasks`); a graph
        // that is still not a DAG counts as a shape of its own instead of failing.
        let or_invalid = |r: Result<String, GraphError>| r.unwrap_or_else(|e| format!("invalid: {e}"));
        self.graphs.insert(distinct_key(&[or_invalid(graph_form(&t.tool_graph))]));
        let rp: Vec<String> = t.tool_graph.nodes.iter().map(|n| if retrieval(n) { "R".to_string() } else { "P".to_string() }).collect();
        *self.topologies.entry(or_invalid(canonical_form(&rp, &t.tool_graph.edges.iter().copied().collect()))).or_insert(0) += 1;
        self.types += t.tool_graph.nodes.iter().collect::<BTreeSet<_>>().len();
        self.calls += t.tool_graph.nodes.len();
        self.rounds += t.rounds_completed;
        if let Some(last) = t.derivation_history.last() {
            *self.compositions.entry(last.composition.clone()).or_insert(0) += 1;
        }
        let v = serde_json::to_value(&t.verifier).ok().and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string)).unwrap_or_default();
        *self.verifiers.entry(v).or_insert(0) += 1;
    }

    /// The table of the tasks added.
    pub fn finish(self) -> Stats {
        let n = self.tasks.max(1) as f64;
        let mut top: Vec<(String, usize)> = self.topologies.iter().map(|(k, v)| (k.clone(), *v)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(5);
        Stats {
            tasks: self.tasks,
            domains: self.domains,
            tools_covered: self.covered.len(),
            tools_offered: self.offered.len(),
            unique_toolsets: self.toolsets.len(),
            unique_call_sequences: self.sequences.len(),
            unique_call_graphs: self.graphs.len(),
            topology_classes: self.topologies.len(),
            top_topologies: top,
            tool_types_per_task: self.types as f64 / n,
            calls_per_task: self.calls as f64 / n,
            rounds_per_task: self.rounds as f64 / n,
            compositions: self.compositions,
            verifiers: self.verifiers,
        }
    }
}

/// A key that tells lists of text apart: the first 128 bits of BLAKE3 over each item's
/// length and bytes (so `["ab"]` and `["a", "b"]` differ). Two distinct lists share a
/// key with odds of about n²/2¹²⁹ for n lists: never, for any task set that fits in a
/// task file.
pub fn distinct_key<S: AsRef<str>>(items: &[S]) -> u128 {
    let mut h = blake3::Hasher::new();
    for item in items {
        let item = item.as_ref().as_bytes();
        h.update(&(item.len() as u64).to_le_bytes());
        h.update(item);
    }
    let mut first = [0u8; 16];
    first.copy_from_slice(&h.finalize().as_bytes()[..16]);
    u128::from_le_bytes(first)
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.tasks;
        writeln!(f, "tasks                  {n}")?;
        for (d, c) in &self.domains {
            writeln!(f, "  {d:<20} {c}")?;
        }
        writeln!(f, "tools covered          {} (of {} offered)", self.tools_covered, self.tools_offered)?;
        writeln!(f, "unique toolsets        {} ({:.1}%)", self.unique_toolsets, Stats::share(self.unique_toolsets, n))?;
        writeln!(f, "unique call sequences  {} ({:.1}%)", self.unique_call_sequences, Stats::share(self.unique_call_sequences, n))?;
        writeln!(f, "unique call graphs     {} ({:.1}%)", self.unique_call_graphs, Stats::share(self.unique_call_graphs, n))?;
        writeln!(f, "topology classes (R/P) {}", self.topology_classes)?;
        writeln!(f, "tool types per task    {:.2}", self.tool_types_per_task)?;
        writeln!(f, "calls per task         {:.2}", self.calls_per_task)?;
        writeln!(f, "rounds per task        {:.2}", self.rounds_per_task)?;
        let comp: Vec<String> = self.compositions.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(f, "compositions           {}", comp.join(", "))?;
        let ver: Vec<String> = self.verifiers.iter().map(|(k, v)| format!("{k} {v}")).collect();
        write!(f, "verifiers              {}", ver.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::distinct_key;

    #[test]
    fn distinct_keys_tell_lists_apart_by_their_items() {
        assert_eq!(distinct_key(&["ab", "c"]), distinct_key(&[String::from("ab"), String::from("c")]));
        let keys = [distinct_key(&["ab", "c"]), distinct_key(&["a", "bc"]), distinct_key(&["abc"]), distinct_key(&["c", "ab"]), distinct_key::<&str>(&[]), distinct_key(&[""])];
        let unique: std::collections::BTreeSet<u128> = keys.iter().copied().collect();
        assert_eq!(unique.len(), keys.len(), "{keys:x?}");
    }
}
