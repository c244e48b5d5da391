//! Web server access logs: NCSA common and combined formats, with the common variants that
//! append more quoted fields (X-Forwarded-For, request time, upstream address).
//!
//! `client ident user [time] "request" status bytes ["referer" "user agent"] ["extra"...]`
//! Fields are found by position, so that rules can target `remote_user` even when it is a plain
//! name no pattern would find. Quoted fields honour `\"` escapes as nginx writes them.

use super::Field;
use crate::redact::classes::{Class, Classes};

/// Field names, in order.
pub const FIELDS: [&str; 9] =
    ["client_ip", "ident", "remote_user", "time", "request", "status", "bytes", "referer", "user_agent"];

/// The position of `time` in [`FIELDS`].
pub const TIME: usize = 3;

/// Where the space-delimited token at `at` ends.
fn token_end(b: &[u8], cl: &Classes, at: usize) -> usize {
    cl.next(Class::Space, at).unwrap_or(b.len())
}

/// Where the quoted field whose opening quote is at `at` ends (after its closing quote).
fn quoted_end(b: &[u8], cl: &Classes, at: usize) -> Option<usize> {
    cl.closing_quote(b, at + 1).map(|(close, _)| close + 1)
}

/// Splits an access-log line into fields (value ranges without quotes or brackets); `cl` holds
/// the line's byte classes, where its spaces, quotes and backslashes are found. Returns `false`,
/// with `out` left empty, if the line is not in that shape.
pub fn fields(b: &[u8], cl: &Classes, out: &mut Vec<Field>) -> bool {
    out.clear();
    let mut at = 0;
    for name in &FIELDS[..3] {
        let end = token_end(b, cl, at);
        if end == at || end >= b.len() {
            out.clear();
            return false;
        }
        out.push(Field::named(name, at, end));
        at = end + 1;
    }
    // [time]
    if b.get(at) != Some(&b'[') {
        out.clear();
        return false;
    }
    let Some(close) = memchr::memchr(b']', &b[at..]).map(|i| at + i) else {
        out.clear();
        return false;
    };
    out.push(Field::named(FIELDS[TIME], at + 1, close));
    at = close + 1;
    // "request" status bytes
    if b.get(at) != Some(&b' ') || b.get(at + 1) != Some(&b'"') {
        out.clear();
        return false;
    }
    at += 1;
    let Some(end) = quoted_end(b, cl, at) else {
        out.clear();
        return false;
    };
    out.push(Field::named("request", at + 1, end - 1));
    at = end;
    for name in ["status", "bytes"] {
        if b.get(at) != Some(&b' ') {
            out.clear();
            return false;
        }
        let end = token_end(b, cl, at + 1);
        out.push(Field::named(name, at + 1, end));
        at = end;
    }
    // Optional quoted fields: referer, user agent, then extras named extra1, extra2, ...
    let mut n = 0;
    while b.get(at) == Some(&b' ') && b.get(at + 1) == Some(&b'"') {
        let Some(end) = quoted_end(b, cl, at + 1) else { break };
        out.push(Field::indexed(FIELDS.get(7 + n).copied(), n, at + 2, end - 1));
        at = end;
        n += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<(String, &str)> {
        crate::format::named_fields(|b, o| fields(b, &Classes::of(b), o), line)
    }

    #[test]
    fn combined_with_extras() {
        let line = r#"203.0.113.7 - frank [10/Oct/2026:13:55:36 -0700] "GET /a\"b HTTP/1.1" 200 2326 "http://x/" "Mozilla/5.0" "198.51.100.1, 10.0.0.1" 0.003"#;
        let f = split(line);
        assert_eq!(f[0], ("client_ip".into(), "203.0.113.7"));
        assert_eq!(f[2], ("remote_user".into(), "frank"));
        assert_eq!(f[4], ("request".into(), r#"GET /a\"b HTTP/1.1"#));
        assert_eq!(f[8], ("user_agent".into(), "Mozilla/5.0"));
        assert_eq!(f[9], ("extra1".into(), "198.51.100.1, 10.0.0.1"));
        assert_eq!(f.len(), 10);
    }

    #[test]
    fn common_and_not_access() {
        assert_eq!(split(r#"::1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 404 -"#).len(), 7);
        assert!(split("Nov 22 10:00:00 host sshd[1]: hello").is_empty());
        assert!(split("a b c").is_empty());
    }
}
