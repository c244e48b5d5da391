//! Pseudonym schemes through the binary: key rotation by event-time period (same period, same
//! pseudonym; next period, another; processes agree; the wall clock plays no part; the stamped
//! period lets a search recompute a pseudonym) and format-preserving addresses (FF1 and
//! ipcrypt-pfx: valid addresses of the same family, deterministic, JSON still valid).

use crate::util::{key_file, ok, run};
use std::net::IpAddr;

const KEY: &[u8] = b"rotation test master key, 32 B!!";

/// Access-log lines for one documentation address on both sides of a UTC midnight.
const LOG: &str = "\
198.51.100.7 - - [21/Nov/2026:23:59:59 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"curl\"
198.51.100.7 - - [22/Nov/2026:00:00:00 +0000] \"GET /b HTTP/1.1\" 200 5 \"-\" \"curl\"
198.51.100.7 - - [22/Nov/2026:23:59:59 +0000] \"GET /c HTTP/1.1\" 200 5 \"-\" \"curl\"
{\"time\":\"2026-11-22T10:00:00Z\",\"client\":\"198.51.100.7\",\"msg\":\"no personal data\"}
no address on this line
";

fn rules(dir: &tempfile::TempDir, name: &str, section: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, section).unwrap();
    p.display().to_string()
}

fn hash(key: &str, extra: &[&str], now: &str, input: &str) -> String {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/default.toml");
    let mut args = vec!["--ip-mode", "hash", "--key-file", key, "--now", now, "--rules", default];
    for r in extra {
        args.extend(["--rules", r]);
    }
    ok(&args, input)
}

/// The first whitespace-separated field of each line (the client address of an access log).
fn first_fields(out: &str) -> Vec<&str> {
    out.lines().map(|l| l.split(' ').next().unwrap()).collect()
}

#[test]
fn rotation_follows_the_event_time_period_not_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", KEY);
    let daily = rules(&dir, "daily.toml", "[pseudonyms]\nrotate = \"1d\"\nstamp = true\n");
    let out = hash(&key, &[&daily], "2026-11-25T00:00:00Z", LOG);
    let ids = first_fields(&out);
    assert!(ids[0].starts_with("ip4-") && ids[1].starts_with("ip4-"), "{out}");
    assert_ne!(ids[0], ids[1], "adjacent days give different pseudonyms:\n{out}");
    assert_eq!(ids[1], ids[2], "one day gives one pseudonym:\n{out}");
    let json: serde_json::Value = serde_json::from_str(out.lines().nth(3).unwrap()).unwrap();
    assert_eq!(json["client"], ids[1], "a JSON line of the same day agrees:\n{out}");
    assert_eq!(json["key_period"], "2026-11-22T00:00:00Z");

    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(" key_period=2026-11-21T00:00:00Z expires_at=2026-12-05T23:59:59Z"), "{out}");
    assert!(lines[2].ends_with(" key_period=2026-11-22T00:00:00Z expires_at=2026-12-06T23:59:59Z"), "{out}");
    assert_eq!(lines[4], "no address on this line expires_at=2026-12-25T00:00:00Z", "no pseudonym, no stamp");

    // Replayed a week later, by another process: the same pseudonyms.
    let later = hash(&key, &[&daily], "2026-12-01T08:00:00Z", LOG);
    assert_eq!(first_fields(&later)[..3], ids[..3], "the wall clock plays no part");

    // Without rotation, all three lines share the master key's pseudonym.
    let fixed = hash(&key, &[], "2026-11-25T00:00:00Z", LOG);
    let fixed_ids = first_fields(&fixed);
    assert!(fixed_ids[..3].iter().all(|id| *id == fixed_ids[0]), "{fixed}");
    assert!(!fixed.contains("key_period"), "{fixed}");
    assert!(!ids[..3].contains(&fixed_ids[0]), "rotated keys differ from the master key");
}

#[test]
fn a_stamped_period_lets_a_search_recompute_a_known_pseudonym() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", KEY);
    let hourly = rules(&dir, "hourly.toml", "[pseudonyms]\nrotate = \"1h\"\nstamp = true\n");
    let out = hash(&key, &[&hourly], "2026-11-25T00:00:00Z", LOG);
    let line = out.lines().nth(1).unwrap();
    let period = line.split(" key_period=").nth(1).unwrap().split(' ').next().unwrap();
    assert_eq!(period, "2026-11-22T00:00:00Z");
    // The documented search: the known value as a line of its own, with the clock set in the period.
    let probe = hash(&key, &[&hourly], period, "198.51.100.7\n");
    assert_eq!(first_fields(&probe)[0], first_fields(&out)[1]);
    let other = hash(&key, &[&hourly], "2026-11-22T01:00:00Z", "198.51.100.7\n");
    assert_ne!(first_fields(&other)[0], first_fields(&out)[1], "the next hour has another key");
}

