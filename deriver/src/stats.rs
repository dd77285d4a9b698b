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

/// Compute the table. `retrieval` tells whether a tool reaches the network.
pub fn stats(tasks: &[Task], retrieval: &dyn Fn(&str) -> bool) -> Stats {
    let mut covered = BTreeSet::new();
    let mut offered = BTreeSet::new();
    let mut toolsets = BTreeSet::new();
    let mut sequences = BTreeSet::new();
    let mut graphs = BTreeSet::new();
    let mut topologies: BTreeMap<String, usize> = BTreeMap::new();
    let mut domains = BTreeMap::new();
    let mut compositions = BTreeMap::new();
    let mut verifiers = BTreeMap::new();
    let (mut types, mut calls, mut rounds) = (0usize, 0usize, 0usize);
    for t in tasks {
        *domains.entry(t.domain).or_insert(0) += 1;
        covered.extend(t.tool_graph.nodes.iter().cloned());
        offered.extend(t.tools.iter().cloned());
        let mut set = t.tools.clone();
        set.sort();
        toolsets.insert(set);
        sequences.insert(t.tool_graph.nodes.clone());
        // Task files are read with their graphs checked (`verify::read_tasks`); a graph
        // that is still not a DAG counts as a shape of its own instead of failing.
        let or_invalid = |r: Result<String, GraphError>| r.unwrap_or_else(|e| format!("invalid: {e}"));
        graphs.insert(or_invalid(graph_form(&t.tool_graph)));
        let rp: Vec<String> = t.tool_graph.nodes.iter().map(|n| if retrieval(n) { "R".to_string() } else { "P".to_string() }).collect();
        *topologies.entry(or_invalid(canonical_form(&rp, &t.tool_graph.edges.iter().copied().collect()))).or_insert(0) += 1;
        types += t.tool_graph.nodes.iter().collect::<BTreeSet<_>>().len();
        calls += t.tool_graph.nodes.len();
        rounds += t.rounds_completed;
        if let Some(last) = t.derivation_history.last() {
            *compositions.entry(last.composition.clone()).or_insert(0) += 1;
        }
        let v = serde_json::to_value(&t.verifier).ok().and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string)).unwrap_or_default();
        *verifiers.entry(v).or_insert(0) += 1;
    }
    let n = tasks.len().max(1) as f64;
    let mut top: Vec<(String, usize)> = topologies.iter().map(|(k, v)| (k.clone(), *v)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(5);
    Stats {
        tasks: tasks.len(),
        domains,
        tools_covered: covered.len(),
        tools_offered: offered.len(),
        unique_toolsets: toolsets.len(),
        unique_call_sequences: sequences.len(),
        unique_call_graphs: graphs.len(),
        topology_classes: topologies.len(),
        top_topologies: top,
        tool_types_per_task: types as f64 / n,
        calls_per_task: calls as f64 / n,
        rounds_per_task: rounds as f64 / n,
        compositions,
        verifiers,
    }
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
