//! One search for the literal anchors of every regex rule, run once per region, so that a regex
//! runs only where one of its matches could start.
//!
//! Why: each regex rule used to search every region on its own. The regex crate gives each
//! pattern a prefilter from its leading literals, so a clean line cost one vectorized scan and
//! one search set-up per regex rule: with the secret formats in the default rules (`AKIA`,
//! `ghp_`, `xoxb-`, `sk_live_`, `eyJ`, `://`, ...) that is a dozen passes over every line, and
//! JSON lines, scanned string by string, pay the set-up per string. Those formats are found by
//! their fixed prefixes (`Pattern::anchor`), and the prefixes are all it takes to know
//! that a region holds none of them. Here every pattern's prefixes go into one multi-literal
//! search (`Literals`); one pass over a region yields, per pattern, the first place a match could
//! start, and only those patterns run, from there (`Pattern::find_from`). Nearly every region of
//! a log hits no anchor, and costs one scan for all patterns together. Patterns without an anchor
//! run on every region, as before (`loganon rules check` warns about them).
//!
//! Choices:
//! - The search is case-sensitive: ASCII case folding turns off its vectorized search
//!   (Teddy), and an automaton then walks every byte (measured in `keywords`: a fifth of a whole
//!   run). A case-insensitive anchor (`(?i)token=`) goes in as every spelling of its prefix up to
//!   the fourth letter (`toke`, `tOke`, ... 16 spellings): a shorter anchor hits more often, and
//!   the pattern decides.
//! - An anchor inside another one (`ab` and `b`) must not hide the inner anchor's pattern. The
//!   automaton's overlapping search would report both, but it ran at a third to a fifth of the
//!   speed of its leftmost search on the same literals (214 against 637 MB/s on an access log),
//!   so instead: a literal that starts with another literal is dropped and its patterns are
//!   anchored by the shorter one (every occurrence of the longer starts with the shorter), which
//!   leaves at most one literal able to match at any position; and after a hit the search resumes
//!   one byte after its start, not after its end. Hits then come in order of their start, each
//!   start once, and the scan stops as soon as every anchored pattern has its first hit.
//! - A scan that goes on to the end of the region has seen every place a match can start, so it
//!   also gives each pattern the last of them ([`Hit::last`]): a pattern is not searched again
//!   past it, which spares the search after a line's only match, and the search after a prefix
//!   that starts no match (`Failed to start` for the sshd user rule's `Failed `).
//! - Each log format has its own search, over the patterns that apply to it: the sshd user
//!   names' anchors (`Failed `, `session `, ...) are not scanned for in access-log lines.
//! - A pattern's prefixes are a set of alternatives, so one pattern may own several literals, and
//!   one literal several patterns (two rules anchored on `token=`).

use super::pairs::BytePairs;
use super::pattern::Anchor;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span, packed};

/// Regions shorter than this are first checked for the literals' first two bytes, a byte pair at
/// a time: the search costs a few hundred instructions to set up, which on a short region (a JSON
/// value, a short line) is most of the scan, and most short regions hold no pair any literal
/// starts with.
const SHORT_REGION: usize = 64;

/// Letters of a case-insensitive anchor spelled out in every case; the rest of it is dropped.
const FOLDED_LETTERS: usize = 4;

/// From this many literals the search uses Fat Teddy (see `Literals`). Measured in instructions
/// (callgrind) on the shared real logs (an OpenSSH and an Apache error log, an access log) and
/// the generated syslog lines, with the default rules' literals and probe literals added or
/// removed: at 21 literals (the default rules' set for access logs and JSON) Slim was 0 to 1.6%
/// cheaper; at 23 the two were within 1% either way; from 24 on Fat was cheaper on every log, by
/// 1.0 to 6.8%, and at 32 (the set for syslog and plain text, where Slim is still the crate's
/// choice) by 1.3 to 6.3%.
const FAT_FROM: usize = 24;

/// Every spelling of `lit`'s prefix up to its [`FOLDED_LETTERS`]-th letter (`lit` lower-case).
fn spellings(lit: &[u8]) -> Vec<Vec<u8>> {
    let mut letters = Vec::new();
    let mut end = 0;
    while end < lit.len() {
        if lit[end].is_ascii_alphabetic() {
            if letters.len() == FOLDED_LETTERS {
                break;
            }
            letters.push(end);
        }
        end += 1;
    }
    (0..1u32 << letters.len())
        .map(|mask| {
            let mut v = lit[..end].to_vec();
            for (bit, &at) in letters.iter().enumerate() {
                if mask >> bit & 1 == 1 {
                    v[at].make_ascii_uppercase();
                }
            }
            v
        })
        .collect()
}

