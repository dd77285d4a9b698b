#![no_main]
//! Fuzz target: see `dive_runtime::fuzzing::args`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dive_runtime::fuzzing::args(data));
