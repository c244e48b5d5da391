//! Literal and key=value finders.
//!
//! Literal rules redact the literal itself (a hostname, a customer name): every literal of every
//! rule goes into one Aho-Corasick automaton (one per case setting), so fifty literals still make
//! one pass over a line. Key rules redact the value after a key: `password=hunter2`,
//! `token: abc`, `"api_key":"abc"`, matched ASCII-case-insensitively and only as a whole word
//! (`password` does not fire inside `mypassword`), unless the key is written `*password`, which
//! matches every key that ends in it (`db_password`, `dbPassword`, `X-Password`): secrets come
//! under endless compound names. Keys are found from their separator instead: the `=` and `:` of
//! the region's byte-class masks, then the word before it is looked up if its last two bytes end
//! some key. A case-insensitive automaton over the keys was measured first and cost a fifth of the
//! whole run on an access log, because case folding defeats its prefilter and the automaton then
//! walks every byte. A value is either quoted (to
//! the closing quote, backslash escapes honoured) or bare (to the next space, `&`, `;`, `,` or
//! quote), which covers query strings, logfmt, headers and JSON. Two HTTP headers have values
//! with structure, read by their own grammar through the same separator scan: `Authorization`
//! (the scheme stays, the credentials go) and `Cookie`/`Set-Cookie` (names stay, values go).
//! JSON members are looked up by key name too ([`Keys::lookup`]): the caller, which knows the
//! JSON structure, hands their values over whole.

use super::classes::{Class, Classes};
use super::pairs::BytePairs;
use super::span::{Found, RuleId, Span};
use super::{authorization, cookie};
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

/// How the value after a key is delimited, and which part of it is hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// The whole value: quoted (to the closing quote), or bare (to the next space, `&`, `;`, `,`
    /// or quote).
    Plain,
    /// An HTTP `Authorization` header: the credentials after the scheme (see [`authorization`]).
    Authorization,
    /// An HTTP `Cookie` (`set: false`) or `Set-Cookie` header: each cookie's value, names kept
    /// (see [`cookie`]).
    Cookie { set: bool },
}

/// One key of a rule: lower-cased, matched whole or, for a key written `*suffix`, as the end of
/// a longer key (`*password` matches `db_password` and `dbPassword`).
#[derive(Clone, Debug)]
struct Key {
    name: Vec<u8>,
    suffix: bool,
    rule: RuleId,
    value: Value,
}

/// All key rules' keys, first rule first.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    keys: Vec<Key>,
    /// Indices into `keys` (in rule order) by the lower-cased last byte of the key: a word can
    /// only be a key, or end in one, that ends in its own last byte. Most separators follow a
    /// word whose last byte ends no key (a clock time's digit, `https`), and the rest are
    /// compared with a handful of keys rather than all of them.
    by_last: Vec<Vec<u32>>,
    /// The last two bytes of every key, in every case: most words that end in a key's last byte
    /// do not end in its last two (`msg` and `sig`, `method` and `password`). `None` if some key
    /// is shorter than two bytes; then `by_last` alone decides.
    last_pairs: Option<BytePairs>,
    /// All ones if some key ends in a digit, else none: then a separator after a digit (the
    /// colons of `12:00:00`, of `10.0.0.1:443`) ends no key, and the class masks turn it away
    /// before its word is read.
    after_digit: u64,
}

const KEY_BYTES: [bool; 256] = crate::byteset::alphanumeric_and(b"_-");

fn is_key_byte(c: u8) -> bool {
    KEY_BYTES[usize::from(c)]
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

/// Where the value after a key ending at `at` starts, if a separator follows: `=`, `:` (with
/// optional spaces), or JSON's `":`; and the quote it opens with, if any.
fn value_start(b: &[u8], at: usize) -> Option<(usize, Option<u8>)> {
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
    match b.get(i) {
        Some(&q @ (b'"' | b'\'')) => Some((i + 1, Some(q))),
        _ => Some((i, None)),
    }
}

/// The value after a key ending at `at`, if a separator follows and the value is not empty.
fn value_after(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let (start, quote) = value_start(b, at)?;
    let end = match quote {
        Some(q) => quoted_end(b, start, q),
        None => {
            start
                + b[start..]
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b'&' | b';' | b',' | b'"' | b'\''))
                    .unwrap_or(b.len() - start)
        }
    };
    (end > start).then_some((start, end))
}

