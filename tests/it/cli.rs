//! The external contract, test by test:
//! - real logs (`../shared/data`): no IP or email survives, both IP modes, line counts kept
//! - the tag: text suffix, JSON member, retention by carried category, clamped future times
//! - IP modes: truncation forms, pseudonyms stable across forms, processes and keys
//! - bytes: CRLF, missing final newline, invalid UTF-8, empty lines
//! - rules: custom detectors, allow-lists, errors with path:line and exit 2
//! - usage and I/O errors: exit codes, messages, nothing on stdout
//! - streaming: threads do not change output, live-pipe latency, widened pipes, closed stdout,
//!   long lines
//! - `loganon rules test`, and the README's rule example

use crate::util::*;
use regex::Regex;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Real logs

/// Addresses and emails found by an independent scan (regexes, not loganon's detectors).
fn personal_values(text: &str) -> Vec<String> {
    let v4 = Regex::new(r"(?:^|[^0-9.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:[^0-9]|$)").unwrap();
    let v6 = Regex::new(r"(?i)(?:^|[^0-9a-z:])((?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:)*:(?::[0-9a-f]{1,4})+)(?:[^0-9a-z:]|$)").unwrap();
    let email = Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").unwrap();
    let mut found = Vec::new();
    for cap in v4.captures_iter(text) {
        let s = &cap[1];
        if s.split('.').all(|o| o.parse::<u32>().is_ok_and(|v| v <= 255)) {
            found.push(s.to_owned());
        }
    }
    for cap in v6.captures_iter(text) {
        if cap[1].parse::<std::net::Ipv6Addr>().is_ok() {
            found.push(cap[1].to_owned());
        }
    }
    found.extend(email.find_iter(text).map(|m| m.as_str().to_owned()));
    found.sort();
    found.dedup();
    found
}

