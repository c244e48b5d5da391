//! One line through the per-line stages: format recognition, redaction, retention tag.
//!
//! [`Processor`] is the immutable, shared part (engine and resolved retention); each worker owns a
//! [`LineScratch`] and a [`Stats`]. Text lines are redacted as one region and get
//! ` expires_at=...` appended; JSON object lines are redacted member by member (in `json_line`)
//! and get an `"expires_at"` member, so they stay valid JSON.
//! A line cut at the length limit is never emitted raw: it is cut back to a whitespace boundary
//! (dropping any trailing digit groups, which could be the first part of a card), redacted, and
//! marked.

mod json_line;

use crate::format::{self, EventTimes, Field, Format, json};
use crate::redact::span::{RuleId, Span};
use crate::redact::{Action, Counters, Engine, Scratch};
use crate::retention::{self, BitRetention, Retention};
use crate::time::reformat_rfc3339;

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

/// One find, for `--report`: where it was and which rule found it; never the value itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Line index, as set in [`LineScratch::line_no`].
    pub line: u64,
    /// Byte range in the line (for a JSON string with escapes: within its decoded text, offset
    /// by where the string starts).
    pub start: usize,
    pub end: usize,
    pub rule: RuleId,
    /// Kept as it was by an allow-list.
    pub allowed: bool,
    /// Part of a fused overlap, redacted whole.
    pub fused: bool,
}

/// A line longer than this makes [`LineScratch::shrink_after`] free the per-line buffers.
pub const LONG_LINE: usize = 64 * 1024;

/// A worker's reusable buffers.
#[derive(Default)]
pub struct LineScratch {
    /// Findings of the lines processed since they were last taken, when `Options::report` is on.
    pub findings: Vec<Finding>,
    /// The number the next line's findings are recorded under.
    pub line_no: u64,
    redact: Scratch,
    tokens: Vec<json::Token>,
    stack: Vec<(u8, usize)>,
    fields: Vec<Field>,
    seeds: Vec<Span>,
    /// The key path of the current JSON member: each key's range in `path_text`, which holds the
    /// keys decoded (`"us\u0065r"` is the key `user`, and field rules name it so).
    path: Vec<(usize, usize)>,
    path_text: Vec<u8>,
    decoded: Vec<u8>,
    rendered: Vec<u8>,
    /// The spans the prescan of the current JSON line found (sorted, disjoint), and whether its
    /// strings are gated by them (see `Engine::prescan_json`).
    line_hits: Vec<Span>,
    gated: bool,
    /// How many of `line_hits` end before the last string looked up: strings come in order, so
    /// each lookup goes on from there.
    hits_passed: usize,
    /// The expiry's text: consecutive lines mostly share it.
    stamp: TimeText,
    /// The key period start's text (`key_period=`).
    key_period: TimeText,
    /// The event times last read, per format.
    times: EventTimes,
    /// The last retention class formatted (`--tag-retention`), and its text.
    class: (i64, Vec<u8>),
}

/// The RFC 3339 text of the last instant formatted, kept because consecutive lines mostly share
/// their tags' instants, and otherwise mostly their day (see `reformat_rfc3339`).
#[derive(Default)]
struct TimeText {
    at: i64,
    text: [u8; 20],
}

impl TimeText {
    #[inline]
    fn of(&mut self, at: i64) -> &[u8] {
        if self.at != at || self.text[0] == 0 {
            self.write(at);
        }
        &self.text
    }

    /// Writes the text of `at` over that of the last instant written (or over zeros, the first
    /// time). Out of line: most lines share their instant, and inlined into `Processor::line`
    /// this changed how the compiler laid out the rest of it (0.3% more instructions on the mixed
    /// sample, none of them here).
    #[inline(never)]
    fn write(&mut self, at: i64) {
        reformat_rfc3339(self.at, at, &mut self.text);
        self.at = at;
    }
}

/// How lines are tagged and parsed, beyond the rules.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Parse every line as this format (falling back to plain text when a line does not fit),
    /// instead of detecting the format per line.
    pub format: Option<Format>,
    /// Add a coarse `retention` class (`14d`) beside `expires_at`.
    pub tag_retention: bool,
    /// Record every find in `LineScratch::findings`.
    pub report: bool,
    /// Scan every JSON string on its own, without the line prescan (`Engine::prescan_json`): the
    /// same output, more slowly. Kept so that tests can check that claim.
    pub json_strings_alone: bool,
}

/// The per-line stages, compiled.
#[derive(Clone, Debug)]
pub struct Processor {
    engine: Engine,
    retention: BitRetention,
    options: Options,
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

impl LineScratch {
    /// Candidates each rule's confirmation rejected so far, by rule index.
    pub fn rejected(&self) -> &[u64] {
        self.redact.rejected()
    }

