//! Arbitrary rule-file text never panics the loader or the engine build; see `checks::rules`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::rules(data));
