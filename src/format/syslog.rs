//! Timestamps at the start of a line, as syslog and most application logs write them:
//! RFC 5424 (`<34>1 2026-11-22T10:00:00.003Z host ...`), a bare RFC 3339 / ISO 8601 timestamp,
//! and RFC 3164 (`<13>Nov 22 10:00:00 host ...` or without the priority).
//!
//! RFC 3164 timestamps carry no year. It is inferred from the clock: the clock's year, unless
//! that puts the time more than a day in the future, in which case the previous year (a line
//! from Dec 31 read on Jan 1 belongs to last year). The day of slack absorbs clock skew between
//! hosts; the retention tagger clamps what remains to the clock anyway.

use super::Field;
use crate::time::{civil_from_days, days_in_month, digits, month_abbrev, parse_rfc3339_prefix, unix_seconds};

/// Skips a `<PRI>` of one to three digits and, after it, an RFC 5424 version `1 `.
fn header_len(b: &[u8]) -> usize {
    if b.first() != Some(&b'<') {
        return 0;
    }
    let digits = b[1..].iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || b.get(1 + digits) != Some(&b'>') {
        return 0;
    }
    let at = 2 + digits;
    if b.get(at..at + 2) == Some(b"1 ") { at + 2 } else { at }
}

/// `Mmm dd HH:MM:SS` (day space-padded or zero-padded) at `at`, as [month, day, hour, minute,
/// second], if each is in range. The day must exist in a leap year: `Feb 29` is a date, and
/// whether its year is leap is for [`rfc3164`] to find out. This is all the field splitter asks
/// (is this a syslog header?), so it need not compute a time.
fn rfc3164_stamp(b: &[u8], at: usize) -> Option<[u32; 5]> {
    let s = b.get(at..at + 15)?;
    if s[3] != b' ' || s[6] != b' ' || s[9] != b':' || s[12] != b':' {
        return None;
    }
    let month = month_abbrev(s)?;
    let day = if s[4] == b' ' { digits::<1>(s, 5)? } else { digits::<2>(s, 4)? };
    let (h, m, sec) = (digits::<2>(s, 7)?, digits::<2>(s, 10)?, digits::<2>(s, 13)?);
    let in_range = (1..=days_in_month(2000, month)).contains(&day) && h <= 23 && m <= 59 && sec <= 60;
    in_range.then_some([month, day, h, m, sec])
}

/// The time of an [`rfc3164_stamp`] at `at`, its year inferred from `now`.
fn rfc3164(b: &[u8], at: usize, now: i64) -> Option<i64> {
    let [month, day, h, m, sec] = rfc3164_stamp(b, at)?;
    let (year, _, _) = civil_from_days(now.div_euclid(86_400));
    match unix_seconds(year, month, day, h, m, sec) {
        Some(t) if t <= now + 86_400 => Some(t),
        // Feb 29 of a year that is not leap, or a time too far ahead: last year.
        _ => unix_seconds(year - 1, month, day, h, m, sec),
    }
}

/// The event time written at the start of a line, if any.
pub fn event_time(b: &[u8], now: i64) -> Option<i64> {
    let at = header_len(b);
    let rest = &b[at..];
    match rest.first()? {
        b'0'..=b'9' => parse_rfc3339_prefix(rest).map(|(secs, _)| secs),
        b'A'..=b'Z' => rfc3164(b, at, now),
        _ => None,
    }
}

/// Next space-delimited token from `at`: (start, end), or `None` at the end of the line.
fn token(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let start = at;
    let end = memchr::memchr(b' ', b.get(at..)?).map_or(b.len(), |i| at + i);
    (end > start).then_some((start, end))
}

