//! Literal and key=value finders.
//!
//! Literal rules redact the literal itself (a hostname, a customer name): every literal of every
//! rule goes into one Aho-Corasick automaton (one per case setting), so fifty literals still make
//! one pass over a line. Key rules redact the value after a key: `password=hunter2`,
//! `token: abc`, `"api_key":"abc"`, matched ASCII-case-insensitively and only as a whole word
//! (`password` does not fire inside `mypassword`). Keys are found from their separator instead:
//! `memchr2` over `=` and `:`, then the word before it is looked up. A case-insensitive automaton
//! over the keys was measured first and cost a fifth of the whole run on an access log, because
//! case folding defeats its prefilter and the automaton then walks every byte. A value is either quoted (to the closing quote, backslash escapes
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

/// All key rules: keys (lower-cased) with the rule that owns each, first rule first.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    keys: Vec<(Vec<u8>, RuleId)>,
    /// Bit `n` set if some key is `n` bytes long (keys of 64 bytes or more set bit 63): most
    /// separators are preceded by a word of a length no key has, and are dismissed on that.
    lengths: u64,
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Where a quoted value that starts at `start` ends: at its closing `quote` (backslash escapes
/// honoured), or at the end of `b` if it is not closed.
pub fn quoted_end(b: &[u8], start: usize, quote: u8) -> usize {
    let mut end = start;
    while end < b.len() && b[end] != quote {
        end += if b[end] == b'\\' { 2 } else { 1 };
    }
    end.min(b.len())
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
        end = quoted_end(b, start, q);
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
        let keys: Vec<_> = keys.iter().map(|(r, k)| (k.to_ascii_lowercase().into_bytes(), *r)).collect();
        let lengths = keys.iter().fold(0, |m, (k, _)| m | 1 << k.len().min(63));
        Self { keys, lengths }
    }

    pub fn find(&self, b: &[u8], out: &mut Vec<Span>) {
        if self.keys.is_empty() {
            return;
        }
        for sep in memchr::memchr2_iter(b'=', b':', b) {
            // JSON writes the key in quotes: `"key":`.
            let key_end = if sep > 0 && b[sep - 1] == b'"' && b[sep] == b':' { sep - 1 } else { sep };
            let key_start = b[..key_end].iter().rposition(|&c| !is_key_byte(c)).map_or(0, |i| i + 1);
            let key = &b[key_start..key_end];
            if self.lengths & 1 << key.len().min(63) == 0 {
                continue;
            }
            let Some(&(_, rule)) = self.keys.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else { continue };
            if let Some((start, end)) = value_after(b, key_end) {
                out.push(Span::new(start, end, rule, Found::Other));
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
