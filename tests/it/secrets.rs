//! Secrets and contact data through the real binary: every secret kind the default rules know,
//! in the syntaxes logs write them in, with look-alikes that must stay, checked byte for byte;
//! and the opt-in phone and IBAN detectors enabled by a rule file beside the default rules.
//! All values are synthetic: example.com hosts, documentation addresses, AWS's documented
//! example key id, tokens of `x`, fictional phone ranges, published test IBANs.

use crate::util::*;
use std::path::PathBuf;

const TAG: &str = " expires_at=2026-12-22T12:00:00Z";

/// Input lines (text) and what each must become, before the tag.
const TEXT: &[(&str, &str)] = &[
    (
        "GET https://deploy:hunter2@git.example.com/repo.git HTTP/1.1",
        "GET https://deploy:[SECRET]@git.example.com/repo.git HTTP/1.1",
    ),
    // The password is also the local part of an address look-alike: the host stays.
    ("imap https://jdoe:s3cret@mail.example.com/inbox", "imap https://jdoe:[SECRET]@mail.example.com/inbox"),
    // A password with a byte no address has: the overlap is redacted whole, never in part.
    ("imap https://jdoe:pa$s@mail.example.com/", "imap https://jdoe:[SECRET]/"),
    (
        "POST /login?user=jdoe&password=hunter2&api_key=k3y&next=/",
        "POST /login?user=[USER]&password=[SECRET]&api_key=[SECRET]&next=/",
    ),
    (
        "msg=\"db up\" db_password=s3cr3t clientSecret=\"c s\" X-Auth-Token: t0k3n sig=abc",
        "msg=\"db up\" db_password=[SECRET] clientSecret=\"[SECRET]\" X-Auth-Token: [SECRET] sig=[SECRET]",
    ),
    ("Authorization: Bearer abc.def-ghi status=200", "Authorization: Bearer [SECRET] status=200"),
    ("proxy-authorization: Basic ZGVwbG95Omh1bnRlcjI=", "proxy-authorization: Basic [SECRET]"),
    ("AUTHORIZATION: Digest username=\"jdoe\", realm=\"x\", response=\"6629fae4\"", "AUTHORIZATION: Digest [SECRET]"),
    ("Cookie: sid=abc123; theme=dark", "Cookie: sid=[SECRET]; theme=[SECRET]"),
    (
        "Set-Cookie: sid=abc123; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure; HttpOnly",
        "Set-Cookie: sid=[SECRET]; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure; HttpOnly",
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4eHgifQ.c2lnbmF0dXJlLWZha2UteHh4 aws AKIAIOSFODNN7EXAMPLE",
        "jwt [SECRET] aws [SECRET]",
    ),
    (
        "gh ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx pat github_pat_xxxxxxxxxxxxxxxxxxxxxx_yyyy",
        "gh [SECRET] pat [SECRET]",
    ),
    (
        "slack xoxb-0000000000-xxxxxxxxxxxx https://hooks.slack.com/services/T0000/B0000/xxxxxxxx",
        "slack [SECRET] https://hooks.slack.com/services/[SECRET]",
    ),
    ("stripe sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "stripe [SECRET]"),
    (
        r"key -----BEGIN RSA PRIVATE KEY-----\nMIIEfake\n-----END RSA PRIVATE KEY-----\n end",
        r"key -----BEGIN RSA PRIVATE KEY-----[SECRET]-----END RSA PRIVATE KEY-----\n end",
    ),
    ("cut -----BEGIN EC PRIVATE KEY-----MHcCAQEEIfake and the rest", "cut -----BEGIN EC PRIVATE KEY-----[SECRET]"),
    // A key logged raw over several lines: the marker lines carry nothing, a body line of PEM
    // width goes, the shorter last one is not recognisable.
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("MIIEowIBAAKCAQEAvXyZfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE0123", "[SECRET]"),
    ("fakeFAKE==", "fakeFAKE=="),
    ("-----END OPENSSH PRIVATE KEY-----", "-----END OPENSSH PRIVATE KEY-----"),
    // Look-alikes.
    (
        "login failed: the password is wrong; token expired id=123e4567-e89b-12d3-a456-426614174000",
        "login failed: the password is wrong; token expired id=123e4567-e89b-12d3-a456-426614174000",
    ),
    (
        "sha=9f86d081884c7d659a2feaa0c55ad015 page=eyJzZWFyY2giOiIifQ pam_unix(passwd:chauthtok) https://www.example.com:8443/",
        "sha=9f86d081884c7d659a2feaa0c55ad015 page=eyJzZWFyY2giOiIifQ pam_unix(passwd:chauthtok) https://www.example.com:8443/",
    ),
    (
        "-----BEGIN CERTIFICATE-----MIIDdzCCAl+gAwIBAgIEfake-----END CERTIFICATE----- max_tokens=5",
        "-----BEGIN CERTIFICATE-----MIIDdzCCAl+gAwIBAgIEfake-----END CERTIFICATE----- max_tokens=5",
    ),
];

#[test]
fn every_secret_kind_is_redacted_and_look_alikes_stay() {
    let mut input = String::new();
    let mut expected = String::new();
    for (line, want) in TEXT {
        input.push_str(line);
        input.push('\n');
        expected.push_str(want);
        expected.push_str(TAG);
        expected.push('\n');
    }
    // An access log (its own time), and JSON: members by key name at any depth, header values
    // by their grammar, a PEM with decoded newlines; the JSON stays valid and in key order.
    input.push_str(concat!(
        r#"203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] "GET /cb?access_token=abc123&state=x HTTP/1.1" 200 5 "-" "curl/8.5.0""#,
        "\n",
        r#"{"password":"x","auth":{"token":"t0k3n","type":"bearer","n":{"pin":1}},"headers":{"Authorization":"Bearer abc","Cookie":"sid=s1; theme=dark"},"refresh_token":["t1","t2"],"tokens":["a"],"key":"-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n","ok":true}"#,
        "\n",
    ));
    expected.push_str(concat!(
        r#"203.0.113.0 - - [22/Nov/2026:10:00:00 +0000] "GET /cb?access_token=[SECRET]&state=x HTTP/1.1" 200 5 "-" "curl/8.5.0" expires_at=2026-12-22T10:00:00Z"#,
        "\n",
        r#"{"password":"[SECRET]","auth":{"token":"[SECRET]","type":"bearer","n":{"pin":1}},"headers":{"Authorization":"Bearer [SECRET]","Cookie":"sid=[SECRET]; theme=[SECRET]"},"refresh_token":"[SECRET]","tokens":["a"],"key":"-----BEGIN PRIVATE KEY-----[SECRET]-----END PRIVATE KEY-----\n","ok":true,"expires_at":"2026-12-22T12:00:00Z"}"#,
        "\n",
    ));
    let out = ok(&["--now", NOW], &input);
    for (i, (got, want)) in out.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "line {}", i + 1);
    }
    assert_eq!(out, expected);
    let json = out.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["auth"]["token"], "[SECRET]");
}

