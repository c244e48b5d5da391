//! Inline examples in rule files (`[[example]]`) and the runner behind `loganon rules test`.
//!
//! An example gives an input line and what must hold for its anonymized form: the exact
//! `output` (compared without the expiry tag, which depends on the clock), strings that must be
//! gone (`redacted`) or still there (`kept`), and the retention the line gets (`expires_in`).
//! Examples run with a fixed clock and, for `ip_mode = "hash"`, a fixed example key that is
//! printed nowhere else: outputs containing pseudonyms are therefore stable across runs.

use super::{IpMode, Origin, RuleError, Ruleset, Source, model};
use crate::anonymize::Pseudonymizer;
use crate::process::{LineScratch, Options, Processor, Stats};
use crate::retention::{format_duration, parse_duration};
use toml::Spanned;

/// The key examples are pseudonymized with. Public by design: never use it for real logs.
pub const EXAMPLE_KEY: &[u8] = b"loganon example key - not secret";

/// The clock examples run at.
pub const EXAMPLE_NOW: i64 = 1_798_761_600; // 2027-01-01T00:00:00Z

#[derive(Clone, Debug)]
pub struct Example {
    pub origin: Origin,
    pub input: String,
    pub output: Option<String>,
    pub redacted: Vec<String>,
    pub kept: Vec<String>,
    pub ip_mode: Option<IpMode>,
    pub expires_in: Option<i64>,
}

impl Example {
    pub(super) fn load(src: &Source, entry: &Spanned<model::ExampleEntry>) -> Result<Self, RuleError> {
        let e = entry.get_ref();
        let origin = src.error(entry.span(), "").origin();
        if e.input.contains('\n') {
            return Err(src.error(entry.span(), "example input must be a single line"));
        }
        if e.output.is_none() && e.redacted.is_empty() && e.kept.is_empty() && e.expires_in.is_none() {
            return Err(src.error(entry.span(), "example checks nothing: give output, redacted, kept or expires_in"));
        }
        let expires_in = match &e.expires_in {
            Some(d) => Some(
                parse_duration(d.get_ref())
                    .ok_or_else(|| src.error(d.span(), format!("invalid duration '{}'", d.get_ref())))?,
            ),
            None => None,
        };
        let ip_mode = e.ip_mode.map(|m| match m {
            model::IpModeName::Truncate => IpMode::Truncate,
            model::IpModeName::Hash => IpMode::Hash,
        });
        Ok(Self {
            origin,
            input: e.input.clone(),
            output: e.output.clone(),
            redacted: e.redacted.clone(),
            kept: e.kept.clone(),
            ip_mode,
            expires_in,
        })
    }
}

/// Removes the expiry tag from an output line (text suffix or JSON member).
fn strip_tag(line: &str) -> String {
    let line = line.trim_end_matches('\n');
    if let Some(i) = line.rfind(" expires_at=") {
        return line[..i].to_owned();
    }
    if let Some(i) = line.rfind("\"expires_at\":\"") {
        let start = if line[..i].ends_with(',') { i - 1 } else { i };
        let end = i + "\"expires_at\":\"".len() + 21;
        return format!("{}{}", &line[..start], &line[end.min(line.len())..]);
    }
    line.to_owned()
}

/// Runs one example; returns a description of every way it failed.
fn check(set: &Ruleset, ex: &Example) -> Result<Vec<String>, String> {
    let key = Pseudonymizer::new(EXAMPLE_KEY).expect("example key is long enough");
    let engine = set.engine(ex.ip_mode, Some(key)).map_err(|e| format!("{}: {e}", ex.origin))?;
    let processor = Processor::new(engine, &set.retention, Options::default());
    let mut out = Vec::new();
    let period = processor.line(
        ex.input.as_bytes(),
        false,
        EXAMPLE_NOW,
        &mut LineScratch::default(),
        &mut Stats::default(),
        &mut out,
    );
    let actual = strip_tag(&String::from_utf8_lossy(&out));
    let mut failures = Vec::new();
    if let Some(want) = &ex.output {
        if *want != actual {
            let at = want.bytes().zip(actual.bytes()).take_while(|(a, b)| a == b).count();
            failures.push(format!(
                "output differs at byte {at}\n    - expected: {want}\n    + actual:   {actual}\n                {}^",
                " ".repeat(at)
            ));
        }
    }
    for s in &ex.redacted {
        if actual.contains(s.as_str()) {
            failures.push(format!("'{s}' should be redacted but is in the output: {actual}"));
        }
    }
    for s in &ex.kept {
        if !actual.contains(s.as_str()) {
            failures.push(format!("'{s}' should be kept but is not in the output: {actual}"));
        }
    }
    if let Some(want) = ex.expires_in {
        if want != period {
            failures.push(format!("retention is {}, expected {}", format_duration(period), format_duration(want)));
        }
    }
    Ok(failures)
}

/// The outcome of running a ruleset's examples.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    /// (where, what failed)
    pub failed: Vec<(Origin, Vec<String>)>,
}

/// Runs every example of a ruleset. An example that cannot run at all (its IP mode conflicts
/// with a pinned rule) is an error.
pub fn run(set: &Ruleset) -> Result<Report, String> {
    let mut report = Report::default();
    for ex in &set.examples {
        let failures = check(set, ex)?;
        if failures.is_empty() {
            report.passed += 1;
        } else {
            report.failed.push((ex.origin.clone(), failures));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_both_tag_forms() {
        assert_eq!(strip_tag("a b expires_at=2027-01-31T00:00:00Z\n"), "a b");
        assert_eq!(strip_tag(r#"{"a":1,"expires_at":"2027-01-31T00:00:00Z"}"#), r#"{"a":1}"#);
        assert_eq!(strip_tag(r#"{"expires_at":"2027-01-31T00:00:00Z"}"#), "{}");
    }

    #[test]
    fn failing_example_is_reported_with_its_line() {
        let text = "[[rule]]\nname = \"email\"\ndetector = \"email\"\naction = \"redact\"\n\n[[example]]\ninput = \"mail a@b.org\"\noutput = \"mail a@b.org\"\n";
        let set = Ruleset::load(&[Source { name: "x.toml".into(), text: text.into() }]).unwrap();
        let report = run(&set).unwrap();
        assert_eq!(report.passed, 0);
        assert_eq!(report.failed[0].0.line, 6);
        assert!(report.failed[0].1[0].contains("[EMAIL]"), "{:?}", report.failed);
    }
}
