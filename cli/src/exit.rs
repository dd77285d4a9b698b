//! Exit codes (ARCHITECTURE.md §6), decided here and nowhere else: 0 success, 1 the
//! tool or dive failed, 2 the caller asked for something wrong, 3 a sandbox rule was
//! broken.

use dive_runtime::{CallError, Outcome};

/// Success.
pub const OK: u8 = 0;
/// The tool failed, or dive did (I/O, the store, an internal error).
pub const FAILED: u8 = 1;
/// What the caller asked for is wrong: bad arguments, unknown tool, bad input file.
pub const USAGE: u8 = 2;
/// The call broke a sandbox rule.
pub const VIOLATION: u8 = 3;

/// How a call that ran ended, as an exit code.
pub fn of_outcome(outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Ok(_) => OK,
        Outcome::ToolError { .. } | Outcome::Trap { .. } => FAILED,
        Outcome::Violation { .. } => VIOLATION,
    }
}

/// Why a call did not run, as an exit code: the caller's to fix, except an internal error.
pub fn of_call_error(e: &CallError) -> u8 {
    match e {
        CallError::Internal { .. } => FAILED,
        CallError::UnknownTool { .. } | CallError::InvalidArgs { .. } | CallError::MissingSecret(_) => USAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dive_runtime::runtime::ToolErrorKind;
    use dive_runtime::rules::Rule;

    #[test]
    fn outcomes_map_to_the_architecture_codes() {
        assert_eq!(of_outcome(&Outcome::Ok("{}".into())), 0);
        assert_eq!(of_outcome(&Outcome::ToolError { kind: ToolErrorKind::Upstream, message: String::new() }), 1);
        assert_eq!(of_outcome(&Outcome::Trap { message: String::new() }), 1);
        assert_eq!(of_outcome(&Outcome::Violation { rule: Rule::Timeout, message: String::new() }), 3);
        let unknown = CallError::UnknownTool { name: "x".into(), hint: String::new() };
        assert_eq!(of_call_error(&unknown), 2);
        assert_eq!(of_call_error(&CallError::Internal { tool: "x".into(), message: String::new() }), 1);
    }
}
