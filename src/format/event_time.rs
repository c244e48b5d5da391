//! Event times read once per timestamp text, not once per line.
//!
//! Why: every line's expiry starts from its event time, and reading one (RFC 3339 or RFC 3164
//! text to seconds, calendar arithmetic included) costs a few hundred instructions, while the
//! lines of a log mostly share their second with the line before. So each format keeps the text
//! its last time was read from, and the time read; a line whose time text is the same, at the
//! same clock, gets that time without reading it again. One memo per format (and one for text
//! lines that start with a bracketed time, as error logs do), because a mixed stream alternates
//! formats line by line.
//!
//! A memo only stands for what its text alone decides: a text that gave no time is read again
//! (a fallback, such as a bracketed time further on, may depend on the rest of the line), and an
//! access-log time field is trusted only when no bracket before it could hold the time instead.

use super::{Field, Format, access, clf, json, logfmt, syslog, text_event_time};
use crate::time::parse_rfc3339_exact;

/// The bytes that hold the date at the start of the two layouts [`Memo::same_day`] knows: an
/// access-log time field's `dd/Mon/yyyy:` and an error log's `[Www Mmm dd `.
const DATE_HEAD: usize = 12;

/// The bytes that hold the rest of the date at their end: the access log's ` ±hhmm` and the error
/// log's ` yyyy]`.
const DATE_TAIL: usize = 6;

/// The text a time was last read from, the clock it was read at, and the time.
#[derive(Debug, Default)]
struct Memo {
    text: Vec<u8>,
    now: i64,
    time: Option<i64>,
}

impl Memo {
    /// The time `read` gives for `text` at clock `now`: `read` must depend on nothing else.
    fn get(&mut self, text: &[u8], now: i64, read: impl FnOnce() -> Option<i64>) -> Option<i64> {
        match self.hit(text, now) {
            Some(time) => Some(time),
            None => self.keep(text, now, read()),
        }
    }

    /// The remembered time, if it was read from `text` at clock `now` (a text that gave none is
    /// read again).
    fn hit(&self, text: &[u8], now: i64) -> Option<i64> {
        self.time.filter(|_| self.now == now && self.text == text)
    }

    /// Remembers `time` as what `text` gives at clock `now`, and returns it.
    fn keep(&mut self, text: &[u8], now: i64, time: Option<i64>) -> Option<i64> {
        self.time = time;
        self.now = now;
        self.text.clear();
        self.text.extend_from_slice(text);
        time
    }

    /// The time of `text` when it differs from the remembered text only in the time of day, both
    /// having the layout `time_of_day` reads ([`clf::access_time_of_day`] for an access-log time
    /// field, [`clf::error_time_of_day`] for an error log's bracket): their dates (and offsets)
    /// are then the same bytes, at both ends ([`DATE_HEAD`], [`DATE_TAIL`]). A remembered time
    /// was read from that date, so it moves by the difference of the times of day. Log lines
    /// that each have their own second mostly share their day, and the calendar arithmetic was
    /// most of a reading. The caller remembers `text` and its time.
    #[inline]
    fn same_day(&self, text: &[u8], now: i64, time_of_day: impl Fn(&[u8]) -> Option<u32>) -> Option<i64> {
        let (old, time) = (&self.text, self.time?);
        let (n, m) = (old.len(), text.len());
        if self.now != now
            || n < DATE_HEAD + DATE_TAIL
            || m < DATE_HEAD + DATE_TAIL
            || old[..DATE_HEAD] != text[..DATE_HEAD]
            || old[n - DATE_TAIL..] != text[m - DATE_TAIL..]
        {
            return None;
        }
        let (was, is) = (time_of_day(old)?, time_of_day(text)?);
        Some(time - i64::from(was) + i64::from(is))
    }
}

/// A worker's memos, one per format that writes its time in a known place.
#[derive(Debug, Default)]
pub struct EventTimes {
    access: Memo,
    syslog: Memo,
    logfmt: Memo,
    json: Memo,
    bracketed: Memo,
}

