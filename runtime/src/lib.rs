#![warn(missing_docs)]
//! dive runtime: runs tool components in a capability-limited WebAssembly sandbox, and
//! the façade the rest of dive depends on.
//!
//! - policy, re-exported from `dive-policy` (no engine): [`manifest`] and [`origin`],
//!   the package format and its policy as data; [`untrusted`], bounded readers
//! - evidence, re-exported from `dive-evidence` (no engine): [`canonical`],
//!   [`exchange`], [`store`], [`trace`], [`fsck`], [`cassette`]
//! - [`config`]: every `DIVE_*` variable, read in one place, and the network settings
//! - [`engine`]: wasmtime configuration and the compiled-component cache
//! - packages and the pool (internal): loading packages and their tools; [`index`]:
//!   what loading found out, so a command loads only the packages it runs
//! - the sandbox (internal): the rules of one call (network, files, secrets, clocks,
//!   limits), each in its own module
//! - [`transport`]: where a request that passed the network rule goes: the live
//!   network, a replayed trace, imported cassettes
//! - [`runtime`]: running a call and classifying how it ended
//! - [`record`] and [`replay`]: a session of calls written as a trace, and read back

pub use dive_evidence::{canonical, cassette, exchange, fsck, fsutil, hash, store, store_s3, trace};
pub use dive_policy::{manifest, origin, rules, untrusted};

pub mod config;
pub mod engine;
pub mod fuzzing;
pub mod index;
mod instances;
pub mod lock;
mod package;
mod pool;
pub mod record;
pub mod replay;
pub mod runtime;
mod sandbox;
pub mod schema;
pub mod transport;

mod bindings;

pub use dive_evidence::Hash;
pub use manifest::{Domain, Manifest, Policy};
pub use package::{Package, ToolSpec, Trust};
pub use schema::Schema;
pub use pool::{LoadIssue, ToolEntry, ToolIdentity};
pub use runtime::{CallError, CallOptions, CallRecord, Outcome, Runtime, RuntimeConfig, RuntimeError, Usage};
pub use sandbox::determinism::DeterminismConfig;
pub use config::{DiveEnv, NetworkConfig};
pub use sandbox::secrets::{CallSecrets, Grants, SecretSource, SecretsError};

/// This runtime's version, recorded in traces.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
