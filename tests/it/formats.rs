//! Formats: golden files through the real binary, field rules, the structure of the shared real
//! logs after anonymization, and JSON round trips.
//!
//! Golden cases live in `tests/data/formats/`: `NAME.log` is the input, `NAME.expected` the
//! output with `--now 2026-11-22T12:00:00Z --threads 1`, plus `--rules NAME.toml` if that file
//! exists and the arguments in `NAME.args` (`{data}` is the folder). After a deliberate change,
//! regenerate with `LOGANON_BLESS=1 cargo test formats::golden` and review the diff.

use crate::util::*;
use regex::Regex;
use std::path::PathBuf;
use std::sync::LazyLock;

#[test]
fn golden_files_per_format() {
    let dir = data("formats");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "{cases:?}");
    let bless = std::env::var_os("LOGANON_BLESS").is_some();
    let mut failures = Vec::new();
    for input in &cases {
        let mut args: Vec<String> = vec!["--now".into(), NOW.into(), "--threads".into(), "1".into()];
        let rules = input.with_extension("toml");
        if rules.exists() {
            args.extend(["--rules".into(), rules.display().to_string()]);
        }
        if let Ok(extra) = std::fs::read_to_string(input.with_extension("args")) {
            args.extend(extra.split_whitespace().map(|a| a.replace("{data}", &dir.display().to_string())));
        }
        args.push(input.display().to_string());
        let out = loganon().args(&args).output().unwrap();
        assert!(out.status.success(), "{}: {}", input.display(), String::from_utf8_lossy(&out.stderr));
        let expected_path = input.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &out.stdout).unwrap();
            continue;
        }
        let expected = std::fs::read(&expected_path).unwrap_or_default();
        if out.stdout != expected {
            failures.push(format!(
                "{}:\n--- expected\n{}\n+++ actual\n{}",
                input.display(),
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        let input_lines = std::fs::read_to_string(input).unwrap().lines().count();
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), input_lines, "{}", input.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn forced_formats_apply_and_misfits_fall_back_to_text() {
    // Forced logfmt: a line that is not logfmt is still scanned as text.
    let out = ok(&["--now", NOW, "--format", "logfmt"], "user=jdoe ip=10.1.2.3\nnot logfmt 10.1.2.3\n");
    assert_eq!(
        out,
        "user=[USER] ip=10.1.2.0 expires_at=2026-12-22T12:00:00Z\nnot logfmt 10.1.2.0 expires_at=2026-12-22T12:00:00Z\n"
    );
    // Forced text: a JSON line is scanned as text, so it gets the text suffix.
    let out = ok(&["--now", NOW, "--format", "text"], "{\"a\":\"10.1.2.3\"}\n");
    assert_eq!(out, "{\"a\":\"10.1.2.0\"} expires_at=2026-12-22T12:00:00Z\n");
    let (_, err, code) = run(&["--format", "xml"], b"");
    assert_eq!(code, 2, "{err}");
}

#[test]
fn retention_class_tag_is_opt_in_and_per_format() {
    let out = ok(&["--now", NOW, "--tag-retention"], "a 10.1.2.3\n{\"a\":1}\n{}\n");
    assert_eq!(
        out,
        "a 10.1.2.0 retention=30d expires_at=2026-12-22T12:00:00Z\n{\"a\":1,\"retention\":\"30d\",\"expires_at\":\"2026-12-22T12:00:00Z\"}\n{\"retention\":\"30d\",\"expires_at\":\"2026-12-22T12:00:00Z\"}\n"
    );
}

// ---------------------------------------------------------------------------------------------
// The shared real logs keep their structure

/// Fields of an access-log line, by an independent regex.
fn access_fields(line: &str) -> Option<usize> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\S+) (\S+)((?: "(?:[^"\\]|\\.)*")*)"#)
            .unwrap()
    });
    let caps = RE.captures(line)?;
    Some(7 + caps[8].matches("\" \"").count() + usize::from(!caps[8].is_empty()))
}

