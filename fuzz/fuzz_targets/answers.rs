#![no_main]
//! Fuzz target: see `dive_deriver::fuzzing::answers`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dive_deriver::fuzzing::answers(data));
