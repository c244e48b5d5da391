//! Email finder: practical RFC 5322 addresses, plain or URL-encoded.
//!
//! Gate: the `@` and `%` bytes in the region's byte-class masks (a `%` counts if `40` follows:
//! the URL-encoded `@`); both are rare in logs, so clean lines cost nothing more. Confirmation walks outwards: the local part over
//! `A-Z a-z 0-9 . _ % + -` (the `%` admits `%2B` and friends) and any non-ASCII byte, the domain
//! over dot-separated labels of letters, digits, `-` and non-ASCII bytes, ending in a label of at
//! least two characters that is not all digits. Non-ASCII bytes are taken in so that an
//! internationalized address is hidden whole rather than cut at its first non-ASCII byte. Quoted
//! local parts (`"a b"@x.org`) are not recognised: they do not occur in server logs. Angle
//! brackets, quotes, `=` and `:` end an address, so `user=<a@b.org>` hides only the address.
//!
//! One look-alike is a credential: in `https://jdoe:s3cret@db.example.com/` the text after the
//! colon is the password of a URL's user information, not the local part of an address. There the
//! find is narrowed to that password (`s3cret`), so the host stays readable and the span is the
//! same as the `url-password` detector's (`userinfo`), which then takes it if it is listed first. A password holding a
//! byte that cannot be in a local part still overlaps the address found after that byte, and the
//! span merge then redacts both whole: no part of it is shown either way.

use super::classes::{Class, Classes};
use super::span::{Found, RuleId, Span};
use crate::byteset::{alphanumeric_and, and_non_ascii};

const LOCAL: [bool; 256] = and_non_ascii(alphanumeric_and(b"._%+-"));
const LABEL: [bool; 256] = and_non_ascii(alphanumeric_and(b"-"));

fn is_local(c: u8) -> bool {
    LOCAL[usize::from(c)]
}

fn is_label(c: u8) -> bool {
    LABEL[usize::from(c)]
}

/// End of the domain starting at `at`, if it is a dotted domain.
fn domain_end(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    let mut labels = 0;
    let mut end = None;
    loop {
        let label_start = i;
        while i < b.len() && is_label(b[i]) {
            i += 1;
        }
        if i == label_start {
            break;
        }
        labels += 1;
        let label = &b[label_start..i];
        if labels >= 2 && label.len() >= 2 && !label.iter().all(u8::is_ascii_digit) {
            end = Some(i);
        }
        if i + 1 < b.len() && b[i] == b'.' && is_label(b[i + 1]) {
            i += 1;
        } else {
            break;
        }
    }
    end
}

fn local_start(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    while i > 0 && is_local(b[i - 1]) {
        i -= 1;
    }
    while i < at && b[i] == b'.' {
        i += 1;
    }
    (i < at).then_some(i)
}

/// True if the local part starting at `start` is the password of a URL's user information:
/// `//user:` (the user possibly empty) comes right before it.
fn is_url_password(b: &[u8], start: usize) -> bool {
    if start == 0 || b[start - 1] != b':' {
        return false;
    }
    let user = b[..start - 1].iter().rposition(|&c| !(is_local(c) || b"~!$&'()*,;=".contains(&c))).map_or(0, |i| i + 1);
    b[..user].ends_with(b"//")
}

/// Pushes the address around the at-sign at `at`; false if there is none.
fn push_at(b: &[u8], at: usize, sign_len: usize, rule: RuleId, out: &mut Vec<Span>) -> bool {
    // The local part first: the `@` of a JSON key (`"@timestamp"`) has none, and its domain
    // is then not walked.
    let Some(start) = local_start(b, at) else { return false };
    let Some(end) = domain_end(b, at + sign_len) else { return false };
    let end = if is_url_password(b, start) { at } else { end };
    out.push(Span::new(start, end, rule, Found::Other));
    true
}

/// Pushes a span for every email address in `b`. Returns how many at-signs had no address.
/// `cl` holds the byte classes of `b`.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    if !cl.has(Class::At) && !cl.has(Class::Percent) {
        return 0; // most regions: no block needs walking
    }
    let plain = cl.of_class(Class::At).filter(|&at| !push_at(b, at, 1, rule, out)).count();
    let encoded = cl.of_class(Class::Percent).filter(|&at| b.get(at + 1..at + 3) == Some(b"40"));
    plain + encoded.filter(|&at| !push_at(b, at, 3, rule, out)).count()
}

/// The form an address is pseudonymized in: URL-decoded and lower-cased, so `A.B%2Btag%40X.org`
/// and `a.b+tag@x.org` share a pseudonym.
pub fn normalize(value: &[u8], out: &mut Vec<u8>) {
    let from = out.len();
    let mut i = 0;
    while i < value.len() {
        let c = value[i];
        if c == b'%' && i + 2 < value.len() {
            let hex = |x: u8| (x as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(value[i + 1]), hex(value[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out[from..].make_ascii_lowercase();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    #[test]
    fn positives() {
        find.finds(&[
            ("to=a.b+tag@sub.example.co.uk ok", &["a.b+tag@sub.example.co.uk"]),
            ("From: <Jane.Doe@Example.ORG>", &["Jane.Doe@Example.ORG"]),
            ("\"jane@example.com\"", &["jane@example.com"]),
            ("?email=a.b%2Btag%40example.org&x=1", &["a.b%2Btag%40example.org"]),
            ("JANE@EXAMPLE.COM.", &["JANE@EXAMPLE.COM"]),
            ("user=jo_e-1@mail-1.example.net,", &["jo_e-1@mail-1.example.net"]),
            ("x j\u{f6}rg@example.de y", &["j\u{f6}rg@example.de"]),
            ("a@b.io c@d.io", &["a@b.io", "c@d.io"]),
            // URL user information: only the password.
            ("https://jdoe:s3cr.et@db.example.com/x", &["s3cr.et"]),
            ("redis://:pw@cache.example.net:6379", &["pw"]),
            ("ftp://a%40b:pw%40x@ftp.example.org", &["pw%40x"]),
            // A byte that cannot be in a local part: the address after it (fused with a URL
            // rule's span by the merge).
            ("https://jdoe:pa$s@db.example.com/", &["s@db.example.com"]),
            // Not user information: mailto, a bare `user:` label.
            ("mailto:jane@example.com", &["jane@example.com"]),
            ("from:jane@example.com", &["jane@example.com"]),
        ]);
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            "@example.com",
            "user@",
            "user@localhost",
            "a@1.2.3.4",
            "a @ b.com",
            "x@y.z",
            "100%40",
            "@@",
        ]);
    }

    #[test]
    fn normalizes_encoded_and_case() {
        let mut a = Vec::new();
        normalize(b"A.B%2Btag%40X.org", &mut a);
        assert_eq!(a, b"a.b+tag@x.org");
    }
}
