//! One module per `dive` command: its arguments and what it does.

pub(crate) mod call;
pub(crate) mod export;
pub(crate) mod replay;
pub(crate) mod serve;
pub(crate) mod store;
pub(crate) mod synth;
pub(crate) mod tool;
pub(crate) mod tools;
