//! Literal and key=value finders: every literal and every key of every rule in one Aho-Corasick
//! automaton each, so that a ruleset with fifty keywords still makes one pass over a line.
//!
//! Literal rules redact the literal itself (a hostname, a customer name). Key rules redact the
//! value after a key: `password=hunter2`, `token: abc`, `"api_key":"abc"`, matched
//! ASCII-case-insensitively and only where the key starts a word (so `password` does not fire
//! inside `mypassword`). A value is either quoted (to the closing quote, backslash escapes
//! honoured) or bare (to the next space, `&`, `;`, `,` or quote), which covers query strings,
//! logfmt, headers and JSON.

use super::span::{Found, RuleId, Span};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// One automaton over many patterns, each pattern tagged with the rule that owns it.
#[derive(Clone, Debug)]
struct Automaton {
    ac: AhoCorasick,
    owners: Vec<RuleId>,
}

impl Automaton {
    fn build(patterns: &[(RuleId, String)], case_insensitive: bool) -> Option<Self> {
        if patterns.is_empty() {
            return None;
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(case_insensitive)
            .build(patterns.iter().map(|(_, p)| p.as_bytes()))
            .expect("literal automata of rule-file size always build");
        Some(Self { ac, owners: patterns.iter().map(|(r, _)| *r).collect() })
    }
}

/// All literal rules, split by case sensitivity (an automaton has one setting).
#[derive(Clone, Debug, Default)]
pub struct Literals {
    exact: Option<Automaton>,
    folded: Option<Automaton>,
}

impl Literals {
    pub fn new(exact: &[(RuleId, String)], folded: &[(RuleId, String)]) -> Self {
        Self { exact: Automaton::build(exact, false), folded: Automaton::build(folded, true) }
    }

    pub fn find(&self, b: &[u8], out: &mut Vec<Span>) {
        for a in [&self.exact, &self.folded].into_iter().flatten() {
            for m in a.ac.find_iter(b) {
                let rule = a.owners[m.pattern().as_usize()];
                out.push(Span::new(m.start(), m.end(), rule, Found::Other));
            }
        }
    }
}

/// All key rules: keys are matched case-insensitively.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    keys: Option<Automaton>,
}

/// The value after a key ending at `at`, if a separator follows: `=`, `:` (with optional
/// spaces), or JSON's `":`.
fn value_after(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if b.get(i) == Some(&b'"') {
        i += 1; // JSON: "key": "value"
    }
    match b.get(i) {
        Some(b'=') => i += 1,
        // `key: value` and JSON's `"key": "value"` put spaces after the colon; after `=` a space
        // means the value is empty (`logname= uid=0`), so nothing is taken.
        Some(b':') => {
            i += 1;
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        _ => return None,
    }
    let start;
    let mut end;
    if let Some(&q @ (b'"' | b'\'')) = b.get(i) {
        start = i + 1;
        end = start;
        while end < b.len() && b[end] != q {
            end += if b[end] == b'\\' { 2 } else { 1 };
        }
        end = end.min(b.len());
    } else {
        start = i;
        end = i;
        while end < b.len() && !matches!(b[end], b' ' | b'\t' | b'&' | b';' | b',' | b'"' | b'\'') {
            end += 1;
        }
    }
    (end > start).then_some((start, end))
}

impl Keys {
    pub fn new(keys: &[(RuleId, String)]) -> Self {
        Self { keys: Automaton::build(keys, true) }
    }

    pub fn find(&self, b: &[u8], out: &mut Vec<Span>) {
        let Some(a) = &self.keys else { return };
        for m in a.ac.find_iter(b) {
            let starts_word = m.start() == 0 || !b[m.start() - 1].is_ascii_alphanumeric() && b[m.start() - 1] != b'_';
            if !starts_word {
                continue;
            }
            if let Some((start, end)) = value_after(b, m.end()) {
                out.push(Span::new(start, end, a.owners[m.pattern().as_usize()], Found::Other));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(line: &str) -> Vec<&str> {
        let k = Keys::new(&[(0, "password".into()), (1, "token".into())]);
        let mut v = Vec::new();
        k.find(line.as_bytes(), &mut v);
        v.iter().map(|s| &line[s.start..s.end]).collect()
    }

    #[test]
    fn key_values_in_common_syntaxes() {
        assert_eq!(keys("GET /login?user=x&password=hunter2&next=/"), ["hunter2"]);
        assert_eq!(keys("level=info Token=\"a b\\\" c\" x=1"), ["a b\\\" c"]);
        assert_eq!(keys(r#"{"password":"s3cr3t","n":1}"#), ["s3cr3t"]);
        assert_eq!(keys("token: abc123 rest"), ["abc123"]);
        assert_eq!(keys("mypassword=x password"), Vec::<&str>::new());
        assert_eq!(keys("password= "), Vec::<&str>::new());
        assert_eq!(keys("password= token=abc"), ["abc"], "an empty value does not swallow the next pair");
    }

    #[test]
    fn literals_respect_case_setting() {
        let l = Literals::new(&[(0, "Acme".into())], &[(1, "secretproject".into())]);
        let mut v = Vec::new();
        l.find(b"acme Acme SecretProject", &mut v);
        let rules: Vec<_> = v.iter().map(|s| (s.start, s.rule)).collect();
        assert_eq!(rules, [(5, 0), (10, 1)]);
    }
}
