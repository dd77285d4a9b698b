#![warn(missing_docs)]
//! The dive guest SDK: a tool is a type with typed arguments and a typed result.
//!
//! ```ignore
//! use dive_tool_sdk::{Tool, ToolError, JsonSchema};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Args { /// Text to reverse.
//!               text: String }
//! #[derive(Serialize, JsonSchema)]
//! struct Out { reversed: String }
//!
//! struct Reverse;
//! impl Tool for Reverse {
//!     const NAME: &'static str = "reverse_text";
//!     const DESCRIPTION: &'static str = "Reverse a string.";
//!     type Args = Args;
//!     type Output = Out;
//!     async fn run(a: Args) -> Result<Out, ToolError> {
//!         Ok(Out { reversed: a.text.chars().rev().collect() })
//!     }
//! }
//! dive_tool_sdk::export_tools!(Reverse);
//! ```
//!
//! The input and output JSON Schemas (2020-12) are derived from the types with
//! schemars: doc comments become descriptions, `#[serde(default)]` becomes `default`,
//! `#[schemars(extend("x-dive-type" = "rxcui"))]` tags a semantic type.

pub mod http;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "dive:tool/tool-provider",
        pub_export_macro: true,
        default_bindings_module: "dive_tool_sdk::bindings",
        export_macro_name: "export_component",
        generate_all,
    });
}

pub use schemars::{self, JsonSchema};
pub use serde_json::{self, json, Value};

use bindings::dive::tool::types as wit;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// How a tool call fails; maps one to one onto the WIT `tool-error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// The arguments were rejected.
    InvalidArgs(String),
    /// The remote service failed or answered an error.
    Upstream(String),
    /// Anything else.
    Internal(String),
}

impl ToolError {
    /// [`ToolError::InvalidArgs`]: the caller's arguments are at fault.
    pub fn invalid(msg: impl Into<String>) -> Self {
        ToolError::InvalidArgs(msg.into())
    }
    /// [`ToolError::Upstream`]: the remote service is at fault.
    pub fn upstream(msg: impl Into<String>) -> Self {
        ToolError::Upstream(msg.into())
    }
    /// [`ToolError::Internal`]: the tool itself is at fault.
    pub fn internal(msg: impl Into<String>) -> Self {
        ToolError::Internal(msg.into())
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToolError::InvalidArgs(m) => write!(f, "invalid arguments: {m}"),
            ToolError::Upstream(m) => write!(f, "upstream error: {m}"),
            ToolError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl From<ToolError> for wit::ToolError {
    fn from(e: ToolError) -> Self {
        match e {
            ToolError::InvalidArgs(m) => wit::ToolError::InvalidArgs(m),
            ToolError::Upstream(m) => wit::ToolError::Upstream(m),
            ToolError::Internal(m) => wit::ToolError::Internal(m),
        }
    }
}

/// One tool: a name, a description, typed arguments and a typed result.
pub trait Tool {
    /// Unique across the whole pool, snake_case.
    const NAME: &'static str;
    /// What the tool does, for the people and models choosing a tool.
    const DESCRIPTION: &'static str;
    /// The arguments; their JSON Schema is the tool's input schema. Arguments that do
    /// not deserialize fail the call as [`ToolError::InvalidArgs`].
    type Args: DeserializeOwned + JsonSchema;
    /// Use `serde_json::Value` for a result without a schema.
    type Output: Serialize + JsonSchema;
    /// Run one call, to completion: the future is driven by `wstd`'s executor, so it may
    /// await [`http`] requests. The result is returned as JSON.
    fn run(args: Self::Args) -> impl Future<Output = Result<Self::Output, ToolError>>;
}

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut v = serde_json::to_value(schema).unwrap_or(serde_json::Value::Bool(true));
    unwrap_doc_lines(&mut v);
    v
}

/// Doc comments wrapped over several lines become one line per paragraph in schema
/// descriptions (schemars keeps the source line breaks).
fn unwrap_doc_lines(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                match val {
                    serde_json::Value::String(s) if k == "description" => {
                        *s = s
                            .split("\n\n")
                            .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    other => unwrap_doc_lines(other),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(unwrap_doc_lines),
        _ => {}
    }
}

/// Whether a schema says nothing (so the tool has no output schema).
fn is_trivial(schema: &serde_json::Value) -> bool {
    match schema {
        serde_json::Value::Bool(true) => true,
        serde_json::Value::Object(m) => m.keys().all(|k| k == "$schema" || k == "title"),
        _ => false,
    }
}

#[doc(hidden)]
pub fn spec_of<T: Tool>() -> wit::ToolSpec {
    let input = schema_of::<T::Args>();
    let output = schema_of::<T::Output>();
    wit::ToolSpec {
        name: T::NAME.to_string(),
        description: T::DESCRIPTION.to_string(),
        input_schema: input.to_string(),
        output_schema: (!is_trivial(&output)).then(|| output.to_string()),
    }
}

#[doc(hidden)]
pub fn call_tool<T: Tool>(args: &str) -> Result<String, wit::ToolError> {
    let args: T::Args = serde_json::from_str(args)
        .map_err(|e| wit::ToolError::InvalidArgs(format!("{}: {e}", T::NAME)))?;
    let out = wstd::runtime::block_on(T::run(args)).map_err(wit::ToolError::from)?;
    serde_json::to_string(&out).map_err(|e| wit::ToolError::Internal(format!("cannot encode the result: {e}")))
}

/// Export a component whose tools are the given types.
#[macro_export]
macro_rules! export_tools {
    ($($tool:ty),+ $(,)?) => {
        #[allow(dead_code)]
        struct __DiveToolSet;
        impl $crate::bindings::exports::dive::tool::tool::Guest for __DiveToolSet {
            fn list_tools() -> ::std::vec::Vec<$crate::bindings::dive::tool::types::ToolSpec> {
                ::std::vec![$($crate::spec_of::<$tool>()),+]
            }
            fn call(
                name: ::std::string::String,
                args: ::std::string::String,
            ) -> ::std::result::Result<::std::string::String, $crate::bindings::dive::tool::types::ToolError> {
                $(
                    if name == <$tool as $crate::Tool>::NAME {
                        return $crate::call_tool::<$tool>(&args);
                    }
                )+
                ::std::result::Result::Err($crate::bindings::dive::tool::types::ToolError::InvalidArgs(
                    ::std::format!("this component has no tool named '{name}'"),
                ))
            }
        }
        // Exported only when built for WebAssembly: a native build (`cargo test` of
        // a tool crate that is also a cdylib) links without the component's symbols.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_component!(__DiveToolSet with_types_in $crate::bindings);
    };
}

/// Give an arguments type a JSON Schema written out by hand (enums, bounds, patterns and
/// defaults exactly as the upstream takes them) instead of one derived by schemars:
/// `hand_schema!(SearchArgs, "SearchArgs", json!({"type": "object", ...}));`. The
/// schema must be a JSON object (checked when the tool's spec is built).
#[macro_export]
macro_rules! hand_schema {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl $crate::schemars::JsonSchema for $ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut $crate::schemars::SchemaGenerator) -> $crate::schemars::Schema {
                $crate::schemars::Schema::try_from($schema).expect("a valid schema")
            }
        }
    };
}

