//! Custom regex finder: a user's pattern from the rules, compiled once with Unicode off.
//!
//! Bytes regexes so that invalid UTF-8 neither stops a match nor needs decoding. They are
//! `regex-automata`'s meta regexes, the engine behind the `regex` crate, compiled as `regex`
//! compiles a `bytes::Regex`; used directly for two things `regex` does not offer: a search
//! anchored where the anchor automaton saw a match's prefix (see [`Pattern::find_from`]), and a
//! cache per worker ([`Search`]) instead of one taken from a shared pool at every search.
//! If the pattern has a capture group named `value`, only that group is redacted
//! (`session=(?P<value>[0-9a-f]+)` keeps `session=`); otherwise the whole match is. Captures are
//! resolved only for patterns that have that group, and only where the group cannot be read off
//! the end of the match ([`ValueTail`]), because capture resolution costs more than the search.
//! Where a pattern is run at all is the engine's business: [`Pattern::anchor`] gives the prefixes
//! every match starts with, which the engine looks for in one automaton for all patterns (see
//! `anchors`), and [`Pattern::find_from`] starts at the first of them.

use super::span::{Found, RuleId, Span};
use super::tail::ValueTail;
use regex_automata::meta::{self, Regex};
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::Hir;
use std::ops::RangeInclusive;

/// Largest compiled program accepted, so a pattern cannot blow up memory per worker.
const SIZE_LIMIT: usize = 8 << 20;

#[derive(Clone, Debug)]
pub struct Pattern {
    regex: Regex,
    value: Value,
    anchor: Option<Anchor>,
    source: String,
}

/// One worker's search state for one pattern: the lazy DFA's cache and the capture slots.
#[derive(Clone, Debug)]
pub struct Search {
    cache: meta::Cache,
    caps: Captures,
}

/// What of a match is redacted.
#[derive(Clone, Debug)]
enum Value {
    Whole,
    /// The `value` group, read off the end of the match.
    Tail(ValueTail),
    /// The `value` group, by its index, resolved by a capture search.
    Group(usize),
}

/// The syntax tree of `source`, parsed as [`Pattern::new`] compiles it (bytes, Unicode off): what
/// its anchor, its value tail and the never-matches check are read from.
pub(super) fn syntax(source: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(source).ok()
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
    syntax(source).is_some_and(|hir| !can_match(&hir))
}

/// The literal prefixes every match of a pattern starts with: what the engine's anchor automaton
/// looks for before it runs the pattern at all (see `anchors`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The prefixes, as bytes (a pattern may hold bytes that are not UTF-8).
    pub literals: Vec<Vec<u8>>,
    /// The prefixes are lower-cased and a match may have them in any case (`(?i)session=`).
    pub case_insensitive: bool,
}

/// Replaces every class that is one ASCII letter in both cases (`[Ss]`, what `(?i)s` parses to)
/// by the lower-case letter; true if any was.
fn fold_case(h: &regex_syntax::hir::Hir) -> (regex_syntax::hir::Hir, bool) {
    use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};
    let pair = |a: u32, b: u32| a < 128 && (a as u8).is_ascii_uppercase() && b == a + 32;
    let letter = match h.kind() {
        HirKind::Class(Class::Bytes(c)) => match c.ranges() {
            [x, y] if x.start() == x.end() && y.start() == y.end() && pair(x.start().into(), y.start().into()) => {
                Some(y.start())
            }
            _ => None,
        },
        HirKind::Class(Class::Unicode(c)) => match c.ranges() {
            [x, y] if x.start() == x.end() && y.start() == y.end() && pair(x.start().into(), y.start().into()) => {
                Some(y.start() as u8)
            }
            _ => None,
        },
        _ => None,
    };
    if let Some(l) = letter {
        return (Hir::literal([l]), true);
    }
    let all = |v: &[Hir]| {
        let folded: Vec<(Hir, bool)> = v.iter().map(fold_case).collect();
        let any = folded.iter().any(|(_, f)| *f);
        (folded.into_iter().map(|(h, _)| h).collect::<Vec<_>>(), any)
    };
    match h.kind() {
        HirKind::Repetition(r) => {
            let (sub, f) = fold_case(&r.sub);
            (Hir::repetition(Repetition { sub: Box::new(sub), ..r.clone() }), f)
        }
        HirKind::Capture(c) => {
            let (sub, f) = fold_case(&c.sub);
            (Hir::capture(Capture { sub: Box::new(sub), ..c.clone() }), f)
        }
        HirKind::Concat(v) => {
            let (v, f) = all(v);
            (Hir::concat(v), f)
        }
        HirKind::Alternation(v) => {
            let (v, f) = all(v);
            (Hir::alternation(v), f)
        }
        _ => (h.clone(), false),
    }
}