/// Header fields of an RFC 3164 line: month, day, time, host, tag.
fn syslog_fields(line: &str) -> Option<usize> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([A-Z][a-z]{2}) +(\d+) (\d\d:\d\d:\d\d) (\S+) ([^:\[ ]+)").unwrap());
    RE.captures(line).map(|c| c.len())
}

/// User names as sshd and PAM write them, by an independent scan.
fn user_names(text: &str) -> Vec<String> {
    let re = Regex::new(r"(?:for invalid user|Invalid user|invalid user|Failed password for|Accepted \S+ for|check pass; user|session opened for user|session closed for user|  user=|ruser=|logname=) +(\S+)").unwrap();
    let mut names: Vec<String> = re
        .captures_iter(text)
        .map(|c| c[1].to_owned())
        .filter(|n| !n.contains('=') && !["invalid", "[USER]", "from"].contains(&n.as_str()))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn shared_logs_keep_their_fields_and_lose_their_user_names() {
    let Some(files) = shared_data() else {
        assert!(std::env::var_os("CI").is_none(), "../shared/data is missing in CI");
        return;
    };
    for file in files {
        let input = std::fs::read_to_string(&file).unwrap();
        let out = ok(&["--now", NOW], &input);
        let mut checked = 0;
        for (a, b) in input.lines().zip(out.lines()) {
            if let Some(n) = access_fields(a) {
                assert_eq!(access_fields(b), Some(n), "{}:\n{a}\n{b}", file.display());
                checked += 1;
            } else if let Some(n) = syslog_fields(a) {
                assert_eq!(syslog_fields(b), Some(n), "{}:\n{a}\n{b}", file.display());
                checked += 1;
            } else if a.starts_with('[') {
                assert_eq!(a.matches("] [").count(), b.matches("] [").count(), "{}:\n{a}\n{b}", file.display());
                checked += 1;
            }
        }
        assert!(checked > input.lines().count() / 2, "{}: only {checked} lines recognised", file.display());
        let names = user_names(&input);
        let leaked: Vec<_> = user_names(&out).into_iter().filter(|n| names.contains(n)).collect();
        assert!(leaked.is_empty(), "{}: user names left: {leaked:?}", file.display());
    }
}

/// An access line whose time field holds no time takes the bracketed time further on in it:
/// its own, whatever the line before it held there.
#[test]
fn an_access_line_without_a_time_field_takes_its_own_later_time() {
    let lines = [
        r#"192.0.2.1 - - [no time] "GET /[10/Oct/2026:13:55:36 +0000] HTTP/1.1" 200 1"#,
        r#"192.0.2.1 - - [no time] "GET /[10/Jan/2020:13:55:36 +0000] HTTP/1.1" 200 1"#,
    ];
    let together = ok(&["--now", NOW], &format!("{}\n{}\n", lines[0], lines[1]));
    let alone: Vec<String> = lines.iter().map(|l| ok(&["--now", NOW], &format!("{l}\n"))).collect();
    assert_eq!(together, alone.concat());
    assert_ne!(alone[0].rsplit_once(' ').unwrap().1, alone[1].rsplit_once(' ').unwrap().1, "{alone:?}");
}

// ---------------------------------------------------------------------------------------------
// JSON round trips

/// A dropped member takes its comma with it wherever it stands, and the tags that follow get one
/// only if some member is left: every line stays JSON.
#[test]
fn dropped_json_members_leave_valid_json() {
    let rules = data("formats/fields.toml");
    let input = concat!(
        r#"{"session":"k7Qx9"}"#,
        "\n",
        r#"{"msg":"a","session":"k7Qx9"}"#,
        "\n",
        r#"{"session":"k7Qx9","msg":"b"}"#,
        "\n",
        r#"{ "session" : "k7Qx9" , "session" : "k7Qx9" }"#,
        "\n",
        r#"{"user":{"email":"k7Qx9"},"session":"k7Qx9"}"#,
        "\n",
    );
    let out = ok(&["--now", NOW, "--rules", rules.to_str().unwrap()], input);
    let want: [&[&str]; 5] = [&[], &["msg"], &["msg"], &[], &["user"]];
    assert_eq!(out.lines().count(), want.len(), "{out}");
    for (line, want) in out.lines().zip(want) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let keys: Vec<&str> =
            v.as_object().unwrap().keys().map(String::as_str).filter(|k| *k != "expires_at").collect();
        assert_eq!(keys, want, "{line}");
        assert!(!line.contains("k7Qx9"), "{line}");
    }
}

