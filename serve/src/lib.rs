//! Serving dive's sandboxed tools to agents (ARCHITECTURE.md §10).
//!
//! - [`mcp`]: a Model Context Protocol server over stdio or streamable HTTP; every
//!   `tools/call` runs in a fresh sandbox under the same rules as `dive call`
//! - [`env`]: a reinforcement-learning environment over HTTP/JSON (`/reset`, `/step`,
//!   `/submit`, `/health`) whose steps are answered from each task's recorded evidence
//!   and whose rewards come from each task's verifier
//! - [`edge`]: what both share at the network edge: where to listen, the bearer token,
//!   bounded bodies, JSON errors and a graceful stop on SIGINT/SIGTERM
//! - [`session`]: one recorded session (an MCP session or an env episode) as one trace
//! - [`evidence`]: answering a call's HTTP from recorded exchanges

#![warn(missing_docs)]

pub mod edge;
pub mod env;
mod error;
pub mod evidence;
pub mod mcp;
pub mod session;

pub use error::ServeError;
