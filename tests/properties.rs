//! Property tests: invariants that must hold for every input, checked on generated ones.
//!
//! Index (cases per property in each `proptest!` block's config):
//! - no planted email, card or address survives, whatever printable context surrounds it
//! - lines with nothing to find come out byte for byte, plus the tag
//! - one worker gives the same bytes as two or four
//! - input read in random chunks gives the same output as read whole
//! - arbitrary bytes (invalid UTF-8, NUL, CR) never panic and give one line per line
//! - JSON lines come out the same with the line prescan as with every string scanned alone
//!
//! Failures are saved by proptest next to this file (`tests/properties.proptest-regressions`: it
//! finds no `lib.rs` above `tests/`) and replayed first on every later run: commit that file with
//! the fix.
//!
//! The one-line checks and the default processor come from `fuzz/checks.rs`, shared with the fuzz
//! targets.

#[path = "../fuzz/checks.rs"]
mod checks;

use checks::{Chunked, NOW};
use loganon::framing::DEFAULT_MAX_LINE;
use loganon::pipeline::{self, Ending, Settings, Sinks};
use loganon::process::{LineScratch, Options, Processor, Stats};
use loganon::report::ReportWriter;
use loganon::rules::{Ruleset, Source};
use proptest::prelude::*;
use std::net::Ipv6Addr;
use std::sync::LazyLock;

static PROCESSOR: LazyLock<Processor> = LazyLock::new(checks::default_processor);

/// The tag of a line without a timestamp and without personal data: `NOW` + the default 30 days.
const TAG: &str = " expires_at=2026-12-22T12:00:00Z";

// ---------------------------------------------------------------------------------------------
// Generators

/// Words and punctuation for the context around planted values. Numbers are included: a card
/// next to another number must still be found.
const CONTEXT: &[&str] = &[
    "GET",
    "POST",
    "/index.html",
    "user",
    "id",
    "the",
    "ok",
    "error",
    "Failed",
    "from",
    "to",
    "HTTP/1.1",
    "200",
    "404",
    "2026",
    "42",
    "7",
    "-",
    "=",
    ",",
    "\"",
    "'",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ";",
    "|",
    "?",
    "&",
    "/",
    "#",
    "*",
    "!",
    "  ",
    "\t",
    "key=",
    "mail:",
    "card=",
    "ip=",
    "%20",
    "+",
    "...",
];

/// Bytes that may stand right before or after a planted value: none of them can be part of one.
const SEPARATORS: &[u8] = b" \t=,\"'<>()[]{};|?&/!#*";

fn context() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CONTEXT), 0..6).prop_map(|w| w.join(" "))
}

/// An email at an example domain: random local part (letters, digits, `._%+-` inside) and
/// random subdomains, in random case; sometimes URL-encoded (`%40` for `@`).
fn email() -> impl Strategy<Value = String> {
    let local = "[a-zA-Z0-9]{1,3}([._%+-]?[a-zA-Z0-9]{1,5}){0,3}";
    let sub = prop::collection::vec("[a-z0-9]{1,3}(-?[a-z0-9]{1,4})?", 0..3);
    let base = prop::sample::select(&["example.com", "example.org", "example.net", "EXAMPLE.COM"][..]);
    let at = prop::sample::select(&["@", "@", "@", "%40"][..]);
    (local, sub, base, at).prop_map(|(l, sub, base, at)| {
        let mut domain: Vec<String> = sub;
        domain.push(base.to_owned());
        format!("{l}{at}{}", domain.join("."))
    })
}

