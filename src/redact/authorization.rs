//! HTTP `Authorization` (and `Proxy-Authorization`) values: what of a header value is the secret.
//!
//! The key finder (`keywords`) finds the header by name, case-insensitively, in any of the
//! syntaxes it reads (`Authorization: ...`, `authorization=...`, `"authorization":"..."`); a JSON
//! member named so is handed over by the line processor. This file reads the value
//! `<scheme> <credentials>` (RFC 9110 section 11.4):
//!
//! - a scheme whose credentials are one token (`Bearer`, `Basic`, `Token`, `Negotiate`, ...)
//!   stays readable and only the token goes: `Bearer [SECRET]`. Where the value is bounded (a
//!   quoted value, a JSON string) everything after the scheme goes, spaces included;
//! - a scheme with parameters (`Digest username="x", response="..."`, `AWS4-HMAC-SHA256 ...`)
//!   stays, and everything after it goes, to the end of the value (the end of the region when the
//!   value is not bounded): the parameters hold the secret and their extent is not knowable in a
//!   free-form line, so this fails closed;
//! - an unknown word followed by more text could be a scheme or the credential itself: both go;
//! - a single word (`Authorization: 0123abcd`, an API key sent raw) goes whole.

use super::span::{Found, RuleId, Span};

/// Schemes whose credentials are a single token68 or token.
const ONE_TOKEN: &[&str] =
    &["bearer", "basic", "token", "negotiate", "ntlm", "apikey", "api-key", "key", "bot", "ssws", "jwt", "dpop"];

/// Schemes whose credentials are a parameter list.
const PARAMETERS: &[&str] =
    &["digest", "aws4-hmac-sha256", "oauth", "hoba", "mutual", "scram-sha-1", "scram-sha-256", "signature", "vapid"];

/// A byte of an HTTP token (RFC 9110 `tchar`).
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn known(list: &[&str], word: &[u8]) -> bool {
    list.iter().any(|s| s.as_bytes().eq_ignore_ascii_case(word))
}

/// Where a credential token that starts at `i` ends: at a space or quote, or at the end of `b`.
fn token_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'"' | b'\'') {
        i += 1;
    }
    i
}

/// Pushes the secret parts of the header value that starts at `start` and runs at most to the
/// end of `b`. `bounded`: the end of `b` is where the value ends (a closing quote, the end of a
/// JSON string), so spaces do not end it.
pub fn find(b: &[u8], start: usize, bounded: bool, rule: RuleId, out: &mut Vec<Span>) {
    let mut push = |s: usize, e: usize| {
        if e > s {
            out.push(Span::new(s, e, rule, Found::Other));
        }
    };
    let mut start = start;
    while start < b.len() && b[start] == b' ' {
        start += 1;
    }
    let scheme_end = start + b[start..].iter().position(|&c| !is_tchar(c)).unwrap_or(b.len() - start);
    let mut rest = scheme_end;
    while rest < b.len() && b[rest] == b' ' {
        rest += 1;
    }
    let more = scheme_end > start && rest > scheme_end && rest < b.len() && !matches!(b[rest], b'"' | b'\'');
    if !more {
        // One word: the credential itself.
        push(start, if bounded { b.len() } else { token_end(b, start) });
        return;
    }
    let scheme = &b[start..scheme_end];
    if known(ONE_TOKEN, scheme) {
        push(rest, if bounded { b.len() } else { token_end(b, rest) });
    } else if known(PARAMETERS, scheme) {
        push(rest, b.len());
    } else {
        push(start, b.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    fn found(value: &str, bounded: bool) -> Vec<&str> {
        (|b: &[u8], o: &mut Vec<Span>| find(b, 0, bounded, 0, o)).found(value)
    }

    #[test]
    fn schemes_stay_and_credentials_go() {
        let cases: &[(&str, bool, &[&str])] = &[
            ("Bearer abc.def-ghi", false, &["abc.def-ghi"]),
            ("bearer abc.def-ghi status=200", false, &["abc.def-ghi"]),
            ("Basic dXNlcjpwYXNz\" 200", false, &["dXNlcjpwYXNz"]),
            ("  Token  t0k3n", false, &["t0k3n"]),
            ("Bearer abc def", true, &["abc def"]),
            (
                r#"Digest username="jdoe", realm="x", response="6629fae4""#,
                true,
                &[r#"username="jdoe", realm="x", response="6629fae4""#],
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101, Signature=fe5f",
                false,
                &["Credential=AKIAIOSFODNN7EXAMPLE/20260101, Signature=fe5f"],
            ),
            ("0123456789abcdef", false, &["0123456789abcdef"]),
            ("0123456789abcdef next=1", false, &["0123456789abcdef next=1"]),
            ("Custom k3y", true, &["Custom k3y"]),
            ("Bearer", false, &["Bearer"]),
            ("", false, &[]),
            ("   ", true, &[]),
        ];
        for (value, bounded, want) in cases {
            assert_eq!(found(value, *bounded), *want, "{value:?} bounded: {bounded}");
        }
    }
}
