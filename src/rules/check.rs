//! `loganon rules check`: what a ruleset compiles to, and the rules that cannot do what their
//! author meant.
//!
//! The description lists, per rule in priority order, its detector and the literal anchor that
//! decides where it looks (what makes it cheap or slow; regex anchors share one automaton scan,
//! see `redact::anchors`), its action, category and format scope,
//! then the retention policy. The warnings are the mistakes that do not make a rule file invalid
//! but make a rule useless or slow: a rule shadowed by an earlier one that finds the same values
//! first, a field name that no format has, a pattern without a literal anchor.

use super::{LoadedRule, Origin, Ruleset};
use crate::anonymize::preserving::IpFormat;
use crate::format::{Format, access};
use crate::redact::pattern::never_matches;
use crate::redact::{Action, Detector};
use crate::retention::format_duration;
use std::fmt::Write;

/// A finding about a ruleset that does not make it invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub origin: Origin,
    pub message: String,
}

/// Format names of a rule's scope.
fn scope(r: &LoadedRule) -> String {
    if r.rule.formats.is_empty() {
        "all".into()
    } else {
        r.rule.formats.iter().map(|f| f.name()).collect::<Vec<_>>().join(",")
    }
}

/// True if rule `a` applies to every format rule `b` applies to.
fn covers(a: &LoadedRule, b: &LoadedRule) -> bool {
    a.rule.formats.is_empty()
        || (!b.rule.formats.is_empty() && b.rule.formats.iter().all(|f| a.rule.formats.contains(f)))
}

fn anchor(d: &Detector) -> String {
    match d {
        Detector::Ipv4 => "byte-class masks: dots and dashes that can join two octets, then octet checks".into(),
        Detector::Ipv6 => "byte-class masks: lines with '::' or 6+ colons, then runs with either are parsed".into(),
        Detector::Email => "byte-class masks: '@' and '%40', then domain checks".into(),
        Detector::Card => "byte-class masks: runs of 13+ digits and joins, then Luhn and issuer checks".into(),
        Detector::Phone => "byte-class masks: runs of digits, then phone-number shapes ('+', '(', separators)".into(),
        Detector::Iban => "byte-class masks: runs of digits after two capitals, then country length and mod-97 checks".into(),
        Detector::PrivateKey => "byte-class masks: five dashes, then '-----BEGIN ' (private-key labels); and lines of PEM width".into(),
        Detector::UrlPassword => "byte-class masks: '@', then a URL authority ('//user:password@') around it".into(),
        Detector::Authorization => {
            "byte-class masks: '=' ':' then key lookup (authorization, proxy-authorization), credentials after the scheme".into()
        }
        Detector::Cookie => "byte-class masks: '=' ':' then key lookup (cookie, set-cookie), each cookie's value".into(),
        Detector::Pattern(p) => match p.anchor() {
            Some(a) => {
                let case = if a.case_insensitive { ", any case" } else { "" };
                if a.literals.len() <= 4 {
                    let lits: Vec<String> = a.literals.iter().map(|l| format!("\"{}\"", l.escape_ascii())).collect();
                    format!("literal {}{case} (in the shared anchor scan)", lits.join(" | "))
                } else {
                    format!("{} literal prefixes{case} (in the shared anchor scan)", a.literals.len())
                }
            }
            None => "none: the regex runs at every byte (slow)".into(),
        },
        Detector::Literals { literals, case_insensitive } => {
            format!(
                "aho-corasick over {} literal(s){}",
                literals.len(),
                if *case_insensitive { ", any case" } else { "" }
            )
        }
        Detector::Keys(keys) => format!("byte-class masks: '=' ':' then key lookup ({})", keys.join(", ")),
        Detector::Field(fields) => format!("format parser, fields {}", fields.join(", ")),
    }
}

fn action(r: &LoadedRule, v4: u8, v6: u8, ip_format: IpFormat) -> String {
    if r.follows_ip_mode {
        return format!("--ip-mode (truncate to /{v4} and /{v6} by default, or hash)");
    }
    match &r.rule.action {
        Action::Truncate { .. } => format!("truncate to /{v4} and /{v6}"),
        Action::Hash if matches!(r.rule.detector, Detector::Ipv4 | Detector::Ipv6) => match ip_format {
            IpFormat::Token => "hash (ip4-/ip6-<16 hex>)".into(),
            f => format!("hash (an address of the same family, {})", f.name()),
        },
        Action::Hash => format!("hash ({}-<16 hex>)", r.rule.token_prefix),
        Action::Mask { keep_last } => format!("mask (keep last {keep_last})"),
        Action::Redact => format!("redact ({})", r.rule.replacement),
        Action::Keep => "keep".into(),
        Action::Drop => "drop".into(),
    }
}

