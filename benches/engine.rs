//! Throughput benches (bytes/s): each hand-written detector alone on dense and clean lines, each
//! format through the whole line processor (default rules, secrets included), and the whole
//! engine on a realistic access log.
//!
//! Clean lines (nothing to redact) are the common case in production, so every group has a
//! no-match member. Setup (rule loading, corpus building) stays outside the timed closures.
//! Quick run, as CI does it: `cargo bench --bench engine -- --warm-up-time 0.2 --measurement-time 0.5`.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use loganon::anonymize::Pseudonymizer;
use loganon::process::{LineScratch, Options, Processor, Stats};
use loganon::redact::classes::Classes;
use loganon::redact::span::Span;
use loganon::redact::{card, email, iban, ipv4, ipv6, pem, phone};
use loganon::rules::{IpMode, Ruleset, Source};

/// Makes the i-th line of a corpus.
type LineMaker = fn(usize) -> String;

/// `n` lines made from `f(i)`, newline-terminated.
fn corpus(n: usize, f: impl Fn(usize) -> String) -> Vec<u8> {
    (0..n).flat_map(|i| (f(i) + "\n").into_bytes()).collect()
}

fn access_line(i: usize) -> String {
    let extra = match i % 100 {
        0 => format!("&email=user{i}%40example.com"),
        1..=2 if i % 500 == 1 => "&cc=4111+1111+1111+1111".to_owned(),
        _ => String::new(),
    };
    let client = if i % 30 == 0 {
        format!("2001:db8:{:x}::{:x}", i % 97, i % 13)
    } else {
        format!("198.51.{}.{}", i % 251, i % 7)
    };
    format!(
        "{client} - - [22/Nov/2026:10:{:02}:{:02} +0000] \"GET /products/{}?page={}{extra} HTTP/1.1\" 200 {} \"https://www.example.com/\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36\"",
        i / 60 % 60,
        i % 60,
        i % 1000,
        i % 7,
        1000 + i % 9000
    )
}

/// A clean line of the same shape: no address, email or card anywhere.
fn clean_line(i: usize) -> String {
    format!(
        "- - - [22/Nov/2026:10:{:02}:{:02} +0000] \"GET /products/{} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.6099.109\"",
        i / 60 % 60,
        i % 60,
        i % 1000,
        1000 + i
    )
}

fn processor(mode: IpMode) -> Processor {
    let set = Ruleset::load(&[Source::builtin_default()]).unwrap();
    let key = Pseudonymizer::new(b"bench key, thirty-two bytes long").unwrap();
    let engine = set.engine(Some(mode), Some(key)).unwrap();
    Processor::new(engine, &set.retention, Options::default())
}

fn run_lines(p: &Processor, data: &[u8], s: &mut LineScratch, out: &mut Vec<u8>) {
    out.clear();
    let mut stats = Stats::default();
    for line in data.split_inclusive(|&c| c == b'\n') {
        p.line(line, false, 1_795_000_000, s, &mut stats, out);
    }
}

