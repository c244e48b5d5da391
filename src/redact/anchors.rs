//! One automaton over the literal anchors of every regex rule, scanned once per region, so that a
//! regex runs only where one of its matches could start.
//!
//! Why: each regex rule used to search every region on its own. The regex crate gives each
//! pattern a prefilter from its leading literals, so a clean line cost one vectorized scan and
//! one search set-up per regex rule: with the secret formats in the default rules (`AKIA`,
//! `ghp_`, `xoxb-`, `sk_live_`, `eyJ`, `://`, ...) that is a dozen passes over every line, and
//! JSON lines, scanned string by string, pay the set-up per string. Those formats are found by
//! their fixed prefixes (`pattern::literal_anchor`), and the prefixes are all it takes to know
//! that a region holds none of them. Here every pattern's prefixes go into one Aho-Corasick
//! automaton; one pass over a region yields, per pattern, the first place a match could start,
//! and only those patterns run, from there (`Pattern::find_from`). Nearly every region of a log
//! hits no anchor, and costs one scan for all patterns together. Patterns without an anchor run
//! on every region, as before (`loganon rules check` warns about them).
//!
//! Choices:
//! - The automaton is case-sensitive: ASCII case folding turns off its vectorized prefilter
//!   (Teddy), and the automaton then walks every byte (measured in `keywords`: a fifth of a whole
//!   run). A case-insensitive anchor (`(?i)token=`) goes in as every spelling of its prefix up to
//!   the fourth letter (`toke`, `tOke`, ... 16 spellings): a shorter anchor hits more often, and
//!   the pattern decides.
//! - The search reports overlapping matches: an anchor inside another one (`ab` and `b`) must not
//!   hide the inner anchor's pattern. Matches come in order of their end, so the scan stops only
//!   once every pattern has a hit and no later match can start before any of them.
//! - A pattern's prefixes are a set of alternatives, so one pattern may own several literals, and
//!   one literal several patterns (two rules anchored on `token=`).

use super::pattern::Anchor;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Letters of a case-insensitive anchor spelled out in every case; the rest of it is dropped.
const FOLDED_LETTERS: usize = 4;

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

/// The anchor automaton of a list of patterns (by their index in that list).
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    ac: Option<AhoCorasick>,
    /// The patterns automaton literal `i` anchors: `owners[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    owners: Vec<usize>,
    /// Patterns without an anchor: they run on every region.
    unanchored: Vec<usize>,
    /// How many patterns have an anchor, how many there are in all, the longest literal.
    anchored: usize,
    patterns: usize,
    longest: usize,
}

impl Anchors {
    /// The automaton for patterns whose anchors are `anchors` (`None`: no anchor).
    pub fn new(anchors: &[Option<Anchor>]) -> Self {
        let mut literals: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        let mut set = Self { patterns: anchors.len(), ..Self::default() };
        for (k, anchor) in anchors.iter().enumerate() {
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
            for lit in spelled {
                match literals.iter_mut().find(|(l, _)| *l == lit) {
                    Some((_, owners)) if owners.last() == Some(&k) => {}
                    Some((_, owners)) => owners.push(k),
                    None => literals.push((lit, vec![k])),
                }
            }
        }
        if literals.is_empty() {
            return set;
        }
        set.longest = literals.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(literals.iter().map(|(l, _)| l))
            .expect("anchor automata of rule-file size always build");
        set.ac = Some(ac);
        for (_, owners) in &literals {
            set.starts.push(set.owners.len());
            set.owners.extend(owners);
        }
        set.starts.push(set.owners.len());
        set
    }

    /// Sets `first[k]` to the first position of `b` where a match of pattern `k` can start:
    /// `usize::MAX` if none can, 0 for a pattern without an anchor.
    pub fn scan(&self, b: &[u8], first: &mut Vec<usize>) {
        first.clear();
        first.resize(self.patterns, usize::MAX);
        for &k in &self.unanchored {
            first[k] = 0;
        }
        let Some(ac) = &self.ac else { return };
        let mut left = self.anchored;
        let mut horizon = usize::MAX;
        for m in ac.find_overlapping_iter(b) {
            if m.end() > horizon {
                break;
            }
            let i = m.pattern().as_usize();
            for &k in &self.owners[self.starts[i]..self.starts[i + 1]] {
                if first[k] == usize::MAX {
                    left -= 1;
                }
                first[k] = first[k].min(m.start());
            }
            if left == 0 && horizon == usize::MAX {
                // Later matches end later; one that starts before a pattern's first hit ends
                // within the longest literal of it.
                let last = first.iter().filter(|&&f| f != usize::MAX).max().copied().unwrap_or(0);
                horizon = last + self.longest;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(literals: &[&str], case_insensitive: bool) -> Option<Anchor> {
        Some(Anchor { literals: literals.iter().map(|l| l.as_bytes().to_vec()).collect(), case_insensitive })
    }

    fn first(a: &Anchors, b: &str) -> Vec<Option<usize>> {
        let mut v = Vec::new();
        a.scan(b.as_bytes(), &mut v);
        v.into_iter().map(|f| (f != usize::MAX).then_some(f)).collect()
    }

    #[test]
    fn first_hit_per_pattern() {
        let a = Anchors::new(&[
            anchor(&["AKIA", "ASIA"], false),
            anchor(&["ab"], false),
            anchor(&["b"], false),
            None,
            anchor(&["token="], true),
            anchor(&["ab", "xyz"], false),
        ]);
        assert_eq!(first(&a, "nothing here"), [None, None, None, Some(0), None, None]);
        assert_eq!(first(&a, "xx ASIA ab"), [Some(3), Some(8), Some(9), Some(0), None, Some(8)]);
        // An anchor inside another still counts; a later, longer match can start earlier.
        assert_eq!(first(&a, "b xyzab"), [None, Some(5), Some(0), Some(0), None, Some(2)]);
        assert_eq!(first(&a, "TOKEN=1 Token=2"), [None, None, None, Some(0), Some(0), None]);
    }

    #[test]
    fn case_insensitive_anchors_are_spelled_out() {
        let s = spellings(b"api_key=");
        assert_eq!(s.len(), 16);
        assert!(s.contains(&b"API_K".to_vec()) && s.contains(&b"aPi_k".to_vec()));
        assert_eq!(spellings(b"-x"), [b"-x".to_vec(), b"-X".to_vec()]);
        assert_eq!(spellings(b"12"), [b"12".to_vec()]);
    }

    #[test]
    fn no_patterns_no_automaton() {
        let a = Anchors::new(&[]);
        assert!(first(&a, "x").is_empty());
    }
}
