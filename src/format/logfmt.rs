//! logfmt lines: `key=value` pairs separated by spaces, values bare or double-quoted with
//! backslash escapes (`msg="a \"b\" c"`). Fields are the keys, so rules can target `user=`;
//! `time=` / `ts=` give the event time.

use super::Field;
use crate::redact::classes::{Class, Classes};

const KEY_BYTES: [bool; 256] = crate::byteset::alphanumeric_and(b"_-.@/");

fn is_key_byte(c: u8) -> bool {
    KEY_BYTES[usize::from(c)]
}

/// Splits a logfmt line into fields (keys and value ranges, quotes excluded); `cl` holds the
/// line's byte classes, where values' ends (spaces, quotes, escapes) are found. Returns `false`
/// if the line does not start with `key=`: then it is not logfmt.
pub fn fields(b: &[u8], cl: &Classes, out: &mut Vec<Field>) -> bool {
    out.clear();
    if !cl.has(Class::Equals) {
        return false; // no pair without `=`
    }
    let space_from = |i: usize| cl.next(Class::Space, i).unwrap_or(b.len());
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let key_start = i;
        while i < b.len() && is_key_byte(b[i]) {
            i += 1;
        }
        if i == key_start || b.get(i) != Some(&b'=') {
            // Not a pair: skip the word (logfmt tolerates bare keys) unless the line starts so.
            if out.is_empty() {
                return false;
            }
            i = space_from(i);
            continue;
        }
        let key = (key_start, i);
        i += 1;
        let (start, end);
        if b.get(i) == Some(&b'"') {
            start = i + 1;
            end = cl.closing_quote(b, start).map_or(b.len(), |(close, _)| close);
            i = (end + 1).min(b.len());
        } else {
            start = i;
            i = space_from(i);
            end = i;
        }
        out.push(Field::keyed(key, start, end));
    }
    !out.is_empty()
}

/// The event time from `time=`, `ts=` or `timestamp=` (RFC 3339 text, which `rfc3339` reads, as
/// [`parse_rfc3339_exact`](crate::time::parse_rfc3339_exact) does).
pub fn event_time(b: &[u8], fields: &[Field], mut rfc3339: impl FnMut(&[u8]) -> Option<i64>) -> Option<i64> {
    fields.iter().find_map(|f| {
        let name = f.name(b);
        if !matches!(&*name, "time" | "ts" | "timestamp" | "t") {
            return None;
        }
        rfc3339(&b[f.start..f.end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_bare_and_quoted() {
        let line = br#"time=2026-11-22T10:00:00Z level=info user=jdoe msg="a \"b\" c" flag x=1"#;
        let mut v = Vec::new();
        assert!(fields(line, &Classes::of(line), &mut v));
        let got: Vec<_> = v
            .iter()
            .map(|f| (f.name(line).into_owned(), String::from_utf8_lossy(&line[f.start..f.end]).into_owned()))
            .collect();
        assert_eq!(got[2], ("user".into(), "jdoe".into()));
        assert_eq!(got[3], ("msg".into(), r#"a \"b\" c"#.into()));
        assert_eq!(got[4], ("x".into(), "1".into()));
        assert_eq!(
            event_time(line, &v, crate::time::parse_rfc3339_exact),
            crate::time::parse_rfc3339("2026-11-22T10:00:00Z")
        );
    }

    #[test]
    fn other_lines_are_not_logfmt() {
        let mut v = Vec::new();
        let syslog = b"Nov 22 10:00:00 host x=1";
        assert!(!fields(syslog, &Classes::of(syslog), &mut v));
        assert!(!fields(b"", &Classes::of(b""), &mut v));
    }
}
