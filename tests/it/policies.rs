//! The policy packs in `rules/policies/` through the binary, each on the same mixed log: what
//! each promise leaves on the lines, and the retention it stamps.

use crate::util::{key_file, ok, run};
use std::path::PathBuf;

const LOG: &str = "\
203.0.113.77 - frank [22/Nov/2026:10:00:00 +0000] \"GET /?email=jane.doe%40example.com HTTP/1.1\" 200 5 \"-\" \"curl\"
203.0.113.77 - - [22/Nov/2026:11:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"
203.0.113.77 - - [23/Nov/2026:09:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"
{\"time\":\"2026-11-22T10:00:00Z\",\"client\":\"2001:db8:1:2::5\",\"card\":\"4111 1111 1111 1111\"}
Nov 22 10:00:00 gw sshd[1]: Failed password for invalid user admin from 198.51.100.7 port 52144 ssh2
";

const NOW: &str = "2026-11-23T12:00:00Z";

fn pack(name: &str) -> String {
    format!("{}/rules/policies/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

fn expiries(out: &str) -> Vec<&str> {
    out.lines()
        .map(|l| {
            let tag = &l[l.rfind("expires_at").unwrap()..];
            let date = tag.find(|c: char| c.is_ascii_digit()).unwrap();
            &tag[date..date + 10]
        })
        .collect()
}

#[test]
fn two_week_ip_retention_pseudonymizes_per_day_and_keeps_lines_14_days() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", b"policy pack test key of 32 bytes");
    let out = ok(&["--rules", &pack("two-week-ip-retention"), "--key-file", &key, "--now", NOW], LOG);
    let lines: Vec<&str> = out.lines().collect();
    let client = |i: usize| lines[i].split(' ').next().unwrap();
    assert!(client(0).starts_with("ip4-") && client(0) == client(1), "{out}");
    assert_ne!(client(1), client(2), "the next day has another key:\n{out}");
    assert!(lines[0].contains(" - [USER] ") && lines[0].contains("email=[EMAIL]"), "{out}");
    assert!(lines[0].contains(" key_period=2026-11-22T00:00:00Z ") && lines[2].contains(" key_period=2026-11-23T"));
    assert!(lines[3].contains("\"client\":\"ip6-") && lines[3].contains("**** **** **** 1111"), "{out}");
    assert!(lines[4].contains("user [USER] from ip4-"), "{out}");
    assert_eq!(expiries(&out), ["2026-12-06", "2026-12-06", "2026-12-07", "2026-12-06", "2026-12-06"]);
    assert!(!out.contains("203.0.113") && !out.contains("2001:db8") && !out.contains("jane.doe"), "{out}");

    let (stdout, err, code) = run(&["--rules", &pack("two-week-ip-retention"), "--now", NOW], LOG.as_bytes());
    assert_eq!((code, stdout.as_str()), (2, ""), "hash without a key is refused: {err}");
}

#[test]
fn anonymize_within_30_days_truncates_and_refuses_pseudonyms() {
    let out = ok(&["--rules", &pack("anonymize-within-30-days"), "--now", NOW], LOG);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("203.0.113.0 - [USER] ") && lines[0].contains("email=[EMAIL]"), "{out}");
    assert!(lines[3].contains("\"client\":\"2001:db8:1::\""), "{out}");
    assert!(lines[4].contains("user [USER] from 198.51.100.0 port"), "{out}");
    assert_eq!(expiries(&out), ["2026-12-22", "2026-12-22", "2026-12-23", "2026-12-22", "2026-12-22"]);

    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", b"policy pack test key of 32 bytes");
    let args = ["--rules", &pack("anonymize-within-30-days"), "--ip-mode", "hash", "--key-file", &key];
    let (stdout, err, code) = run(&args, LOG.as_bytes());
    assert_eq!((code, stdout.as_str()), (2, ""), "{err}");
    assert!(err.contains("contradicts --ip-mode"), "{err}");
}

#[test]
fn strict_cuts_networks_coarse_and_redacts_cards_whole() {
    let out = ok(&["--rules", &pack("strict"), "--now", NOW], LOG);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("203.0.0.0 - [USER] "), "{out}");
    assert!(lines[3].contains("\"client\":\"2001:db8::\"") && lines[3].contains("\"card\":\"[CARD]\""), "{out}");
    assert!(lines[4].contains("from 198.51.0.0 port"), "{out}");
}

#[test]
fn every_shipped_rule_file_passes_its_own_examples() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut files = vec![root.join("default.toml")];
    let mut packs: Vec<PathBuf> =
        std::fs::read_dir(root.join("policies")).unwrap().map(|e| e.unwrap().path()).collect();
    packs.sort();
    assert!(packs.len() >= 3, "{packs:?}");
    files.extend(packs);
    let mut args = vec!["rules".to_owned(), "test".to_owned()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, err, code) = run(&args, b"");
    assert_eq!(code, 0, "{out}{err}");
    for f in &files {
        let line = out.lines().find(|l| l.starts_with(&f.display().to_string())).unwrap_or_else(|| panic!("{out}"));
        assert!(line.ends_with(" passed, 0 failed") && !line.contains(": 0 passed"), "{line}");
    }
}
