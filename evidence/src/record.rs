//! What one call was and how it ended, as values: the tool's identity, the outcome, the
//! resources it used, and the record the runtime hands to a trace.

use crate::exchange::HttpExchange;
use dive_policy::rules::{Rule, Violation};
use serde::{Deserialize, Serialize};

/// What identifies a tool for traces: component bytes, name, effective policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolIdentity {
    /// BLAKE3 of the component's bytes (hex).
    pub component: String,
    /// The tool's name.
    pub name: String,
    /// BLAKE3 of the canonical JSON of the tool's effective policy (hex).
    pub policy: String,
}

/// How a call that ran ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The tool's result: JSON text exactly as the tool returned it.
    Ok(String),
    /// The tool returned an error.
    ToolError {
        /// Whose fault it was.
        kind: ToolErrorKind,
        /// The tool's explanation.
        message: String,
    },
    /// A sandbox rule was broken; the call was ended.
    Violation {
        /// The rule broken.
        rule: Rule,
        /// What happened.
        message: String,
    },
    /// The guest trapped (crashed) without breaking a rule.
    Trap {
        /// The trap, as wasmtime describes it.
        message: String,
    },
}

/// The kinds of error a tool returns (the WIT `tool-error` cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolErrorKind {
    /// The arguments were wrong: the caller's to fix.
    InvalidArgs,
    /// The upstream service failed or answered something unusable.
    Upstream,
    /// The tool itself failed.
    Internal,
}

impl ToolErrorKind {
    /// The kind's name, as the error JSON and traces write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolErrorKind::InvalidArgs => "invalid_args",
            ToolErrorKind::Upstream => "upstream",
            ToolErrorKind::Internal => "internal",
        }
    }
}

impl From<Violation> for Outcome {
    fn from(v: Violation) -> Outcome {
        Outcome::Violation { rule: v.rule, message: v.message }
    }
}

impl Outcome {
    /// How the failure reads to whoever made the call (None for a result).
    pub fn error_report(&self) -> Option<ErrorReport<'_>> {
        let body = match self {
            Outcome::Ok(_) => return None,
            Outcome::ToolError { kind, message } => ErrorBody { kind: kind.as_str(), rule: None, message },
            Outcome::Violation { rule, message } => ErrorBody { kind: "sandbox_violation", rule: Some(*rule), message },
            Outcome::Trap { message } => ErrorBody { kind: "trap", rule: None, message },
        };
        Some(ErrorReport { error: body })
    }
}

/// A failed call as its caller sees it: `{"error": {"kind", ["rule",] "message"}}` —
/// what `dive call` prints, an MCP tool result's text and a training row's tool message
/// (ARCHITECTURE.md §6, §10, §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport<'a> {
    /// The failure.
    pub error: ErrorBody<'a>,
}

/// The body of an [`ErrorReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody<'a> {
    /// `invalid_args`, `upstream`, `internal`, `sandbox_violation` or `trap`.
    pub kind: &'a str,
    /// The rule broken, for a sandbox violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// What happened.
    pub message: &'a str,
}

impl ErrorReport<'_> {
    /// The report as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an error report serializes")
    }
}

/// What a call used. Not part of any hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Wall time of the call, microseconds.
    pub wall_us: u64,
    /// Requests the guest made.
    pub http_requests: u32,
    /// The guest's largest linear memory, bytes.
    pub peak_memory_bytes: u64,
    /// Bytes of the result.
    pub output_bytes: u64,
    /// The call ran in an instance made ahead of time (see the runtime's instances), not
    /// one made on the call path. Either is fresh; only the wall time differs.
    #[serde(default)]
    pub ready_instance: bool,
}

/// Everything about one call that ran.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// The tool that ran.
    pub tool: ToolIdentity,
    /// Canonical JSON of the arguments (what the guest received).
    pub args: String,
    /// Its HTTP exchanges, in the order the guest made them.
    pub exchanges: Vec<HttpExchange>,
    /// How it ended.
    pub outcome: Outcome,
    /// What it used.
    pub usage: Usage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_reports_keep_their_json() {
        let o = Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, message: "bad".into() };
        assert_eq!(o.error_report().unwrap().to_json(), r#"{"error":{"kind":"invalid_args","message":"bad"}}"#);
        let o = Outcome::Violation { rule: Rule::HttpRequests, message: "7 > 6".into() };
        assert_eq!(o.error_report().unwrap().to_json(), r#"{"error":{"kind":"sandbox_violation","rule":"max_http_requests","message":"7 > 6"}}"#);
        let o = Outcome::Trap { message: "unreachable".into() };
        assert_eq!(o.error_report().unwrap().to_json(), r#"{"error":{"kind":"trap","message":"unreachable"}}"#);
        assert!(Outcome::Ok("{}".into()).error_report().is_none());
    }

    #[test]
    fn an_outcome_keeps_its_trace_form() {
        let o = Outcome::Violation { rule: Rule::Memory, message: "m".into() };
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(json, r#"{"violation":{"rule":"memory_mib","message":"m"}}"#);
        assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), o);
    }
}