/// A tool described by data instead of a type, for families that serve many tools of
/// the same shape from a table (e.g. one upstream endpoint per tool).
#[derive(Debug, Clone)]
pub struct ToolDef {
    /// Unique across the whole pool, snake_case.
    pub name: String,
    /// What the tool does, for the people and models choosing a tool.
    pub description: String,
    /// JSON Schema (2020-12) of the arguments object.
    pub input_schema: Value,
    /// JSON Schema of the result, when the tool has one.
    pub output_schema: Option<Value>,
}

/// A family whose tools are described by data: `tools()` lists them, `call` runs one.
/// The host has validated the arguments against the tool's input schema before `call`.
/// `call` answers a name `tools()` does not list with an invalid-args error (the host
/// only calls listed names; `tools()` is not rebuilt on every call, since for a large
/// family building every schema costs more than the call itself).
pub trait ToolSet {
    /// Every tool of the family, as the component lists them.
    fn tools() -> Vec<ToolDef>;
    /// Run tool `name` on `args` (always a JSON object), to completion on `wstd`'s
    /// executor.
    fn call(name: &str, args: Value) -> impl Future<Output = Result<Value, ToolError>>;
}

#[doc(hidden)]
pub fn spec_of_def(def: ToolDef) -> wit::ToolSpec {
    wit::ToolSpec {
        name: def.name,
        description: def.description,
        input_schema: def.input_schema.to_string(),
        output_schema: def.output_schema.map(|s| s.to_string()),
    }
}

#[doc(hidden)]
pub fn call_set<S: ToolSet>(name: &str, args: &str) -> Result<String, wit::ToolError> {
    let args: Value = serde_json::from_str(args)
        .map_err(|e| wit::ToolError::InvalidArgs(format!("{name}: the arguments are not JSON: {e}")))?;
    if !args.is_object() {
        return Err(wit::ToolError::InvalidArgs(format!("{name}: the arguments must be a JSON object")));
    }
    let out = wstd::runtime::block_on(S::call(name, args)).map_err(wit::ToolError::from)?;
    serde_json::to_string(&out).map_err(|e| wit::ToolError::Internal(format!("cannot encode the result: {e}")))
}

/// Export a component whose tools come from a [`ToolSet`].
#[macro_export]
macro_rules! export_toolset {
    ($set:ty) => {
        #[allow(dead_code)]
        struct __DiveToolSet;
        impl $crate::bindings::exports::dive::tool::tool::Guest for __DiveToolSet {
            fn list_tools() -> ::std::vec::Vec<$crate::bindings::dive::tool::types::ToolSpec> {
                <$set as $crate::ToolSet>::tools().into_iter().map($crate::spec_of_def).collect()
            }
            fn call(
                name: ::std::string::String,
                args: ::std::string::String,
            ) -> ::std::result::Result<::std::string::String, $crate::bindings::dive::tool::types::ToolError> {
                $crate::call_set::<$set>(&name, &args)
            }
        }
        // Exported only when built for WebAssembly: a native build (`cargo test` of
        // a tool crate that is also a cdylib) links without the component's symbols.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_component!(__DiveToolSet with_types_in $crate::bindings);
    };
}

/// Argument helpers for [`ToolSet`] tools (arguments arrive as a JSON object).
pub mod args {
    use crate::ToolError;
    use serde_json::Value;

    /// A required argument, as a string (numbers and booleans are rendered as text).
    pub fn required(args: &Value, name: &str) -> Result<String, ToolError> {
        optional(args, name)?.ok_or_else(|| ToolError::invalid(format!("'{name}' is required")))
    }

    /// An optional argument rendered as the text an upstream query expects;
    /// absent, null or empty string → None.
    pub fn optional(args: &Value, name: &str) -> Result<Option<String>, ToolError> {
        match args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        other => Err(ToolError::invalid(format!("'{name}' items must be strings or numbers, got {other}"))),
                    })
                    .collect::<Result<_, _>>()?;
                Ok((!parts.is_empty()).then(|| parts.join(",")))
            }
            Some(Value::Object(_)) => Err(ToolError::invalid(format!("'{name}' must be a string, number or list"))),
        }
    }
}
