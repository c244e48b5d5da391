//! Hostile input through the real binary: what an attacker, a broken client or a careless
//! operator can feed loganon. Each test states the expected behaviour in its comment and checks
//! conservation: loganon never drops or adds a line, so lines out == lines in (a last line without
//! a newline counts, and gets one).
//!
//! Index:
//! - huge lines: 2 GiB without a newline (bounded memory, cut and marked, nothing of the values at
//!   the cut), and a quick 50 MiB variant; millions of empty lines through 16 threads, and an
//!   access log through 64 and over-long lines through 32, in bounded memory
//! - bytes: partial last line, CRLF and lone CR, empty lines, NUL and terminal escapes, invalid
//!   UTF-8 and Latin-1 beside an email
//! - scale: 100,000 addresses in one line, in linear time
//! - JSON: 100,000 levels of nesting, truncated, duplicate keys, a card as a number beyond 2^53
//! - address forms: leading zeros, zone ids, unbracketed IPv6 followed by a port
//! - rule files: invalid regex, unknown key, duplicate name, pinned action against the flag, a
//!   pattern too big to compile; and a replacement that holds a newline
//! - `loganon < big.log | head -1`

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_loganon");
const NOW: &str = "2026-11-22T12:00:00Z";
/// The tag of a line without a timestamp or personal data: `NOW` + 30 days.
const TAG: &str = " expires_at=2026-12-22T12:00:00Z";

struct Output {
    stdout: Vec<u8>,
    stderr: String,
    code: Option<i32>,
}

impl Output {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs loganon with `--now NOW` and `args` on `input`.
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(["--now", NOW])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: loganon writes while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Output { stdout: out.stdout, stderr: String::from_utf8_lossy(&out.stderr).into_owned(), code: out.status.code() }
}

/// Lines in a byte stream, a last line without a newline included.
fn count_lines(b: &[u8]) -> usize {
    b.split_inclusive(|&c| c == b'\n').count()
}

/// Runs `input` and checks the run succeeded with one line out per line in.
fn conserved(args: &[&str], input: &[u8]) -> Output {
    let out = run(args, input);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(count_lines(&out.stdout), count_lines(input), "lines out != lines in:\n{}", out.text());
    assert!(out.stdout.is_empty() || out.stdout.ends_with(b"\n"), "last line without newline");
    out
}

// ---------------------------------------------------------------------------------------------
// Huge lines

/// What a streamed run measured.
struct Streamed {
    out: Output,
    peak_rss_kib: u64,
    elapsed: Duration,
}

/// The peak resident set (VmHWM) of a running process, if it is still running.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Streamed {
    /// Checks that the peak RSS was measured and stayed under 64 MiB, and prints it.
    fn assert_bounded(&self, what: &str) {
        assert!(self.peak_rss_kib > 0, "the peak RSS was not measured");
        assert!(self.peak_rss_kib < 64 * 1024, "{what}: peak RSS {} KiB", self.peak_rss_kib);
        eprintln!("{what}: peak RSS {:.1} MiB, {:.2} s", self.peak_rss_kib as f64 / 1024.0, self.elapsed.as_secs_f64());
    }
}

/// The most bytes [`stream`] asks its `fill` for at once.
const CHUNK: usize = 1 << 20;

/// A `fill` for [`stream`]: `unit` over and over. Each chunk is copied whole out of a pattern
/// long enough for any phase (the test binary is unoptimized, and a byte or a unit at a time over
/// 2 GiB would take minutes).
fn repeating(unit: &[u8]) -> impl Fn(u64, &mut [u8]) + Send + 'static {
    let period = unit.len();
    let pattern: Vec<u8> = unit.iter().copied().cycle().take(CHUNK + period).collect();
    move |offset, chunk| {
        let phase = (offset % period as u64) as usize;
        chunk.copy_from_slice(&pattern[phase..phase + chunk.len()]);
    }
}

