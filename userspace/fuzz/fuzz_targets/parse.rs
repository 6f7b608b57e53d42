#![no_main]
//! cargo-fuzz target: every parser of nlfam-proto over arbitrary bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| nlfam_proto::fuzzing::check(data));
