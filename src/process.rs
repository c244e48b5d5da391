//! One line through the per-line stages: format recognition, redaction, retention tag.
//!
//! [`Processor`] is the immutable, shared part (engine and resolved retention); each worker owns a
//! [`LineScratch`] and a [`Stats`]. Text lines are redacted as one region and get
//! ` expires_at=...` appended; JSON object lines are redacted string by string (decoded first when
//! they hold escapes, re-escaped after) and number by number (a card written as a number becomes a
//! masked string), and get an `"expires_at"` member, so they stay valid JSON. A line cut at the
//! length limit is never emitted raw: it is cut back to a whitespace boundary (dropping any
//! trailing digit groups, which could be the first part of a card), redacted, and marked.

use crate::format::{self, json};
use crate::redact::{Counters, Engine, Scratch};
use crate::retention::{self, BitRetention, Retention};
use crate::time::format_rfc3339;

/// Appended to a line cut at the length limit, before the tag.
pub const CUT_MARK: &[u8] = b" [loganon:cut]";

/// Counts of one run, summed over workers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub lines: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub json_lines: u64,
    pub cut_lines: u64,
    pub redactions: Counters,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.lines += o.lines;
        self.bytes_in += o.bytes_in;
        self.bytes_out += o.bytes_out;
        self.json_lines += o.json_lines;
        self.cut_lines += o.cut_lines;
        self.redactions.add(&o.redactions);
    }
}

/// A worker's reusable buffers.
#[derive(Default)]
pub struct LineScratch {
    redact: Scratch,
    tokens: Vec<json::Token>,
    stack: Vec<u8>,
    decoded: Vec<u8>,
    rendered: Vec<u8>,
    /// The last expiry formatted, and its text: consecutive lines mostly share it.
    stamp: (i64, [u8; 20]),
}

/// The per-line stages, compiled.
#[derive(Clone, Debug)]
pub struct Processor {
    engine: Engine,
    retention: BitRetention,
}

/// Splits the line ending off: `\n`, `\r\n`, or nothing for a last line without one.
fn split_eol(line: &[u8]) -> (&[u8], &[u8]) {
    match line {
        [body @ .., b'\r', b'\n'] => (body, b"\r\n"),
        [body @ .., b'\n'] => (body, b"\n"),
        body => (body, b""),
    }
}

/// The part of a cut line that can be emitted: up to the last whitespace, minus trailing tokens
/// made only of digits and dashes (the leading groups of a card whose rest was cut off).
fn safe_prefix(body: &[u8]) -> &[u8] {
    let mut end = match memchr::memrchr2(b' ', b'\t', body) {
        Some(i) => i,
        None => return &[],
    };
    loop {
        let start = memchr::memrchr2(b' ', b'\t', &body[..end]).map_or(0, |i| i + 1);
        let token = &body[start..end];
        if token.is_empty() || !token.iter().all(|c| c.is_ascii_digit() || *c == b'-') {
            return &body[..end];
        }
        end = start.saturating_sub(1);
        if start == 0 {
            return &[];
        }
    }
}