/// The prefixes of `hir`'s matches, if they are a usable anchor.
fn prefixes(hir: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    let seq = regex_syntax::hir::literal::Extractor::new().extract(hir);
    let literals = seq.literals()?;
    // Many short alternatives come from classes (`\d\d` is 100 two-byte literals) and fire on a
    // large share of bytes: not an anchor. A few one-byte literals (`@`) are a fine one.
    let min = seq.min_literal_len()?;
    if literals.is_empty() || literals.len() > 64 || (min < 2 && literals.len() > 3) || min == 0 {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The literal prefixes every match must start with, if the pattern has a usable set: what lets
/// the engine skip a line with one vectorized scan for all patterns instead of running each.
/// `None` means no anchor (the pattern runs on every region: slow unless it is anchored at the
/// start). A pattern whose prefixes only come in every case (`(?i)token=` is 64 spellings) gets
/// them lower-cased and marked case-insensitive.
fn literal_anchor(hir: &Hir) -> Option<Anchor> {
    if let Some(literals) = prefixes(hir) {
        return Some(Anchor { literals, case_insensitive: false });
    }
    let (folded, changed) = fold_case(hir);
    let mut literals = prefixes(&folded).filter(|_| changed)?;
    for l in &mut literals {
        l.make_ascii_lowercase();
    }
    literals.sort();
    literals.dedup();
    Some(Anchor { literals, case_insensitive: true })
}

impl Pattern {
    /// Compiles `source`; the error text is the regex crate's, which points into the pattern.
    pub fn new(source: &str) -> Result<Self, String> {
        // The configuration `regex::bytes::RegexBuilder` makes with `unicode(false)`, `size_limit`
        // and `dfa_size_limit`, and its error texts.
        let regex = Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(
                Regex::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .utf8_empty(false)
                    .nfa_size_limit(Some(SIZE_LIMIT))
                    .hybrid_cache_capacity(SIZE_LIMIT),
            )
            .build(source)
            .map_err(|e| match (e.size_limit(), e.syntax_error()) {
                (Some(limit), _) => format!("Compiled regex exceeds size limit of {limit} bytes."),
                (None, Some(syntax)) => syntax.to_string(),
                (None, None) => e.to_string(),
            })?;
        let hir = syntax(source);
        let value = match regex.group_info().to_index(PatternID::ZERO, "value") {
            None => Value::Whole,
            Some(group) => hir.as_ref().and_then(ValueTail::of).map_or(Value::Group(group), Value::Tail),
        };
        let anchor = hir.as_ref().and_then(literal_anchor);
        Ok(Self { regex, value, anchor, source: source.to_owned() })
    }

    /// The literal prefixes every match starts with, if the pattern has a usable set (found once,
    /// from the same parse as the value tail).
    pub fn anchor(&self) -> Option<&Anchor> {
        self.anchor.as_ref()
    }

    /// The pattern as written in the rule file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True if the pattern matches the empty string, which would redact nothing useful.
    pub fn matches_empty(&self) -> bool {
        self.regex.is_match(&b""[..])
    }

    /// A search state for [`Pattern::find_from`], reusable across calls by one worker.
    pub fn search(&self) -> Search {
        Search { cache: self.regex.create_cache(), caps: self.regex.create_captures() }
    }

    /// Pushes every match that starts within `starts` (look-behind such as `\b` still sees the
    /// byte before the first). A match found there may end past it.
    ///
    /// For a pattern with an [`Anchor`], the range runs from the first to the last place the
    /// anchor automaton saw one of its prefixes, and the first is where a match most often
    /// starts. So the first search is anchored there: it needs neither the regex's own literal
    /// scan nor, once it has the match's end, the reverse search for its start. Only if no match
    /// starts there does an unanchored search go on from the next byte; either way the first
    /// match found is the leftmost, as an unanchored search from the range's start would find
    /// it. A pattern whose `value` group needs a capture search is searched with its capture
    /// slots from the start: the regex engine finds the match with its DFA first and resolves the
    /// groups only within it, so a separate search for the match would pay for the DFA twice.
    pub fn find_from(
        &self,
        b: &[u8],
        starts: RangeInclusive<usize>,
        rule: RuleId,
        s: &mut Search,
        out: &mut Vec<Span>,
    ) {
        let first = if self.anchor.is_some() { Anchored::Yes } else { Anchored::No };
        let mut input = Input::new(b).range(*starts.start()..).anchored(first);
        loop {
            let found = if let Value::Group(g) = self.value {
                self.regex.search_captures_with(&mut s.cache, &input, &mut s.caps);
                s.caps.get_match().map(|m| (m.range(), s.caps.get_group(g).map(|v| v.range())))
            } else {
                self.regex.search_with(&mut s.cache, &input).map(|m| {
                    let start = match &self.value {
                        Value::Tail(tail) => tail.start(b, m.range()),
                        _ => m.start(),
                    };
                    (m.range(), Some(start..m.end()))
                })
            };
            let at = match found {
                Some((m, value)) => {
                    if let Some(v) = value.filter(|v| !v.is_empty()) {
                        out.push(Span::new(v.start, v.end, rule, Found::Other));
                    }
                    if m.is_empty() { m.end + 1 } else { m.end }
                }
                None if input.get_anchored().is_anchored() => input.start() + 1,
                None => break,
            };
            if at > b.len() || at > *starts.end() {
                break;
            }
            input = Input::new(b).range(at..);
        }
    }

    /// Pushes every match in `b`.
    pub fn find(&self, b: &[u8], rule: RuleId, out: &mut Vec<Span>) {
        self.find_from(b, 0..=usize::MAX, rule, &mut self.search(), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn literal_anchor(source: &str) -> Option<Anchor> {
        super::literal_anchor(&syntax(source)?)
    }

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
        let exact = |l: &[&str]| {
            Some(Anchor { literals: l.iter().map(|l| l.as_bytes().to_vec()).collect(), case_insensitive: false })
        };
        let any_case = |l: &[&str]| {
            Some(Anchor { literals: l.iter().map(|l| l.as_bytes().to_vec()).collect(), case_insensitive: true })
        };
        assert_eq!(literal_anchor(r"session=(?P<value>\w+)"), exact(&["session="]));
        assert_eq!(literal_anchor(r"(?:foo|bar)\d+").map(|a| a.literals.len()), Some(20), "foo0..foo9, bar0..bar9");
        assert_eq!(literal_anchor(r"@\w+"), exact(&["@"]));
        assert_eq!(
            literal_anchor(r"\xFFab"),
            Some(Anchor { literals: vec![b"\xFFab".to_vec()], case_insensitive: false })
        );
        assert_eq!(literal_anchor(r"[Ff]ailed \S+"), exact(&["Failed ", "failed "]));
        assert_eq!(literal_anchor(r"(?i)session=(?P<value>\w+)"), any_case(&["session="]));
        assert_eq!(literal_anchor(r"(?i:api[_-]?key)=\S+"), any_case(&["api-key=", "api_key=", "apikey="]));
        assert_eq!(literal_anchor(r"\d{6}-\d{4}"), None);
        assert_eq!(literal_anchor(r"\w+@\w+"), None);
        assert_eq!(literal_anchor(r"(?i)[a-z]+="), None);
    }

    #[test]
    fn searches_see_the_byte_before_and_end_at_the_last_start() {
        let p = Pattern::new(r"\btok=(?P<value>\w+)").unwrap();
        let (mut v, line) = (Vec::new(), b"xtok=a tok=b tok=c");
        p.find_from(line, 1..=usize::MAX, 0, &mut p.search(), &mut v);
        let found: Vec<_> = v.iter().map(|s| &line[s.start..s.end]).collect();
        assert_eq!(found, [b"b", b"c"]);
        // The range bounds where matches start, not where they end: the last one starts at its
        // end, right where the one before it ends.
        v.clear();
        let p = Pattern::new(r"tok=\d+").unwrap();
        p.find_from(b"tok=1tok=22 tok", 0..=5, 0, &mut p.search(), &mut v);
        assert_eq!(v.iter().map(|s| (s.start, s.end)).collect::<Vec<_>>(), [(0, 5), (5, 11)]);
        v.clear();
        p.find_from(b"tok=1tok=22 tok", 0..=4, 0, &mut p.search(), &mut v);
        assert_eq!(v.len(), 1, "no match starts after the range");
        v.clear();
        Pattern::new(r"\b").unwrap().find(b"a b", 0, &mut v);
        assert!(v.is_empty(), "empty matches are skipped and the search ends");
    }

    /// Patterns whose first anchor hit often starts no match: a look-behind that fails there, a
    /// prefix that needs more after it, alternatives of different lengths, a `value` group read
    /// by a capture search, one read off the match's end, and no anchor at all.
    const SEARCHED: &[&str] = &[
        r"\btok=(?P<value>\w+)",
        r"(?i)tok=(?P<value>\w+)",
        r"tok=\d+",
        r"(?:ab|abc)d",
        r"(?:[Ff]ailed \S+ for(?: invalid user)?|[Ii]nvalid user) +(?P<value>[^\s\[\]]+)",
        r"hooks\.slack\.com/(?:services|workflows)/(?P<value>[A-Za-z0-9_/-]+)",
        r"u=(?P<value>\w+)!",
        r"\d{3}-\d{2}",
        r"x*",
    ];

    fn text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(
            &[
                "tok=",
                "TOK=",
                "xtok=",
                "12",
                "a",
                " ",
                "ab",
                "abc",
                "d",
                "Failed password for ",
                "invalid user ",
                "bob",
                "[",
                "hooks.slack.com/services/",
                "T0/B1",
                "u=",
                "!",
                "-",
                "\u{e9}",
                "\n",
            ][..],
        );
        prop::collection::vec(piece, 0..14).prop_map(|p| p.concat().into_bytes())
    }

    proptest! {
        /// Between the first and the last place a match could start (the anchor hits, as the
        /// engine passes them; anywhere without an anchor), `find_from` finds what the `regex`
        /// crate's unanchored searches find from the first, match after match.
        #[test]
        fn anchored_first_searches_find_what_unanchored_ones_do(text in text()) {
            for source in SEARCHED {
                let p = Pattern::new(source).unwrap();
                let starts = match p.anchor() {
                    None => 0..=usize::MAX,
                    Some(a) => {
                        let at = |p: usize, l: &[u8]| {
                            text.get(p..p + l.len()).is_some_and(|t| {
                                if a.case_insensitive { t.eq_ignore_ascii_case(l) } else { t == l }
                            })
                        };
                        let hits: Vec<usize> =
                            (0..text.len()).filter(|&p| a.literals.iter().any(|l| at(p, l))).collect();
                        match (hits.iter().min(), hits.iter().max()) {
                            (Some(&first), Some(&last)) => first..=last,
                            _ => continue,
                        }
                    }
                };
                let from = *starts.start();
                let mut got = Vec::new();
                p.find_from(&text, starts, 0, &mut p.search(), &mut got);
                let got: Vec<_> = got.iter().map(|s| s.start..s.end).collect();
                let regex = regex::bytes::RegexBuilder::new(source).unicode(false).build().unwrap();
                let group = regex.capture_names().position(|n| n == Some("value"));
                let mut locs = regex.capture_locations();
                let (mut want, mut at) = (Vec::new(), from);
                while at <= text.len() {
                    let Some(m) = regex.captures_read_at(&mut locs, &text, at) else { break };
                    let value = match group {
                        Some(g) => locs.get(g).map(|(s, e)| s..e),
                        None => Some(m.range()),
                    };
                    want.extend(value.filter(|v| !v.is_empty()));
                    at = if m.range().is_empty() { m.end() + 1 } else { m.end() };
                }
                prop_assert_eq!(got, want, "{} from {}", source, from);
            }
        }
    }

    #[test]
    fn invalid_utf8_is_searched() {
        let mut v = Vec::new();
        Pattern::new("secret").unwrap().find(b"\xff\xfe secret \xc3", 0, &mut v);
        assert_eq!(v.len(), 1);
    }
}