/// Streams `total` bytes to loganon's stdin (run with `--now NOW` and `args`), [`CHUNK`] at a
/// time from a generator thread (nothing of that size is ever allocated): `fill(offset, chunk)`
/// writes the bytes from `offset` on. Polls the child's peak RSS while it runs.
fn stream(args: &[&str], total: u64, fill: impl Fn(u64, &mut [u8]) + Send + 'static) -> Streamed {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["--now", NOW])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut chunk = vec![0u8; CHUNK];
        let mut offset = 0u64;
        while offset < total {
            let n = (total - offset).min(CHUNK as u64) as usize;
            fill(offset, &mut chunk[..n]);
            if stdin.write_all(&chunk[..n]).is_err() {
                return;
            }
            offset += n as u64;
        }
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        stdout.read_to_end(&mut b).unwrap();
        b
    });
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    // VmHWM only grows, so the last reading before the process exits is its peak (to within
    // one polling interval at the very end, when it only writes its last line).
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    writer.join().unwrap();
    let out = Output { stdout: reader.join().unwrap(), stderr: err_reader.join().unwrap(), code: status.code() };
    Streamed { out, peak_rss_kib: peak, elapsed: started.elapsed() }
}

/// One line of `total` bytes without a newline: filler words with `fragment` written at offset
/// `at`.
fn stream_line(total: u64, fragment: &[u8], at: u64) -> Streamed {
    let filler = repeating(b"filler ");
    let fragment = fragment.to_vec();
    stream(&[], total, move |offset, chunk| {
        filler(offset, chunk);
        let end = offset + chunk.len() as u64;
        let frag_end = at + fragment.len() as u64;
        if at < end && frag_end > offset {
            let (from, to) = (at.max(offset), frag_end.min(end));
            chunk[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&fragment[(from - at) as usize..(to - at) as usize]);
        }
    })
}

/// The default `--max-line`: where a long line is cut.
const CUT: u64 = 1 << 20;

/// A line far longer than `--max-line`, with values written right at the cut.
/// Expected: one output line (the line is never split or dropped), at most the first MiB of it,
/// marked `[loganon:cut]` and tagged; the token the cut runs through is dropped whole (and any
/// digit groups before it, which could be the start of a card), so no part of any value at the
/// cut comes out; memory stays bounded (the tail is read and discarded, never stored); stderr
/// warns about the cut.
fn check_long_line(total: u64, fragment: &str, cut_before: &str, forbidden: &[&str]) -> Streamed {
    let at = CUT - fragment.find(cut_before).unwrap() as u64;
    let s = stream_line(total, fragment.as_bytes(), at);
    let out = &s.out;
    let text = out.text();
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(count_lines(&out.stdout), 1, "one line in, one line out");
    assert!(out.stdout.len() as u64 <= CUT + 64, "{} bytes out", out.stdout.len());
    assert!(text.ends_with(&format!(" [loganon:cut]{TAG}\n")), "{}", &text[text.len().saturating_sub(200)..]);
    assert!(text.starts_with("filler filler "), "the head of the line is kept");
    for f in forbidden {
        assert!(!text.contains(f), "{f:?} is in the output: {}", &text[text.len().saturating_sub(200)..]);
    }
    assert!(out.stderr.contains("1 line(s) longer than --max-line"), "{}", out.stderr);
    s.assert_bounded(&format!("{} MiB line", total >> 20));
    s
}

/// A 2 GiB line, with a card and an email at the cut (the cut runs through the email).
/// Expected as in `check_long_line`; peak RSS under 64 MiB.
#[test]
fn a_2_gib_line_is_cut_in_bounded_memory() {
    check_long_line(
        2 << 30,
        " paid 4111 1111 1111 1111 by jane.doe@example.com today ",
        "ple.com",
        &["jane", "doe", "example", "4111", "1111 1111"],
    );
}

