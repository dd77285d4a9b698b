//! `dive tool check`: is this package ready to run? Its manifest is loaded and validated
//! (by the runtime that loaded it), its world is the tool-provider world (or it would
//! not have loaded), and then:
//! - every tool's name, description and schemas are checked (JSON Schema 2020-12);
//! - each tool is called once, in the sandbox under the package's own policy, with its
//!   example arguments ([`crate::example`]); its result must match its output schema;
//! - the policy is linted against what the calls did: an open network with no need, a
//!   secret no origin can receive, a per-tool policy for a tool that does not exist.

use crate::example::{self, Source};
use dive_runtime::origin::Origin;
use dive_runtime::Package;
use dive_runtime::{CallError, CallOptions, DeterminismConfig, Outcome, Runtime, ToolSpec};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth fixing; the package still runs.
    Warning,
    /// The package does not do what it says: the check fails.
    Error,
}

/// One thing the check found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub level: Level,
    /// The tool it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub message: String,
}

/// How a tool's example call went.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallSummary {
    /// It returned a result matching its output schema.
    Ok { wall_us: u64, http_requests: u32, result_bytes: usize },
    /// It ran and failed: how it ended, and that said in a sentence.
    Failed { outcome: Outcome, message: String },
    /// It was not run.
    NotRun { message: String },
}

/// One tool's part of the check.
#[derive(Debug, Clone, Serialize)]
pub struct ToolCheck {
    pub name: String,
    pub example: Value,
    pub example_source: Source,
    pub call: CallSummary,
}

/// Everything the check found about one package.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The package's name (its directory's).
    pub package: String,
    pub domain: dive_runtime::Domain,
    pub component_bytes: usize,
    pub tools: Vec<ToolCheck>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Findings at `level`.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    /// Whether the package passed: no errors (warnings allowed).
    pub fn passed(&self) -> bool {
        self.count(Level::Error) == 0
    }
}

/// Check `package`, loaded by `runtime`, calling each of its tools once.
pub async fn check(runtime: &Runtime, package: &Package) -> Report {
    let mut findings = Vec::new();
    let mut tools = Vec::new();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    if package.tools.is_empty() {
        findings.push(error(None, "the component lists no tools: list-tools returned an empty list".into()));
    }
    for spec in &package.tools {
        findings.extend(spec_findings(spec));
        let (args, source) = example::arguments(&spec.input_schema);
        if source == Source::Made {
            findings.push(warning(
                Some(&spec.name),
                "its input schema has no `examples`: the check called it with arguments made from the schema; \
                 add an example so checks and readers see a real call"
                    .into(),
            ));
        }
        let (call, origins) = call_once(runtime, &spec.name, &args).await;
        reached.extend(origins);
        if let CallSummary::Failed { message, .. } | CallSummary::NotRun { message } = &call {
            findings.push(error(Some(&spec.name), format!("its example call failed: {message}")));
        }
        tools.push(ToolCheck { name: spec.name.clone(), example: args, example_source: source, call });
    }
    let made_requests = tools.iter().any(|t| matches!(t.call, CallSummary::Ok { http_requests, .. } if http_requests > 0));
    findings.extend(policy_findings(package, &reached, made_requests));
    findings.sort_by_key(|f| std::cmp::Reverse(f.level));
    Report {
        package: package.name.clone(),
        domain: package.manifest.domain,
        component_bytes: package.component_size,
        tools,
        findings,
    }
}

fn error(tool: Option<&str>, message: String) -> Finding {
    Finding { level: Level::Error, tool: tool.map(str::to_string), message }
}

fn warning(tool: Option<&str>, message: String) -> Finding {
    Finding { level: Level::Warning, tool: tool.map(str::to_string), message }
}

/// What is wrong with a tool's name, description or schemas.
fn spec_findings(spec: &ToolSpec) -> Vec<Finding> {
    let tool = Some(spec.name.as_str());
    let mut out = Vec::new();
    if let Err(e) = crate::scaffold::check_tool_name(&spec.name) {
        out.push(error(tool, format!("its name: {e}")));
    }
    let words = spec.description.split_whitespace().count();
    if words == 0 {
        out.push(error(tool, "it has no description: an agent cannot tell when to use it".into()));
    } else if words < 4 {
        out.push(warning(tool, format!("its description has {words} word(s): say what it does and returns")));
    }
    out.extend(schema_findings(tool, "input", Some(&spec.input_schema)));
    match &spec.output_schema {
        None => out.push(warning(
            tool,
            "it has no output schema: the synthesizer cannot type its result's values to chain them".into(),
        )),
        Some(s) => out.extend(schema_findings(tool, "output", Some(s))),
    }
    if spec.input_schema.get("type").and_then(Value::as_str) != Some("object") {
        out.push(error(tool, "its input schema's type is not \"object\" (arguments are a JSON object)".into()));
    }
    let undocumented = undocumented_properties(&spec.input_schema);
    if !undocumented.is_empty() {
        out.push(warning(tool, format!("arguments without a description: {}", undocumented.join(", "))));
    }
    out
}