impl Processor {
    pub fn new(engine: Engine, retention: &Retention) -> Self {
        let retention = retention.by_bit(engine.category_names());
        Self { engine, retention }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Anonymizes one line (with its line ending, if any) into `out`. `cut` marks a line the
    /// framer cut at the length limit; `now` is the clock for this line. Returns the retention
    /// period the line was given, in seconds.
    pub fn line(
        &self,
        line: &[u8],
        cut: bool,
        now: i64,
        s: &mut LineScratch,
        stats: &mut Stats,
        out: &mut Vec<u8>,
    ) -> i64 {
        let start = out.len();
        stats.lines += 1;
        stats.bytes_in += line.len() as u64;
        let (body, eol) = split_eol(line);
        let mut json_close = None;
        let (carried, event) = if cut {
            stats.cut_lines += 1;
            let kept = safe_prefix(body);
            let carried = self.region(kept, s, stats, out);
            out.extend_from_slice(CUT_MARK);
            (carried, format::text_event_time(kept, now))
        } else if let Some(doc) =
            format::looks_like_json(body).then(|| json::scan(body, &mut s.tokens, &mut s.stack)).flatten()
        {
            stats.json_lines += 1;
            json_close = Some(doc);
            (self.json_members(body, doc.root_close, s, stats, out), json::event_time(body, &s.tokens))
        } else {
            (self.region(body, s, stats, out), format::text_event_time(body, now))
        };
        let period = self.retention.period(carried);
        let expiry = retention::expiry(event, now, period);
        if s.stamp.0 != expiry || s.stamp.1[0] == 0 {
            s.stamp.0 = expiry;
            format_rfc3339(expiry, &mut s.stamp.1);
        }
        let stamp = s.stamp.1;
        match json_close {
            Some(doc) => {
                out.extend_from_slice(if doc.has_members { b",\"expires_at\":\"" } else { b"\"expires_at\":\"" });
                out.extend_from_slice(&stamp);
                out.push(b'"');
                out.extend_from_slice(&body[doc.root_close..]);
            }
            None => {
                out.extend_from_slice(b" expires_at=");
                out.extend_from_slice(&stamp);
            }
        }
        out.extend_from_slice(if eol.is_empty() { b"\n" } else { eol });
        stats.bytes_out += (out.len() - start) as u64;
        period
    }

    /// Redacts one region into `out`; returns the categories it still carries.
    fn region(&self, region: &[u8], s: &mut LineScratch, stats: &mut Stats, out: &mut Vec<u8>) -> u64 {
        if self.engine.find(region, &mut s.redact) {
            self.engine.render(region, &mut s.redact, &mut stats.redactions, out)
        } else {
            out.extend_from_slice(region);
            0
        }
    }

    /// Writes a JSON line up to (not including) its closing brace with every key, string and
    /// number redacted; returns the categories it still carries.
    fn json_members(
        &self,
        body: &[u8],
        close: usize,
        s: &mut LineScratch,
        stats: &mut Stats,
        out: &mut Vec<u8>,
    ) -> u64 {
        let mut carried = 0;
        let mut at = 0;
        for i in 0..s.tokens.len() {
            let t = s.tokens[i];
            if matches!(t.kind, json::Kind::Lit | json::Kind::Open) {
                continue;
            }
            let raw = &body[t.start..t.end];
            let text: &[u8] = if t.escaped {
                s.decoded.clear();
                json::unescape(raw, &mut s.decoded);
                &s.decoded
            } else {
                raw
            };
            if !self.engine.find(text, &mut s.redact) {
                continue;
            }
            s.rendered.clear();
            carried |= self.engine.render(text, &mut s.redact, &mut stats.redactions, &mut s.rendered);
            out.extend_from_slice(&body[at..t.start]);
            let quote = t.kind == json::Kind::Num;
            if quote {
                out.push(b'"');
            }
            json::escape(&s.rendered, out);
            if quote {
                out.push(b'"');
            }
            at = t.end;
        }
        out.extend_from_slice(&body[at..close]);
        carried
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        assert_eq!(split_eol(b"a\r\n"), (&b"a"[..], &b"\r\n"[..]));
        assert_eq!(split_eol(b"a\n"), (&b"a"[..], &b"\n"[..]));
        assert_eq!(split_eol(b"a\r"), (&b"a\r"[..], &b""[..]));
        assert_eq!(split_eol(b""), (&b""[..], &b""[..]));
    }

    #[test]
    fn cut_lines_drop_the_straddling_token() {
        assert_eq!(safe_prefix(b"GET /x?mail=jane.doe@exam"), b"GET");
        assert_eq!(safe_prefix(b"paid 4111 1111 1111 11"), b"paid");
        assert_eq!(safe_prefix(b"4111 1111 1111"), b"");
        assert_eq!(safe_prefix(b"nowhitespaceatall"), b"");
        assert_eq!(safe_prefix(b"a b c"), b"a b");
    }
}