impl EventTimes {
    /// The event time of a text line in `format` with `fields`, as [`text_event_time`] reads it.
    #[inline]
    pub fn text(&mut self, line: &[u8], format: Format, fields: &[Field], now: i64) -> Option<i64> {
        match format {
            Format::Access => self.access(line, fields, now),
            // The header up to the host name holds the priority and the timestamp, all that the
            // syslog reading looks at; without a time there, the fallback reads the whole line.
            Format::Syslog => match fields.first() {
                Some(host) => {
                    debug_assert!(host.is(line, "hostname"));
                    self.syslog
                        .get(&line[..host.start], now, || syslog::event_time(line, now))
                        .or_else(|| text_event_time(line, format, fields, now))
                }
                None => text_event_time(line, format, fields, now),
            },
            Format::Logfmt => logfmt::event_time(line, fields, |v| self.logfmt.get(v, now, || parse_rfc3339_exact(v))),
            Format::Text => self.bracketed(line, fields, now),
            Format::Json => text_event_time(line, format, fields, now),
        }
    }

    /// The event time of a JSON line whose tokens are `tokens`, as [`json::event_time`] reads it.
    pub fn json(&mut self, line: &[u8], tokens: &[json::Token], now: i64) -> Option<i64> {
        json::event_time(line, tokens, |v| self.json.get(v, now, || parse_rfc3339_exact(v)))
    }

    /// An access line reads the first bracket that holds a time. When no bracket comes before
    /// the time field's, a time the field holds is that one, and depends on the field alone; a
    /// field without one sends the reading on through the rest of the line, whose time is not
    /// kept (the next line with the same field may have another one there).
    #[inline]
    fn access(&mut self, line: &[u8], fields: &[Field], now: i64) -> Option<i64> {
        let read = || text_event_time(line, Format::Access, fields, now);
        let Some(field) = fields.get(access::TIME) else { return read() };
        debug_assert!(field.is(line, "time"));
        if memchr::memchr(b'[', &line[..field.start - 1]).is_some() {
            return read();
        }
        let text = &line[field.start..field.end];
        let memo = &mut self.access;
        if let Some(time) = memo.hit(text, now) {
            return Some(time);
        }
        if let Some(time) = memo.same_day(text, now, clf::access_time_of_day) {
            // Both texts have the layout's 26 bytes: copied over in place.
            memo.text[..26].copy_from_slice(&text[..26]);
            memo.time = Some(time);
            return Some(time);
        }
        // The field's text and its brackets: `[` before it, `]` at its end.
        let bracketed = &line[field.start - 1..=field.end];
        memo.keep(text, now, clf::event_time(bracketed)).or_else(read)
    }

