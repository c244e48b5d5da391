//! Custom regex finder: a user's pattern from the rules, compiled once with Unicode off.
//!
//! Bytes regexes (`regex::bytes`) so that invalid UTF-8 neither stops a match nor needs decoding.
//! If the pattern has a capture group named `value`, only that group is redacted
//! (`session=(?P<value>[0-9a-f]+)` keeps `session=`); otherwise the whole match is. Captures are
//! resolved only for patterns that have that group, because capture resolution costs about a third
//! of the throughput of a plain search. The regex crate's literal prefilter keeps clean lines cheap
//! when the pattern starts with a literal; `loganon` leaves the rest to the user's pattern.

use super::span::{Found, RuleId, Span};
use regex::bytes::{Regex, RegexBuilder};

/// Largest compiled program accepted, so a pattern cannot blow up memory per worker.
const SIZE_LIMIT: usize = 8 << 20;

#[derive(Clone, Debug)]
pub struct Pattern {
    regex: Regex,
    value_group: Option<usize>,
    source: String,
}

/// True if no input can match the pattern (it needs an empty class such as `[^\x00-\xFF]`).
pub fn never_matches(source: &str) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind};
    // `Properties::minimum_len` is conservative for alternations, so walk the tree instead.
    fn can_match(h: &Hir) -> bool {
        match h.kind() {
            HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => true,
            HirKind::Class(Class::Bytes(c)) => !c.ranges().is_empty(),
            HirKind::Class(Class::Unicode(c)) => !c.ranges().is_empty(),
            HirKind::Repetition(r) => r.min == 0 || can_match(&r.sub),
            HirKind::Capture(c) => can_match(&c.sub),
            HirKind::Concat(v) => v.iter().all(can_match),
            HirKind::Alternation(v) => v.iter().any(can_match),
        }
    }
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(source)
        .is_ok_and(|hir| !can_match(&hir))
}

/// The literal prefixes every match must start with, if the pattern has a usable set: what lets
/// the regex engine skip ahead with a vectorized search instead of trying the pattern at every
/// byte. `None` means no anchor (every byte is a candidate: slow).
pub fn literal_anchor(source: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::Extractor;
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(source).ok()?;
    let seq = Extractor::new().extract(&hir);
    let literals = seq.literals()?;
    // Many short alternatives come from classes (`\d\d` is 100 two-byte literals) and fire on a
    // large share of bytes: not an anchor. A few one-byte literals (`@`) are a fine one.
    let min = seq.min_literal_len()?;
    if literals.is_empty() || literals.len() > 64 || (min < 2 && literals.len() > 3) || min == 0 {
        return None;
    }
    Some(literals.iter().map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned()).collect())
}

impl Pattern {
    /// Compiles `source`; the error text is the regex crate's, which points into the pattern.
    pub fn new(source: &str) -> Result<Self, String> {
        let regex = RegexBuilder::new(source)
            .unicode(false)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| e.to_string())?;
        let value_group = regex.capture_names().position(|n| n == Some("value"));
        Ok(Self { regex, value_group, source: source.to_owned() })
    }

    /// The pattern as written in the rule file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True if the pattern matches the empty string, which would redact nothing useful.
    pub fn matches_empty(&self) -> bool {
        self.regex.is_match(b"")
    }

    pub fn find(&self, b: &[u8], rule: RuleId, out: &mut Vec<Span>) {
        match self.value_group {
            None => out.extend(
                self.regex
                    .find_iter(b)
                    .filter(|m| !m.is_empty())
                    .map(|m| Span::new(m.start(), m.end(), rule, Found::Other)),
            ),
            Some(g) => {
                for caps in self.regex.captures_iter(b) {
                    if let Some(m) = caps.get(g).filter(|m| !m.is_empty()) {
                        out.push(Span::new(m.start(), m.end(), rule, Found::Other));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_match_or_value_group() {
        let mut v = Vec::new();
        Pattern::new(r"ACCT-\d{6}").unwrap().find(b"x ACCT-123456 y", 0, &mut v);
        assert_eq!((v[0].start, v[0].end), (2, 13));
        v.clear();
        Pattern::new(r"session=(?P<value>[0-9a-f]+)").unwrap().find(b"a session=beef; b", 0, &mut v);
        assert_eq!((v[0].start, v[0].end), (10, 14));
    }

    #[test]
    fn bad_patterns_are_reported() {
        assert!(Pattern::new("(unclosed").unwrap_err().contains("unclosed"));
        assert!(Pattern::new(r"\w{1000}{1000}").is_err());
        assert!(Pattern::new("x*").unwrap().matches_empty());
    }

    #[test]
    fn impossible_patterns() {
        assert!(never_matches(r"[^\x00-\xFF]"));
        assert!(!never_matches(r"a|[^\x00-\xFF]"));
        assert!(!never_matches(r"\d+"));
    }

    #[test]
    fn anchors() {
        assert_eq!(literal_anchor(r"session=(?P<value>\w+)"), Some(vec!["session=".to_owned()]));
        assert!(literal_anchor(r"(?:foo|bar)\d+").is_some());
        assert_eq!(literal_anchor(r"@\w+"), Some(vec!["@".to_owned()]));
        assert_eq!(literal_anchor(r"\d{6}-\d{4}"), None);
        assert_eq!(literal_anchor(r"\w+@\w+"), None);
    }

    #[test]
    fn invalid_utf8_is_searched() {
        let mut v = Vec::new();
        Pattern::new("secret").unwrap().find(b"\xff\xfe secret \xc3", 0, &mut v);
        assert_eq!(v.len(), 1);
    }
}
