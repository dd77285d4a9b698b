//! dive runtime: runs tool components in a capability-limited WebAssembly sandbox.
//!
//! - [`manifest`] and [`origin`]: the package format and its policy, as data
//! - [`engine`]: wasmtime configuration and the compiled-component cache
//! - [`package`] and [`pool`]: loading packages and their tools; [`index`]: what
//!   loading found out, so a command loads only the packages it runs
//! - [`sandbox`]: the rules of one call (network, files, secrets, clocks, limits)
//! - [`runtime`]: running a call and classifying how it ended
//! - [`store`], [`trace`], [`replay`], [`fsck`], [`cassette`]: evidence traces in a
//!   BLAKE3 content-addressed store, offline replay, recordings made by others

pub mod canonical;
pub mod cassette;
pub mod engine;
pub mod exchange;
pub mod fsck;
pub mod fsutil;
pub mod fuzzing;
pub mod index;
mod instances;
pub mod lock;
pub mod manifest;
pub mod origin;
pub mod package;
pub mod pool;
pub mod replay;
pub mod runtime;
pub mod sandbox;
pub mod store;
pub mod store_s3;
pub mod trace;
pub mod untrusted;

mod bindings;

pub use manifest::{Domain, Manifest, Policy};
pub use package::{ToolSpec, Trust};
pub use pool::{LoadIssue, ToolEntry, ToolIdentity};
pub use runtime::{CallError, CallOptions, CallRecord, Outcome, Runtime, RuntimeConfig, RuntimeError, Usage};
pub use sandbox::determinism::DeterminismConfig;
pub use sandbox::network::NetworkConfig;
pub use sandbox::secrets::{Grants, SecretSource};

/// This runtime's version, recorded in traces.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