/// A readable description of the compiled ruleset.
pub fn describe(set: &Ruleset) -> String {
    let v4 = set.rules.iter().find(|r| matches!(r.rule.detector, Detector::Ipv4)).map_or(24, |r| r.prefix);
    let v6 = set.rules.iter().find(|r| matches!(r.rule.detector, Detector::Ipv6)).map_or(48, |r| r.prefix);
    let mut s = String::new();
    let _ = writeln!(s, "{} rule(s), in priority order:", set.rules.len());
    for (i, r) in set.rules.iter().enumerate() {
        let _ = writeln!(s, "{:>3}. {} ({})", i + 1, r.rule.name, r.origin);
        let _ = writeln!(s, "       finds:    {}", anchor(&r.rule.detector));
        let _ = writeln!(s, "       action:   {}", action(r, v4, v6, set.pseudonyms.ip_format));
        let _ = writeln!(s, "       category: {}; formats: {}", r.rule.category, scope(r));
    }
    if !set.allow.is_empty() {
        let nets: Vec<String> = set.allow.iter().map(ToString::to_string).collect();
        let _ = writeln!(s, "allow-listed addresses: {}", nets.join(", "));
    }
    let mut retention = format!("retention: default {}", format_duration(set.retention.default));
    for (name, secs) in set.retention.categories() {
        let _ = write!(retention, "; {name} {}", format_duration(*secs));
    }
    let _ = writeln!(s, "{retention}");
    let _ = writeln!(s, "{}", set.pseudonyms.describe());
    let _ = writeln!(s, "{} inline example(s)", set.examples.len());
    s
}

/// The values of a rule that an earlier rule could take first, as comparable keys.
fn claims(r: &LoadedRule) -> Vec<String> {
    match &r.rule.detector {
        Detector::Ipv4 => vec!["ipv4".into()],
        Detector::Ipv6 => vec!["ipv6".into()],
        Detector::Email => vec!["email".into()],
        Detector::Card => vec!["card".into()],
        Detector::Phone => vec!["phone".into()],
        Detector::Iban => vec!["iban".into()],
        Detector::PrivateKey => vec!["private-key".into()],
        Detector::UrlPassword => vec!["url-password".into()],
        Detector::Authorization => vec!["key authorization".into(), "key proxy-authorization".into()],
        Detector::Cookie => vec!["key cookie".into(), "key set-cookie".into()],
        Detector::Pattern(p) => vec![format!("regex {}", p.source())],
        Detector::Literals { literals, case_insensitive } => literals
            .iter()
            .map(
                |l| if *case_insensitive { format!("literal-ci {}", l.to_lowercase()) } else { format!("literal {l}") },
            )
            .collect(),
        Detector::Keys(keys) => keys.iter().map(|k| format!("key {}", k.to_lowercase())).collect(),
        Detector::Field(fields) => fields.iter().map(|f| format!("field {f}")).collect(),
    }
}

/// Does an earlier claim take this one? A case-insensitive literal takes the exact one too, and
/// a suffix key (`*password`) every key that ends in it.
fn taken(earlier: &str, claim: &str) -> bool {
    earlier == claim
        || earlier
            .strip_prefix("literal-ci ")
            .is_some_and(|e| claim.strip_prefix("literal ").is_some_and(|c| c.to_lowercase() == e))
        || earlier.strip_prefix("key *").is_some_and(|suffix| {
            claim.strip_prefix("key ").is_some_and(|c| c.trim_start_matches('*').ends_with(suffix))
        })
}

