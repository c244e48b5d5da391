//! Private-key finder: PEM blocks (`-----BEGIN RSA PRIVATE KEY-----` ... `-----END ...-----`).
//!
//! loganon sees one line at a time (and one JSON string at a time), so a key shows up in three
//! shapes, each handled here:
//!
//! 1. a whole block inside one region: a JSON string (its `\n` escapes decoded), or a text line
//!    holding the block with literal `\n` escapes. The markers stay and the body between them
//!    goes: `-----BEGIN RSA PRIVATE KEY-----[SECRET]-----END RSA PRIVATE KEY-----`.
//! 2. a `BEGIN` marker with no `END` after it in the region: everything after the marker goes, to
//!    the end of the region (fail closed: a cut line or a key logged raw).
//! 3. a raw multi-line key written to a log file line by line: the body lines arrive as lines of
//!    their own, with nothing to say they belong to a key. A line (region) that is, apart from
//!    surrounding whitespace, exactly one base64 run of the PEM line width (64 characters, or 70
//!    for OpenSSH keys) with upper- and lower-case letters and digits is taken as a body line and
//!    goes whole. The last body line is shorter and is not recognisable on its own: it passes.
//!    A body line behind a syslog header is not a whole region and passes too.
//!
//! The label must name a private key (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE
//! KEY`, `PGP PRIVATE KEY BLOCK`); certificates and public keys are not secret and stay.
//! Gate: the region's byte-class masks must hold a run of five dashes before the vectorized search
//! for `-----BEGIN ` runs; the body-line test looks at the region's length first.

use super::classes::{Class, Classes, has_run};
use super::span::{Found, RuleId, Span};
use memchr::memmem::Finder;
use std::sync::LazyLock;

static BEGIN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"-----BEGIN "));
static END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"-----END "));

/// Where the marker whose label starts at `at` ends (after its closing dashes), if the label is
/// upper-case words naming a private key.
fn private_label_end(b: &[u8], at: usize) -> Option<usize> {
    let len = b[at..].iter().position(|&c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '))?;
    let label = &b[at..at + len];
    let private = label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK");
    (private && b[at + len..].starts_with(b"-----")).then_some(at + len + 5)
}

/// The widths of PEM body lines: 64 characters, or 70 for OpenSSH keys (ascending: the first is
/// the shortest a body line can be).
pub const BODY_WIDTHS: [usize; 2] = [64, 70];

/// True if `t` looks like one line of a PEM body: the PEM width, base64, mixed classes (which a
/// hex digest or a word never has).
fn is_body_line(t: &[u8]) -> bool {
    if !BODY_WIDTHS.contains(&t.len()) {
        return false;
    }
    let (mut upper, mut lower, mut digit) = (false, false, false);
    for &c in t {
        match c {
            b'A'..=b'Z' => upper = true,
            b'a'..=b'z' => lower = true,
            b'0'..=b'9' => digit = true,
            b'+' | b'/' => {}
            _ => return false,
        }
    }
    upper && lower && digit
}

/// True if the region holds five dashes in a row somewhere, as every marker does.
fn has_marker_dashes(cl: &Classes) -> bool {
    has_run(cl.blocks(), |i| cl.mask(Class::Dash, i), 5)
}

/// Pushes a span for every private-key body in `b`, whose byte classes `cl` holds. Returns how
/// many `BEGIN` markers named no private key.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    let trimmed = b.trim_ascii();
    if is_body_line(trimmed) {
        let start = b.len() - b.trim_ascii_start().len();
        out.push(Span::new(start, start + trimmed.len(), rule, Found::Other));
        return 0;
    }
    if !cl.has(Class::Dash) || !has_marker_dashes(cl) {
        return 0;
    }
    let mut rejected = 0;
    let mut from = 0;
    while let Some(i) = BEGIN.find(&b[from..]).map(|i| from + i) {
        let Some(body) = private_label_end(b, i + 11) else {
            rejected += 1;
            from = i + 11;
            continue;
        };
        let end = END.find(&b[body..]).map_or(b.len(), |e| body + e);
        if end > body {
            out.push(Span::new(body, end, rule, Found::Other));
        }
        from = end.max(body);
        if from >= b.len() {
            break;
        }
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    const BODY: &str = "MIIEowIBAAKCAQEAvXyZfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE0123";

    #[test]
    fn positives() {
        let one_line = format!("key=-----BEGIN RSA PRIVATE KEY-----\\n{BODY}\\n-----END RSA PRIVATE KEY-----\\n done");
        let decoded = format!("-----BEGIN PRIVATE KEY-----\n{BODY}\nabc=\n-----END PRIVATE KEY-----\n");
        let open = format!("got -----BEGIN OPENSSH PRIVATE KEY-----{BODY} and more");
        let body = format!("\\n{BODY}\\n");
        let body_nl = format!("\n{BODY}\nabc=\n");
        let or_end = format!("{BODY} and more");
        find.finds(&[
            (&one_line, &[&body]),
            (&decoded, &[&body_nl]),
            (&open, &[&or_end]),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----", &[]),
            ("x -----BEGIN EC PRIVATE KEY-----abc", &["abc"]),
            ("-----BEGIN PGP PRIVATE KEY BLOCK-----lQdGBF", &["lQdGBF"]),
            (BODY, &[BODY]),
            ("  MIIEowIBAAKCAQEAvXyZfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE0123\t", &[BODY]),
        ]);
    }

    #[test]
    fn the_gate_sees_five_dashes_at_every_offset() {
        for pad in 0..140 {
            let line = format!("{}-----BEGIN", "a".repeat(pad));
            assert!(has_marker_dashes(&Classes::of(line.as_bytes())), "{line}");
            let short = format!("{}---- -BEGIN", "a".repeat(pad));
            assert!(!has_marker_dashes(&Classes::of(short.as_bytes())), "{short}");
        }
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            "-----BEGIN CERTIFICATE-----MIIDdzCCAl+gAwIBAgIE-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
            "-----BEGIN private key-----abc",
            "-----END RSA PRIVATE KEY-----",
            // A hex digest of the body width, a word of it, base64 with a space, a shorter line.
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "ThisIsAVeryLongIdentifierWithoutAnyDigitsInItAtAllJustLettersAbc",
            "MIIEowIBAAKCAQEAvXyZ fakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE0123",
            "MIIEowIBAAKCAQEAvXyZfakeFAKEfakeFAKE==",
            "2026-11-22T10:00:00Z a line of an ordinary log that is sixty-four",
        ]);
    }
}