/// Splits a syslog line's header into fields: `hostname`, `app_name`, `procid`, and for RFC 5424
/// `msgid` and `structured_data`; the rest is `message`. Returns `false` if the line does not
/// start with a syslog header (a priority and/or an RFC 3164 or 5424 timestamp and a host).
pub fn fields(b: &[u8], out: &mut Vec<Field>) -> bool {
    out.clear();
    let head = header_len(b);
    let v5424 = head >= 2 && b[..head].ends_with(b"1 ") && b[0] == b'<';
    let ts_end = match b.get(head) {
        Some(b'0'..=b'9') if v5424 || head > 0 => match parse_rfc3339_prefix(&b[head..]) {
            Some((_, n)) => head + n,
            None if v5424 && b.get(head) == Some(&b'-') => head + 1,
            None => return false,
        },
        Some(b'-') if v5424 => head + 1,
        Some(b'A'..=b'Z') if rfc3164_stamp(b, head).is_some() => head + 15,
        _ => return false,
    };
    let Some((hs, he)) = (b.get(ts_end) == Some(&b' ')).then(|| token(b, ts_end + 1)).flatten() else {
        return false;
    };
    out.push(Field::named("hostname", hs, he));
    if v5424 {
        let mut at = he + 1;
        for name in ["app_name", "procid", "msgid"] {
            let Some((s, e)) = token(b, at) else { return true };
            out.push(Field::named(name, s, e));
            at = e + 1;
        }
        // Structured data: `-` or one or more `[...]` elements (`]` inside values is escaped).
        if b.get(at) == Some(&b'[') {
            let start = at;
            while b.get(at) == Some(&b'[') {
                at += 1;
                while at < b.len() && b[at] != b']' {
                    at += if b[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            out.push(Field::named("structured_data", start, at.min(b.len())));
        } else if b.get(at) == Some(&b'-') {
            at += 1;
        }
        if at + 1 < b.len() {
            out.push(Field::named("message", at + 1, b.len()));
        }
        return true;
    }
    // RFC 3164: TAG[PID]: message
    let at = he + 1;
    let tag_end =
        b[at.min(b.len())..].iter().position(|&c| matches!(c, b'[' | b':' | b' ')).map_or(b.len(), |i| at + i);
    if tag_end > at {
        out.push(Field::named("app_name", at, tag_end));
        let mut msg = tag_end;
        if b.get(tag_end) == Some(&b'[') {
            if let Some(close) = memchr::memchr(b']', &b[tag_end..]).map(|i| tag_end + i) {
                out.push(Field::named("procid", tag_end + 1, close));
                msg = close + 1;
            }
        }
        if b.get(msg) == Some(&b':') {
            msg += 1;
        }
        if b.get(msg) == Some(&b' ') {
            msg += 1;
        }
        if msg < b.len() {
            out.push(Field::named("message", msg, b.len()));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn now() -> i64 {
        parse_rfc3339("2026-11-22T12:00:00Z").unwrap()
    }

    #[test]
    fn rfc5424_and_bare_rfc3339() {
        let t = parse_rfc3339("2026-11-22T10:00:00Z");
        assert_eq!(event_time(b"<34>1 2026-11-22T10:00:00.003Z host app - - - msg", now()), t);
        assert_eq!(event_time(b"2026-11-22T11:00:00+01:00 INFO started", now()), t);
        assert_eq!(event_time(b"2026-11-22 10:00:00,123 INFO started", now()), t);
    }

    #[test]
    fn rfc3164_year_is_inferred_from_the_clock() {
        assert_eq!(event_time(b"Nov 22 10:00:00 host sshd[1]: x", now()), parse_rfc3339("2026-11-22T10:00:00Z"));
        assert_eq!(event_time(b"<13>Nov  2 10:00:00 host x", now()), parse_rfc3339("2026-11-02T10:00:00Z"));
        // December is in the future in November: it was last December.
        assert_eq!(event_time(b"Dec 10 06:55:46 LabSZ sshd[24200]: x", now()), parse_rfc3339("2025-12-10T06:55:46Z"));
        // A few hours of skew stays in this year.
        assert_eq!(event_time(b"Nov 22 18:00:00 host x", now()), parse_rfc3339("2026-11-22T18:00:00Z"));
    }

    fn split(line: &str) -> Vec<(String, &str)> {
        crate::format::named_fields(fields, line)
    }

    #[test]
    fn header_fields() {
        let f = split("Nov 22 10:00:00 203-0-113-9.dsl.example.net sshd[24200]: Invalid user x");
        assert_eq!(f[0], ("hostname".into(), "203-0-113-9.dsl.example.net"));
        assert_eq!(f[1], ("app_name".into(), "sshd"));
        assert_eq!(f[2], ("procid".into(), "24200"));
        assert_eq!(f[3], ("message".into(), "Invalid user x"));
        let f = split("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown");
        assert_eq!(f[1], ("app_name".into(), "sshd(pam_unix)"));
        let f = split(r#"<34>1 2026-11-22T10:00:00.003Z web1 app 88 ID7 [ex@1 ip="192.0.2.1" a="x\]y"] hello there"#);
        assert_eq!(f[4], ("structured_data".into(), r#"[ex@1 ip="192.0.2.1" a="x\]y"]"#));
        assert_eq!(f[5], ("message".into(), "hello there"));
        // A leap day is a syslog date (the year, which the line lacks, decides if it was real).
        let f = split("Feb 29 10:00:00 gw app: started");
        assert_eq!(f[..2], [("hostname".into(), "gw"), ("app_name".into(), "app")]);
        assert!(split("Feb 30 10:00:00 gw app: started").is_empty());
        assert!(split("Nov 22 24:00:00 gw app: started").is_empty());
        let f = split("<34>1 - - - - - - msg");
        assert_eq!(f[0], ("hostname".into(), "-"));
        assert!(split("2026-11-22T10:00:00Z INFO started").is_empty(), "an application log, not syslog");
    }

    #[test]
    fn other_starts_have_no_time() {
        for line in [&b"203.0.113.7 - - [10/Oct/2026:13:55:36 -0700]"[..], b"Hello world", b"<999999>x", b""] {
            assert_eq!(event_time(line, now()), None);
        }
    }
}