fn detectors(c: &mut Criterion) {
    type Finder = fn(&[u8], &Classes, &mut Vec<Span>) -> usize;
    let finders: [(&str, Finder, LineMaker); 8] = [
        // The byte-class masks every detector starts from, made once per region: the detector
        // timings below include making them.
        ("classes", |_, _, _| 0, |i| access_line(i)),
        (
            "ipv4",
            |b, cl, o| ipv4::find(b, cl, 0, o),
            |i| format!("from 198.51.{}.{} via 203.0.113.{} ok", i % 251, i % 7, i % 200),
        ),
        (
            "ipv6",
            |b, cl, o| ipv6::find(b, cl, 0, o),
            |i| format!("from 2001:db8:{:x}::{:x} via [fe80::1%eth0]:443", i % 97, i % 13),
        ),
        ("email", |b, cl, o| email::find(b, cl, 0, o), |i| format!("to user{i}@example.com cc a.b%2Bx%40example.org")),
        (
            "card",
            |b, cl, o| card::find(b, cl, 0, o, &mut Vec::new()),
            |_| "paid 4111 1111 1111 1111 and 5555555555554444".to_owned(),
        ),
        (
            "phone",
            |b, cl, o| phone::find(b, cl, 0, o),
            |i| format!("call +44 20 7946 {:04} or (555) 010-{:04} today", i % 10_000, i % 10_000),
        ),
        (
            "iban",
            |b, cl, o| iban::find(b, cl, 0, o),
            |_| "pay GB82 WEST 1234 5698 7654 32 or DE89370400440532013000".to_owned(),
        ),
        (
            "private-key",
            |b, cl, o| pem::find(b, cl, 0, o),
            |i| format!("key -----BEGIN RSA PRIVATE KEY-----\\nMIIE{i:08}\\n-----END RSA PRIVATE KEY----- done"),
        ),
    ];
    let mut g = c.benchmark_group("detector");
    for (name, find, dense) in finders {
        for (kind, data) in [("dense", corpus(2000, dense)), ("clean", corpus(2000, clean_line))] {
            g.throughput(Throughput::Bytes(data.len() as u64));
            let mut spans = Vec::new();
            let mut classes = Classes::default();
            g.bench_with_input(BenchmarkId::new(name, kind), &data, |b, data| {
                b.iter(|| {
                    spans.clear();
                    for line in data.split(|&c| c == b'\n') {
                        classes.classify(black_box(line));
                        find(line, &classes, &mut spans);
                    }
                    spans.len()
                })
            });
        }
    }
    g.finish();
}

fn formats(c: &mut Criterion) {
    let p = processor(IpMode::Truncate);
    let cases: [(&str, LineMaker); 5] = [
        ("access", access_line),
        ("json", |i| {
            format!(
                r#"{{"@timestamp":"2026-11-22T10:00:{:02}Z","level":"info","client_ip":"198.51.100.{}","msg":"login ok \"quoted\"","user":{{"id":{i},"mail":"u{i}@example.com"}}}}"#,
                i % 60,
                i % 250
            )
        }),
        ("syslog", |i| {
            format!(
                "Nov 22 10:00:{:02} gw sshd[{i}]: Failed password for invalid user admin from 203.0.113.{} port 52144 ssh2",
                i % 60,
                i % 250
            )
        }),
        ("logfmt", |i| {
            format!(
                "time=2026-11-22T10:00:{:02}Z level=info ip=198.51.100.{} user=u{i} msg=\"request done\" dur=3ms",
                i % 60,
                i % 250
            )
        }),
        ("clean", clean_line),
    ];
    let mut g = c.benchmark_group("format");
    for (name, f) in cases {
        let data = corpus(5000, f);
        g.throughput(Throughput::Bytes(data.len() as u64));
        let (mut s, mut out) = (LineScratch::default(), Vec::new());
        g.bench_with_input(BenchmarkId::from_parameter(name), &data, |b, data| {
            b.iter(|| run_lines(&p, data, &mut s, &mut out))
        });
    }
    g.finish();
}

fn engine(c: &mut Criterion) {
    let shared = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_combined_10k.log")).ok();
    let generated = corpus(20_000, access_line);
    let mut g = c.benchmark_group("engine");
    for (mode_name, mode) in [("truncate", IpMode::Truncate), ("hash", IpMode::Hash)] {
        let p = processor(mode);
        for (corpus_name, data) in [("generated-access", Some(&generated)), ("real-access-10k", shared.as_ref())] {
            let Some(data) = data else { continue };
            g.throughput(Throughput::Bytes(data.len() as u64));
            let (mut s, mut out) = (LineScratch::default(), Vec::new());
            g.bench_with_input(BenchmarkId::new(mode_name, corpus_name), data, |b, data| {
                b.iter(|| run_lines(&p, data, &mut s, &mut out))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, detectors, formats, engine);
criterion_main!(benches);