    /// After lines of up to `longest` bytes: if one was longer than [`LONG_LINE`], frees the
    /// per-line buffers, and if they held more than `share` bytes, has the allocator hand the
    /// freed memory back to the system (see [`crate::heap`]). Each holder of a scratch (a
    /// pipeline worker, a `serve` connection) calls it, so that none keeps several times its
    /// longest line for good; `share` is the holder's part of the memory budget, below which the
    /// allocator keeps the memory for the next long line rather than faulting it in again.
    pub fn shrink_after(&mut self, longest: usize, share: usize) {
        if longest > LONG_LINE && self.release_line_buffers() > share {
            crate::heap::return_free_memory();
        }
    }

    /// Frees the buffers that grow with the longest line processed (together several times its
    /// length: the field list of a logfmt line of short pairs alone, about four), keeping the
    /// caches (pseudonyms, regex search state, tag texts). Returns the heap bytes they held.
    fn release_line_buffers(&mut self) -> usize {
        use crate::heap::free;
        self.redact.release_region_buffers()
            + free(&mut self.tokens)
            + free(&mut self.stack)
            + free(&mut self.fields)
            + free(&mut self.seeds)
            + free(&mut self.path)
            + free(&mut self.path_text)
            + free(&mut self.decoded)
            + free(&mut self.rendered)
            + free(&mut self.line_hits)
    }
}

impl Processor {
    pub fn new(engine: Engine, retention: &Retention, options: Options) -> Self {
        let retention = retention.by_bit(engine.category_names());
        Self { engine, retention, options }
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
        // Classes made for an earlier line whose find never came must not serve this one, which
        // may sit at the same address in a reused buffer.
        s.redact.forget_classes();
        stats.lines += 1;
        stats.bytes_in += line.len() as u64;
        let (body, eol) = split_eol(line);
        let mut json_close = None;
        let forced = self.options.format;
        let doc = (!cut && matches!(forced, None | Some(Format::Json)) && format::looks_like_json(body))
            .then(|| json::scan(body, s.redact.classify(body), &mut s.tokens, &mut s.stack))
            .flatten();
        let (carried, event) = if let Some(doc) = doc {
            stats.json_lines += 1;
            let event = s.times.json(body, &s.tokens, now);
            s.redact.set_time(retention::event_time(event, now));
            let outcome = self.json_members(body, doc, s, stats, out);
            json_close = Some((doc.root_close, outcome.has_members));
            (outcome.carried, event)
        } else if cut {
            stats.cut_lines += 1;
            let kept = safe_prefix(body);
            let event = format::text_event_time(kept, Format::Text, &[], now);
            s.redact.set_time(retention::event_time(event, now));
            let carried = self.region(kept, Format::Text, &[], s, stats, out);
            out.extend_from_slice(CUT_MARK);
            (carried, event)
        } else {
            let classes = s.redact.classify(body);
            let format = match forced {
                Some(f) if f != Format::Json && format::fields_as(f, body, classes, &mut s.fields) => f,
                Some(_) => {
                    s.fields.clear();
                    Format::Text
                }
                None => format::detect_text(body, classes, &mut s.fields),
            };
            let event = s.times.text(body, format, &s.fields, now);
            s.redact.set_time(retention::event_time(event, now));
            self.field_seeds(body, format, s);
            let seeds = std::mem::take(&mut s.seeds);
            let carried = self.region(body, format, &seeds, s, stats, out);
            s.seeds = seeds;
            (carried, event)
        };
        // Under key rotation, which period's key made the pseudonyms: lets a later search
        // recompute the pseudonym of a known value.
        let key_period = self.engine.key_period_stamp(&s.redact, carried);
        let period = self.retention.period(carried);
        let expiry = retention::expiry(event, now, period);
        if self.options.tag_retention && (s.class.0 != period || s.class.1.is_empty()) {
            s.class = (period, retention::format_duration(period).into_bytes());
        }
        let class: &[u8] = if self.options.tag_retention { &s.class.1 } else { b"" };
        let tags: [(&[u8], &[u8]); 3] = [
            (b"key_period", key_period.map_or(&[][..], |start| s.key_period.of(start))),
            (b"retention", class),
            (b"expires_at", s.stamp.of(expiry)),
        ];
        let tags = tags.iter().filter(|(_, value)| !value.is_empty());
        match json_close {
            Some((close, has_members)) => {
                for (i, (name, value)) in tags.enumerate() {
                    if has_members || i > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    out.extend_from_slice(name);
                    out.extend_from_slice(b"\":\"");
                    out.extend_from_slice(value);
                    out.push(b'"');
                }
                out.extend_from_slice(&body[close..]);
            }
            None => {
                for (name, value) in tags {
                    out.push(b' ');
                    out.extend_from_slice(name);
                    out.push(b'=');
                    out.extend_from_slice(value);
                }
            }
        }
        out.extend_from_slice(if eol.is_empty() { b"\n" } else { eol });
        stats.bytes_out += (out.len() - start) as u64;
        period
    }