#[test]
fn rotation_settings_are_checked_and_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", KEY);
    for (text, message) in [
        ("[pseudonyms]\nrotate = \"10s\"\n", "invalid rotation period '10s'"),
        ("[pseudonyms]\nrotate = \"daily\"\n", "invalid rotation period 'daily'"),
        ("[pseudonyms]\nstamp = true\n", "stamp = true needs a rotation period"),
        ("[pseudonyms]\nip_format = \"aes\"\n", "unknown ip_format 'aes'"),
        ("[pseudonyms]\nrotation = \"1d\"\n", "unknown field `rotation`"),
    ] {
        let bad = rules(&dir, "bad.toml", text);
        let (out, err, code) = run(&["--ip-mode", "hash", "--key-file", &key, "--rules", &bad], b"192.0.2.1\n");
        assert_eq!((code, out.as_str()), (2, ""), "{text}: {err}");
        assert!(err.contains("bad.toml:2") && err.contains(message), "{text}: {err}");
    }
    let a = rules(&dir, "a.toml", "[pseudonyms]\nrotate = \"1d\"\n");
    let b = rules(&dir, "b.toml", "[pseudonyms]\nrotate = \"12h\"\n");
    let (_, err, code) = run(&["--rules", &a, "--rules", &b], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("b.toml:1") && err.contains("conflicts with the section in") && err.contains("a.toml"),
        "{err}"
    );
    let same = rules(&dir, "same.toml", "[pseudonyms]\nrotate = \"24h\"\n");
    assert_eq!(run(&["--rules", &a, "--rules", &same], b"").2, 0, "equal settings merge");
}

/// Every address-looking token in the first field of each line, parsed.
fn addresses(out: &str) -> Vec<IpAddr> {
    first_fields(out).iter().map(|f| f.parse().unwrap_or_else(|_| panic!("not an address: {f}\n{out}"))).collect()
}

#[test]
fn format_preserving_pseudonyms_are_addresses_of_the_same_family() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "k", KEY);
    let input = "198.51.100.7 a\n198.51.100.200 b\n203.0.113.9 c\n2001:db8:1:2::5 d\n::ffff:198.51.100.7 e\n";
    for (format, prefix_kept) in [("ff1", false), ("ipcrypt-pfx", true)] {
        let r = rules(&dir, &format!("{format}.toml"), &format!("[pseudonyms]\nip_format = \"{format}\"\n"));
        let out = hash(&key, &[&r], "2026-11-22T12:00:00Z", input);
        let a = addresses(&out);
        assert!(a[..3].iter().all(IpAddr::is_ipv4) && a[3].is_ipv6(), "{format}: {out}");
        for (orig, pseudo) in input.lines().map(|l| l.split(' ').next().unwrap()).zip(&a) {
            assert_ne!(orig, pseudo.to_string(), "{format} kept {orig}");
        }
        assert_eq!(a[0], a[4], "{format}: an IPv4-mapped address is the IPv4 address");
        assert!(out.lines().all(|l| l.contains(" expires_at=2026-12-06T12:00:00Z")), "pseudonymous retention: {out}");
        let net = |ip: &IpAddr| match ip {
            IpAddr::V4(v4) => v4.octets()[..3].to_vec(),
            IpAddr::V6(_) => unreachable!(),
        };
        assert_eq!(net(&a[0]) == net(&a[1]), prefix_kept, "{format}: /24 kept only by the prefix-preserving scheme");
        assert_ne!(net(&a[0]), net(&a[2]));
        assert_eq!(out, hash(&key, &[&r], "2026-11-22T12:00:00Z", input), "{format} is deterministic");

        let json = hash(
            &key,
            &[&r],
            "2026-11-22T12:00:00Z",
            "{\"ip\":\"198.51.100.7\",\"xff\":\"2001:db8::1, 203.0.113.9\"}\n",
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["ip"].as_str().unwrap().parse::<IpAddr>().unwrap(), a[0], "{json}");
        let xff: Vec<IpAddr> = v["xff"].as_str().unwrap().split(", ").map(|s| s.parse().unwrap()).collect();
        assert_eq!((xff[0].is_ipv6(), xff[1]), (true, a[2]), "{json}");
    }
}
