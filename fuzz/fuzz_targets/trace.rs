#![no_main]
//! Fuzz target: see `dive_runtime::fuzzing::trace`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dive_runtime::fuzzing::trace(data));
