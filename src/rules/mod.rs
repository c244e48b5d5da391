//! Rule files: loading, validating and merging TOML rulesets into a [`Ruleset`], and turning a
//! ruleset into an engine.
//!
//! A rule error is fatal and names `path:line`: a rule that is skipped is personal data that
//! leaks. Several files merge in order (rules append and keep their priority order, allow-lists
//! add up, retention settings must agree); a rule name may be defined once. A file with
//! `extends = "default"` brings the built-in rules in first and may replace any of them by name
//! (in place, keeping its priority) and override their retention: that is how policy packs stay
//! a few lines each instead of copies of the default rules. The IP rules' action
//! may be left to `--ip-mode`; [`Ruleset::engine`] settles it. Inline examples are kept for
//! `loganon rules test` (see [`examples`]).

pub mod check;
pub mod examples;
pub mod model;
pub mod pseudonyms;

use crate::anonymize::Pseudonymizer;
use crate::anonymize::rotation::{KeySchedule, Rotation};
use crate::format::Format;
use crate::redact::{self, Action, Detector, Engine, Rule};
use crate::retention::{Retention, parse_duration};
use ipnet::IpNet;
use model::{ActionName, DetectorName, RuleFile};
use std::ops::Range;
use toml::Spanned;

/// The built-in default ruleset's text.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");
/// The name the built-in ruleset is reported under.
pub const DEFAULT_RULES_NAME: &str = "rules/default.toml (built in)";

/// An error in a rule file, located at `path:line`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}:{line}: {message}")]
pub struct RuleError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// A rule file's text and the name its errors are reported under.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn builtin_default() -> Self {
        Self { name: DEFAULT_RULES_NAME.to_owned(), text: DEFAULT_RULES.to_owned() }
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> RuleError {
        let line = self.text.as_bytes()[..span.start.min(self.text.len())].iter().filter(|&&c| c == b'\n').count() + 1;
        RuleError { path: self.name.clone(), line, message: message.into() }
    }
}

/// Where a rule or example was defined, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: String,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// How the IP rules that do not pin an action anonymize.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpMode {
    #[default]
    Truncate,
    Hash,
}

/// A validated rule, its action possibly still left to `--ip-mode`.
#[derive(Clone, Debug)]
pub struct LoadedRule {
    pub origin: Origin,
    pub rule: Rule,
    /// True for IP rules without an `action`: `--ip-mode` decides.
    pub follows_ip_mode: bool,
    /// The `prefix` for IP rules (defaults 24 and 48).
    pub prefix: u8,
}

/// A merged, validated set of rule files.
#[derive(Clone, Debug)]
pub struct Ruleset {
    pub rules: Vec<LoadedRule>,
    pub allow: Vec<IpNet>,
    pub retention: Retention,
    pub pseudonyms: pseudonyms::Pseudonyms,
    pub examples: Vec<examples::Example>,
}

fn parse_file(src: &Source) -> Result<RuleFile, RuleError> {
    toml::from_str(&src.text).map_err(|e| {
        let msg = e.message().trim_end().to_owned();
        src.error(e.span().unwrap_or(0..0), msg)
    })
}

fn parse_retention(src: &Source, value: &Spanned<String>) -> Result<i64, RuleError> {
    parse_duration(value.get_ref()).ok_or_else(|| {
        src.error(
            value.span(),
            format!("invalid duration '{}' (expected a number and a unit: 30d, 2w, 12h, 90m, 3600s)", value.get_ref()),
        )
    })
}

/// What merging has seen so far, beyond the ruleset itself.
#[derive(Default)]
struct MergeState {
    /// The default retention and where it was set.
    default_from: Option<(i64, Origin)>,
    /// True once a file's `extends = "default"` loaded the built-in rules.
    base_loaded: bool,
    /// Rule names and retention categories the built-in base set: later files may replace them.
    base_rules: Vec<String>,
    base_categories: Vec<String>,
}

