//! HTTP `Cookie` and `Set-Cookie` values: every cookie's value goes, its name stays.
//!
//! The key finder (`keywords`) finds the header by name, case-insensitively; a JSON member named
//! so is handed over by the line processor. This file walks the value as `name=value` pairs
//! separated by `;` (and `,`, which old clients and folded headers use). Cookie values are
//! session identifiers: bearer credentials as good as a password, so the walk fails closed:
//!
//! - a value runs to `;`, `,` or the end of the header value (a quoted value runs to its closing
//!   quote); where the header is not bounded, a space or quote also ends it, and the header;
//! - a segment without `=`, or whose name is not a plain cookie name (letters, digits, `_ - . $`),
//!   is taken as a value and goes whole: `cookie=abc&x=1` hides `abc&x=1`;
//! - in `Set-Cookie`, the attributes after the first pair (`Path`, `Domain`, `Expires`,
//!   `Max-Age`, `SameSite`, `Priority`, and the flags `Secure`, `HttpOnly`, `Partitioned`) are
//!   not secret and stay; any other attribute's value goes.

use super::span::{Found, RuleId, Span};

/// `Set-Cookie` attributes whose values are not secret.
const ATTRIBUTES: &[&str] = &["path", "domain", "expires", "max-age", "samesite", "priority"];
/// `Set-Cookie` attributes without a value.
const FLAGS: &[&str] = &["secure", "httponly", "partitioned"];

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'$')
}

fn one_of(list: &[&str], word: &[u8]) -> bool {
    list.iter().any(|s| s.as_bytes().eq_ignore_ascii_case(word))
}

/// Pushes a span for every cookie value in the header value that starts at `start` and runs at
/// most to the end of `b`. `bounded`: the end of `b` is where the value ends (a closing quote,
/// the end of a JSON string), so spaces do not end it. `set`: a `Set-Cookie` header.
pub fn find(b: &[u8], start: usize, bounded: bool, set: bool, rule: RuleId, out: &mut Vec<Span>) {
    let ends_header = |c: u8| !bounded && matches!(c, b' ' | b'\t' | b'"' | b'\'');
    let mut i = start;
    let mut first = true;
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() || ends_header(b[i]) {
            return;
        }
        let name_start = i;
        while i < b.len() && is_name_byte(b[i]) {
            i += 1;
        }
        let name = &b[name_start..i];
        let named = !name.is_empty() && b.get(i) == Some(&b'=');
        let attribute = set && !first;
        let value_start = if named { i + 1 } else { name_start };
        // `Expires=Wed, 21 Oct 2026 07:28:00 GMT` holds a comma and spaces; it is kept anyway.
        let expires = attribute && named && name.eq_ignore_ascii_case(b"expires");
        let mut end = value_start;
        if b.get(end) == Some(&b'"') {
            end =
                (end + 1 + b[end + 1..].iter().position(|&c| c == b'"').unwrap_or(b.len() - end - 1) + 1).min(b.len());
        }
        while end < b.len() && b[end] != b';' && (expires || b[end] != b',') && (expires || !ends_header(b[end])) {
            end += 1;
        }
        let keep = attribute && if named { one_of(ATTRIBUTES, name) } else { one_of(FLAGS, &b[value_start..end]) };
        if !keep && end > value_start {
            out.push(Span::new(value_start, end, rule, Found::Other));
        }
        first = false;
        match b.get(end) {
            Some(b';' | b',') => i = end + 1,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    fn found(value: &str, bounded: bool, set: bool) -> Vec<&str> {
        (|b: &[u8], o: &mut Vec<Span>| find(b, 0, bounded, set, 0, o)).found(value)
    }

    #[test]
    fn values_go_and_names_stay() {
        let cases: &[(&str, bool, bool, &[&str])] = &[
            ("sid=abc123; theme=dark", false, false, &["abc123", "dark"]),
            ("sid=abc123;theme=dark status=200", false, false, &["abc123", "dark"]),
            ("sid=abc123, lang=en", false, false, &["abc123", "en"]),
            ("sid=\"a b\"; x=1", false, false, &["\"a b\"", "1"]),
            ("sid=a b; x=1", true, false, &["a b", "1"]),
            ("__Host-sid=v1; _ga=GA1.2.3", false, false, &["v1", "GA1.2.3"]),
            ("abc123&x=1", false, false, &["abc123&x=1"]),
            ("sid=abc\" 200 5", false, false, &["abc"]),
            ("sid=; x=", false, false, &[]),
            (
                "sid=abc; Path=/; Domain=example.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure; HttpOnly; SameSite=Lax",
                false,
                true,
                &["abc"],
            ),
            ("sid=abc; Path=/; Foo=bar; Extra", false, true, &["abc", "bar", "Extra"]),
            ("Secure; sid=abc", false, true, &["Secure", "abc"]),
            ("", false, false, &[]),
        ];
        for (value, bounded, set, want) in cases {
            assert_eq!(found(value, *bounded, *set), *want, "{value:?}");
        }
    }
}