/// True if the separator at `sep` after a key starting at `key_start` does not make a key and a
/// value: `//host:port` and `//user:password@host` are a URL's authority (the password is a URL
/// rule's business), and `pam_unix(passwd:chauthtok)` is PAM's service and module type.
fn not_a_pair(b: &[u8], key_start: usize, sep: usize) -> bool {
    b[sep] == b':'
        && (b[..key_start].ends_with(b"//")
            || (key_start > 0 && b[key_start - 1] == b'(' && b.get(sep + 1).is_some_and(u8::is_ascii_alphanumeric)))
}

impl Keys {
    /// Keys with the rule that owns each and how its value is read; a key written `*suffix`
    /// matches every key that ends in `suffix`.
    pub fn new(keys: &[(RuleId, String, Value)]) -> Self {
        let mut set = Self { by_last: vec![Vec::new(); 256], ..Self::default() };
        for (rule, key, value) in keys {
            let (name, suffix) = match key.strip_prefix('*') {
                Some(rest) => (rest, true),
                None => (key.as_str(), false),
            };
            let name = name.to_ascii_lowercase().into_bytes();
            if let Some(&last) = name.last() {
                set.by_last[usize::from(last)]
                    .push(u32::try_from(set.keys.len()).expect("fewer keys than rule-file bytes"));
            }
            set.keys.push(Key { name, suffix, rule: *rule, value: *value });
        }
        if set.keys.iter().any(|k| k.name.last().is_some_and(u8::is_ascii_digit)) {
            set.after_digit = u64::MAX;
        }
        if set.keys.iter().all(|k| k.name.len() >= 2) {
            // Each pair in every case, so that a lookup tests the bytes as they are written.
            let cases = |c: u8| [c, c.to_ascii_uppercase()];
            let pairs = set.keys.iter().map(|k| (k.name[k.name.len() - 2], k.name[k.name.len() - 1]));
            set.last_pairs =
                Some(BytePairs::new(pairs.flat_map(|(a, b)| {
                    cases(a).into_iter().flat_map(move |a| cases(b).into_iter().map(move |b| (a, b)))
                })));
        }
        set
    }

