#![warn(missing_docs)]
//! dive's evidence, free of the engine (ARCHITECTURE.md §5): what a call was and how it
//! ended, kept so that it can be checked by anyone, long after.
//!
//! - [`hash`]: BLAKE3 content hashes as a type
//! - [`canonical`]: canonical JSON (RFC 8785, and the first trace format's form)
//! - [`record`], [`exchange`], [`determinism`]: one call as values — the tool's identity,
//!   its outcome and usage, its HTTP exchanges, its seed and pinned instant
//! - [`store`] (a directory, or [`store_s3`] on an object store): blobs, traces, refs
//!   and files under their hashes, never half-written
//! - [`trace`]: the trace document, written and read back checked; [`fsck`] checks and
//!   collects a whole store; [`cassette`]: recordings made by others, imported
//!
//! Nothing here runs a tool: `dive-runtime` records and replays through these types, and
//! `fsck`, `verify` and `stats` need no more than this crate.

pub mod canonical;
pub mod cassette;
pub mod determinism;
pub mod exchange;
pub mod fsck;
pub mod fsutil;
pub mod hash;
pub mod record;
pub mod store;
pub mod store_s3;
pub mod trace;

/// The bounded readers every reader of evidence goes through.
pub(crate) use dive_policy::untrusted;

pub use hash::Hash;
pub use record::{CallRecord, Outcome, ToolErrorKind, ToolIdentity, Usage};
