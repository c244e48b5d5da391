//! Spans: what a detector found, where, and how overlapping finds are resolved.
//!
//! Detectors run independently over the same bytes and may find overlapping things (an IPv4
//! address inside `::ffff:1.2.3.4`, an IP inside an email's local part, a custom regex across a
//! card). [`merge`] turns their finds into disjoint spans with one rule, in one sort and one sweep:
//!
//! 1. a span that contains another wins (the outer value's action covers the inner one);
//! 2. identical ranges: the rule listed first in the ruleset wins;
//! 3. partial overlaps are fused into one span over the union, rendered as a plain redaction with
//!    the winning rule's token: neither value can be rendered by its own action without exposing
//!    part of the other, so the fused span fails closed.

use std::net::IpAddr;

/// Index of a rule in the compiled ruleset; lower is listed earlier and wins ties.
pub type RuleId = u16;

/// What a detector parsed while confirming a find, so the renderer need not parse it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// An address standing alone.
    Ip(IpAddr),
    /// An address written inside a host name, in unknown byte order: hidden whole.
    HostIp(IpAddr),
    /// The value of a positional field (access log, syslog header): dropping it leaves `-`.
    Slot,
    Other,
}

/// One find: bytes `start..end` of the scanned region, found by `rule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub rule: RuleId,
    pub found: Found,
    /// Set when partial overlaps were fused: render as a redaction, whatever the rule's action.
    pub fused: bool,
}

impl Span {
    pub fn new(start: usize, end: usize, rule: RuleId, found: Found) -> Self {
        Self { start, end, rule, found, fused: false }
    }
}

/// Sorts `spans` and resolves overlaps in place as the module docs describe.
pub fn merge(spans: &mut Vec<Span>) {
    if spans.len() < 2 {
        return;
    }
    // Start ascending, then longest first, then earliest rule: the first span at a position is
    // the one that wins rules 1 and 2 against everything else starting there.
    spans.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(a.rule.cmp(&b.rule)));
    let mut kept = 0;
    for i in 1..spans.len() {
        let next = spans[i];
        let cur = &mut spans[kept];
        if next.start >= cur.end {
            kept += 1;
            spans[kept] = next;
        } else if next.end > cur.end {
            cur.end = next.end;
            cur.fused = true;
            cur.rule = cur.rule.min(next.rule);
        }
        // else: contained in `cur`, which covers it.
    }
    spans.truncate(kept + 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: usize, end: usize, rule: RuleId) -> Span {
        Span::new(start, end, rule, Found::Other)
    }

    #[test]
    fn disjoint_spans_are_sorted() {
        let mut v = vec![s(10, 12, 0), s(0, 3, 1), s(3, 5, 2)];
        merge(&mut v);
        assert_eq!(v, vec![s(0, 3, 1), s(3, 5, 2), s(10, 12, 0)]);
    }

    #[test]
    fn containing_span_wins() {
        let mut v = vec![s(7, 14, 0), s(0, 14, 3)];
        merge(&mut v);
        assert_eq!(v, vec![s(0, 14, 3)]);
    }

    #[test]
    fn identical_range_goes_to_first_rule() {
        let mut v = vec![s(2, 9, 4), s(2, 9, 1), s(2, 9, 2)];
        merge(&mut v);
        assert_eq!(v, vec![s(2, 9, 1)]);
    }

    #[test]
    fn partial_overlap_is_fused_and_redacted() {
        let mut v = vec![s(0, 10, 2), s(5, 20, 1), s(18, 25, 3)];
        merge(&mut v);
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].start, v[0].end, v[0].rule, v[0].fused), (0, 25, 1, true));
    }
}