/// The same at 50 MiB, once with the cut through the email and once through the card.
#[test]
fn a_50_mib_line_is_cut_in_bounded_memory() {
    let fragment = " paid 4111 1111 1111 1111 by jane.doe@example.com today ";
    check_long_line(50 << 20, fragment, "ple.com", &["jane", "doe", "example", "4111", "1111 1111"]);
    let fragment = " mail jane.doe@example.com paid 4111 1111 1111 1111 today ";
    let s = check_long_line(50 << 20, fragment, "11 1111 today", &["jane", "doe", "example", "4111", "1111 11"]);
    // The email before the cut is redacted where it stands.
    assert!(s.out.text().contains(" mail [EMAIL] paid [loganon:cut]"), "{}", &s.out.text()[s.out.stdout.len() - 120..]);
}

/// Millions of empty lines through many threads. Expected: every line comes out as the tag alone,
/// and memory stays bounded although the output is 33 times the input: a batch holds at most one
/// line per 64 bytes read, and reads shrink as threads are added. (Batches used to hold a whole
/// read, 256 Ki empty lines and 9 MB of output each; 16 threads kept 34 of them.)
#[test]
fn millions_of_empty_lines_through_many_threads_in_bounded_memory() {
    const LINES: u64 = 3 << 20;
    let s = stream(&["--threads", "16"], LINES, repeating(b"\n"));
    assert_eq!(s.out.code, Some(0), "stderr: {}", s.out.stderr);
    let line = format!("{TAG}\n");
    assert_eq!(s.out.stdout.len() as u64, LINES * line.len() as u64);
    assert!(s.out.stdout.chunks(line.len()).all(|l| l == line.as_bytes()), "every line is the tag alone");
    s.assert_bounded(&format!("{LINES} empty lines, 16 threads"));
}

/// A long access log through the most threads. Expected: every line is anonymized, and memory
/// stays bounded although 64 workers each hold an engine and 130 batches are in flight: reads
/// shrink as threads are added. (With 256 KiB reads at any thread count, 64 threads peaked near
/// 89 MiB.)
#[test]
fn an_access_log_through_64_threads_in_bounded_memory() {
    const LINE: &[u8] =
        b"198.51.100.23 - - [22/Nov/2026:11:59:59 +0000] \"GET /a HTTP/1.1\" 200 512 \"-\" \"curl/8.5\"\n";
    const LINES: u64 = 512 << 10;
    let s = stream(&["--threads", "64"], LINES * LINE.len() as u64, repeating(LINE));
    assert_eq!(s.out.code, Some(0), "stderr: {}", s.out.stderr);
    // The tag is the line's own time plus the default 30 days.
    let want = b"198.51.100.0 - - [22/Nov/2026:11:59:59 +0000] \"GET /a HTTP/1.1\" 200 512 \"-\" \"curl/8.5\" expires_at=2026-12-22T11:59:59Z\n";
    assert_eq!(s.out.stdout.len() as u64, LINES * want.len() as u64);
    assert!(s.out.stdout.chunks(want.len()).all(|l| l == want), "every line is anonymized alike");
    s.assert_bounded(&format!("{LINES} access lines, 64 threads"));
}

/// Over-long lines through many threads: each batch grows to hold its cut line (1 MiB), and 66
/// batches are kept. Expected: every line comes out cut and marked, and memory stays bounded: the
/// reader holds back a batch that would take what the batches in flight are counted as past
/// 24 MiB (a grown batch counts ten times its input), a batch that grew is freed when it comes
/// back, and so are a worker's per-line buffers after a long line. (Without these, 32 threads
/// peaked near 146 MiB.)
#[test]
fn over_long_lines_through_32_threads_in_bounded_memory() {
    const LINE: u64 = 2 << 20;
    const LINES: u64 = 48;
    let mut line: Vec<u8> = b"filler ".iter().copied().cycle().take(LINE as usize - 1).collect();
    line.push(b'\n');
    let s = stream(&["--threads", "32"], LINES * LINE, repeating(&line));
    assert_eq!(s.out.code, Some(0), "stderr: {}", s.out.stderr);
    let text = s.out.text();
    assert_eq!(text.lines().count() as u64, LINES);
    assert!(
        text.lines().all(|l| l.len() < (1 << 20) + 100 && l.contains("[loganon:cut]")),
        "every line is cut and marked"
    );
    assert!(s.out.stderr.contains(&format!("{LINES} line(s) longer than --max-line")), "{}", s.out.stderr);
    s.assert_bounded(&format!("{LINES} lines of 2 MiB, 32 threads"));
}

