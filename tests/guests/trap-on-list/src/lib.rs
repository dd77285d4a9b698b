//! A component whose `list-tools` traps: the host must refuse the package at load and
//! carry on with the others.
use dive_tool_sdk::bindings::dive::tool::types::{ToolError, ToolSpec};
use dive_tool_sdk::bindings::exports::dive::tool::tool::Guest;

struct TrapOnList;

impl Guest for TrapOnList {
    fn list_tools() -> Vec<ToolSpec> {
        panic!("list-tools refuses to work")
    }
    fn call(_name: String, _args: String) -> Result<String, ToolError> {
        Err(ToolError::Internal("unreachable".into()))
    }
}

dive_tool_sdk::bindings::export_component!(TrapOnList with_types_in dive_tool_sdk::bindings);
