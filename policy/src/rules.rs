//! The sandbox rules of ARCHITECTURE.md §4 that a call can break, and the violation
//! that ends the call. Their names are part of the trace format and of `dive call`'s
//! error JSON.

use serde::{Deserialize, Serialize};

/// The sandbox rule a violation broke. Serialized as its policy name ([`Rule::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rule {
    /// A request to an origin the policy does not allow.
    #[serde(rename = "network")]
    Network,
    /// A request whose host resolves only to loopback/private/... addresses.
    #[serde(rename = "private_address")]
    PrivateAddress,
    /// More requests than max_http_requests.
    #[serde(rename = "max_http_requests")]
    HttpRequests,
    /// A response body above max_response_bytes.
    #[serde(rename = "max_response_bytes")]
    ResponseSize,
    /// A request body above the host's cap.
    #[serde(rename = "request_size")]
    RequestSize,
    /// A result above max_output_bytes.
    #[serde(rename = "max_output_bytes")]
    OutputSize,
    /// Memory above memory_mib.
    #[serde(rename = "memory_mib")]
    Memory,
    /// Wall clock above timeout_ms.
    #[serde(rename = "timeout_ms")]
    Timeout,
}

impl Rule {
    /// Every rule, in the order of ARCHITECTURE.md §4.
    pub const ALL: [Rule; 8] = [
        Rule::Network,
        Rule::PrivateAddress,
        Rule::HttpRequests,
        Rule::ResponseSize,
        Rule::RequestSize,
        Rule::OutputSize,
        Rule::Memory,
        Rule::Timeout,
    ];

    /// The rule's name: the policy field it enforces, as traces and error JSON write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Network => "network",
            Rule::PrivateAddress => "private_address",
            Rule::HttpRequests => "max_http_requests",
            Rule::ResponseSize => "max_response_bytes",
            Rule::RequestSize => "request_size",
            Rule::OutputSize => "max_output_bytes",
            Rule::Memory => "memory_mib",
            Rule::Timeout => "timeout_ms",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A broken sandbox rule. It ends the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// What happened, for the caller.
    pub message: String,
}

impl Violation {
    /// A violation of `rule`, explained by `message`.
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Violation { rule, message: message.into() }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sandbox rule '{}' broken: {}", self.rule, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_serializes_as_its_name_and_reads_back() {
        for rule in Rule::ALL {
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
            assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
        }
    }
}
