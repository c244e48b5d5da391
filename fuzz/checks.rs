//! Invariants checked on arbitrary input, shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`)
//! and by their replay as ordinary tests (`tests/fuzz_regressions.rs`), which include this file
//! with `#[path]`. Each check takes the fuzzer's raw bytes and panics when an invariant breaks,
//! so a crash libFuzzer finds and the saved input replayed by `cargo test` run the same code.
//!
//! How each check reads its bytes (the seed files under `fuzz/regressions/<target>/` follow it):
//! - [`framing`]: byte 0 picks `max_line`; byte 1 the number `k` of chunk sizes (0-7, its low three
//!   bits) and the read size (its high five); the next `k` bytes are the chunk sizes the reader
//!   hands out in turn (0 = one `Interrupted` error), the rest is the stream.
//! - [`formats`]: the whole input is one line.
//! - [`redact_line`]: part (a) processes every line of the whole input; for part (b), byte 0 picks
//!   where the planted values go in the rest.
//! - [`rules`]: the input up to its first NUL (lossily decoded as UTF-8) is a rule file's text;
//!   the rest, log lines to run through it.

#![allow(dead_code)] // each fuzz target uses only its own check

use loganon::anonymize::Pseudonymizer;
use loganon::format::{self, EventTimes, Field, Format, json};
use loganon::framing::{Batch, DEFAULT_MAX_LINE, Framer, MIN_AVERAGE_LINE, READ_SIZE};
use loganon::process::{CUT_MARK, LineScratch, Options, Processor, Stats};
use loganon::redact::classes::Classes;
use loganon::rules::{IpMode, Ruleset, Source, examples};
use std::cell::RefCell;
use std::io::{self, Read};

/// 2026-11-22T12:00:00Z: the clock of every line processed here.
pub const NOW: i64 = 1_795_348_800;

// ---------------------------------------------------------------------------------------------
// framing

/// A reader that hands out its data in the chunk sizes of `sizes`, in turn, as a pipe would; a
/// size 0 is an `Interrupted` error (never twice in a row), which readers must retry. No sizes:
/// every read takes all that fits. Owns its data, so it can go where a `Box<dyn Read>` goes.
pub struct Chunked {
    data: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
    interrupted: bool,
}