#[test]
fn phone_and_iban_are_opt_in_through_a_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    let contact = dir.path().join("contact.toml");
    std::fs::write(
        &contact,
        r#"
[[rule]]
name = "phone"
detector = "phone"
action = "redact"
replacement = "[PHONE]"
category = "phone"

[[rule]]
name = "iban"
detector = "iban"
action = "mask"
keep_last = 4
category = "iban"
"#,
    )
    .unwrap();
    let default = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/default.toml");
    let line = "call +44 20 7946 0958 or (555) 010-0199, pay to GB82 WEST 1234 5698 7654 32 / DE89370400440532013000\n";
    let look_alikes =
        "at 2026-11-22 10:00:00 +0000 order 0001234567 v1.2.3 port 4444 ref DE89370400440532013001 id 555-0199\n";
    // The default rules alone leave them.
    let out = ok(&["--now", NOW], &format!("{line}{look_alikes}"));
    assert_eq!(out, format!("{}{TAG}\n{}{TAG}\n", line.trim_end(), look_alikes.trim_end()));
    let out = ok(
        &["--now", NOW, "--rules", default.to_str().unwrap(), "--rules", contact.to_str().unwrap()],
        &format!("{line}{look_alikes}"),
    );
    assert_eq!(
        out,
        format!(
            "call [PHONE] or [PHONE], pay to **** **** **** **** **54 32 / ******************3000{TAG}\n{}{TAG}\n",
            look_alikes.trim_end()
        )
    );
    let (check, _, code) = run(&["rules", "check", default.to_str().unwrap(), contact.to_str().unwrap()], b"");
    assert_eq!(code, 0);
    assert!(check.contains("phone-number shapes") && check.contains("mod-97"), "{check}");
}