/// Where the matches of a pattern can start in a region: at or after `first`, and at or before
/// `last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// The pattern, by its index in the list the automaton was made from.
    pub pattern: usize,
    /// The first position where one of its anchors occurs (0 for a pattern without an anchor).
    pub first: usize,
    /// The last such position, or `usize::MAX` if it is not known: the pattern has no anchor, or
    /// the scan stopped early because every pattern had a hit.
    pub last: usize,
}

/// The search for the literals, leftmost first (at most one of them can match at a position).
/// The automaton's search hands a region to its prefilter, Teddy, which for literals this few
/// reports whole matches; each search (one per hit, and one to the region's end) then paid for
/// the automaton's dispatch around it. So Teddy is used on its own where it can be built (it
/// searches a span too short for its vectors with Rabin-Karp), and the automaton elsewhere.
///
/// Teddy comes in two widths with AVX2: Slim puts the literals in 8 buckets and steps 32 bytes
/// at a time, Fat in 16 buckets, 16 bytes at a time. A bucket's literals share its byte masks,
/// so a full bucket lets through positions that start none of them, and each costs a check. The
/// crate takes Fat above 32 literals; from [`FAT_FROM`] on it is taken here (see there).
#[derive(Clone, Debug)]
enum Literals {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Literals {
    fn new<'a>(literals: impl Iterator<Item = &'a Vec<u8>> + Clone) -> Self {
        let fat = literals.clone().count() >= FAT_FROM && fat_teddy_runs();
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .only_teddy_fat(fat.then_some(true))
            .builder()
            .extend(literals.clone())
            .build();
        match packed {
            Some(searcher) => Literals::Packed(searcher),
            None => Literals::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(literals)
                    .expect("anchor automata of rule-file size always build"),
            ),
        }
    }

    /// The first literal occurring at or after `at` in `b`: (its index, where it starts).
    #[inline]
    fn find(&self, b: &[u8], at: usize) -> Option<(usize, usize)> {
        let m = match self {
            Literals::Packed(s) => s.find_in(b, Span::from(at..b.len())),
            Literals::Automaton(ac) => ac.find(Input::new(b).range(at..)),
        }?;
        Some((m.pattern().as_usize(), m.start()))
    }
}

/// True if the CPU runs Fat Teddy, which needs AVX2: demanded where it cannot run, Teddy would
/// not be built at all.
fn fat_teddy_runs() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The anchor search of a list of patterns (by their index in that list).
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    literals: Option<Literals>,
    /// The patterns literal `i` anchors: `owners[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    owners: Vec<usize>,
    /// Patterns without an anchor: they run on every region.
    unanchored: Vec<usize>,
    /// How many patterns have an anchor.
    anchored: usize,
    /// The shortest literal: a shorter region holds none (most JSON values are a few bytes).
    shortest: usize,
    /// The first two bytes of every literal, if every literal has two bytes or more (else short
    /// regions are scanned as the others).
    pairs: Option<BytePairs>,
}