#[test]
fn real_logs_keep_no_address_or_email_in_either_mode() {
    let Some(files) = shared_data() else {
        assert!(std::env::var_os("CI").is_none(), "../shared/data is missing in CI");
        eprintln!("skipped: ../shared/data not found beside the checkout");
        return;
    };
    assert!(files.len() >= 4, "expected the four shared logs, found {files:?}");
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "key", b"integration-test key, 32 bytes!!");
    for file in &files {
        let input = std::fs::read_to_string(file).unwrap();
        let values = personal_values(&input);
        assert!(!values.is_empty(), "{}: the independent scan found nothing", file.display());
        for mode in [&["--ip-mode", "truncate"][..], &["--ip-mode", "hash", "--key-file", &key]] {
            let mut args = vec!["--now", NOW];
            args.extend_from_slice(mode);
            let out = ok(&args, &input);
            assert_eq!(out.lines().count(), input.lines().count(), "{}: line count", file.display());
            let leaked: Vec<_> = personal_values(&out)
                .into_iter()
                .filter(|v| values.contains(v))
                // A truncated address that was already its own network address is unchanged.
                .filter(|v| !(mode[1] == "truncate" && (v.ends_with(".0") || v.ends_with("::"))))
                .collect();
            assert!(leaked.is_empty(), "{} {:?}: leaked {:?}", file.display(), mode, &leaked[..leaked.len().min(5)]);
            assert!(out.lines().all(|l| l.contains(" expires_at=")), "{}: untagged line", file.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tag and retention

#[test]
fn text_lines_get_an_expires_at_suffix_from_their_own_time() {
    let out = ok(&["--now", NOW], "203.0.113.77 - - [10/Oct/2026:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5\n");
    assert_eq!(
        out,
        "203.0.113.0 - - [10/Oct/2026:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5 expires_at=2026-11-09T20:55:36Z\n"
    );
}

#[test]
fn lines_without_time_use_now_and_future_times_are_clamped() {
    assert_eq!(ok(&["--now", NOW], "hello\n"), "hello expires_at=2026-12-22T12:00:00Z\n");
    let out = ok(&["--now", NOW], "2030-01-01T00:00:00Z claims the future\n");
    assert_eq!(out, "2030-01-01T00:00:00Z claims the future expires_at=2026-12-22T12:00:00Z\n");
    let out = ok(&["--now", NOW], "Nov 20 08:00:00 host sshd[1]: Accepted from 198.51.100.7\n");
    assert_eq!(out, "Nov 20 08:00:00 host sshd[1]: Accepted from 198.51.100.0 expires_at=2026-12-20T08:00:00Z\n");
}

#[test]
fn json_lines_stay_json_with_an_expires_at_member() {
    let input = r#"{"@timestamp":"2026-11-20T10:00:00Z","client":"203.0.113.9","msg":"mail a.b\u0040example.org \"q\"","card":4111111111111111,"n":[1,{"ip":"2001:db8:1:2::5"}]}"#;
    let out = ok(&["--now", NOW], &format!("{input}\n"));
    let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(v["client"], "203.0.113.0");
    assert_eq!(v["msg"], "mail [EMAIL] \"q\"");
    assert_eq!(v["card"], "************1111");
    assert_eq!(v["n"][1]["ip"], "2001:db8:1::");
    assert_eq!(v["expires_at"], "2026-12-20T10:00:00Z");
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["@timestamp", "client", "msg", "card", "n", "expires_at"]);
    assert_eq!(ok(&["--now", NOW], "{}\n"), "{\"expires_at\":\"2026-12-22T12:00:00Z\"}\n");
    // Not valid JSON: treated as text, still scanned and tagged.
    assert_eq!(ok(&["--now", NOW], "{\"ip\":\"10.1.2.3\"\n"), "{\"ip\":\"10.1.2.0\" expires_at=2026-12-22T12:00:00Z\n");
}

#[test]
fn hashed_lines_get_the_pseudonymous_retention() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", b"0123456789abcdef0123456789abcdef");
    let out = ok(&["--now", NOW, "--ip-mode", "hash", "--key-file", &key], "from 198.51.100.7\nno address\n");
    let lines: Vec<_> = out.lines().collect();
    assert!(lines[0].ends_with("expires_at=2026-12-06T12:00:00Z"), "{}", lines[0]);
    assert!(lines[1].ends_with("expires_at=2026-12-22T12:00:00Z"), "{}", lines[1]);
}

// ---------------------------------------------------------------------------------------------
// IP modes

#[test]
fn truncation_keeps_valid_addresses_in_every_position() {
    let input = "1.2.3.4:8080 [2001:db8:1:2::5]:443 xff=198.51.100.1,203.0.113.2 ::ffff:192.0.2.77 fe80::1%eth0 Chrome/120.0.6099.109 1.2.3.4.5 12:30:45\n";
    let out = ok(&["--now", NOW], input);
    assert_eq!(
        out,
        "1.2.3.0:8080 [2001:db8:1::]:443 xff=198.51.100.0,203.0.113.0 ::ffff:192.0.2.0 fe80::%eth0 Chrome/120.0.6099.109 1.2.3.4.5 12:30:45 expires_at=2026-12-22T12:00:00Z\n"
    );
}

#[test]
fn pseudonyms_follow_the_address_not_its_text_and_change_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = key_file(&dir, "k1", b"first key of thirty-two bytes!!!\n");
    let k2 = key_file(&dir, "k2", b"second key of thirty-two bytes!!");
    let input = "192.0.2.1 ::ffff:192.0.2.1 2001:DB8::1 2001:0db8:0:0:0:0:0:1\n";
    let a = ok(&["--now", NOW, "--ip-mode", "hash", "--key-file", &k1], input);
    let b = ok(&["--now", NOW, "--ip-mode", "hash", "--key-file", &k1, "--threads", "1"], input);
    let c = ok(&["--now", NOW, "--ip-mode", "hash", "--key-file", &k2], input);
    assert_eq!(a, b, "two processes with one key agree");
    let t: Vec<_> = a.split_whitespace().take(4).collect();
    assert_eq!(t[0], t[1]);
    assert_eq!(t[2], t[3]);
    assert!(Regex::new("^ip4-[0-9a-f]{16}$").unwrap().is_match(t[0]), "{}", t[0]);
    assert!(Regex::new("^ip6-[0-9a-f]{16}$").unwrap().is_match(t[2]), "{}", t[2]);
    assert_ne!(a, c, "another key, other pseudonyms");
    assert!(!a.contains("192.0.2.1") && !a.to_lowercase().contains("2001:db8"));
    // The environment variable works as the flag does.
    let out = loganon()
        .env("LOGANON_KEY_FILE", &k1)
        .args(["--now", NOW, "--ip-mode", "hash"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), a);
}

