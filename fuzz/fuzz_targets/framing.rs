//! Any chunking of a byte stream frames exactly like the whole stream; see `checks::framing`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::framing(data));