    /// A text line that starts with a bracket, as an Apache error log's
    /// `[Sun Dec 04 04:47:44 2005] [error] ...`: the syslog reading finds no time there, so the
    /// line's first brackets are tried in turn, and a time read ends at a `]`. So a time read
    /// from the line up to its first `]` alone is the time the whole line gives, and depends on
    /// that text alone (a bracket whose reading the first `]` cuts short can hold another `[`
    /// only in its weekday, where no reading fits). Without one there, the whole line is read
    /// (a `]` inside an error-log weekday hides the field's own end), and its time is not kept.
    /// A remembered bracket in the error log's layout got its time from that layout, as no other
    /// `[` in it can start a reading; so a bracket that differs from it only in the time of day
    /// moves its time by the difference ([`Memo::same_day`]).
    #[inline]
    fn bracketed(&mut self, line: &[u8], fields: &[Field], now: i64) -> Option<i64> {
        let read = || text_event_time(line, Format::Text, fields, now);
        if line.first() != Some(&b'[') {
            return read();
        }
        let Some(close) = memchr::memchr(b']', line) else { return read() };
        let text = &line[..=close];
        let memo = &mut self.bracketed;
        if let Some(time) = memo.hit(text, now) {
            return Some(time);
        }
        if let Some(time) = memo.same_day(text, now, clf::error_time_of_day) {
            return memo.keep(text, now, Some(time));
        }
        memo.keep(text, now, clf::event_time(text)).or_else(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{detect_text, json};
    use crate::redact::classes::Classes;

    /// The event time of each line, read through one set of memos and read afresh.
    fn both(lines: &[&str], now: i64) -> Vec<(Option<i64>, Option<i64>)> {
        let mut times = EventTimes::default();
        let (mut fields, mut tokens, mut stack) = (Vec::new(), Vec::new(), Vec::new());
        lines
            .iter()
            .map(|line| {
                let b = line.as_bytes();
                let cl = Classes::of(b);
                if json::scan(b, &cl, &mut tokens, &mut stack).is_some() {
                    return (times.json(b, &tokens, now), json::event_time(b, &tokens, parse_rfc3339_exact));
                }
                let format = detect_text(b, &cl, &mut fields);
                (times.text(b, format, &fields, now), text_event_time(b, format, &fields, now))
            })
            .collect()
    }

    #[test]
    fn a_remembered_time_is_the_time_read_afresh() {
        let now = crate::time::parse_rfc3339("2026-11-22T12:00:00Z").unwrap();
        let lines = [
            "Nov 22 10:00:00 host sshd[1]: a",
            "Nov 22 10:00:00 host sshd[1]: b",
            // Same header, no time in it: the bracket further on is read, each line its own.
            "<13>1 - host app - - - [22/Nov/2026:09:00:00 +0000]",
            "<13>1 - host app - - - [22/Nov/2026:08:00:00 +0000]",
            "2026-11-22T10:00:01Z host app: c",
            r#"{"time":"2026-11-22T10:00:02Z","a":1}"#,
            r#"{"time":"2026-11-22T10:00:02Z","ts":5}"#,
            r#"{"ts":"2026-11-22T10:00:03Z","time":"not a time"}"#,
            // Times of day with fractions of either length, a leap second, an hour that is none,
            // offsets written both ways, a time without an offset, a fraction without digits.
            r#"{"time":"2026-11-22T10:00:07Z","a":1}"#,
            r#"{"time":"2026-11-22T10:00:08.5Z","a":1}"#,
            r#"{"time":"2026-11-22T10:00:09.25Z","a":1}"#,
            r#"{"time":"2026-11-22T23:59:60.25Z","a":1}"#,
            r#"{"time":"2026-11-22T24:00:00.25Z","ts":"2026-11-22T01:00:00Z"}"#,
            r#"{"time":"2026-11-22T10:00:10.25+02:00","a":1}"#,
            r#"{"time":"2026-11-22T10:00:11.25+0200","a":1}"#,
            r#"{"time":"2026-11-21T10:00:11.25+0200","a":1}"#,
            r#"{"time":"2026-11-21T10:00:12","a":1}"#,
            r#"{"time":"2026-11-21T10:00:13.","ts":"2026-11-22T02:00:00Z"}"#,
            "time=2026-11-22T10:00:04Z level=info",
            "time=2026-11-22T10:00:04Z level=warn",
            "time=2026-11-22T10:00:05+01:00 level=warn",
            "time=2026-11-22t10:00:06+01:00 level=warn",
            "ts=bad time=2026-11-22T10:00:05Z",
            r#"203.0.113.7 - - [22/Nov/2026:10:00:06 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.8 - - [22/Nov/2026:10:00:06 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"[22/Nov/2026:07:00:00 +0000] - - [22/Nov/2026:10:00:06 +0000] "GET / HTTP/1.1" 200 1"#,
            // The same time field without a time: the bracket further on is read, each line its own.
            r#"203.0.113.9 - - [no time] "GET /[22/Nov/2026:06:00:00 +0000] HTTP/1.1" 200 1"#,
            r#"203.0.113.9 - - [no time] "GET /[22/Nov/2026:05:00:00 +0000] HTTP/1.1" 200 1"#,
            // The same day and offset, another second (and a leap second, and an hour that is
            // none); then another offset, another day, a field of the same length in another
            // layout, and one with a bracket inside.
            r#"203.0.113.7 - - [22/Nov/2026:10:00:07 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.7 - - [22/Nov/2026:23:59:60 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.7 - - [22/Nov/2026:24:00:00 +0000] "GET / [22/Nov/2026:01:00:00 +0000]" 200 1"#,
            r#"203.0.113.7 - - [22/Nov/2026:10:00:08 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.7 - - [22/Nov/2026:10:00:09 -0700] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.7 - - [21/Nov/2026:10:00:09 -0700] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.7 - - [Sun Nov 22 10:00:09.1 2026] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.7 - - [21/Nov/[026:10:00:10 -0700] "GET / [22/Nov/2026:02:00:00 +0000]" 200 1"#,
            // A field that reads as a time only with what follows its `]`.
            r#"203.0.113.9 - - [S]n Nov 22 04:00:00 2026] "GET / HTTP/1.1" 200 1"#,
            r#"203.0.113.9 - - [S]n Nov 22 03:00:00 2026] "GET / HTTP/1.1" 200 1"#,
            // Error-log lines: the same first bracket, then another second; a first bracket
            // without a time, before a bracket with one; a `]` inside the weekday; an access-log
            // time first; a `[` inside the first bracket.
            "[Sun Nov 22 10:00:20 2026] [error] a",
            "[Sun Nov 22 10:00:20 2026] [notice] b",
            "[Sun Nov 22 10:00:21.5 2026] [notice] c",
            "[client x] [Sun Nov 22 10:00:22 2026] [error] d",
            "[client x] [Sun Nov 22 10:00:23 2026] [error] d",
            "[S]n Nov 22 10:00:24 2026] [error] e",
            "[S]n Nov 22 10:00:25 2026] [error] e",
            "[22/Nov/2026:10:00:26 +0000] f",
            "[[Sun Nov 22 10:00:27 2026] g",
            "[[Sun Nov 22 10:00:27 2026] [Sun Nov 22 10:00:28 2026] g",
            // The same day, another second (with and without a fraction, a fraction without
            // digits, a leap second, an hour that is none, a fraction that is none); then another
            // weekday, day, month and year, and a day padded with a space.
            "[Sun Nov 22 10:00:29 2026] [error] h",
            "[Sun Nov 22 10:00:30.123456 2026] [error] h",
            "[Sun Nov 22 10:00:31. 2026] [error] h",
            "[Sun Nov 22 23:59:60 2026] [error] h",
            "[Sun Nov 22 24:00:00 2026] [Sun Nov 22 01:00:00 2026] h",
            "[Sun Nov 22 10:00:32.1x 2026] [Sun Nov 22 02:00:00 2026] h",
            "[Sun Nov 22 10:00:33 2026] [error] h",
            "[Mon Nov 22 10:00:34 2026] [error] h",
            "[Mon Nov 21 10:00:35 2026] [error] h",
            "[Mon Oct 21 10:00:36 2026] [error] h",
            "[Mon Oct 21 10:00:37 2025] [error] h",
            "[Mon Oct  1 10:00:38 2025] [error] h",
            "[Mon Oct  1 10:00:39 2025] [error] h",
        ];
        let got = both(&lines, now);
        for ((memo, fresh), line) in got.iter().zip(lines) {
            assert_eq!(memo, fresh, "{line}");
        }
        assert!(got.iter().all(|(memo, _)| memo.is_some()), "every line above has a time: {got:?}");
        // The year of an RFC 3164 time comes from the clock: a new clock reads it again.
        let jan = crate::time::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
        let mut times = EventTimes::default();
        let (line, mut fields) = (b"Dec 31 23:59:00 host app: x".as_slice(), Vec::new());
        let format = detect_text(line, &Classes::of(line), &mut fields);
        let read = |t: &mut EventTimes, now| t.text(line, format, &fields, now);
        assert_eq!(read(&mut times, now), text_event_time(line, format, &fields, now));
        assert_eq!(read(&mut times, jan), text_event_time(line, format, &fields, jan));
        assert_ne!(read(&mut times, now), read(&mut times, jan));
    }
}