impl Chunked {
    pub fn new(data: &[u8], sizes: impl IntoIterator<Item = usize>) -> Self {
        Self { data: data.to_vec(), at: 0, sizes: sizes.into_iter().collect(), turn: 0, interrupted: false }
    }
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = if self.sizes.is_empty() {
            usize::MAX
        } else {
            let s = self.sizes[self.turn % self.sizes.len()];
            self.turn += 1;
            if s == 0 && !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            s.max(1)
        };
        self.interrupted = false;
        let n = want.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Frames `stream` read `read_size` bytes at a time from a source that hands out `sizes` chunks;
/// returns each line with its cut flag.
pub fn frame(stream: &[u8], sizes: &[u8], max_line: usize, read_size: usize) -> Vec<(Vec<u8>, bool)> {
    let source = Chunked::new(stream, sizes.iter().map(|&s| usize::from(s)));
    let mut framer = Framer::new(source, max_line, read_size);
    let max_lines = (read_size / MIN_AVERAGE_LINE).max(1);
    let mut batch = Batch::default();
    let mut lines = Vec::new();
    while framer.fill(&mut batch).expect("reading from memory cannot fail") {
        assert!(!batch.bytes().is_empty(), "a batch handed out is never empty");
        assert!(batch.cut.windows(2).all(|w| w[0] < w[1]), "cut offsets ascend: {:?}", batch.cut);
        let before = lines.len();
        lines.extend(batch.lines().map(|(l, c)| (l.to_vec(), c)));
        let cuts = lines[before..].iter().filter(|(_, c)| *c).count();
        assert_eq!(cuts, batch.cut.len(), "every cut offset is the start of a line of its batch");
        assert!(lines.len() - before <= max_lines, "a batch of {} lines, limit {max_lines}", lines.len() - before);
    }
    lines
}

/// What framing must give, written the obvious way: split after every `\n`; a line whose bytes
/// before its `\n` exceed `max_line` keeps the first `max_line` of them plus a `\n` and is cut.
pub fn frame_reference(stream: &[u8], max_line: usize) -> Vec<(Vec<u8>, bool)> {
    stream
        .split_inclusive(|&c| c == b'\n')
        .map(|piece| {
            let content = piece.strip_suffix(b"\n").unwrap_or(piece);
            if content.len() > max_line {
                let mut kept = content[..max_line].to_vec();
                kept.push(b'\n');
                (kept, true)
            } else {
                (piece.to_vec(), false)
            }
        })
        .collect()
}

/// Any chunking of a stream frames exactly like the whole stream read at once, and like the
/// reference; every line but the last ends in `\n`, none is longer than `max_line + 1`.
pub fn framing(data: &[u8]) {
    let [pick, k, rest @ ..] = data else { return };
    // Mostly tiny limits, so that fuzz-sized inputs cross them; sometimes the default.
    let max_line = if *pick >= 0xf0 { DEFAULT_MAX_LINE } else { 1 + usize::from(*pick % 48) };
    // Mostly reads of a few times 64 bytes, whose batches reach their line limit; sometimes the
    // default read.
    let read_size = match *k >> 3 {
        0 => READ_SIZE,
        r => usize::from(r) * MIN_AVERAGE_LINE / 4,
    };
    let k = usize::from(*k % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(k);

    let whole = frame(stream, &[], max_line, READ_SIZE);
    let chunked = frame(stream, sizes, max_line, read_size);
    assert_eq!(chunked, whole, "chunks {sizes:?}, max_line {max_line}, read_size {read_size}");
    assert_eq!(whole, frame_reference(stream, max_line), "max_line {max_line}");
    for (i, (line, _)) in whole.iter().enumerate() {
        assert!(!line.is_empty(), "line {i} is empty");
        assert!(line.len() <= max_line + 1, "line {i} has {} bytes, max_line {max_line}", line.len());
        let last = i + 1 == whole.len();
        assert!(last || line.ends_with(b"\n"), "line {i} does not end in a newline");
        assert!(!line[..line.len() - 1].contains(&b'\n'), "line {i} holds a newline inside");
    }
}

// ---------------------------------------------------------------------------------------------
// formats

/// Every field range is inside the line, and its name can be read.
fn check_fields(data: &[u8], fields: &[Field]) {
    for f in fields {
        assert!(f.start <= f.end && f.end <= data.len(), "field {f:?} out of bounds (len {})", data.len());
        assert!(f.pair_start() <= f.start, "field {f:?} starts before its key");
        let name = f.name(data);
        assert!(f.is(data, &name), "field {f:?} is not called its own name {name:?}");
    }
}

/// Clocks for the text timestamp parsers: the epoch, a leap day, the tests' clock, a year
/// boundary (RFC 3164 dates of late December belong to the last year), the last representable
/// second.
const CLOCKS: [&str; 5] = [
    "1970-01-01T00:00:00Z",
    "2024-02-29T12:00:00Z",
    "2026-11-22T12:00:00Z",
    "2027-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
];

/// The format parsers never panic; field ranges are in bounds; the JSON tokenizer's ranges are
/// in bounds, in order, and where they say (strings between quotes, containers to their close,
/// the root close on a `}`); valid JSON objects are always recognised; escaping round-trips and
/// leaves no raw control byte. Event times remembered from earlier inputs (which the fuzzer
/// mostly makes from one another, so they share their time text) are the times read afresh, and
/// their text rewritten from the last one's is the text written afresh.
pub fn formats(data: &[u8]) {
    thread_local! {
        static TIMES: RefCell<EventTimes> = RefCell::default();
        static STAMP: RefCell<(i64, [u8; 20])> = const { RefCell::new((0, [0; 20])) };
    }
    let mut fields = Vec::new();
    let classes = Classes::of(data);
    let detected = format::detect_text(data, &classes, &mut fields);
    check_fields(data, &fields);
    let mut formats = vec![(detected, fields.clone())];
    for f in Format::ALL {
        if format::fields_as(f, data, &classes, &mut fields) {
            check_fields(data, &fields);
            formats.push((f, fields.clone()));
        }
    }
    for clock in CLOCKS {
        let now = loganon::time::parse_rfc3339(clock).expect("valid clock");
        for (f, fields) in &formats {
            let fresh = format::text_event_time(data, *f, fields, now);
            let remembered = TIMES.with(|t| t.borrow_mut().text(data, *f, fields, now));
            assert_eq!(remembered, fresh, "remembered event time of a {f:?} line");
            if let Some(t) = fresh {
                let mut stamp = [0u8; 20];
                loganon::time::format_rfc3339(t, &mut stamp);
                // The text rewritten from the last instant's is the text written afresh.
                STAMP.with(|s| {
                    let (prev, text) = &mut *s.borrow_mut();
                    loganon::time::reformat_rfc3339(*prev, t, text);
                    assert_eq!(*text, stamp, "{t} after {prev}");
                    *prev = t;
                });
            }
        }
        let _ = format::syslog::event_time(data, now);
    }
    let _ = format::clf::event_time(data);

    let (mut tokens, mut stack) = (Vec::new(), Vec::new());
    let doc = json::scan(data, &classes, &mut tokens, &mut stack);
    let mut prev_end = 0;
    for t in &tokens {
        assert!(t.start <= t.end && t.end <= data.len(), "token {t:?} out of bounds (len {})", data.len());
        assert!(t.depth >= 1, "token {t:?} outside the root object");
        if t.kind == json::Kind::Open {
            // A container spans to one past its close once scanning has reached it.
            assert!(matches!(data[t.start], b'{' | b'['), "container token {t:?} does not open one");
            continue;
        }
        assert!(t.start >= prev_end, "token {t:?} overlaps the one before (ending at {prev_end})");
        if matches!(t.kind, json::Kind::Key | json::Kind::Str) {
            assert_eq!(data[t.start - 1], b'"', "string token {t:?} does not follow a quote");
            assert_eq!(data.get(t.end), Some(&b'"'), "string token {t:?} does not end at a quote");
        }
        prev_end = t.end;
        let mut decoded = Vec::new();
        json::unescape(&data[t.start..t.end], &mut decoded);
    }
    match doc {
        Some(d) => {
            assert!(d.root_close < data.len() && data[d.root_close] == b'}', "root close {d:?}");
            assert!(prev_end <= d.root_close, "a token lies after the root close");
            for t in tokens.iter().filter(|t| t.kind == json::Kind::Open) {
                let close = if data[t.start] == b'{' { b'}' } else { b']' };
                assert_eq!(data[t.end - 1], close, "container token {t:?} does not span to its close");
            }
            let fresh = json::event_time(data, &tokens, loganon::time::parse_rfc3339_exact);
            let now = loganon::time::parse_rfc3339(CLOCKS[0]).expect("valid clock");
            let remembered = TIMES.with(|t| t.borrow_mut().json(data, &tokens, now));
            assert_eq!(remembered, fresh, "remembered event time of a JSON line");
        }
        // serde_json nests at most 128 deep, below json::MAX_DEPTH: what it accepts, scan must.
        None => assert!(
            !serde_json::from_slice::<serde_json::Value>(data).is_ok_and(|v| v.is_object()),
            "a valid JSON object is not recognised as one"
        ),
    }

    let mut decoded = Vec::new();
    json::unescape(data, &mut decoded);
    let mut escaped = Vec::new();
    json::escape(data, &mut escaped);
    assert!(!escaped.iter().any(|&c| c < 0x20 || c == 0x7f), "escape leaves a control byte");
    decoded.clear();
    json::unescape(&escaped, &mut decoded);
    assert_eq!(decoded, data, "unescape(escape(x)) != x");
}

// ---------------------------------------------------------------------------------------------
// redact_line

/// What every processor here records: the findings for `--report` too, so they are checked.
const OPTIONS: Options = Options { format: None, tag_retention: false, report: true, json_strings_alone: false };

/// The default rules' processor, built once per fuzzing process or test.
pub fn default_processor() -> Processor {
    let ruleset = Ruleset::load(&[Source::builtin_default()]).expect("the default rules load");
    let engine = ruleset.engine(None, None).expect("the default rules compile");
    Processor::new(engine, &ruleset.retention, OPTIONS)
}

/// Processes one line with a worker's scratch `s`; checks the output is one line with the expiry
/// tag, a JSON object stays a JSON object with an `expires_at` member, and the report's findings
/// lie in the line and name a rule.
pub fn process(p: &Processor, s: &mut LineScratch, line: &[u8], cut: bool) -> Vec<u8> {
    let mut out = Vec::new();
    s.findings.clear();
    p.line(line, cut, NOW, s, &mut Stats::default(), &mut out);
    for f in s.findings.drain(..) {
        assert!(f.start < f.end && f.end <= line.len(), "finding {f:?} outside the line of {} bytes", line.len());
        assert!(usize::from(f.rule) < p.engine().rules().len(), "finding {f:?} names no rule");
    }
    let show = || String::from_utf8_lossy(&out).into_owned();
    assert!(out.ends_with(b"\n"), "output does not end in a newline: {:?}", show());
    assert_eq!(memchr::memchr_iter(b'\n', &out).count(), 1, "output is not exactly one line: {:?}", show());
    let eol = if line.ends_with(b"\r\n") { &b"\r\n"[..] } else { b"\n" };
    assert!(out.ends_with(eol), "line ending not kept: {:?}", show());
    let body = &out[..out.len() - eol.len()];
    let input_body = line.strip_suffix(eol).unwrap_or(line);
    let json_in = !cut && serde_json::from_slice::<serde_json::Value>(input_body).is_ok_and(|v| v.is_object());
    if json_in {
        let v: serde_json::Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("a JSON object line came out as invalid JSON ({e}): {:?}", show()));
        assert!(v.get("expires_at").is_some_and(|t| t.is_string()), "no expires_at member: {:?}", show());
    } else {
        // A text line, or a line that is JSON only to loganon's more lenient tokenizer.
        assert!(has_text_tag(body) || has_json_tag(body), "line without its expiry tag: {:?}", show());
    }
    if cut {
        assert!(memchr::memmem::find(body, CUT_MARK).is_some(), "cut line without its mark: {:?}", show());
    }
    out
}

/// ` expires_at=` and a 20-byte timestamp at the end.
fn has_text_tag(body: &[u8]) -> bool {
    body.len() >= 32 && &body[body.len() - 32..body.len() - 20] == b" expires_at="
}

/// `"expires_at":"` and a 20-byte timestamp as the last member of an object.
fn has_json_tag(body: &[u8]) -> bool {
    let t = body.trim_ascii_end();
    t.len() >= 36 && t.ends_with(b"\"}") && &t[t.len() - 36..t.len() - 22] == b"\"expires_at\":\""
}

/// The values planted by [`redact_line`], and the forms of them that must not come out.
pub const PLANTED: &str = "jane.doe@example.com 4111 1111 1111 1111 203.0.113.77 password=hunter2 AKIAIOSFODNN7EXAMPLE";
pub const MUST_NOT_SURVIVE: [&str; 6] = [
    "jane.doe@example.com",
    "4111 1111 1111 1111",
    "4111111111111111",
    "203.0.113.77",
    "hunter2",
    "AKIAIOSFODNN7EXAMPLE",
];

/// How often `needle` occurs in `hay`, overlaps included.
pub fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    // Overlapping: a value such as `1111 1111` can overlap itself.
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = memchr::memmem::find(&hay[at..], needle) {
        n += 1;
        at += i + 1;
    }
    n
}

