#![warn(missing_docs)]
//! dive's capability policy as plain data (ARCHITECTURE.md §4, §9), free of the engine:
//!
//! - [`manifest`]: `dive-tool.toml`, the package format and its per-tool policy
//! - [`origin`]: origins and the origin patterns a policy allows
//! - [`address`]: which resolved addresses are private (the address rule)
//! - [`rules`]: the sandbox rules a call can break, as a type
//! - [`untrusted`]: bounded readers for files a stranger may have written
//!
//! Everything here can be parsed, checked and tested without wasmtime; `dive-runtime`
//! enforces it.

pub mod address;
pub mod manifest;
pub mod origin;
pub mod rules;
pub mod untrusted;

pub use manifest::{Domain, Manifest, Policy};
pub use rules::{Rule, Violation};
