//! One line through the default rules: one tagged line out, planted values never survive; see
//! `checks::redact_line`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use loganon::process::Processor;
use std::sync::LazyLock;

/// Built once per fuzzing process: compiling the rules is not what is being fuzzed.
static PROCESSOR: LazyLock<Processor> = LazyLock::new(checks::default_processor);

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::redact_line(&PROCESSOR, data));