/// Lines of about 1 MB kept whole, of short logfmt pairs (the costliest shape per byte: the field
/// list alone takes about four times the line), through many threads. Expected: every line is
/// anonymized whole (the key rule's values, the email and the address at its end), and memory
/// stays bounded: a grown batch counts ten times its input, and a worker whose freed per-line
/// buffers exceed its share of the budget has the allocator hand them back to the system.
/// (Without the latter, glibc kept them in each worker's arena: 16 threads peaked near 120 MiB.)
#[test]
fn whole_lines_of_a_megabyte_through_16_threads_in_bounded_memory() {
    const UNIT: &str = "user=alice id=12345 path=/a/b/c msg=hello ";
    const UNITS: usize = 1_000_000 / UNIT.len();
    const LINES: u64 = 48;
    let line = format!("{} mail jane@example.com ip 10.1.2.3\n", UNIT.repeat(UNITS));
    let s = stream(&["--threads", "16"], LINES * line.len() as u64, repeating(line.as_bytes()));
    assert_eq!(s.out.code, Some(0), "stderr: {}", s.out.stderr);
    let want = format!(
        "{} mail [EMAIL] ip 10.1.2.0 expires_at=2026-12-22T12:00:00Z\n",
        "user=[USER] id=12345 path=/a/b/c msg=hello ".repeat(UNITS)
    );
    assert_eq!(s.out.stdout.len() as u64, LINES * want.len() as u64);
    assert!(s.out.stdout.chunks(want.len()).all(|l| l == want.as_bytes()), "every line is anonymized whole");
    s.assert_bounded(&format!("{LINES} whole lines of 1 MB, 16 threads"));
}

// ---------------------------------------------------------------------------------------------
// Bytes

/// A last line without a newline is still a line: it is anonymized, tagged and given a `\n`.
#[test]
fn a_partial_last_line_is_anonymized_and_terminated() {
    let out = conserved(&[], b"a 203.0.113.77\nb jane.doe@example.com");
    assert_eq!(out.text(), format!("a 203.0.113.0{TAG}\nb [EMAIL]{TAG}\n"));
}

/// CRLF endings are kept, the tag goes before them; a lone CR is an ordinary byte inside a line
/// (not a line break) and passes through unchanged.
#[test]
fn crlf_is_kept_and_a_lone_cr_is_an_ordinary_byte() {
    let out = conserved(&[], b"a 203.0.113.77\r\nb\rc 198.51.100.7\nlast\r");
    assert_eq!(out.text(), format!("a 203.0.113.0{TAG}\r\nb\rc 198.51.100.0{TAG}\nlast\r{TAG}\n"));
}

/// Empty lines stay lines: each comes out as just the tag.
#[test]
fn empty_lines_stay_lines() {
    let out = conserved(&[], b"\n\n\r\n\nx\n");
    assert_eq!(out.text(), format!("{TAG}\n{TAG}\n{TAG}\r\n{TAG}\nx{TAG}\n"));
}

/// NUL bytes and terminal escapes are passed through unchanged outside redacted spans (loganon
/// anonymizes, it does not sanitize for terminals), and do not hide a value beside them.
#[test]
fn nul_and_terminal_escapes_pass_through_outside_redactions() {
    let out = conserved(&[], b"a\0b \x1b[31mred\x1b[0m 203.0.113.77\0jane.doe@example.com\x1b[0m\n");
    assert_eq!(out.stdout, format!("a\0b \x1b[31mred\x1b[0m 203.0.113.0\0[EMAIL]\x1b[0m{TAG}\n").into_bytes());
}