/// How often `value` may legitimately be in the output because the context itself holds it (glued
/// to a letter, say, where it is not a value at all): as written, as a JSON string decodes, or as
/// a JSON line writes it. The last because a raw control byte in a string of a line loganon reads
/// as JSON comes out escaped, and the hex digits of `\u0014` followed by the context's digits
/// `111111111111111` spell `4111111111111111` with no card in the input.
fn allowed(parts: [&[u8]; 2], value: &[u8]) -> usize {
    let count = |form: fn(&[u8], &mut Vec<u8>)| -> usize {
        parts
            .iter()
            .map(|p| {
                let mut d = Vec::new();
                form(p, &mut d);
                occurrences(&d, value)
            })
            .sum()
    };
    let written = count(|p, d| d.extend_from_slice(p));
    written.max(count(json::unescape)).max(count(json::escape))
}

/// (a) every line of the input comes out as one tagged line, cut or not; (b) an email, a card,
/// an address, a password and an access key id planted, separated by spaces, anywhere in the
/// input never survive: each value comes out no more often than the context alone holds it.
pub fn redact_line(p: &Processor, data: &[u8]) {
    // One scratch for the whole input, as one worker has for a batch.
    let s = &mut LineScratch::default();
    for line in data.split_inclusive(|&c| c == b'\n') {
        process(p, s, line, false);
        process(p, s, line, true);
    }
    let [pick, context @ ..] = data else { return };
    let context: Vec<u8> = context.iter().copied().filter(|&c| c != b'\n').collect();
    let (prefix, suffix) = context.split_at(usize::from(*pick) % (context.len() + 1));
    let mut line = prefix.to_vec();
    line.push(b' ');
    line.extend_from_slice(PLANTED.as_bytes());
    line.push(b' ');
    line.extend_from_slice(suffix);
    line.push(b'\n');
    for cut in [false, true] {
        let out = process(p, s, &line, cut);
        for value in MUST_NOT_SURVIVE {
            let value = value.as_bytes();
            assert!(
                occurrences(&out, value) <= allowed([prefix, suffix], value),
                "{:?} survived (cut: {cut})\n  in:  {:?}\n  out: {:?}",
                String::from_utf8_lossy(value),
                String::from_utf8_lossy(&line),
                String::from_utf8_lossy(&out)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// rules

/// A rule file with arbitrary text never panics the loader: it is an error naming the file and a
/// line of it, or a ruleset that compiles (or refuses to) without panicking in every IP mode and
/// whose inline examples run. The bytes after the first NUL, if any, are log lines that each
/// compiled engine processes (with [`process`]'s checks), after two fixed ones.
pub fn rules(data: &[u8]) {
    let (text, log) = match data.iter().position(|&c| c == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let text = String::from_utf8_lossy(text).into_owned();
    let lines = text.bytes().filter(|&c| c == b'\n').count() + 1;
    let src = Source { name: "fuzz.toml".to_owned(), text };
    let check_error = |e: loganon::rules::RuleError| {
        assert_eq!(e.path, "fuzz.toml", "the error names another file: {e}");
        assert!((1..=lines).contains(&e.line), "line {} of a {lines}-line file: {e}", e.line);
    };
    // After the built-in rules, the file can also conflict with them: only the loading is
    // checked there, as compiling twice would halve the fuzzing rate.
    if let Err(e) = Ruleset::load(&[Source::builtin_default(), src.clone()]) {
        check_error(e);
    }
    let set = match Ruleset::load(&[src]) {
        Ok(set) => set,
        Err(e) => return check_error(e),
    };
    for mode in [None, Some(IpMode::Truncate), Some(IpMode::Hash)] {
        let _ = set.engine(mode, None);
        let keyed = Pseudonymizer::new(&[7; 32]).expect("32 bytes is a valid key");
        let Ok(engine) = set.engine(mode, Some(keyed)) else { continue };
        let p = Processor::new(engine, &set.retention, OPTIONS);
        let s = &mut LineScratch::default();
        let fixed: [&[u8]; 2] = [
            b"GET /?mail=jane.doe%40example.com 203.0.113.77 [2001:db8::5]:443 token=abc\n",
            br#"{"ip":"203.0.113.77","card":4111111111111111,"a":[1,{"b":null}]}"#,
        ];
        for line in fixed.into_iter().chain(log.split_inclusive(|&c| c == b'\n')) {
            process(&p, s, line, false);
            process(&p, s, line, true);
        }
    }
    let _ = examples::run(&set);
}
