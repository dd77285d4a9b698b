//! The deriver: evidence traces → verifiable tasks (ARCHITECTURE.md §7).
//!
//! - [`types`]: semantic types of parameters and values (`x-dive-type`, names)
//! - [`evidence`]: a trace's calls as the deriver sees them, typed result values
//! - [`graph`]: the data-flow graph and its canonical form
//! - [`derive`]: answers along a value's dependency path, round by round
//! - [`question`]: questions in words from [`phrases`] (one relation phrase per tool) and [`words`]
//! - [`task`]: task records, answer bindings and verifiers
//! - [`policy`]: the built-in evidence policy, with [`derived`] values no seed gives; [`llm`]: the chat-completions policy; [`rephrase`]: a model's rewrite of a question
//! - [`sample`]: config sampling from the run seed; [`synth`]: the synthesis loop; [`shard`]: sharded runs and their merge
//! - [`verify`], [`stats`], [`reverify`]: scoring, diversity, re-verification

pub mod derive;
pub mod derived;
pub mod evidence;
pub mod fuzzing;
pub mod graph;
pub mod llm;
pub mod phrases;
pub mod policy;
pub mod question;
pub mod rephrase;
pub mod reverify;
pub mod sample;
pub mod shard;
pub mod stats;
pub mod synth;
pub mod task;
pub mod task_index;
pub mod types;
pub mod verify;
pub mod watch;
pub mod words;

/// Canonical JSON text (sorted keys) of a value, for deduplication keys.
pub fn canonical_text(v: &serde_json::Value) -> String {
    dive_runtime::canonical::to_string(v)
}