/// Invalid UTF-8 and Latin-1 bytes beside an email do not stop its redaction; the bytes
/// themselves pass through unchanged. Bytes above 0x7f glued to an address are taken as part of
/// it (internationalized addresses are UTF-8) and redacted with it: more is hidden, never less.
#[test]
fn invalid_utf8_and_latin1_beside_an_email() {
    let input =
        b"caf\xe9 jane.doe@example.com \xff\xfe\nname=\xe9jane.doe@example.com\xe9 \xc3\x28\n\x80203.0.113.77\xff\n";
    let out = conserved(&[], input);
    let mut want = Vec::new();
    want.extend_from_slice(b"caf\xe9 [EMAIL] \xff\xfe");
    want.extend_from_slice(TAG.as_bytes());
    want.extend_from_slice(b"\nname=[EMAIL] \xc3\x28");
    want.extend_from_slice(TAG.as_bytes());
    want.extend_from_slice(b"\n\x80203.0.113.0\xff");
    want.extend_from_slice(TAG.as_bytes());
    want.push(b'\n');
    assert_eq!(String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&want));
    assert_eq!(out.stdout, want);
}

// ---------------------------------------------------------------------------------------------
// Scale

/// `n` documentation addresses (host part never 0) in one line, anonymized: the output and the
/// best time of three runs.
fn many_addresses(n: usize) -> (Vec<u8>, Duration) {
    let nets = ["192.0.2", "198.51.100", "203.0.113"];
    let mut line = String::from("addrs:");
    for i in 0..n {
        line.push_str(&format!(" {}.{}", nets[i % 3], 1 + i % 255));
    }
    line.push('\n');
    // The line is longer than the default limit: raise it, so that the whole line is scanned.
    let args = ["--max-line", "67108864"];
    let mut best = Duration::MAX;
    let mut out = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        out = conserved(&args, line.as_bytes()).stdout;
        best = best.min(t.elapsed());
    }
    (out, best)
}