impl Ruleset {
    /// Loads and merges rule files, in priority order.
    pub fn load(sources: &[Source]) -> Result<Self, RuleError> {
        let mut set = Ruleset {
            rules: Vec::new(),
            allow: Vec::new(),
            retention: Retention::default(),
            pseudonyms: pseudonyms::Pseudonyms::default(),
            examples: Vec::new(),
        };
        let mut state = MergeState::default();
        for src in sources {
            let file = parse_file(src)?;
            if let Some(base) = &file.extends {
                if base.get_ref() != "default" {
                    return Err(src.error(
                        base.span(),
                        format!("unknown base '{}' (the only one is \"default\", the built-in rules)", base.get_ref()),
                    ));
                }
                if !state.base_loaded {
                    let builtin = Source::builtin_default();
                    set.merge(&builtin, &parse_file(&builtin)?, &mut state, true).map_err(|e| {
                        let why =
                            "extends = \"default\" brings in the built-in rules, which clash with a file loaded before";
                        src.error(base.span(), format!("{why}: {e}"))
                    })?;
                    state.base_loaded = true;
                }
            }
            set.merge(src, &file, &mut state, false)?;
        }
        Ok(set)
    }

    /// Merges one file. `base` marks the built-in rules loaded by `extends`: their examples stay
    /// out (they test the built-in settings, which the extending file changes), and what they set
    /// may be replaced by later files.
    fn merge(&mut self, src: &Source, file: &RuleFile, state: &mut MergeState, base: bool) -> Result<(), RuleError> {
        if let Some(ret) = &file.retention {
            if let Some(d) = &ret.default {
                let secs = parse_retention(src, d)?;
                let here = src.error(d.span(), "").origin();
                match &state.default_from {
                    Some((prev, at)) if *prev != secs && at.path != DEFAULT_RULES_NAME => {
                        return Err(src.error(
                            d.span(),
                            format!("default retention '{}' conflicts with the one set at {at}", d.get_ref()),
                        ));
                    }
                    _ => state.default_from = Some((secs, here)),
                }
                self.retention.default = secs;
            }
            for (category, value) in &ret.categories {
                let secs = parse_retention(src, value)?;
                if base {
                    state.base_categories.push(category.clone());
                } else if let Some(i) = state.base_categories.iter().position(|c| c == category) {
                    state.base_categories.swap_remove(i);
                } else if self.retention.category(category).is_some_and(|prev| prev != secs) {
                    return Err(src.error(
                        value.span(),
                        format!("retention for category '{category}' conflicts with an earlier rule file"),
                    ));
                }
                self.retention.set_category(category, secs);
            }
        }
        if let Some(section) = &file.pseudonyms {
            self.pseudonyms.merge(src, section)?;
        }
        if let Some(allow) = &file.allow {
            for cidr in &allow.cidrs {
                let net = parse_cidr(cidr.get_ref()).ok_or_else(|| {
                    src.error(
                        cidr.span(),
                        format!("invalid CIDR '{}' (expected e.g. 10.0.0.0/8 or fd00::/8)", cidr.get_ref()),
                    )
                })?;
                self.allow.push(net);
            }
        }
        for entry in &file.rule {
            let loaded = load_rule(src, entry)?;
            let name = &loaded.rule.name;
            match self.rules.iter().position(|r| &r.rule.name == name) {
                None => {
                    if base {
                        state.base_rules.push(name.clone());
                    }
                    self.rules.push(loaded);
                }
                // Replacing a built-in rule keeps its place in the priority order.
                Some(i) if state.base_rules.contains(name) => {
                    state.base_rules.retain(|n| n != name);
                    self.rules[i] = loaded;
                }
                Some(i) => {
                    return Err(src.error(
                        entry.get_ref().name.span(),
                        format!("rule '{name}' is already defined at {}", self.rules[i].origin),
                    ));
                }
            }
        }
        if !base {
            for entry in &file.example {
                self.examples.push(examples::Example::load(src, entry)?);
            }
        }
        Ok(())
    }