// ---------------------------------------------------------------------------------------------
// Bytes

#[test]
fn bytes_outside_redactions_pass_through_unchanged() {
    let input = b"crlf 10.0.0.1\r\n\n\xff\xfe latin1 \xe9 a@b.org\nlast line 10.9.8.7";
    let (out, _, code) = run(&["--now", NOW], input);
    assert_eq!(code, 0);
    let raw = loganon().args(["--now", NOW]).write_stdin(input.to_vec()).output().unwrap().stdout;
    let expected: &[u8] = b"crlf 10.0.0.0 expires_at=2026-12-22T12:00:00Z\r\n expires_at=2026-12-22T12:00:00Z\n\xff\xfe latin1 \xe9 [EMAIL] expires_at=2026-12-22T12:00:00Z\nlast line 10.9.8.0 expires_at=2026-12-22T12:00:00Z\n";
    assert_eq!(raw, expected, "{out}");
}

// ---------------------------------------------------------------------------------------------
// Rules

#[test]
fn custom_rules_redact_keep_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    std::fs::write(
        &rules,
        r#"
[retention]
default = "7d"
[retention.categories]
account = "2d"

[allow]
cidrs = ["10.0.0.0/8", "fd00::/8"]

[[rule]]
name = "account"
detector = "regex"
pattern = 'acct=(?P<value>[0-9]{6})'
action = "keep"

[[rule]]
name = "secrets"
detector = "keys"
keys = ["password", "token"]
action = "redact"
replacement = "***"

[[rule]]
name = "codename"
detector = "literal"
literals = ["bluebird"]
case_insensitive = true
action = "redact"

[[rule]]
name = "ipv4"
detector = "ipv4"
prefix = 16
"#,
    )
    .unwrap();
    let r = rules.to_str().unwrap();
    let out =
        ok(&["--now", NOW, "--rules", r], "10.1.2.3 203.0.113.9 GET /?password=hunter2&x=1 BlueBird acct=123456\n");
    assert_eq!(
        out,
        "10.1.2.3 203.0.0.0 GET /?password=***&x=1 [CODENAME] acct=123456 expires_at=2026-11-24T12:00:00Z\n"
    );
    // Only the given rules apply: the default email rule is not loaded.
    assert!(ok(&["--now", NOW, "--rules", r], "a@b.org\n").starts_with("a@b.org expires_at=2026-11-29"));
}