impl Anchors {
    /// The search for patterns whose anchors are `anchors` (`None`: no anchor), of which only
    /// those `k` that `applies(k)` admits (one log format's patterns): the others never hit, and
    /// their anchors cost the scan nothing.
    pub fn scoped(anchors: &[Option<Anchor>], applies: impl Fn(usize) -> bool) -> Self {
        let mut set = Self::default();
        let mut literals: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        for (k, anchor) in anchors.iter().enumerate().filter(|(k, _)| applies(*k)) {
            let Some(anchor) = anchor else {
                set.unanchored.push(k);
                continue;
            };
            set.anchored += 1;
            let spelled: Vec<Vec<u8>> = if anchor.case_insensitive {
                anchor.literals.iter().flat_map(|l| spellings(l)).collect()
            } else {
                anchor.literals.clone()
            };
            literals.extend(spelled.into_iter().map(|l| (l, vec![k])));
        }
        if literals.is_empty() {
            return set;
        }
        // Shortest first, so that a literal's shortest prefix among the literals is kept before it
        // is met; a literal with a kept prefix (itself included) hands its patterns over.
        literals.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(&b.0)));
        let mut kept: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        for (lit, owners) in literals {
            match kept.iter_mut().find(|(k, _)| lit.starts_with(k)) {
                Some((_, into)) => {
                    for k in owners {
                        if !into.contains(&k) {
                            into.push(k);
                        }
                    }
                }
                None => kept.push((lit, owners)),
            }
        }
        set.literals = Some(Literals::new(kept.iter().map(|(l, _)| l)));
        set.shortest = kept.iter().map(|(l, _)| l.len()).min().unwrap_or(0);
        if set.shortest >= 2 {
            set.pairs = Some(BytePairs::new(kept.iter().map(|(l, _)| (l[0], l[1]))));
        }
        for (_, owners) in &kept {
            set.starts.push(set.owners.len());
            set.owners.extend(owners);
        }
        set.starts.push(set.owners.len());
        set
    }

    /// False if no two adjacent bytes of `b` start a literal (true if there is no pair table).
    fn may_hold_pair(&self, b: &[u8]) -> bool {
        self.pairs.as_ref().is_none_or(|p| b.windows(2).any(|w| p.contains(w[0], w[1])))
    }

    /// Leaves in `hits` each pattern a match of which can start in `b`, with where (see [`Hit`]),
    /// in the order of the patterns. Most regions hold no anchor, so the list, not a slot per
    /// pattern, is what the caller walks.
    pub fn scan(&self, b: &[u8], hits: &mut Vec<Hit>) {
        hits.clear();
        hits.extend(self.unanchored.iter().map(|&pattern| Hit { pattern, first: 0, last: usize::MAX }));
        let Some(literals) = &self.literals else { return };
        if b.len() < self.shortest || (b.len() < SHORT_REGION && !self.may_hold_pair(b)) {
            return;
        }
        let unanchored = hits.len();
        let mut at = 0;
        while let Some((i, start)) = literals.find(b, at) {
            for &k in &self.owners[self.starts[i]..self.starts[i + 1]] {
                match hits[unanchored..].iter_mut().find(|h| h.pattern == k) {
                    Some(hit) => hit.last = start,
                    None => hits.push(Hit { pattern: k, first: start, last: start }),
                }
            }
            if hits.len() - unanchored == self.anchored {
                // Every pattern has its first hit: the rest of the region is not scanned, so
                // where the last ones are is not known.
                for hit in &mut hits[unanchored..] {
                    hit.last = usize::MAX;
                }
                break;
            }
            at = start + 1;
        }
        if hits.len() > 1 {
            hits.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(literals: &[&str], case_insensitive: bool) -> Option<Anchor> {
        Some(Anchor { literals: literals.iter().map(|l| l.as_bytes().to_vec()).collect(), case_insensitive })
    }

    /// The automaton over every pattern.
    fn all(anchors: &[Option<Anchor>]) -> Anchors {
        Anchors::scoped(anchors, |_| true)
    }

    /// The hit list of `b`, which must be in pattern order.
    fn hits(a: &Anchors, b: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        a.scan(b.as_bytes(), &mut hits);
        assert!(hits.windows(2).all(|w| w[0].pattern < w[1].pattern), "hits out of order: {hits:?}");
        hits
    }

    /// The hit list of `b` as (pattern, first possible start).
    fn first(a: &Anchors, b: &str) -> Vec<(usize, usize)> {
        hits(a, b).iter().map(|h| (h.pattern, h.first)).collect()
    }

    #[test]
    fn first_hit_per_pattern() {
        let a = all(&[
            anchor(&["AKIA", "ASIA"], false),
            anchor(&["ab"], false),
            anchor(&["b"], false),
            None,
            anchor(&["token="], true),
            anchor(&["ab", "xyz"], false),
        ]);
        assert_eq!(first(&a, "nothing here"), [(3, 0)]);
        assert_eq!(first(&a, "xx ASIA ab"), [(0, 3), (1, 8), (2, 9), (3, 0), (5, 8)]);
        // An anchor inside another still counts, and so does one that another starts with.
        assert_eq!(first(&a, "b xyzab"), [(1, 5), (2, 0), (3, 0), (5, 2)]);
        assert_eq!(first(&a, "xxab"), [(1, 2), (2, 3), (3, 0), (5, 2)]);
        let nested = all(&[anchor(&["abc"], false), anchor(&["ab"], false), anchor(&["bcd"], false)]);
        assert_eq!(first(&nested, "zabcd"), [(0, 1), (1, 1), (2, 2)]);
        assert_eq!(first(&nested, "zabd"), [(0, 1), (1, 1)], "a shorter anchor may fire for a longer one");
        assert_eq!(first(&a, "TOKEN=1 Token=2"), [(3, 0), (4, 0)]);
    }

    #[test]
    fn last_hit_per_pattern_when_the_scan_reaches_the_end() {
        let a = all(&[anchor(&["ab"], false), anchor(&["xy", "zz"], false), None, anchor(&["never"], false)]);
        let last = |b: &str| hits(&a, b).iter().map(|h| (h.pattern, h.last)).collect::<Vec<_>>();
        assert_eq!(last("ab ab xy ab zz"), [(0, 9), (1, 12), (2, usize::MAX)]);
        assert_eq!(last("zzz ab"), [(0, 4), (1, 1), (2, usize::MAX)], "overlapping starts each count");
        // Every anchored pattern hit: the scan stops there, and the last hits are unknown.
        let b = all(&[anchor(&["ab"], false), anchor(&["xy"], false)]);
        let got: Vec<_> = hits(&b, "ab xy ab xy").iter().map(|h| (h.first, h.last)).collect();
        assert_eq!(got, [(0, usize::MAX), (3, usize::MAX)]);
    }

    #[test]
    fn short_regions_are_gated_by_the_literals_first_pairs() {
        let a = all(&[anchor(&["AKIA", "ASIA"], false), anchor(&["eyJ"], false), None]);
        assert!(a.pairs.is_some());
        for pad in [0, 1, 30, SHORT_REGION - 5, SHORT_REGION - 4, SHORT_REGION] {
            let x = "x".repeat(pad);
            assert_eq!(first(&a, &format!("{x}AKIA")), [(0, pad), (2, 0)], "pad {pad}");
            assert_eq!(first(&a, &format!("{x}eyJ")), [(1, pad), (2, 0)], "pad {pad}");
            assert_eq!(first(&a, &format!("{x}AKeyAS")), [(2, 0)], "pad {pad}");
            assert_eq!(first(&a, &x), [(2, 0)], "pad {pad}");
        }
        // A one-byte literal has no pair: short regions go to the search.
        assert!(all(&[anchor(&["@"], false)]).pairs.is_none());
        assert_eq!(first(&all(&[anchor(&["@"], false)]), "a@b"), [(0, 1)]);
    }

    #[test]
    fn patterns_out_of_scope_never_hit() {
        let all = [anchor(&["AKIA"], false), anchor(&["Failed "], false), None, None];
        let a = Anchors::scoped(&all, |k| k % 2 == 0);
        assert_eq!(first(&a, "AKIA Failed x"), [(0, 0), (2, 0)]);
    }

    #[test]
    fn case_insensitive_anchors_are_spelled_out() {
        let s = spellings(b"api_key=");
        assert_eq!(s.len(), 16);
        assert!(s.contains(&b"API_K".to_vec()) && s.contains(&b"aPi_k".to_vec()));
        assert_eq!(spellings(b"-x"), [b"-x".to_vec(), b"-X".to_vec()]);
        assert_eq!(spellings(b"12"), [b"12".to_vec()]);
    }

    /// Teddy on its own and the automaton find the same literal at every position: the
    /// automaton is what a platform without Teddy, or a literal set too large for it, gets.
    /// Slim (8 literals) and Fat (31: all but `@`, with which Teddy takes at most 16, and 24
    /// more, past [`FAT_FROM`]) Teddy.
    #[test]
    fn the_packed_search_finds_what_the_automaton_finds() {
        let few = ["AKIA", "ASIA", "ghp_", "eyJ", "Failed ", "session ", "xoxb-", "@"];
        let more: Vec<String> = (0..24).map(|i| format!("{}{i}_", ["rk", "sk", "tok", "key"][i % 4])).collect();
        let text =
            "Failed password for x@y from AKIAx eyJhbG session opened; ghp_ASIA xoxb- sk5_ key3_ tok22_ ".repeat(3);
        for literals in [few.to_vec(), few[..7].iter().copied().chain(more.iter().map(String::as_str)).collect()] {
            let literals: Vec<Vec<u8>> = literals.iter().map(|l| l.as_bytes().to_vec()).collect();
            let packed = Literals::new(literals.iter());
            assert!(matches!(packed, Literals::Packed(_)), "Teddy builds on the CI machine kind");
            if fat_teddy_runs() {
                // The searcher's debug text names its Teddy kind (`SlimAVX2`, `FatAVX2`).
                let kind = if literals.len() >= FAT_FROM { "Fat" } else { "Slim" };
                assert!(format!("{packed:?}").contains(kind), "{} literals: {kind} Teddy", literals.len());
            }
            let automaton = Literals::Automaton(
                AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(&literals).unwrap(),
            );
            for end in [5, 20, 40, text.len()] {
                let b = &text.as_bytes()[..end];
                for at in 0..=b.len() {
                    assert_eq!(
                        packed.find(b, at),
                        automaton.find(b, at),
                        "{} literals, at {at} of {end}",
                        literals.len()
                    );
                }
            }
        }
    }

    #[test]
    fn no_patterns_no_automaton() {
        let a = all(&[]);
        assert!(first(&a, "x").is_empty());
    }
}