    /// Compiles the ruleset into an engine. `ip_mode` is the `--ip-mode` flag if it was given:
    /// a rule that pins a different IP action is then a usage conflict, reported as an error.
    pub fn engine(&self, ip_mode: Option<IpMode>, keyed: Option<Pseudonymizer>) -> Result<Engine, String> {
        let v4_prefix = self.prefix_of(&Detector::Ipv4, 24);
        let v6_prefix = self.prefix_of(&Detector::Ipv6, 48);
        let mut rules = Vec::with_capacity(self.rules.len());
        for lr in &self.rules {
            let mut rule = lr.rule.clone();
            let truncate = Action::Truncate { v4_prefix, v6_prefix };
            if lr.follows_ip_mode {
                rule.action = match ip_mode.unwrap_or_default() {
                    IpMode::Truncate => truncate,
                    IpMode::Hash => Action::Hash,
                };
            } else if matches!(rule.detector, Detector::Ipv4 | Detector::Ipv6) {
                if let Action::Truncate { .. } = rule.action {
                    rule.action = truncate;
                }
                let pinned = match rule.action {
                    Action::Truncate { .. } => Some(IpMode::Truncate),
                    Action::Hash => Some(IpMode::Hash),
                    _ => None,
                };
                if let (Some(flag), Some(pin)) = (ip_mode, pinned) {
                    if flag != pin {
                        return Err(format!(
                            "{}: rule '{}' pins its action, which contradicts --ip-mode",
                            lr.origin, rule.name
                        ));
                    }
                }
            }
            rules.push(rule);
        }
        let rotation = self.pseudonyms.rotate.map(|period| Rotation { period, stamp: self.pseudonyms.stamp });
        let schedule = keyed.map(|k| KeySchedule::new(k, rotation, self.pseudonyms.ip_format));
        Engine::new(rules, self.allow.clone(), schedule).map_err(|e| e.to_string())
    }

    fn prefix_of(&self, detector: &Detector, default: u8) -> u8 {
        self.rules
            .iter()
            .find(|r| std::mem::discriminant(&r.rule.detector) == std::mem::discriminant(detector))
            .map_or(default, |r| r.prefix)
    }
}

impl RuleError {
    fn origin(&self) -> Origin {
        Origin { path: self.path.clone(), line: self.line }
    }
}

