//! URL passwords: in `scheme://user:password@host/...` the password goes; the user and the host
//! stay.
//!
//! Found from the `@` that ends a URL's user information, not from the `://` that starts it: `@`
//! is rare in logs, `://` is in nearly every access-log line (the referer). As a regex rule
//! anchored on `://` this cost about a tenth of the whole run on an access log, nearly all of it
//! on URLs without user information. From each `@` (in the region's byte-class masks), the authority is walked back to
//! the `//` that opens it and forward to the `/`, `?`, `#`, space or quote that ends it; the user
//! information is everything up to the authority's last `@` (a password may hold a raw `@`), and
//! the password is what follows its first `:`. A user without a password (`//jdoe@host`) gives
//! nothing. Percent-encoded passwords are hidden as written.

use super::classes::{Class, Classes};
use super::span::{Found, RuleId, Span};

/// A byte that can be part of a URL's authority as logs write it.
fn in_authority(c: u8) -> bool {
    c > b' ' && !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\' | 0x7f)
}

/// Pushes a span for the password of every URL with user information in `b`. Returns how many
/// authorities had user information without a password.
/// `cl` holds the byte classes of `b`.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    if !cl.has(Class::At) {
        return 0;
    }
    let mut rejected = 0;
    let mut after = 0;
    for at in cl.of_class(Class::At) {
        if at < after {
            continue; // another `@` of an authority already read
        }
        let start = b[..at].iter().rposition(|&c| !in_authority(c)).map_or(0, |i| i + 1);
        if !b[..start].ends_with(b"//") {
            continue;
        }
        let end = at + b[at..].iter().position(|&c| !in_authority(c)).unwrap_or(b.len() - at);
        after = end;
        let last_at = memchr::memrchr(b'@', &b[at..end]).map_or(at, |i| at + i);
        match memchr::memchr(b':', &b[start..last_at]) {
            Some(colon) if start + colon + 1 < last_at => {
                out.push(Span::new(start + colon + 1, last_at, rule, Found::Other));
            }
            _ => rejected += 1,
        }
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    #[test]
    fn positives() {
        find.finds(&[
            ("GET https://deploy:hunter2@git.example.com/repo.git", &["hunter2"]),
            ("redis://:pw@db.example.com:6379/0", &["pw"]),
            ("\"postgres://app:s3cr3t@10.0.0.5:5432/db\"", &["s3cr3t"]),
            ("ftp://a%40b:pw%40x@ftp.example.org", &["pw%40x"]),
            ("https://u:p@ss:w@rd@host.example.com/x?y=1", &["p@ss:w@rd"]),
            ("https://u:pa$s@h.example.com https://v:two@h.example.com", &["pa$s", "two"]),
            ("amqp://guest:guest@localhost", &["guest"]),
            ("//jdoe:x@host", &["x"]),
        ]);
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            "https://jdoe@git.example.com/ (no password)",
            "https://www.example.com:8443/path?mail=jane@example.com",
            "https://example.com/@user and https://example.com/a:b@c",
            "jane@example.com user:pass@host",
            "https://h.example.com/?next=x&u=a:b @ c",
            "https://:@host.example.com/",
        ]);
    }
}