/// The Luhn check digit that completes `body`.
fn luhn_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let v = u32::from(d);
            if i % 2 == 0 {
                let v = v * 2;
                if v > 9 { v - 9 } else { v }
            } else {
                v
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A Luhn-valid card number from a real issuer prefix and length (Visa 13/16/19, Mastercard 51-55,
/// Amex 34/37, Discover 6011), plain or grouped by spaces, dashes, or in URLs `+` or `%20`.
/// Returns (text, digits).
fn card() -> impl Strategy<Value = (String, String)> {
    let issuer = prop::sample::select(
        &[
            ("4", 16),
            ("4", 13),
            ("4", 19),
            ("51", 16),
            ("52", 16),
            ("53", 16),
            ("54", 16),
            ("55", 16),
            ("34", 15),
            ("37", 15),
            ("6011", 16),
        ][..],
    );
    (issuer, prop::collection::vec(0u8..10, 18), 0..5usize).prop_map(|((prefix, len), random, grouping)| {
        let mut digits: Vec<u8> = prefix.bytes().map(|c| c - b'0').collect();
        digits.extend_from_slice(&random[..len - 1 - digits.len()]);
        digits.push(luhn_digit(&digits));
        let plain: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        // Amex prints 4-6-5; everyone else groups by four.
        let groups: Vec<usize> = if len == 15 { vec![4, 6, 5] } else { vec![4; len.div_ceil(4)] };
        let text = match grouping {
            0 => plain.clone(),
            g => {
                let sep = [" ", "-", "+", "%20"][g - 1];
                let mut parts = Vec::new();
                let mut at = 0;
                for n in groups {
                    let end = (at + n).min(len);
                    parts.push(&plain[at..end]);
                    at = end;
                }
                parts.join(sep)
            }
        };
        (text, plain)
    })
}

/// An IPv4 address in a documentation range (host part never 0, so truncation changes it),
/// sometimes with leading zeros or a port.
fn ipv4() -> impl Strategy<Value = String> {
    let net = prop::sample::select(&["192.0.2", "198.51.100", "203.0.113"][..]);
    (net, 1u8..=255, any::<bool>(), prop::option::of(1u16..)).prop_map(|(net, host, zeros, port)| {
        let addr = if zeros { format!("{}.{host:03}", net.replace(".2", ".002")) } else { format!("{net}.{host}") };
        match port {
            Some(p) => format!("{addr}:{p}"),
            None => addr,
        }
    })
}

/// An IPv6 address in 2001:db8::/32 with a host part (so that truncation to /48 changes it),
/// written compressed, in full, in upper case, bracketed with a port, with a zone id, or an
/// IPv4-mapped documentation address.
fn ipv6() -> impl Strategy<Value = String> {
    (any::<u16>(), any::<[u16; 5]>(), 1u16.., 0..6usize).prop_map(|(site, mid, last, form)| {
        let a = Ipv6Addr::new(0x2001, 0xdb8, site, mid[0], mid[1], mid[2], mid[3], last);
        let seg = a.segments();
        match form {
            0 => a.to_string(),
            1 => seg.iter().map(|s| format!("{s:x}")).collect::<Vec<_>>().join(":"),
            2 => a.to_string().to_uppercase(),
            3 => format!("[{a}]:{}", 1 + mid[4] % 65535),
            4 => format!("{a}%eth0"),
            _ => format!("::ffff:203.0.113.{}", 1 + last % 255),
        }
    })
}

/// A value to plant, and the forms of it that must not appear in the output.
#[derive(Clone, Debug)]
struct Planted {
    text: String,
    forbidden: Vec<String>,
}

fn planted() -> impl Strategy<Value = Planted> {
    prop_oneof![
        email().prop_map(|e| Planted { forbidden: vec![e.clone()], text: e }),
        card().prop_map(|(text, digits)| Planted { forbidden: vec![text.clone(), digits], text }),
        ipv4().prop_map(|a| {
            let addr = a.split(':').next().unwrap().to_owned();
            Planted { text: a, forbidden: vec![addr] }
        }),
        ipv6().prop_map(|a| {
            let addr = a.trim_start_matches('[').split([']', '%']).next().unwrap();
            let addr = addr.strip_prefix("::ffff:").unwrap_or(addr).to_owned();
            Planted { text: a, forbidden: vec![addr] }
        }),
    ]
}

/// A line: context, then planted values each between separators, each followed by context.
fn planted_line() -> impl Strategy<Value = (String, Vec<Planted>)> {
    let item = (planted(), prop::sample::select(SEPARATORS), prop::sample::select(SEPARATORS), context());
    (context(), prop::collection::vec(item, 1..5)).prop_map(|(start, items)| {
        let mut line = start;
        let mut values = Vec::new();
        for (p, before, after, ctx) in items {
            line.push(char::from(before));
            line.push_str(&p.text);
            line.push(char::from(after));
            line.push_str(&ctx);
            values.push(p);
        }
        (line, values)
    })
}

/// Several lines of mixed kinds: planted text, JSON objects holding values, empty lines, CRLF,
/// long lines, and the last line sometimes without its newline.
fn log_text() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => planted_line().prop_map(|(l, _)| l),
        1 => (planted(), context())
            .prop_map(|(p, c)| format!(r#"{{"msg":"{c}","v":"{}","n":1}}"#, p.text.replace('"', ""))),
        1 => Just(String::new()),
        1 => "[a-z ]{200,600}",
    ];
    let ending = prop::sample::select(&["\n", "\n", "\n", "\r\n"][..]);
    (prop::collection::vec((line, ending), 1..40), any::<bool>()).prop_map(|(lines, open_end)| {
        let mut text: String = lines.into_iter().map(|(l, e)| l + e).collect();
        if open_end {
            text.pop();
        }
        text.into_bytes()
    })
}

/// Chunk sizes for a reader, used in turn: some down to one byte (0: an `Interrupted` error),
/// always with one pipe-like read of a few KiB among them. (Every read costs the framer a fill
/// of its 256 KiB read buffer, which is slow in a debug build: bounding the number of reads keeps
/// the suite fast.)
fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    let size = prop_oneof![1 => 0usize..16, 3 => 16usize..4096];
    (prop::collection::vec(size, 0..5), 1024usize..8192).prop_map(|(mut sizes, big)| {
        sizes.push(big);
        sizes
    })
}

// ---------------------------------------------------------------------------------------------
// Running

/// The whole pipeline's output and `--report` for `input` read in `sizes` chunks, with
/// `threads` workers; checks conservation (one line out per line in).
fn run(input: &[u8], sizes: &[usize], threads: usize, max_line: usize) -> (Vec<u8>, Vec<u8>) {
    let src = Chunked::new(input, sizes.iter().copied());
    let (mut out, mut report) = (Vec::new(), Vec::new());
    let sinks = Sinks { out: &mut out, report: Some(ReportWriter::new(Box::new(&mut report), &PROCESSOR)) };
    let (ending, stats) =
        pipeline::run(&PROCESSOR, vec![Box::new(src)], sinks, Settings { threads, max_line }, &|| NOW).unwrap();
    assert_eq!(ending, Ending::Complete);
    let lines_in = input.split_inclusive(|&c| c == b'\n').count() as u64;
    assert_eq!(stats.lines, lines_in);
    assert_eq!(out.iter().filter(|&&c| c == b'\n').count() as u64, lines_in);
    (out, report)
}

/// A run's output and report, for a failure message.
fn show((out, report): &(Vec<u8>, Vec<u8>)) -> String {
    format!("{}\nreport:\n{}", String::from_utf8_lossy(out), String::from_utf8_lossy(report))
}

fn process_line(line: &[u8]) -> Vec<u8> {
    checks::process(&PROCESSOR, &mut LineScratch::default(), line, false)
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    // Cheap (one line each) and the point of the program: many cases.
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// No planted email, card or address survives, in any of its planted forms, whatever
    /// printable context surrounds it.
    #[test]
    fn no_planted_value_survives((line, values) in planted_line()) {
        let out = process_line(format!("{line}\n").as_bytes());
        let out = String::from_utf8_lossy(&out);
        for v in &values {
            for f in &v.forbidden {
                prop_assert!(
                    !out.contains(f.as_str()),
                    "{f:?} (planted as {:?}) survived:\n  in:  {line}\n  out: {out}",
                    v.text
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A line with nothing to find (letters, spaces, punctuation that starts no value, bytes
    /// outside ASCII, control bytes) comes out byte for byte, with the tag before its line ending.
    #[test]
    fn lines_with_nothing_to_find_pass_unchanged(
        body in prop::collection::vec(prop_oneof![
            8 => prop::sample::select(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ    ".to_vec()),
            1 => prop::sample::select(b",;!?()[]\"'<>/\\*#&|~^`\x00\x01\x1b\x7f\t".to_vec()),
            1 => 0x80u8..=0xff,
        ], 0..300),
        eol in prop::sample::select(&["\n", "\r\n", ""][..]),
    ) {
        let mut line = body.clone();
        line.extend_from_slice(eol.as_bytes());
        let out = process_line(&line);
        let mut want = body;
        want.extend_from_slice(TAG.as_bytes());
        want.extend_from_slice(if eol.is_empty() { b"\n" } else { eol.as_bytes() });
        prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
    }

    /// Arbitrary bytes, lines of any content (invalid UTF-8, NUL, lone CR), cut or not, never
    /// panic and always give one tagged line per line.
    #[test]
    fn arbitrary_bytes_never_panic(
        data in prop::collection::vec(prop_oneof![
            4 => any::<u8>(),
            1 => prop::sample::select(b"\n\r\x00{}[]\":,@.-0123456789".to_vec()),
        ], 0..2000),
    ) {
        let s = &mut LineScratch::default();
        for line in data.split_inclusive(|&c| c == b'\n') {
            checks::process(&PROCESSOR, s, line, false);
            checks::process(&PROCESSOR, s, line, true);
        }
    }
}

proptest! {
    // Each case runs the whole pipeline several times, with threads.
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One worker gives the same bytes as two or four, however the input arrives; so does the
    /// `--report` of findings.
    #[test]
    fn one_worker_equals_n_workers(
        input in log_text(),
        sizes in chunk_sizes(),
        max_line in prop_oneof![Just(DEFAULT_MAX_LINE), 64usize..1024],
    ) {
        let one = run(&input, &sizes, 1, max_line);
        for threads in [2, 4] {
            let n = run(&input, &sizes, threads, max_line);
            prop_assert!(n == one, "{threads} workers differ from one:\n{}\n---\n{}", show(&n), show(&one));
        }
    }

    /// Input read in random chunks (down to one byte) gives the same output and report as read
    /// whole.
    #[test]
    fn chunked_input_equals_whole_input(
        input in log_text(),
        sizes in chunk_sizes(),
        max_line in prop_oneof![Just(DEFAULT_MAX_LINE), 64usize..1024],
        threads in 1usize..3,
    ) {
        let whole = run(&input, &[], threads, max_line);
        let chunked = run(&input, &sizes, threads, max_line);
        prop_assert!(chunked == whole, "chunks {sizes:?} differ:\n{}\n---\n{}", show(&chunked), show(&whole));
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON line prescan

/// Rules that exercise every exception to the prescan: the strict pack (phone numbers, IBANs,
/// private keys), a regex anchored at both ends of a value, and one that can match across a
/// quote.
const PRESCAN_RULES: &str = r#"
[[rule]]
name = "order"
detector = "regex"
pattern = '^ord-\d+$'
action = "redact"
replacement = "[ORDER]"
category = "order"

[[rule]]
name = "quoted"
detector = "regex"
pattern = 'qq"[a-z]+'
action = "redact"
replacement = "[Q]"
category = "order"
"#;

/// A processor over the strict pack (which brings in the default rules) and [`PRESCAN_RULES`],
/// with the JSON line prescan on or off.
fn prescan_processor(prescan: bool) -> Processor {
    let strict = Source { name: "strict.toml".into(), text: include_str!("../rules/policies/strict.toml").into() };
    let extra = Source { name: "prescan.toml".into(), text: PRESCAN_RULES.into() };
    let set = Ruleset::load(&[strict, extra]).expect("the rules load");
    let engine = set.engine(None, None).expect("the rules compile");
    let options = Options { report: true, json_strings_alone: !prescan, ..Options::default() };
    Processor::new(engine, &set.retention, options)
}

static WITH_PRESCAN: LazyLock<Processor> = LazyLock::new(|| prescan_processor(true));
static WITHOUT_PRESCAN: LazyLock<Processor> = LazyLock::new(|| prescan_processor(false));

/// A JSON value's text: planted values, context and the shapes the prescan treats specially
/// (escapes, private-key body widths, anchored and cross-quote regex matches), JSON-escaped.
fn json_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => planted().prop_map(|p| p.text),
        3 => context(),
        1 => Just("ord-42".to_owned()),
        1 => Just("qq".to_owned()),
        1 => Just("+44 20 7946 0958".to_owned()),
        1 => Just("GB82WEST12345698765432".to_owned()),
        1 => Just("password=hunter2".to_owned()),
        1 => "[A-Za-z0-9+/]{64}",
        1 => "[A-Za-z0-9+/]{70}",
        1 => Just("\u{e9}@".to_owned()),
    ];
    let joiner = prop::sample::select(&["", " ", "\"", "\\", "\n", ":", "@"][..]);
    prop::collection::vec((piece, joiner), 0..4).prop_map(|parts| {
        let text: String = parts.into_iter().map(|(p, j)| p + j).collect();
        serde_json::to_string(&text).unwrap()
    })
}

/// A JSON value: a string, a number (some card- or phone-shaped), an array or a nested object.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => json_text(),
        1 => (0u64..10_000_000_000_000_000).prop_map(|n| n.to_string()),
        1 => (-1e12f64..1e12).prop_map(|f| f.to_string()),
        1 => Just("4111111111111111".to_owned()),
        1 => Just("true".to_owned()),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((json_key(), inner), 0..3).prop_map(|m| {
                let members: Vec<String> = m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

fn json_key() -> impl Strategy<Value = String> {
    let name = prop::sample::select(
        &["msg", "user", "client_ip", "password", "token", "Authorization", "cookie", "tel", "a b", "n", "db.password"]
            [..],
    );
    (name, any::<bool>()).prop_map(|(k, spaced)| if spaced { format!("\"{k}\" ") } else { format!("\"{k}\"") })
}

proptest! {
    // A JSON line each, through two processors.
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The prescan only decides which strings need a scan of their own; it never changes what a
    /// line comes out as, nor what the report lists.
    #[test]
    fn the_json_prescan_changes_nothing(members in prop::collection::vec((json_key(), json_value()), 1..6)) {
        let body: Vec<String> = members.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let line = format!("{{{}}}\n", body.join(","));
        let run = |p: &Processor| {
            let (mut s, mut out) = (LineScratch::default(), Vec::new());
            p.line(line.as_bytes(), false, NOW, &mut s, &mut Stats::default(), &mut out);
            (String::from_utf8_lossy(&out).into_owned(), s.findings)
        };
        let (with, without) = (run(&WITH_PRESCAN), run(&WITHOUT_PRESCAN));
        prop_assert_eq!(&with.0, &without.0, "line: {}", line);
        prop_assert_eq!(&with.1, &without.1, "line: {}", line);
        prop_assert!(serde_json::from_str::<serde_json::Value>(&with.0).is_ok(), "not JSON: {}", with.0);
    }
}