/// Rules that cannot do what they say, or are slow.
pub fn warnings(set: &Ruleset) -> Vec<Warning> {
    let mut out = Vec::new();
    for (j, r) in set.rules.iter().enumerate() {
        let warn = |message: String| Warning { origin: r.origin.clone(), message };
        let mine = claims(r);
        let mut shadowed_by = Vec::new();
        let all_taken = mine.iter().all(|c| {
            set.rules[..j].iter().any(|e| {
                let hit = covers(e, r) && claims(e).iter().any(|ec| taken(ec, c));
                if hit && !shadowed_by.contains(&e.rule.name) {
                    shadowed_by.push(e.rule.name.clone());
                }
                hit
            })
        });
        if all_taken && !mine.is_empty() {
            out.push(warn(format!(
                "rule '{}' is shadowed: earlier rule(s) {} find the same values first, so it never applies",
                r.rule.name,
                shadowed_by.join(", ")
            )));
        }
        if let Detector::Pattern(p) = &r.rule.detector {
            if never_matches(p.source()) {
                out.push(warn(format!("rule '{}': pattern can never match anything", r.rule.name)));
            } else if p.anchor().is_none() {
                out.push(warn(format!(
                    "rule '{}': pattern has no literal anchor, so it runs at every byte of every line (slow); start it with a literal if you can",
                    r.rule.name
                )));
            }
        }
        if let Detector::Field(fields) = &r.rule.detector {
            let positional_only = !r.rule.formats.is_empty()
                && r.rule.formats.iter().all(|f| matches!(f, Format::Access | Format::Syslog | Format::Text));
            if positional_only {
                let known: Vec<&str> = access::FIELDS
                    .iter()
                    .copied()
                    .chain(["hostname", "app_name", "procid", "msgid", "structured_data", "message"])
                    .collect();
                for f in fields {
                    let extra = f.strip_prefix("extra").is_some_and(|n| n.parse::<usize>().is_ok());
                    if !known.contains(&f.as_str()) && !extra {
                        out.push(warn(format!(
                            "rule '{}': no {} line has a field '{f}', so it never matches (fields: {})",
                            r.rule.name,
                            scope(r),
                            known.join(", ")
                        )));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Source;

    fn load(text: &str) -> Ruleset {
        Ruleset::load(&[Source { name: "c.toml".into(), text: text.into() }]).unwrap()
    }

    #[test]
    fn default_rules_have_no_warnings() {
        let set = Ruleset::load(&[Source::builtin_default()]).unwrap();
        assert_eq!(warnings(&set), []);
        let text = describe(&set);
        assert!(
            text.contains("byte-class masks: '@'") && text.contains("retention: default 30d; pseudonymous 14d"),
            "{text}"
        );
        assert!(text.contains("pseudonyms: one key (no rotation); addresses as token"), "{text}");
    }

    #[test]
    fn a_suffix_key_shadows_the_keys_it_ends() {
        let set = load(
            r#"
[[rule]]
name = "any"
detector = "keys"
keys = ["*password"]
action = "redact"
[[rule]]
name = "db"
detector = "keys"
keys = ["db_password", "*db_password"]
action = "hash"
[[rule]]
name = "other"
detector = "keys"
keys = ["password_hint"]
action = "redact"
"#,
        );
        let w = warnings(&set);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].message.contains("rule 'db' is shadowed") && w[0].message.contains("any"), "{w:?}");
        let text = describe(&load(
            "[[rule]]\nname = \"s\"\ndetector = \"regex\"\npattern = '(?i)session=(?P<value>\\w+)'\naction = \"redact\"\n",
        ));
        assert!(text.contains(r#"literal "session=", any case"#), "{text}");
    }

    #[test]
    fn shadowed_unanchored_and_unknown_fields_are_reported() {
        let set = load(
            r#"
[[rule]]
name = "a"
detector = "literal"
literals = ["acme"]
case_insensitive = true
action = "redact"
[[rule]]
name = "b"
detector = "literal"
literals = ["ACME"]
action = "redact"
[[rule]]
name = "slow"
detector = "regex"
pattern = '\d{6}-\d{4}'
action = "redact"
[[rule]]
name = "f"
detector = "field"
fields = ["remote_usr"]
formats = ["access"]
action = "redact"
[[rule]]
name = "never"
detector = "regex"
pattern = 'x[^\x00-\xFF]'
action = "redact"
[[rule]]
name = "e1"
detector = "email"
action = "redact"
formats = ["json"]
[[rule]]
name = "e2"
detector = "email"
action = "hash"
"#,
        );
        let w: Vec<String> = warnings(&set).into_iter().map(|w| format!("{}: {}", w.origin, w.message)).collect();
        assert_eq!(w.len(), 4, "{w:#?}");
        assert!(w[3].contains("'never': pattern can never match"), "{}", w[3]);
        assert!(w[0].starts_with("c.toml:8: rule 'b' is shadowed") && w[0].contains(" a "), "{}", w[0]);
        assert!(w[1].contains("'slow'") && w[1].contains("no literal anchor"), "{}", w[1]);
        assert!(w[2].contains("'remote_usr'"), "{}", w[2]);
    }
}