    /// False if the word that ends where `text` ends cannot be a key or end in one: no key ends
    /// in its last byte, or in its last two. Only `text`'s last two bytes are read, so they may
    /// lie before the word's start: a word of one byte is a key of none of two bytes or more.
    fn may_end_key(&self, text: &[u8]) -> bool {
        match (&self.last_pairs, text) {
            (None, [.., last]) => !self.ending_in(*last).is_empty(),
            (Some(pairs), [.., a, b]) => pairs.contains(*a, *b),
            _ => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The first key (in rule order) that `word` is, among the rules `admit` accepts.
    #[inline]
    pub fn lookup(&self, word: &[u8], admit: impl Fn(RuleId) -> bool) -> Option<(RuleId, Value)> {
        if !self.may_end_key(word) {
            return None;
        }
        self.lookup_candidates(word, admit)
    }

    /// [`Keys::lookup`] once the word's last bytes are a key's.
    #[inline(never)]
    fn lookup_candidates(&self, word: &[u8], admit: impl Fn(RuleId) -> bool) -> Option<(RuleId, Value)> {
        let &last = word.last()?;
        self.ending_in(last)
            .iter()
            .map(|&i| &self.keys[i as usize])
            .find(|k| {
                let hit = if k.suffix {
                    word.len() >= k.name.len() && word[word.len() - k.name.len()..].eq_ignore_ascii_case(&k.name)
                } else {
                    word.eq_ignore_ascii_case(&k.name)
                };
                hit && admit(k.rule)
            })
            .map(|k| (k.rule, k.value))
    }

    /// The keys (indices, in rule order) that end in `c`, case-insensitively.
    fn ending_in(&self, c: u8) -> &[u32] {
        self.by_last.get(usize::from(c.to_ascii_lowercase())).map_or(&[], Vec::as_slice)
    }

    /// Pushes a span for every value after a key in `b`, whose byte classes `cl` holds.
    /// With `json_line`, `b` is the raw text of a whole JSON line, and a separator right after a
    /// quote is passed over: it is a member's colon, and the caller claims members by key name
    /// from the JSON structure; or it follows an escaped quote (`\":`), where the word before it
    /// is empty and no key.
    pub fn find(&self, b: &[u8], cl: &Classes, json_line: bool, out: &mut Vec<Span>) {
        if self.keys.is_empty() || !(cl.has(Class::Equals) || cl.has(Class::Colon)) {
            return;
        }
        let after_digit = self.after_digit;
        let separators = move |cl: &Classes, i| {
            (cl.mask(Class::Equals, i) | cl.mask(Class::Colon, i)) & (after_digit | !cl.behind(Class::Digit, i, 1))
        };
        // Two loops, so that the common one does not pay for the quote mask.
        if json_line {
            self.pairs(b, cl.positions(move |cl, i| separators(cl, i) & !cl.behind(Class::Quote, i, 1)), out);
        } else {
            self.pairs(b, cl.positions(separators), out);
        }
    }

    /// Pushes a span for the value of every key that ends at one of the separators `seps`.
    fn pairs(&self, b: &[u8], seps: impl Iterator<Item = usize>, out: &mut Vec<Span>) {
        for sep in seps {
            // JSON writes the key in quotes: `"key":`.
            let key_end = if sep > 0 && b[sep - 1] == b'"' && b[sep] == b':' { sep - 1 } else { sep };
            if !self.may_end_key(&b[..key_end]) {
                continue;
            }
            let key_start = b[..key_end].iter().rposition(|&c| !is_key_byte(c)).map_or(0, |i| i + 1);
            let Some((rule, value)) = self.lookup(&b[key_start..key_end], |_| true) else { continue };
            if not_a_pair(b, key_start, sep) {
                continue;
            }
            match value {
                Value::Plain => {
                    if let Some((start, end)) = value_after(b, key_end) {
                        out.push(Span::new(start, end, rule, Found::Other));
                    }
                }
                Value::Authorization | Value::Cookie { .. } => {
                    let Some((start, quote)) = value_start(b, key_end) else { continue };
                    let bound = quote.map_or(b.len(), |q| quoted_end(b, start, q));
                    header_value(b, start, bound, quote.is_some(), rule, value, out);
                }
            }
        }
    }
}

/// Spans of a header value that runs from `start` to at most `bound` in `b`. `bounded` means
/// `bound` is where the value certainly ends (a closing quote, the end of a JSON string), so
/// spaces do not end it.
pub fn header_value(
    b: &[u8],
    start: usize,
    bound: usize,
    bounded: bool,
    rule: RuleId,
    value: Value,
    out: &mut Vec<Span>,
) {
    match value {
        Value::Plain => {
            if bound > start {
                out.push(Span::new(start, bound, rule, Found::Other));
            }
        }
        Value::Authorization => authorization::find(&b[..bound], start, bounded, rule, out),
        Value::Cookie { set } => cookie::find(&b[..bound], start, bounded, set, rule, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(line: &str) -> Vec<&str> {
        let k = Keys::new(&[
            (0, "password".into(), Value::Plain),
            (1, "token".into(), Value::Plain),
            (2, "*secret".into(), Value::Plain),
            (3, "pwd".into(), Value::Plain),
        ]);
        let mut v = Vec::new();
        k.find(line.as_bytes(), &Classes::of(line.as_bytes()), false, &mut v);
        v.iter().map(|s| &line[s.start..s.end]).collect()
    }

    #[test]
    fn key_values_in_common_syntaxes() {
        let cases: &[(&str, &[&str])] = &[
            ("GET /login?user=x&password=hunter2&next=/", &["hunter2"]),
            ("level=info Token=\"a b\\\" c\" x=1", &["a b\\\" c"]),
            (r#"{"password":"s3cr3t","n":1}"#, &["s3cr3t"]),
            (r#"{"auth": {"token": "t0k3n"}}"#, &["t0k3n"]),
            ("token: abc123 rest", &["abc123"]),
            ("PASSWORD='x y' pwd=z", &["x y", "z"]),
            ("mypassword=x password", &[]),
            ("password= ", &[]),
            ("password= token=abc", &["abc"]), // an empty value does not swallow the next pair
            ("client_secret=s1 clientSecret: s2 SECRET=s3 secretive=no", &["s1", "s2", "s3"]),
            ("Failed password for invalid user admin", &[]),
            ("the password is wrong; token expired", &[]),
            // A URL's authority and PAM's service:type notation are not pairs.
            ("https://token:8443/x redis://password:pw@db.example.com", &[]),
            ("pam_unix(passwd:chauthtok): password changed for jdoe", &[]),
            ("(token: abc)", &["abc)"]),
        ];
        for (line, want) in cases {
            assert_eq!(keys(line), *want, "{line}");
        }
    }

    #[test]
    fn a_json_line_leaves_its_member_separators_to_the_caller() {
        let k = Keys::new(&[(0, "password".into(), Value::Plain), (1, "token".into(), Value::Plain)]);
        let found = |line: &str, json_line: bool| {
            let mut v = Vec::new();
            k.find(line.as_bytes(), &Classes::of(line.as_bytes()), json_line, &mut v);
            v.iter().map(|s| line[s.start..s.end].to_string()).collect::<Vec<_>>()
        };
        // Pairs inside strings stay; the members' own, at any depth, are passed over.
        let pad = "p".repeat(50);
        let line = format!(r#"{{"password":"a","{pad}":"x token=b, token: c","n":{{"token":"d"}}}}"#);
        assert_eq!(found(&line, false), ["a", "b", "c", "d"]);
        assert_eq!(found(&line, true), ["b", "c"]);
    }

    #[test]
    fn lookup_by_name_and_suffix_in_rule_order() {
        let k = Keys::new(&[
            (0, "*token".into(), Value::Plain),
            (1, "access_token".into(), Value::Plain),
            (2, "cookie".into(), Value::Cookie { set: false }),
        ]);
        assert_eq!(k.lookup(b"Access_Token", |_| true), Some((0, Value::Plain)));
        assert_eq!(k.lookup(b"access_token", |r| r != 0), Some((1, Value::Plain)));
        assert_eq!(k.lookup(b"COOKIE", |_| true), Some((2, Value::Cookie { set: false })));
        assert_eq!(k.lookup(b"tokens", |_| true), None);
        assert_eq!(k.lookup(b"oken", |_| true), None);
        assert_eq!(k.lookup(b"", |_| true), None);
    }

    #[test]
    fn words_are_turned_away_by_the_keys_last_two_bytes() {
        let k = Keys::new(&[(0, "sig".into(), Value::Plain), (1, "*password".into(), Value::Plain)]);
        assert!(k.last_pairs.is_some());
        for (word, may) in [
            ("msg", false),
            ("SIG", true),
            ("sIg", true),
            ("siG", true),
            ("method", false),
            ("dbPassWord", true),
            ("PASSWORd", true),
            ("xrd", true),
            ("d", false),
        ] {
            assert_eq!(k.may_end_key(word.as_bytes()), may, "{word}");
        }
        assert_eq!(k.lookup(b"Sig", |_| true), Some((0, Value::Plain)));
        assert_eq!(k.lookup(b"msg", |_| true), None);
        assert_eq!(k.lookup(b"xrd", |_| true), None, "the pair only lets the word be compared");
        // With a key of one byte, its last byte alone decides.
        let one = Keys::new(&[(0, "x".into(), Value::Plain)]);
        assert!(one.last_pairs.is_none());
        assert_eq!(one.lookup(b"X", |_| true), Some((0, Value::Plain)));
        let mut v = Vec::new();
        one.find(b"a x=1", &Classes::of(b"a x=1"), false, &mut v);
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn separators_after_digits_are_read_only_when_a_key_ends_in_one() {
        let found = |k: &Keys, line: &str| {
            let mut v = Vec::new();
            k.find(line.as_bytes(), &Classes::of(line.as_bytes()), false, &mut v);
            v.iter().map(|s| line[s.start..s.end].to_string()).collect::<Vec<_>>()
        };
        let plain = Keys::new(&[(0, "token".into(), Value::Plain)]);
        assert_eq!(plain.after_digit, 0);
        let digits = Keys::new(&[(0, "token".into(), Value::Plain), (1, "*key2".into(), Value::Plain)]);
        let one = Keys::new(&[(0, "x".into(), Value::Plain), (1, "7".into(), Value::Plain)]);
        assert_eq!((digits.after_digit, one.after_digit), (u64::MAX, u64::MAX));
        // Separators on both sides of a block edge, after digits and after letters.
        let pad = "p".repeat(60);
        let line = format!("12:00:00 {pad} api_key2=a key2:b token=c 7=d 2026:e");
        assert_eq!(found(&plain, &line), ["c"]);
        assert_eq!(found(&digits, &line), ["a", "b", "c"]);
        assert_eq!(found(&one, &line), ["d"]);
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