/// Parses a CIDR; a bare address is its own /32 or /128.
fn parse_cidr(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// The list a detector requires (`literals`, `keys`, `fields`): present, non-empty, and without
/// empty strings, which would match everywhere.
fn required_list(
    src: &Source,
    entry: &Spanned<model::RuleEntry>,
    list: &Option<Spanned<Vec<String>>>,
    key: &str,
    kind: &str,
) -> Result<Vec<String>, RuleError> {
    let name = entry.get_ref().name.get_ref();
    let list =
        list.as_ref().ok_or_else(|| src.error(entry.span(), format!("rule '{name}': {kind} rules need `{key}`")))?;
    if list.get_ref().is_empty() || list.get_ref().iter().any(String::is_empty) {
        return Err(
            src.error(list.span(), format!("rule '{name}': `{key}` must be a non-empty list of non-empty strings"))
        );
    }
    Ok(list.get_ref().clone())
}

fn load_rule(src: &Source, entry: &Spanned<model::RuleEntry>) -> Result<LoadedRule, RuleError> {
    let e = entry.get_ref();
    let at = |span: Range<usize>, msg: String| src.error(span, msg);
    let name = e.name.get_ref().clone();
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
        return Err(at(e.name.span(), format!("rule name '{name}' must be letters, digits, '-' or '_'")));
    }
    let kind = *e.detector.get_ref();
    let is_ip = matches!(kind, DetectorName::Ipv4 | DetectorName::Ipv6);
    let may_truncate = is_ip || kind == DetectorName::Field;
    // Keys that belong to one detector only.
    let only = |present: bool, key: &str, for_what: &str, allowed: bool| -> Result<(), RuleError> {
        if present && !allowed {
            Err(at(entry.span(), format!("rule '{name}': `{key}` is only for {for_what}")))
        } else {
            Ok(())
        }
    };
    only(e.pattern.is_some(), "pattern", "regex rules", kind == DetectorName::Regex)?;
    only(e.literals.is_some(), "literals", "literal rules", kind == DetectorName::Literal)?;
    only(e.case_insensitive.is_some(), "case_insensitive", "literal rules", kind == DetectorName::Literal)?;
    only(e.keys.is_some(), "keys", "keys rules", kind == DetectorName::Keys)?;
    only(e.fields.is_some(), "fields", "field rules", kind == DetectorName::Field)?;
    only(e.prefix.is_some(), "prefix", "ipv4 and ipv6 rules", is_ip)?;

    let detector = match kind {
        DetectorName::Ipv4 => Detector::Ipv4,
        DetectorName::Ipv6 => Detector::Ipv6,
        DetectorName::Email => Detector::Email,
        DetectorName::Card => Detector::Card,
        DetectorName::Phone => Detector::Phone,
        DetectorName::Iban => Detector::Iban,
        DetectorName::PrivateKey => Detector::PrivateKey,
        DetectorName::UrlPassword => Detector::UrlPassword,
        DetectorName::Authorization => Detector::Authorization,
        DetectorName::Cookie => Detector::Cookie,
        DetectorName::Regex => {
            let p = e
                .pattern
                .as_ref()
                .ok_or_else(|| at(entry.span(), format!("rule '{name}': regex rules need `pattern`")))?;
            let compiled = redact::pattern::Pattern::new(p.get_ref())
                .map_err(|err| at(p.span(), format!("rule '{name}': invalid pattern: {err}")))?;
            if compiled.matches_empty() {
                return Err(at(p.span(), format!("rule '{name}': pattern matches the empty string")));
            }
            Detector::Pattern(compiled)
        }
        DetectorName::Literal => Detector::Literals {
            literals: required_list(src, entry, &e.literals, "literals", "literal")?,
            case_insensitive: e.case_insensitive.as_ref().is_some_and(|c| *c.get_ref()),
        },
        DetectorName::Keys => {
            let keys = required_list(src, entry, &e.keys, "keys", "keys")?;
            if let Some(bad) = keys.iter().find(|k| *k == "*" || k.strip_prefix('*').unwrap_or(k).contains('*')) {
                return Err(at(
                    e.keys.as_ref().map_or(entry.span(), |k| k.span()),
                    format!(
                        "rule '{name}': key '{bad}': `*` may only start a key, as in \"*password\" (keys ending in \"password\")"
                    ),
                ));
            }
            Detector::Keys(keys)
        }
        DetectorName::Field => Detector::Field(required_list(src, entry, &e.fields, "fields", "field")?),
    };

    let max_prefix = if kind == DetectorName::Ipv4 { 32 } else { 128 };
    let prefix = match &e.prefix {
        Some(p) => u8::try_from(*p.get_ref())
            .ok()
            .filter(|v| *v <= max_prefix)
            .ok_or_else(|| at(p.span(), format!("rule '{name}': prefix must be 0-{max_prefix}")))?,
        None if kind != DetectorName::Ipv6 => 24,
        None => 48,
    };
    let keep_last = match &e.keep_last {
        Some(k) => usize::try_from(*k.get_ref())
            .map_err(|_| at(k.span(), format!("rule '{name}': keep_last must be 0 or more")))?,
        None => 4,
    };
    let action = match e.action.as_ref().map(|a| (*a.get_ref(), a.span())) {
        None if is_ip => Action::Truncate { v4_prefix: 24, v6_prefix: 48 },
        None => {
            return Err(at(entry.span(), format!("rule '{name}': `action` is required (hash, mask, redact or keep)")));
        }
        Some((ActionName::Truncate, span)) if !may_truncate => {
            return Err(at(span, format!("rule '{name}': truncate applies to ipv4, ipv6 and field rules only")));
        }
        Some((ActionName::Truncate, _)) => Action::Truncate { v4_prefix: 24, v6_prefix: 48 },
        Some((ActionName::Hash, _)) => Action::Hash,
        Some((ActionName::Mask, _)) => Action::Mask { keep_last },
        Some((ActionName::Redact, _)) => Action::Redact,
        Some((ActionName::Keep, _)) => Action::Keep,
        Some((ActionName::Drop, _)) => Action::Drop,
    };
    if e.keep_last.is_some() && !matches!(action, Action::Mask { .. }) {
        return Err(at(entry.span(), format!("rule '{name}': `keep_last` is only for the mask action")));
    }
    let default_token = name.to_ascii_lowercase();
    let token_prefix = match &e.token_prefix {
        Some(t) if t.get_ref().is_empty() || !t.get_ref().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') => {
            return Err(at(t.span(), format!("rule '{name}': token_prefix must be letters, digits or '_'")));
        }
        Some(t) => t.get_ref().clone(),
        None => default_token,
    };
    let mut formats = Vec::new();
    if let Some(list) = &e.formats {
        for n in list.get_ref() {
            let known = Format::ALL.map(Format::name).join(", ");
            let format = Format::from_name(n)
                .ok_or_else(|| at(list.span(), format!("rule '{name}': unknown format '{n}' (known: {known})")))?;
            formats.push(format);
        }
    }
    // A control byte in a replacement would break the line it is written into (a newline makes
    // two output lines of one) or the terminal that shows it.
    if let Some(r) = &e.replacement {
        if r.chars().any(char::is_control) {
            return Err(at(
                entry.span(),
                format!("rule '{name}': `replacement` must not contain control characters (newlines, tabs, escapes)"),
            ));
        }
    }
    let rule = Rule {
        formats,
        replacement: e.replacement.clone().unwrap_or_else(|| format!("[{}]", name.to_ascii_uppercase())),
        category: e.category.clone().unwrap_or_else(|| name.clone()),
        name,
        detector,
        action,
        token_prefix,
    };
    let origin = Origin { path: src.name.clone(), line: src.error(entry.span(), "").line };
    Ok(LoadedRule { origin, rule, follows_ip_mode: is_ip && e.action.is_none(), prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Ruleset, RuleError> {
        Ruleset::load(&[Source { name: "t.toml".into(), text: text.into() }])
    }

    #[test]
    fn extending_the_default_replaces_rules_in_place_and_overrides_its_settings() {
        let pack = "extends = \"default\"\n[retention]\ndefault = \"14d\"\n[retention.categories]\npseudonymous = \"7d\"\n\
                    [[rule]]\nname = \"ipv4\"\ndetector = \"ipv4\"\nprefix = 16\n\
                    [[rule]]\nname = \"extra\"\ndetector = \"literal\"\nliterals = [\"bluebird\"]\naction = \"redact\"\n";
        let set = load(pack).unwrap();
        let names: Vec<_> = set.rules.iter().map(|r| r.rule.name.as_str()).collect();
        let base = Ruleset::load(&[Source::builtin_default()]).unwrap();
        let mut expected: Vec<_> = base.rules.iter().map(|r| r.rule.name.as_str()).collect();
        expected.push("extra");
        assert_eq!(names, expected, "base rules first, replaced in place, then the file's own");
        let ipv4 = set.rules.iter().find(|r| r.rule.name == "ipv4").unwrap();
        assert_eq!((ipv4.prefix, ipv4.origin.path.as_str()), (16, "t.toml"));
        assert_eq!(set.retention.default, 14 * 86_400);
        assert_eq!(set.retention.category("pseudonymous"), Some(7 * 86_400));
        assert!(set.examples.is_empty(), "the built-in examples test the built-in settings");

        // A rule of the extending file itself is still defined once.
        let twice = format!("{pack}[[rule]]\nname = \"extra\"\ndetector = \"email\"\naction = \"redact\"\n");
        let err = load(&twice).unwrap_err();
        assert!(err.message.contains("rule 'extra' is already defined at t.toml:"), "{err}");
        let err = load("extends = \"strict\"\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("unknown base 'strict'"), "{err}");
    }

    #[test]
    fn default_rules_load() {
        let set = Ruleset::load(&[Source::builtin_default()]).unwrap();
        let names: Vec<_> = set.rules.iter().map(|r| r.rule.name.as_str()).collect();
        let secrets = [
            "private-key",
            "url-password",
            "authorization",
            "cookie",
            "secret-keys",
            "jwt",
            "aws-access-key",
            "github-token",
            "slack-token",
            "slack-webhook",
            "stripe-key",
        ];
        let others = ["email", "card", "remote-user", "unix-user", "json-user", "user-keys", "ipv4", "ipv6"];
        assert_eq!(names, [&secrets[..], &others[..]].concat());
        assert_eq!(set.retention.default, 30 * 86_400);
        assert_eq!(set.retention.category("pseudonymous"), Some(14 * 86_400));
        assert!(!set.examples.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let err = load("[[rule]]\nname = \"x\"\ndetector = \"email\"\nactoin = \"redact\"\n").unwrap_err();
        assert_eq!((err.path.as_str(), err.line), ("t.toml", 4));
        assert!(err.message.contains("actoin"), "{err}");
        let err =
            load("[[rule]]\nname = \"x\"\ndetector = \"regex\"\naction = \"redact\"\npattern = \"(\"\n").unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        let err = load("[allow]\ncidrs = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let err = load("[retention]\ndefault = \"30 days\"\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn duplicate_names_and_misplaced_keys_are_refused() {
        let dup = "[[rule]]\nname = \"a\"\ndetector = \"email\"\naction = \"redact\"\n\n[[rule]]\nname = \"a\"\ndetector = \"card\"\naction = \"mask\"\n";
        let err = load(dup).unwrap_err();
        assert_eq!(err.line, 7);
        assert!(err.message.contains("t.toml:1"), "{err}");
        let err = load("[[rule]]\nname = \"a\"\ndetector = \"email\"\naction = \"truncate\"\n").unwrap_err();
        assert!(err.message.contains("truncate"), "{err}");
        let err = load("[[rule]]\nname = \"a\"\ndetector = \"email\"\naction = \"redact\"\nprefix = 8\n").unwrap_err();
        assert!(err.message.contains("prefix"), "{err}");
        let err = load("[[rule]]\nname = \"a\"\ndetector = \"email\"\naction = \"redact\"\nreplacement = \"a\\nb\"\n")
            .unwrap_err();
        assert!(err.message.contains("control characters"), "{err}");
    }

    #[test]
    fn new_detectors_load_and_keep_refusing_misplaced_and_unknown_keys() {
        for d in ["phone", "iban", "private-key", "url-password", "authorization", "cookie"] {
            let set = load(&format!("[[rule]]\nname = \"x\"\ndetector = \"{d}\"\naction = \"redact\"\n")).unwrap();
            assert_eq!(set.rules.len(), 1, "{d}");
        }
        let err =
            load("[[rule]]\nname = \"x\"\ndetector = \"phone\"\naction = \"redact\"\nkeys = [\"a\"]\n").unwrap_err();
        assert!(err.message.contains("`keys` is only for keys rules"), "{err}");
        let err =
            load("[[rule]]\nname = \"x\"\ndetector = \"iban\"\naction = \"redact\"\ncountry = \"DE\"\n").unwrap_err();
        assert!(err.line == 5 && err.message.contains("unknown field `country`"), "{err}");
        let err = load("[[rule]]\nname = \"x\"\ndetector = \"phones\"\naction = \"redact\"\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn a_star_may_only_start_a_key() {
        for bad in ["*", "pass*word", "**x"] {
            let text = format!(
                "[[rule]]\nname = \"k\"\ndetector = \"keys\"\nkeys = [\"ok\", \"{bad}\"]\naction = \"redact\"\n"
            );
            let err = load(&text).unwrap_err();
            assert_eq!(err.line, 4, "{err}");
            assert!(err.message.contains("may only start a key"), "{err}");
        }
        assert!(
            load("[[rule]]\nname = \"k\"\ndetector = \"keys\"\nkeys = [\"*password\"]\naction = \"redact\"\n").is_ok()
        );
    }

    #[test]
    fn ip_mode_settles_unpinned_ip_rules() {
        let set = Ruleset::load(&[Source::builtin_default()]).unwrap();
        let key = Pseudonymizer::new(&[7; 32]).unwrap();
        let e = set.engine(Some(IpMode::Hash), Some(key)).unwrap();
        let ipv4 = e.rules().iter().find(|r| r.name == "ipv4").unwrap();
        assert_eq!(ipv4.action, Action::Hash);
        assert!(set.engine(Some(IpMode::Hash), None).unwrap_err().contains("no key"));
        let pinned = load("[[rule]]\nname = \"v4\"\ndetector = \"ipv4\"\naction = \"truncate\"\n").unwrap();
        assert!(pinned.engine(Some(IpMode::Hash), None).unwrap_err().contains("contradicts --ip-mode"));
        assert!(pinned.engine(None, None).is_ok());
    }
}