fn schema_findings(tool: Option<&str>, which: &str, schema: Option<&Value>) -> Vec<Finding> {
    let Some(schema) = schema else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(dialect) = schema.get("$schema").and_then(Value::as_str) {
        if !dialect.contains("2020-12") {
            out.push(error(tool, format!("its {which} schema declares {dialect}; dive reads JSON Schema 2020-12")));
        }
    }
    if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
        out.push(error(tool, format!("its {which} schema is not valid JSON Schema 2020-12 at {}: {e}", e.instance_path())));
    } else if let Err(e) = jsonschema::draft202012::new(schema) {
        out.push(error(tool, format!("its {which} schema cannot be compiled: {e}")));
    }
    out
}

fn undocumented_properties(schema: &Value) -> Vec<String> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    props
        .iter()
        .filter(|(_, p)| p.get("description").and_then(Value::as_str).is_none_or(|d| d.trim().is_empty()))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Call a tool once, live, under its package's policy; the origins its requests went to.
async fn call_once(runtime: &Runtime, tool: &str, args: &Value) -> (CallSummary, Vec<String>) {
    let opts = CallOptions::live(DeterminismConfig::now(0));
    match runtime.call(tool, &args.to_string(), &opts).await {
        Ok(record) => {
            let origins = record
                .exchanges
                .iter()
                .filter_map(|x| url::Url::parse(&x.request.url).ok())
                .filter_map(|u| Origin::of_url(&u).ok())
                .map(|o| o.to_string())
                .collect();
            let summary = match &record.outcome {
                Outcome::Ok(text) => CallSummary::Ok {
                    wall_us: record.usage.wall_us,
                    http_requests: record.usage.http_requests,
                    result_bytes: text.len(),
                },
                failed => CallSummary::Failed { message: outcome_message(failed), outcome: failed.clone() },
            };
            (summary, origins)
        }
        Err(e @ CallError::InvalidArgs { .. }) => {
            (CallSummary::NotRun { message: format!("its example arguments do not fit its input schema: {e}") }, Vec::new())
        }
        Err(e) => (CallSummary::NotRun { message: e.to_string() }, Vec::new()),
    }
}

fn outcome_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok(_) => "ok".into(),
        Outcome::ToolError { kind, message } => format!("the tool returned an error ({kind:?}): {message}"),
        Outcome::Violation { rule, message } => format!("the sandbox stopped it ({rule}): {message}"),
        Outcome::Trap { message } => format!("it crashed: {message}"),
    }
}

/// What the policy allows that nothing needs, or that cannot work.
fn policy_findings(package: &Package, reached: &BTreeSet<String>, made_requests: bool) -> Vec<Finding> {
    let m = &package.manifest;
    let policy = &m.policy;
    let mut out = Vec::new();
    let reached_list = || reached.iter().cloned().collect::<Vec<_>>().join(", ");
    for pattern in policy.network.iter().filter(|p| p.exact().is_none()) {
        let what = if pattern.as_str() == "*" { "any public host" } else { "every host it matches" };
        let message = if reached.is_empty() {
            format!(
                "network allows \"{pattern}\" ({what}) but no example call made a request: list only the origins the tool needs, or []"
            )
        } else {
            format!("network allows \"{pattern}\" ({what}); the example calls reached {}: list those instead", reached_list())
        };
        out.push(warning(None, message));
    }
    if !policy.network.is_empty() && policy.max_http_requests == 0 {
        out.push(warning(None, "network allows origins but max_http_requests = 0: no request can be made".into()));
    }
    if !policy.network.is_empty() && !made_requests && policy.network.iter().all(|p| p.exact().is_some()) {
        out.push(warning(
            None,
            format!(
                "network allows {} but no example call made a request: if the tool never does, set network = []",
                policy.network.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let exact_origins = policy.network.iter().filter(|p| p.exact().is_some()).count();
    for secret in &policy.secrets {
        if exact_origins == 0 {
            out.push(warning(
                None,
                format!("secret {secret} is never sent: secrets go only to exact origins in network (no wildcards), and there are none"),
            ));
        }
    }
    let names: BTreeSet<&str> = package.tools.iter().map(|t| t.name.as_str()).collect();
    for tool in m.tool_policies.keys().filter(|t| !names.contains(t.as_str())) {
        out.push(warning(None, format!("[tools.{tool}.policy] narrows a tool the component does not have")));
    }
    out
}
