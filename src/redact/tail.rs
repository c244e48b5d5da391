//! A pattern's `value` group read off the end of the match, where the pattern's shape allows it.
//!
//! Resolving capture groups makes the regex engine run its bounded backtracker over the match
//! after its DFA has found it: about 3,000 instructions for an sshd log-in line, more than the
//! search itself. Most value rules are written `context +(?P<value>[class]+)`, and for those the
//! group needs no capture search. If the group is the pattern's last item and one byte class
//! (repeated or not), and the item before it consumes at least one byte and always ends in a byte
//! outside that class, then the group is exactly the run of class bytes that ends the match: every
//! byte of the group is in the class, and the byte before the group is in the match and is not.
//! The match itself is the same with or without captures, so [`ValueTail::start`] gives the
//! group a capture search would have given. Any other shape keeps the capture search.

use regex_syntax::hir::{Class, Hir, HirKind};
use std::ops::Range;

/// The byte class of a `value` group that ends its pattern.
#[derive(Clone, Debug)]
pub struct ValueTail([u64; 4]);

impl ValueTail {
    /// The tail of a pattern (its syntax tree `hir`) if its `value` group can be read off the end
    /// of a match.
    pub fn of(hir: &Hir) -> Option<Self> {
        let HirKind::Concat(items) = hir.kind() else { return None };
        let [.., before, last] = items.as_slice() else { return None };
        let HirKind::Capture(group) = last.kind() else { return None };
        if group.name.as_deref() != Some("value") {
            return None;
        }
        let class = match group.sub.kind() {
            HirKind::Repetition(r) if r.min >= 1 => byte_class(&r.sub)?,
            _ => byte_class(&group.sub)?,
        };
        let ends = last_bytes(before)?;
        class.iter().zip(ends).all(|(c, e)| c & e == 0).then_some(Self(class))
    }

    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b) / 64] >> (b % 64) & 1 == 1
    }

    /// Where the `value` group of the match `m` in `b` starts (it ends where the match ends).
    pub fn start(&self, b: &[u8], m: Range<usize>) -> usize {
        let mut start = m.end;
        while start > m.start && self.has(b[start - 1]) {
            start -= 1;
        }
        start
    }
}

/// The bytes a class matches, if it is one class of single bytes.
fn byte_class(h: &Hir) -> Option<[u64; 4]> {
    let mut set = [0u64; 4];
    let mut add = |lo: u32, hi: u32| {
        for b in lo..=hi {
            set[b as usize / 64] |= 1 << (b % 64);
        }
    };
    match h.kind() {
        HirKind::Class(Class::Bytes(c)) => c.ranges().iter().for_each(|r| add(r.start().into(), r.end().into())),
        // Without Unicode a class of ASCII characters is a class of bytes; beyond ASCII a
        // character is several bytes.
        HirKind::Class(Class::Unicode(c)) if c.ranges().iter().all(|r| r.end().is_ascii()) => {
            c.ranges().iter().for_each(|r| add(r.start().into(), r.end().into()))
        }
        HirKind::Literal(l) if l.0.len() == 1 => return Some(single(l.0[0])),
        _ => return None,
    }
    Some(set)
}

fn single(b: u8) -> [u64; 4] {
    let mut set = [0u64; 4];
    set[usize::from(b) / 64] = 1 << (b % 64);
    set
}

/// Every byte `h`'s matches can end with, if each of them consumes at least one byte.
fn last_bytes(h: &Hir) -> Option<[u64; 4]> {
    match h.kind() {
        HirKind::Literal(l) => l.0.last().map(|&b| single(b)),
        HirKind::Class(_) => byte_class(h),
        HirKind::Repetition(r) if r.min >= 1 => last_bytes(&r.sub),
        HirKind::Capture(c) => last_bytes(&c.sub),
        HirKind::Concat(items) => last_bytes(items.last()?),
        HirKind::Alternation(alts) => alts.iter().try_fold([0u64; 4], |set, alt| {
            let ends = last_bytes(alt)?;
            Some([set[0] | ends[0], set[1] | ends[1], set[2] | ends[2], set[3] | ends[3]])
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::pattern::syntax;
    use proptest::prelude::*;
    use regex::bytes::RegexBuilder;

    fn tail(source: &str) -> Option<ValueTail> {
        ValueTail::of(&syntax(source)?)
    }

    /// The default rules' sshd user pattern, and shapes around it.
    const TAILED: &[&str] = &[
        r"(?:[Ff]ailed \S+ for(?: invalid user)?|Accepted \S+ for|[Ii]nvalid user|[Ii]llegal user|check pass; user|session (?:opened|closed) for user|authentication failures for) +(?P<value>[^\s\[\]]+)",
        r"session=(?P<value>[0-9a-f]+)",
        r"(?i)user[=:](?P<value>\w+)",
        r"\btok=(?P<value>[a-z])",
        r"(?:id|uid)=(?P<value>\d{2,4})",
    ];

    #[test]
    fn shapes_that_keep_the_capture_search() {
        for source in [
            // The slash before the group is in its class: the run would reach back past it.
            r"hooks\.slack\.com/(?:services|workflows)/(?P<value>[A-Za-z0-9_/-]+)",
            r"a(?P<value>[a-z]+)",
            // The item before may match nothing, so the byte before the group may be in it.
            r" *(?P<value>\w+)",
            r"x(?:=|)(?P<value>\w+)",
            // Something follows the group, or the group is not one class.
            r"u=(?P<value>\w+)\b",
            r"u=(?P<value>\w+)!",
            r"u=(?P<value>\w+ \w+)",
            r"u=(?P<value>é+)",
            r"u=(?P<other>\w+)",
            r"(?P<value>\w+)",
            r"u=(?P<value>\w+)|v",
        ] {
            assert!(tail(source).is_none(), "{source}");
        }
        for source in TAILED {
            assert!(tail(source).is_some(), "{source}");
        }
        let defaults = include_str!("../../rules/default.toml");
        assert!(defaults.contains(TAILED[0]), "the sshd pattern tested here is the shipped one");
    }

    fn text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(
            &[
                "Failed password for",
                " invalid user",
                "Accepted publickey for",
                "Invalid user",
                "session opened for user",
                "session=",
                "USER=",
                "user:",
                "tok=",
                "uid=",
                "id=",
                " ",
                "  ",
                "[",
                "]",
                "\t",
                "admin",
                "x",
                "0a9f",
                "12345",
                "\u{e9}",
                "=",
                ":",
            ][..],
        );
        prop::collection::vec(piece, 0..12).prop_map(|p| p.concat().into_bytes())
    }

    proptest! {
        /// The group read off the match's end is the group the capture search resolves.
        #[test]
        fn the_tail_is_the_captured_group(text in text()) {
            for source in TAILED {
                let regex = RegexBuilder::new(source).unicode(false).build().unwrap();
                let value_tail = tail(source).unwrap();
                let mut locs = regex.capture_locations();
                let mut at = 0;
                while let Some(m) = regex.captures_read_at(&mut locs, &text, at) {
                    let group = locs.get(regex.capture_names().position(|n| n == Some("value")).unwrap());
                    prop_assert_eq!(Some((value_tail.start(&text, m.range()), m.end())), group, "{}", source);
                    at = m.end().max(at + 1);
                }
            }
        }
    }
}