#[test]
fn rule_errors_name_file_and_line_and_exit_2_with_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[rule]]\nname = \"x\"\ndetector = \"regex\"\naction = \"redact\"\npattern = \"(unclosed\"\n",
            ":5:",
            "invalid pattern",
        ),
        ("[[rule]]\nname = \"x\"\ndetector = \"email\"\naction = \"redact\"\ncolour = \"red\"\n", ":5:", "colour"),
        ("[[rule]]\nname = \"x\"\ndetector = \"email\"\naction = \"obliterate\"\n", ":4:", "obliterate"),
        (
            "[[rule]]\nname = \"x\"\ndetector = \"email\"\naction = \"redact\"\n[[rule]]\nname = \"x\"\ndetector = \"card\"\naction = \"mask\"\n",
            ":6:",
            "already defined",
        ),
        ("[allow]\ncidrs = [\"10.0.0.0/40\"]\n", ":2:", "invalid CIDR"),
        (
            "[[rule]]\nname = \"x\"\ndetector = \"regex\"\naction = \"redact\"\npattern = '\\w{1000}{1000}'\n",
            ":5:",
            "invalid pattern",
        ),
    ];
    for (i, (text, line, what)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&p, text).unwrap();
        let (out, err, code) = run(&["--rules", p.to_str().unwrap()], b"a@b.org\n");
        assert_eq!(code, 2, "case {i}: {err}");
        assert!(out.is_empty(), "case {i}: stdout must stay empty");
        assert!(err.contains(&format!("bad{i}.toml{line}")) && err.contains(what), "case {i}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Usage and I/O errors

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let (out, err, code) = run(&["--ip-mode", "hash"], b"1.2.3.4\n");
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("--key-file") && err.contains("LOGANON_KEY_FILE"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let short = key_file(&dir, "short", b"tooshort\n");
    let (_, err, code) = run(&["--ip-mode", "hash", "--key-file", &short], b"1.2.3.4\n");
    assert_eq!(code, 2);
    assert!(err.contains("at least 16 bytes"), "{err}");
    let (_, err, code) = run(&["--ip-mode", "hash", "--key-file", "/nonexistent/key"], b"");
    assert_eq!(code, 2, "{err}");
    let (_, err, code) = run(&["--now", "yesterday"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("RFC 3339"), "{err}");
    let (_, _, code) = run(&["--threads", "0"], b"");
    assert_eq!(code, 2);
    let (_, err, code) = run(&["--threads", "65"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("1 to 64"), "{err}");
    let (_, _, code) = run(&["--ip-mode", "scramble"], b"");
    assert_eq!(code, 2);
}

#[test]
fn a_missing_input_file_is_an_io_error_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    std::fs::write(&good, "1.2.3.4\n").unwrap();
    let (out, err, code) = run(&[good.to_str().unwrap(), "/nonexistent/input.log"], b"");
    assert_eq!((code, out.as_str()), (1, ""));
    // The path, then the reason, once (the reason used to be printed twice).
    let reason = std::fs::File::open("/nonexistent/input.log").unwrap_err();
    assert_eq!(err.trim_end(), format!("loganon: error: /nonexistent/input.log: {reason}"));
}

/// More input files than the pipeline keeps batches (two per worker, plus two). Expected: every
/// file's lines, in order. (The end of each file used to drop a batch's buffers, so with two
/// threads the run hung for good at the seventh file.)
#[test]
fn more_input_files_than_batches_all_come_out_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--now".to_string(), NOW.into(), "--threads".into(), "2".into()];
    let mut want = String::new();
    for i in 0..20 {
        let path = dir.path().join(format!("part{i}.log"));
        std::fs::write(&path, format!("part {i} from 192.0.2.{i}\n")).unwrap();
        args.push(path.to_str().unwrap().into());
        want.push_str(&format!("part {i} from 192.0.2.0 expires_at=2026-12-22T12:00:00Z\n"));
    }
    let out = loganon().args(&args).timeout(Duration::from_secs(20)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

#[test]
fn a_key_file_readable_by_others_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("open.key");
    std::fs::write(&p, b"0123456789abcdef0123456789abcdef").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (_, err, code) = run(&["--ip-mode", "hash", "--key-file", p.to_str().unwrap()], b"1.2.3.4\n");
        assert_eq!(code, 0);
        assert!(err.contains("readable by other users"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Streaming

fn generated_log(lines: usize) -> String {
    let mut s = String::new();
    for i in 0..lines {
        let (a, b) = (i % 251, i / 251 % 251);
        match i % 5 {
            0 => s.push_str(&format!(
                "198.51.{a}.{b} - - [22/Nov/2026:10:{:02}:00 +0000] \"GET /?u=user{i}@example.com HTTP/1.1\" 200 {i}\n",
                i % 60
            )),
            1 => s.push_str(&format!(
                "{{\"time\":\"2026-11-22T10:00:00Z\",\"ip\":\"2001:db8:{a:x}::{b:x}\",\"n\":{i}}}\n"
            )),
            2 => s.push_str(&format!(
                "Nov 22 10:00:00 host sshd[{i}]: Failed password for root from 203.0.{a}.{b} port 22\r\n"
            )),
            3 => s.push_str(&format!("paid 4111 1111 1111 1111 order {i}\n")),
            _ => s.push_str(&format!("plain line {i} with nothing\n")),
        }
    }
    s
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let input = generated_log(60_000);
    let one = ok(&["--now", NOW, "--threads", "1"], &input);
    for threads in ["2", "3", "8"] {
        assert!(one == ok(&["--now", NOW, "--threads", threads], &input), "--threads {threads} differs");
    }
    assert_eq!(one.lines().count(), 60_000);
}

#[test]
fn a_line_from_a_live_pipe_comes_out_at_once() {
    for threads in ["1", "2"] {
        let (mut child, mut stdin, mut stdout) = filter_on_pipes(&["--now", NOW, "--threads", threads]);
        let mut worst = Duration::ZERO;
        for i in 0..5 {
            let t = Instant::now();
            writeln!(stdin, "ping {i} from 203.0.113.{i}").unwrap();
            stdin.flush().unwrap();
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            worst = worst.max(t.elapsed());
            assert!(line.starts_with(&format!("ping {i} from 203.0.113.0 expires_at=")), "{line}");
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
        eprintln!("live pipe, {threads} thread(s): worst line latency {worst:?}");
        // The contract is 100 ms; the bound here leaves room for a loaded CI machine.
        assert!(worst < Duration::from_millis(500), "latency {worst:?}");
    }
}

#[test]
fn the_pipes_on_both_sides_are_widened() {
    // What Linux grants an unprivileged process; loganon asks for `PIPE_SIZE`.
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size").unwrap().trim().parse().unwrap();
    let want = loganon::pipes::PIPE_SIZE.min(limit);
    assert!(want > 64 * 1024, "pipe-max-size {limit} leaves nothing to test");
    let (mut child, mut stdin, mut stdout) = filter_on_pipes(&["--now", NOW]);
    writeln!(stdin, "ping from 203.0.113.9").unwrap();
    stdin.flush().unwrap();
    // A line out means loganon is past its set-up, where it widens both pipes.
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("ping from 203.0.113.0 expires_at="), "{line}");
    assert_eq!(rustix::pipe::fcntl_getpipe_size(&stdin).unwrap(), want, "standard input");
    assert_eq!(rustix::pipe::fcntl_getpipe_size(stdout.get_ref()).unwrap(), want, "standard output");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let bin = assert_cmd::cargo::cargo_bin("loganon");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.log");
    std::fs::write(&big, generated_log(200_000)).unwrap();
    for threads in ["1", "2"] {
        let mut child = std::process::Command::new(&bin)
            .args(["--now", NOW, "--threads", threads, big.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        // The reader is gone now (dropped); loganon must stop without a panic message.
        let t = Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(t.elapsed() < Duration::from_secs(10));
        assert!(first.contains("expires_at="));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panick") && !err.contains("Broken pipe"), "{err}");
        assert_eq!(out.status.code(), Some(0));
    }
}

#[test]
fn over_long_lines_are_cut_never_passed_raw() {
    let secret_card = "4111 1111 1111 1111";
    let long = format!(
        "start 203.0.113.9 {}mail jane.doe@example.com card {secret_card} end\nnext 10.0.0.1\n",
        "x ".repeat(100)
    );
    // The limit falls inside the email, then inside the card: neither may appear in part.
    for limit in ["215", "220", "240", "245", "250"] {
        let (out, err, code) = run(&["--now", NOW, "--max-line", limit], long.as_bytes());
        assert_eq!(code, 0);
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 2, "limit {limit}: {out}");
        assert!(lines[0].starts_with("start 203.0.113.0 x x"), "{}", lines[0]);
        assert!(lines[0].contains("[loganon:cut] expires_at="), "{}", lines[0]);
        assert!(
            !lines[0].contains("jane") && !lines[0].contains("example.com") && !lines[0].contains("4111"),
            "limit {limit}: {}",
            lines[0]
        );
        assert!(lines[1].starts_with("next 10.0.0.0 "));
        assert!(err.contains("1 line(s) longer than --max-line"), "{err}");
    }
}

#[test]
fn stats_report_counts_on_stderr_only() {
    let (out, err, code) = run(&["--now", NOW, "--stats"], b"1.2.3.4 a@b.org\n5.6.7.8\n");
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2);
    assert!(err.contains("2 lines") && err.contains("ipv4 2") && err.contains("email 1"), "{err}");
    assert!(err.contains("by category: secret 0, email 1, card 0, user 0, ip 2"), "{err}");
}

/// `--progress=1` on a pipe fed in three parts over about 2.4 s. Expected: progress lines on
/// standard error while it runs (bytes read so far; a pipe has no total), a last line with every
/// byte read, and the same output as without it.
#[test]
fn progress_is_reported_while_running_and_the_total_at_the_end() {
    let part = generated_log(3_000);
    let mut child = spawn_piped(&["--now", NOW, "--progress=1"]);
    let mut stdin = child.stdin.take().unwrap();
    let feeder = {
        let part = part.clone();
        std::thread::spawn(move || {
            for i in 0..3 {
                if i > 0 {
                    std::thread::sleep(Duration::from_millis(1200));
                }
                stdin.write_all(part.as_bytes()).unwrap();
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), ok(&["--now", NOW], &part.repeat(3)));
    let lines: Vec<&str> = err.lines().collect();
    let (last, running) = lines.split_last().expect("progress lines");
    assert!(
        !running.is_empty()
            && running
                .iter()
                .all(|l| l.starts_with("loganon: progress: ") && l.contains(" MB read, ") && l.contains(" MB/s, ")),
        "{err}"
    );
    let total = format!("{:.1} MB", (3 * part.len()) as f64 / 1e6);
    assert!(last.starts_with(&format!("loganon: progress: done: {total} read in ")), "{err}");
}

/// `--progress` on a file: the last line gives what was read. `--progress` takes its interval
/// only after `=`, so a file named next is an input; an interval of 0 is a usage error.
#[test]
fn progress_on_a_file_and_its_usage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let log = generated_log(1_000);
    std::fs::write(&path, &log).unwrap();
    let (out, err, code) = run(&["--now", NOW, "--progress", path.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, ok(&["--now", NOW], &log));
    let total = format!("{:.1} MB", log.len() as f64 / 1e6);
    assert!(
        err.trim_end().ends_with(" MB/s)") && err.contains(&format!("loganon: progress: done: {total} read in ")),
        "{err}"
    );
    let (out, err, code) = run(&["--progress=0"], b"");
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("--progress") && err.contains("1..=86400"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// rules test

#[test]
fn rules_test_runs_inline_examples() {
    let (out, err, code) = run(&["rules", "test"], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("passed, 0 failed"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.toml");
    std::fs::write(&p, "[[rule]]\nname = \"email\"\ndetector = \"email\"\naction = \"redact\"\n\n[[example]]\ninput = \"to x@y.org\"\noutput = \"to x@y.org\"\n").unwrap();
    let (out, _, code) = run(&["rules", "test", p.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        out.contains("r.toml:6") && out.contains("+ actual:   to [EMAIL]") && out.contains("0 passed, 1 failed"),
        "{out}"
    );
}

#[test]
fn the_readme_rule_example_loads_and_its_examples_pass() {
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks: Vec<&str> = readme.split("```toml\n").skip(1).map(|b| &b[..b.find("```").unwrap()]).collect();
    assert!(blocks.len() >= 3, "the README shows its rule files");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("readme.toml");
    for block in &blocks {
        // Every snippet is a rule file that loads; the reference one's examples pass.
        std::fs::write(&p, block).unwrap();
        let (out, err, code) = run(&["rules", "test", p.to_str().unwrap()], b"");
        assert_eq!(code, 0, "{block}\n{out}{err}");
        let examples = block.matches("[[example]]").count();
        assert!(out.contains(&format!("{examples} passed, 0 failed")), "{out}");
    }
    assert!(blocks.iter().any(|b| b.contains("[[example]]")));
}