    /// Spans for the named fields of a text line that field rules target.
    fn field_seeds(&self, body: &[u8], format: Format, s: &mut LineScratch) {
        s.seeds.clear();
        if format == Format::Text
            && body.trim_ascii_start().starts_with(b"{")
            && self.engine.has_field_rules(Format::Json)
        {
            self.broken_json_seeds(body, s);
        }
        if !self.engine.has_field_rules(format) {
            return;
        }
        // Positional fields have their rules already; the others are looked up by name.
        let names = format.positional_names();
        for &(i, rule) in self.engine.rules_by_position(format) {
            let Some(f) = s.fields.get(i) else { break };
            debug_assert!(f.is(body, names[i]), "field {i} of a {format:?} line is not {}", names[i]);
            self.field_seed(body, format, f, rule, &mut s.seeds);
        }
        for f in s.fields.get(names.len()..).unwrap_or_default() {
            if let Some(rule) = self.engine.rule_of_field(format, f, body) {
                self.field_seed(body, format, f, rule, &mut s.seeds);
            }
        }
    }

    /// Pushes the span of field `f`, which `rule` targets, unless the field is empty or `-`.
    fn field_seed(&self, body: &[u8], format: Format, f: &Field, rule: RuleId, seeds: &mut Vec<Span>) {
        let value = &body[f.start..f.end];
        if value.is_empty() || value == b"-" {
            return;
        }
        let positional = matches!(format, Format::Access | Format::Syslog);
        let mut span = self.engine.field_span(body, f.start, f.end, rule, positional);
        if *self.engine.action(rule) == Action::Drop && format == Format::Logfmt {
            // Drop the whole pair, its closing quote and the space before it.
            span.start =
                f.pair_start().saturating_sub(usize::from(f.pair_start() > 0 && body[f.pair_start() - 1] == b' '));
            span.end += usize::from(body.get(f.end) == Some(&b'"'));
        }
        seeds.push(span);
    }

    /// Redacts one region into `out`; returns the categories it still carries.
    fn region(
        &self,
        region: &[u8],
        format: Format,
        seeds: &[Span],
        s: &mut LineScratch,
        stats: &mut Stats,
        out: &mut Vec<u8>,
    ) -> u64 {
        if self.engine.find(region, format, seeds, &mut s.redact) {
            self.record(0, s);
            self.engine.render(region, &mut s.redact, &mut stats.redactions, out)
        } else {
            out.extend_from_slice(region);
            0
        }
    }

    /// Notes the spans of the last find, at `base` in the line, for the report.
    fn record(&self, base: usize, s: &mut LineScratch) {
        if !self.options.report {
            return;
        }
        for sp in s.redact.spans() {
            s.findings.push(Finding {
                line: s.line_no,
                start: base + sp.start,
                end: base + sp.end,
                rule: sp.rule,
                allowed: self.engine.allows(sp),
                fused: sp.fused,
            });
        }
    }

    /// Redacts `text` (with optional seeds) into `s.rendered`; `None` if nothing was found.
    /// `base` is where `text` starts in the line, for the report.
    fn render_value(
        &self,
        text: &[u8],
        base: usize,
        seeds: &[Span],
        s: &mut LineScratch,
        stats: &mut Stats,
    ) -> Option<u64> {
        if !self.engine.find(text, Format::Json, seeds, &mut s.redact) {
            return None;
        }
        Some(self.render_found(text, base, s, stats))
    }

    /// Redacts `text` with the spans in `s.redact` (from a find over it, or the same spans
    /// known otherwise) into `s.rendered`; `base` is where `text` starts in the line.
    fn render_found(&self, text: &[u8], base: usize, s: &mut LineScratch, stats: &mut Stats) -> u64 {
        self.record(base, s);
        s.rendered.clear();
        self.engine.render(text, &mut s.redact, &mut stats.redactions, &mut s.rendered)
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

    /// Classes made ahead for one line must not serve a later region that happens to sit at the
    /// same address with the same length (a recycled batch buffer): that would scan the new bytes
    /// with the old bytes' classes and could miss an address. A cut line is scanned without
    /// being classified first, so it is where such classes would be picked up.
    #[test]
    fn classes_made_for_one_line_never_serve_the_next() {
        use crate::rules::{Ruleset, Source};
        let set = Ruleset::load(&[Source::builtin_default()]).unwrap();
        let options = Options { json_strings_alone: true, ..Options::default() };
        let p = Processor::new(set.engine(None, None).unwrap(), &set.retention, options);
        let (mut s, mut stats, mut out) = (LineScratch::default(), Stats::default(), Vec::new());
        // The cut line's emitted part (its first 20 bytes) lies where the whole first line, an
        // object without members whose classes no find took, lay.
        let cut = b"from 203.0.113.77 ok tail";
        let mut buf = cut.to_vec();
        buf[..20].copy_from_slice(b"{                  }");
        p.line(&buf[..20], false, 0, &mut s, &mut stats, &mut out);
        buf.copy_from_slice(cut);
        out.clear();
        p.line(&buf, true, 0, &mut s, &mut stats, &mut out);
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("from 203.0.113.0 ok"), "{out}");
    }
}