/// 100,000 addresses in one line are all truncated, in time linear in their number: beyond the
/// cost of a run with none (process start-up, rule compilation), 10 times as many take well under
/// 30 times as long (about 10 is expected; the margin absorbs a busy machine). The smaller count
/// grows tenfold (up to 100,000) until its work stands out of the start-up's noise, which in a
/// release build 10,000 addresses do not.
#[test]
fn a_hundred_thousand_addresses_in_one_line_in_linear_time() {
    let (_, t_none) = many_addresses(0);
    let mut n = 10_000;
    let (small, small_work) = loop {
        let (out, t) = many_addresses(n);
        let work = t.saturating_sub(t_none);
        if work >= Duration::from_millis(20) || n >= 100_000 {
            break (out, work);
        }
        n *= 10;
    };
    let (big, t_big) = many_addresses(10 * n);
    let big_work = t_big.saturating_sub(t_none);
    let ratio = big_work.as_secs_f64() / small_work.as_secs_f64().max(1e-3);
    eprintln!("start-up {t_none:?}; {n} addresses {small_work:?} more, {} {big_work:?} more: ratio {ratio:.1}", 10 * n);
    assert!(ratio < 30.0, "10x the addresses took {ratio:.1}x the time ({small_work:?} -> {big_work:?})");
    for (out, n) in [(small, n), (big, 10 * n)] {
        let text = String::from_utf8(out).unwrap();
        let body = text.strip_prefix("addrs: ").unwrap().split(" expires_at=").next().unwrap();
        let addrs: Vec<&str> = body.split(' ').collect();
        assert_eq!(addrs.len(), n);
        assert!(addrs.iter().all(|a| a.ends_with(".0")), "an address kept its host part");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// 100,000 levels of nesting: no stack overflow (the tokenizer keeps its own stack and gives up
/// past its depth cap); the line falls back to text scanning, so it is still anonymized and gets
/// the text tag.
#[test]
fn deeply_nested_json_falls_back_to_text() {
    let depth = 100_000;
    let arrays = format!("{{\"ip\":\"203.0.113.77\",\"a\":{}1{}}}\n", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{{\"ip\":\"203.0.113.77\",{}\"x\":1{}}}\n", "\"a\":{".repeat(depth), "}".repeat(depth));
    let unclosed = format!("{{\"ip\":\"203.0.113.77\",\"a\":{}\n", "[".repeat(depth));
    for line in [arrays, objects, unclosed] {
        let out = conserved(&[], line.as_bytes()).text();
        assert!(out.starts_with("{\"ip\":\"203.0.113.0\","), "{}", &out[..60]);
        assert!(out.ends_with(&format!("{TAG}\n")), "{}", &out[out.len() - 60..]);
    }
}

/// A truncated JSON line is not JSON: it is scanned as text, anonymized, and gets the text tag.
#[test]
fn truncated_json_is_scanned_as_text() {
    let out = conserved(&[], b"{\"ip\":\"203.0.113.77\",\"mail\":\"jane.doe@example.com\"\n{\"a\":\"b\n");
    assert_eq!(out.text(), format!("{{\"ip\":\"203.0.113.0\",\"mail\":\"[EMAIL]\"{TAG}\n{{\"a\":\"b{TAG}\n"));
}

/// Duplicate keys are left as they are (both values anonymized); the line stays valid JSON and
/// gets one `expires_at` member.
#[test]
fn duplicate_json_keys_are_all_anonymized() {
    let out = conserved(&[], b"{\"ip\":\"203.0.113.77\",\"ip\":\"198.51.100.7\",\"m\":\"a@example.org\",\"m\":1}\n");
    let text = out.text();
    assert_eq!(
        text.trim_end(),
        r#"{"ip":"203.0.113.0","ip":"198.51.100.0","m":"[EMAIL]","m":1,"expires_at":"2026-12-22T12:00:00Z"}"#
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["expires_at"], "2026-12-22T12:00:00Z");
}

/// A card written as a JSON number (beyond 2^53, so a float parser would already have mangled
/// it) is masked into a string; the line stays valid JSON.
#[test]
fn a_card_as_a_json_number_becomes_a_masked_string() {
    let out = conserved(&[], b"{\"n\":4111111111111111}\n{\"a\":[5555555555554444,1.5e3],\"b\":-378282246310005}\n");
    let text = out.text();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["n"], "************1111");
    assert_eq!(lines[1]["a"][0], "************4444");
    assert!(!text.contains("4111111111111111") && !text.contains("555555555555") && !text.contains("37828224631"));
    assert!(lines.iter().all(|v| v["expires_at"] == "2026-12-22T12:00:00Z"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Address forms

/// Unusual but valid address forms are all anonymized; the original never appears.
/// - IPv4 with leading zeros is read as decimal and truncated.
/// - A zone id is kept (it names an interface, not a host), the address truncated.
/// - An unbracketed IPv6 address followed by `:port` is ambiguous; whichever way it is read,
///   the address is truncated.
#[test]
fn unusual_address_forms_are_anonymized() {
    let cases = [
        ("from 192.168.001.010 x", "192.168.001.010", "192.168.1.10"),
        ("from 010.001.002.003:80 x", "010.001.002.003", "10.1.2.3"),
        ("peer fe80::1%eth0 up", "fe80::1", "fe80::1%eth0"),
        ("peer [fe80::1:2:3:4%25eth0]:443 up", "fe80::1:2:3:4", "1:2:3:4%25"),
        ("to 2001:db8:1:2:3:4:5:6:443 ok", "2001:db8:1:2:3:4:5:6", ":5:6"),
        ("to 2001:db8:1:2::5:8080 ok", "2001:db8:1:2::5", "2::5"),
        ("to 2001:db8:1:2::5 port 443", "2001:db8:1:2::5", "2::5"),
    ];
    let input: String = cases.iter().map(|(line, _, _)| format!("{line}\n")).collect();
    let out = conserved(&[], input.as_bytes()).text();
    for ((line, original, other), got) in cases.iter().zip(out.lines()) {
        assert!(!got.contains(original) && !got.contains(other), "{line} -> {got}");
        assert!(got.ends_with(TAG), "{got}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rule files

/// A bad rule file stops loganon before it reads a line: exit status 2, a message on stderr that
/// names the file and the line of the problem, nothing on stdout. (Conservation does not apply: no
/// line is processed at all.)
#[test]
fn bad_rule_files_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let key = key.to_str().unwrap();
    let rule = |name: &str, rest: &str| format!("[[rule]]\nname = \"{name}\"\n{rest}");
    // (file text, extra args, line named, words the message must hold)
    let cases: Vec<(String, Vec<&str>, usize, &str)> = vec![
        (rule("r", "detector = \"regex\"\naction = \"redact\"\npattern = '(unclosed'\n"), vec![], 5, "unclosed"),
        (rule("r", "detector = \"email\"\nactoin = \"redact\"\n"), vec![], 4, "actoin"),
        (
            format!(
                "{}\n{}",
                rule("a", "detector = \"email\"\naction = \"redact\"\n"),
                rule("a", "detector = \"card\"\naction = \"mask\"\n")
            ),
            vec![],
            7,
            "already defined",
        ),
        (
            format!("# pinned\n{}", rule("v4", "detector = \"ipv4\"\naction = \"truncate\"\n")),
            vec!["--ip-mode", "hash", "--key-file", key],
            2,
            "contradicts --ip-mode",
        ),
        (
            rule("big", "detector = \"regex\"\naction = \"redact\"\npattern = '\\w{1000}{1000}'\n"),
            vec![],
            5,
            "size limit",
        ),
    ];
    for (i, (text, args, line, words)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("rules{i}.toml"));
        std::fs::write(&path, &text).unwrap();
        let path = path.to_str().unwrap();
        let mut all = vec!["--rules", path];
        all.extend(args);
        let out = run(&all, b"x 203.0.113.77\n");
        assert_eq!(out.code, Some(2), "case {i}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "case {i}: stdout {:?}", out.text());
        assert!(out.stderr.contains(&format!("{path}:{line}")), "case {i}: want {path}:{line} in {}", out.stderr);
        assert!(out.stderr.contains(words), "case {i}: want {words:?} in {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "case {i}: {}", out.stderr);
    }
}

/// A rule whose replacement text holds a line break would break a line in two: the rule file is
/// refused (exit 2, naming file and line, nothing on stdout).
#[test]
fn a_replacement_with_a_newline_never_splits_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nl.toml");
    let rule = "[[rule]]\nname = \"x\"\ndetector = \"literal\"\nliterals = [\"secret\"]\naction = \"redact\"\n";
    std::fs::write(&path, format!("{rule}replacement = \"a\\nb\"\n")).unwrap();
    let path = path.to_str().unwrap();
    let out = run(&["--rules", path], b"my secret here\n");
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("{path}:1:")) && out.stderr.contains("control characters"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------------------------
// A reader that goes away

/// `loganon < big.log | head -1`: when `head` exits, loganon stops at once and quietly: exit
/// status 0, no panic or "Broken pipe" on stderr, long before it could have processed the file.
/// (Conservation does not apply: the reader took one line by design.)
#[test]
fn head_closing_the_pipe_stops_loganon_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.log");
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!(
            "203.0.113.{} - - [22/Nov/2026:10:00:00 +0000] \"GET /?m=u{i}@example.com HTTP/1.1\" 200 {i}\n",
            1 + i % 255
        ));
    }
    std::fs::write(&big, text).unwrap();
    let t = Instant::now();
    let out = Command::new("bash")
        .args(["-c", "set -o pipefail; \"$0\" --now \"$1\" < \"$2\" | head -1", BIN, NOW, big.to_str().unwrap()])
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "pipeline status (loganon's if it failed): {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
    let first = String::from_utf8_lossy(&out.stdout);
    assert!(first.starts_with("203.0.113.0 - - [") && first.ends_with("Z\n") && first.lines().count() == 1, "{first}");
    // The whole file takes a debug build several seconds; stopping takes a fraction of one.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?} to stop");
    eprintln!("loganon < big.log | head -1: {elapsed:?}");
    // And the same without a shell, reading the first line ourselves.
    let mut child = Command::new(BIN)
        .args(["--now", NOW])
        .stdin(std::fs::File::open(&big).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let t = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?} to stop", t.elapsed());
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
