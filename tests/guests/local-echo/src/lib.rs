//! Test guest: a package with one local tool, shaped like the built-in local tools (the
//! SDK's imports only: no HTTP, files or sockets). `probe_echo` in sandbox-probe does the
//! same work inside a component that imports every WASI interface it probes; the per-call
//! bench runs both, so the cost of a component's imports shows apart from the runtime's.

use dive_tool_sdk::{Tool, ToolError, Value};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// The echo tool's arguments (the same as `probe_echo`'s).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EchoArgs {
    /// Any text.
    text: String,
    /// How many times to repeat it.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100))]
    times: u32,
}
fn one() -> u32 {
    1
}

/// Echoes its input.
pub struct LocalEcho;
impl Tool for LocalEcho {
    const NAME: &'static str = "local_echo";
    const DESCRIPTION: &'static str = "Echo text, repeated the given number of times.";
    type Args = EchoArgs;
    type Output = Value;
    async fn run(a: EchoArgs) -> Result<Value, ToolError> {
        Ok(json!({ "echo": a.text.repeat(a.times as usize) }))
    }
}

dive_tool_sdk::export_tools!(LocalEcho);