/// A key written with escapes is the same key to every JSON reader downstream, so a field rule
/// that names it must apply: `"sessi\u006fn"` is `session`.
#[test]
fn json_field_rules_apply_to_keys_written_with_escapes() {
    let rules = data("formats/fields.toml");
    let rules = rules.to_str().unwrap();
    let input = concat!(
        r#"{"sessi\u006fn":"k7Qx9","msg":"a"}"#,
        "\n",
        r#"{"user":{"n\u0061me":"Quill","id":3},"msg":"b"}"#,
        "\n",
        r#"{"us\u0065r":{"name":"Quill"},"msg":"c"}"#,
        "\n",
        r#"{"sessi\u006fn":"k7Qx9","msg":"d""#,
        "\n",
    );
    let out = ok(&["--now", NOW, "--rules", rules], input);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(!out.contains("k7Qx9") && !out.contains("Quill"), "{out}");
    assert!(lines[0].starts_with(r#"{"msg":"a""#), "the member is dropped whole: {}", lines[0]);
    assert!(lines[1].contains(r#""n\u0061me":"[NAME]""#), "a nested key's escaped segment: {}", lines[1]);
    assert!(lines[2].contains(r#"{"name":"[NAME]"}"#), "an escaped parent key: {}", lines[2]);
    assert!(lines[3].contains(r#""msg":"d""#), "a line that did not parse keeps its other members: {}", lines[3]);
}

#[test]
fn json_lines_round_trip_with_non_personal_values_unchanged() {
    let mut input = String::new();
    for i in 0..200 {
        input.push_str(&format!(
            r#"{{"time":"2026-11-2{}T10:00:00Z","level":"info","n":{i},"f":{}.5,"ok":{},"ip":"198.51.100.{}","mail":"u{i}@example.com","path":"/a\/b?q={i}","s":"tab\there \"quoted\" \u00e9 \ud83d\ude00","nest":{{"arr":[1,"x",null,{{"deep":"203.0.113.{}"}}]}}}}"#,
            i % 10,
            i,
            i % 2 == 0,
            i % 256,
            (i * 7) % 256
        ));
        input.push('\n');
    }
    let out = ok(&["--now", NOW], &input);
    for (a, b) in input.lines().zip(out.lines()) {
        let a: serde_json::Value = serde_json::from_str(a).unwrap();
        let b: serde_json::Value = serde_json::from_str(b).unwrap_or_else(|e| panic!("invalid JSON ({e}): {b}"));
        let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
        let keys_a: Vec<_> = a.keys().collect();
        let keys_b: Vec<_> = b.keys().filter(|k| *k != "expires_at").collect();
        assert_eq!(keys_a, keys_b, "same keys, same order");
        for k in ["time", "level", "n", "f", "ok", "path", "s"] {
            assert_eq!(a[k], b[k], "{k} is not personal and must round-trip");
        }
        assert_eq!(a["nest"]["arr"].as_array().unwrap()[..3], b["nest"]["arr"].as_array().unwrap()[..3]);
        assert_eq!(b["mail"], "[EMAIL]");
        assert!(b["ip"].as_str().unwrap().ends_with(".0"));
        assert!(b["nest"]["arr"][3]["deep"].as_str().unwrap().ends_with(".0"));
    }
}
