//! The format parsers never panic and keep their ranges in bounds; see `checks::formats`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::formats(data));
