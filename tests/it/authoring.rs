//! Rule authoring and audit: `--report`, `--dry-run`, `rules check`, `bench`.

use crate::util::*;

fn report_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_report_names_where_and_what_but_never_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let input = "from 198.51.100.7 mail jane.doe@example.com\nclean line\n{\"card\":4111111111111111,\"ip\":\"10.0.0.1\"}\nlogin by frank\n";
    let secrets = ["198.51.100.7", "jane.doe@example.com", "4111111111111111", "10.0.0.1"];
    for threads in ["1", "2"] {
        let report = dir.path().join(format!("report{threads}.jsonl"));
        let out = ok(&["--now", NOW, "--threads", threads, "--report", report.to_str().unwrap()], input);
        assert_eq!(out.lines().count(), 4, "the logs are still written");
        let text = std::fs::read_to_string(&report).unwrap();
        for s in secrets {
            assert!(!text.contains(s), "the report holds {s}: {text}");
        }
        let lines = report_lines(&report);
        let found: Vec<(u64, u64, u64, &str, &str)> = lines[..lines.len() - 1]
            .iter()
            .map(|v| {
                (
                    v["line"].as_u64().unwrap(),
                    v["start"].as_u64().unwrap(),
                    v["end"].as_u64().unwrap(),
                    v["rule"].as_str().unwrap(),
                    v["action"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (1, 5, 17, "ipv4", "truncate"),
                (1, 23, 43, "email", "redact"),
                (3, 8, 24, "card", "mask"),
                (3, 31, 39, "ipv4", "truncate")
            ]
        );
        let summary = &lines.last().unwrap()["summary"];
        assert_eq!(summary["lines"], 4);
        assert_eq!(summary["findings"], 4);
        assert_eq!(summary["by_rule"]["ipv4"], 2);
        assert_eq!(summary["by_category"]["email"], 1);
    }
}

#[test]
fn dry_run_writes_no_log_lines() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let (out, err, code) = run(&["--dry-run", "--report", report.to_str().unwrap()], b"1.2.3.4\n");
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(report_lines(&report).len(), 2);
    let (out, err, code) = run(&["--dry-run"], b"1.2.3.4\n");
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("--report"), "{err}");
}

#[test]
fn rules_check_describes_and_warns() {
    let (out, err, code) = run(&["rules", "check"], b"");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ipv4 (rules/default.toml (built in):") && out.contains("0 warning(s)"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.toml");
    std::fs::write(
        &p,
        "[[rule]]\nname = \"mail\"\ndetector = \"email\"\naction = \"redact\"\n\n[[rule]]\nname = \"mail2\"\ndetector = \"email\"\naction = \"hash\"\n\n[[rule]]\nname = \"ids\"\ndetector = \"regex\"\npattern = '[0-9]{8}'\naction = \"redact\"\n",
    )
    .unwrap();
    let (out, _, code) = run(&["rules", "check", p.to_str().unwrap()], b"");
    assert_eq!(code, 0);
    assert!(out.contains("r.toml:6: rule 'mail2' is shadowed: earlier rule(s) mail"), "{out}");
    assert!(out.contains("r.toml:11: rule 'ids': pattern has no literal anchor"), "{out}");
    assert!(out.contains("2 warning(s)"), "{out}");
    // An invalid file is an error with its line, as for the filter.
    std::fs::write(&p, "[[rule]]\nname = \"x\"\n").unwrap();
    let (_, err, code) = run(&["rules", "check", p.to_str().unwrap()], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("r.toml:"), "{err}");
}

#[test]
fn bench_ranks_the_slow_rule_first_and_counts_matches_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
name = "ipv4"
detector = "ipv4"

[[rule]]
name = "card"
detector = "card"
action = "mask"

# Matches every pair of words and resolves two capture groups each time: by far the slowest.
[[rule]]
name = "slow"
detector = "regex"
pattern = '(?P<value>[a-z]{3,})[^a-z]{1,3}(?P<x>[a-z]{3,})'
action = "redact"
"#,
    )
    .unwrap();
    let corpus = dir.path().join("c.log");
    let mut text = String::new();
    for i in 0..1500 {
        text += &format!(
            "client 198.51.100.{} fetched /catalog/items/{i} version 1.2.3.999 order 1234567890123456 by someone\n",
            i % 250
        );
    }
    std::fs::write(&corpus, text).unwrap();
    let args = ["bench", "--runs", "3", "--json", "--rules", rules.to_str().unwrap(), corpus.to_str().unwrap()];
    let (out, err, code) = run(&args, b"");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["lines"], 1500);
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules[0]["name"], "slow", "{out}");
    let by_name = |n: &str| rules.iter().find(|r| r["name"] == n).unwrap().clone();
    assert_eq!(by_name("ipv4")["matches"], 1500);
    assert_eq!(by_name("ipv4")["rejected"], 1500, "1.2.3.999 fails the octet check once per line");
    assert_eq!(by_name("card")["rejected"], 1500, "the order number fails Luhn and issuer checks");
    assert!(v["mb_per_s"]["median"].as_f64().unwrap() > 0.0);
    let (out, _, code) = run(
        &args[..args.len() - 1]
            .iter()
            .copied()
            .filter(|a| *a != "--json")
            .chain([corpus.to_str().unwrap()])
            .collect::<Vec<_>>(),
        b"",
    );
    assert_eq!(code, 0);
    assert!(out.contains("throughput:") && out.contains("rule (slowest first)"), "{out}");
}

#[test]
fn diff_shows_only_the_lines_a_rule_change_alters() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.toml");
    std::fs::write(&new, "[[rule]]\nname = \"ipv4\"\ndetector = \"ipv4\"\nprefix = 16\n").unwrap();
    let input = "from 203.0.113.77 ok\nnothing here\nmail a@example.org\n";
    let (out, err, code) = run(&["diff", "--now", NOW, "--rules-new", new.to_str().unwrap()], input.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "@@ line 1\n- from 203.0.113.0 ok expires_at=2026-12-22T12:00:00Z\n+ from 203.0.0.0 ok expires_at=2026-12-22T12:00:00Z\n\
         @@ line 3\n- mail [EMAIL] expires_at=2026-12-22T12:00:00Z\n+ mail a@example.org expires_at=2026-12-22T12:00:00Z\n"
    );
    assert!(err.contains("2 of 3 line(s) differ"), "{err}");
    assert!(!out.contains("203.0.113.77"), "neither ruleset lets the address through");
    // The same rules on both sides: no difference, exit 0.
    let default = dir.path().join("default.toml");
    std::fs::write(&default, std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/default.toml")).unwrap())
        .unwrap();
    let (out, _, code) = run(&["diff", "--now", NOW, "--rules-new", default.to_str().unwrap()], input.as_bytes());
    assert_eq!((code, out.as_str()), (0, ""));
}
