#![no_main]
//! Fuzz target: see `dive_deriver::fuzzing::task_lines`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dive_deriver::fuzzing::task_lines(data));
