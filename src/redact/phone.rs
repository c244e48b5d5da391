//! Phone-number finder, tuned for precision: logs are full of digit groups (times, dates, ports,
//! sizes, ids, versions, addresses), and a phone rule that eats them is switched off by its
//! users. A number is accepted only in a shape people write phone numbers in:
//!
//! - international: `+` (or `00`) and 8-15 digits (E.164 allows at most 15), in groups joined by
//!   single spaces, `-` or `.`, optionally with a parenthesised group after the country code:
//!   `+44 20 7946 0958`, `+1 (555) 010-0199`, `+44 (0)20 7946 0958`, `+4930123456789`;
//! - a parenthesised area code of 2-5 digits first, then more groups, 9-12 digits in all:
//!   `(555) 010-0199`, `(030) 12345678`;
//! - North American `555-010-0199` or `555.010.0199` (3-3-4 with one separator style,
//!   optionally after `1-`);
//! - a national number with its trunk `0`: an area code of 2-5 digits starting with `0`, then
//!   groups joined by spaces or `-` (a `/` after the area code), 9-12 digits in all:
//!   `030 12345678`, `020 7946 0958`, `01 23 45 67 89`, `089/1234567`.
//!
//! A run of digits without `+` is never a phone number (it is an id), and a chain is never taken
//! when it starts or ends glued to a word or a dotted or dashed token (`v1.555-010-0199`, UUIDs,
//! `id-0301234567`), when it is followed by `:` and a digit (a time), when it has the shape of a
//! date (4-2-2 or 2-2-4 with one separator) or of an IPv4 address, or when it is the tail of a
//! longer chain that was not taken (`0954 8754 6290` in a card-like `4229 0954 8754 6290`).
//! Gate: runs of ASCII digits, found in the region's byte-class masks.

use super::classes::{Class, Classes};
use super::span::{Found, RuleId, Span};

/// At most this many digit groups in a chain; more is a list of numbers, not one.
const MAX_GROUPS: usize = 8;

#[derive(Clone, Copy, Default)]
struct Group {
    /// Where the group's digits start, and how many there are.
    at: usize,
    len: usize,
    /// The separator before the group (0 for none: the first group, or right after a `)`).
    sep: u8,
    paren: bool,
}

/// A chain of digit groups read from a start position.
struct Chain {
    end: usize,
    plus: bool,
    groups: [Group; MAX_GROUPS],
    n: usize,
}

impl Chain {
    fn groups(&self) -> &[Group] {
        &self.groups[..self.n]
    }

    fn digits(&self) -> usize {
        self.groups().iter().map(|g| g.len).sum()
    }
}

/// A byte that glues a number to the token before it.
fn glued_before(c: u8, next: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, b'.' | b'-' | b'_' | b'/' | b'+' | b'%' | b'@' | b'#' | b'$' | b'\\')
        || (c == b':' && next.is_ascii_digit())
}

/// Reads the chain that starts at `at` (a `+`, a `(` or a digit).
fn read(b: &[u8], at: usize) -> Option<Chain> {
    let mut c = Chain { end: at, plus: false, groups: [Group::default(); MAX_GROUPS], n: 0 };
    let mut i = at;
    if b[i] == b'+' {
        c.plus = true;
        i += 1;
    }
    let mut sep = 0;
    loop {
        let paren = b.get(i) == Some(&b'(');
        let s = i + usize::from(paren);
        let mut e = s;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e == s || (paren && b.get(e) != Some(&b')')) {
            // No group here: the chain ended at the separator before.
            break;
        }
        if c.n == MAX_GROUPS {
            return None;
        }
        c.groups[c.n] = Group { at: s, len: e - s, sep, paren };
        c.n += 1;
        i = e + usize::from(paren);
        c.end = i;
        sep = match b.get(i) {
            Some(&x @ (b' ' | b'-' | b'.' | b'/'))
                if b.get(i + 1).is_some_and(|&n| n.is_ascii_digit() || n == b'(') =>
            {
                i += 1;
                x
            }
            Some(d) if paren && d.is_ascii_digit() => 0,
            _ => break,
        };
    }
    (c.n > 0).then_some(c)
}

/// True if the chain has the shape of a phone number (see the module docs).
fn is_phone(b: &[u8], c: &Chain) -> bool {
    let g = c.groups();
    let digits = c.digits();
    let seps = || g.iter().skip(1).map(|g| g.sep);
    let uniform = |allowed: &[u8]| {
        let first = g.get(1).map_or(0, |g| g.sep);
        seps().all(|s| s == first && allowed.contains(&s))
    };
    let lens = |want: &[usize]| g.len() == want.len() && g.iter().zip(want).all(|(g, &n)| g.len == n);
    if (lens(&[4, 2, 2]) || lens(&[2, 2, 4])) && uniform(b"-./ ") {
        return false; // a date
    }
    if g.len() == 4 && g.iter().all(|g| g.len <= 3) && uniform(b".") {
        return false; // an IPv4 address
    }
    let no_slash = || seps().all(|s| s != b'/');
    // A parenthesised group is an area code: right after the country code, or first.
    let parens_only_at = |i: usize| g.iter().enumerate().all(|(k, g)| !g.paren || k == i);
    let first = &b[g[0].at..g[0].at + g[0].len];
    if c.plus {
        return (8..=15).contains(&digits) && first[0] != b'0' && no_slash() && parens_only_at(1);
    }
    if g[0].paren {
        return (2..=5).contains(&g[0].len) && g.len() >= 2 && (9..=12).contains(&digits) && no_slash();
    }
    if !parens_only_at(usize::MAX) || g.len() < 2 {
        return false;
    }
    if first.starts_with(b"00") {
        // The international prefix: what follows reads as after a `+`.
        return first.len() > 2 && first[2] != b'0' && (10..=17).contains(&digits) && uniform(b" -.");
    }
    let north_american = (lens(&[3, 3, 4]) || (lens(&[1, 3, 3, 4]) && first == b"1")) && uniform(b"-.");
    let trunk = first[0] == b'0'
        && (2..=5).contains(&first.len())
        && (9..=12).contains(&digits)
        && seps().enumerate().all(|(k, s)| s == b' ' || s == b'-' || (k == 0 && s == b'/'));
    north_american || trunk
}

/// Pushes a span for every phone number in `b`. Returns how many chains of 8 or more digits
/// were not taken.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    let mut rejected = 0;
    let mut from = 0;
    // The end of the last chain not taken: a chain starting with a plain digit group inside it is
    // its tail (`0954 8754 6290` in `4229 0954 8754 6290`) and is not tried on its own; one that
    // starts with `(` or `+` is (`id 12 (555) 010-0199`).
    let mut inside = 0;
    while let Some(d) = cl.next(Class::Digit, from) {
        let run_end = d + b[d..].iter().position(|c| !c.is_ascii_digit()).unwrap_or(b.len() - d);
        from = run_end;
        let start = match d.checked_sub(1).map(|p| b[p]) {
            Some(b'+' | b'(') => d - 1,
            _ => d,
        };
        if (start > 0 && glued_before(b[start - 1], b[start])) || (start < inside && start == d) {
            continue;
        }
        let Some(chain) = read(b, start) else { continue };
        let after = b.get(chain.end).copied();
        let glued_after = after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'@' || c == b'_')
            || (after == Some(b':') && b.get(chain.end + 1).is_some_and(u8::is_ascii_digit));
        if !glued_after && is_phone(b, &chain) {
            out.push(Span::new(start, chain.end, rule, Found::Other));
            from = chain.end;
        } else {
            inside = chain.end;
            rejected += usize::from(chain.digits() >= 8);
        }
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    // Numbers from ranges reserved for fiction and documentation (555-01xx, +44 20 7946 0xxx).
    #[test]
    fn positives() {
        find.finds(&[
            ("call +44 20 7946 0958 now", &["+44 20 7946 0958"]),
            ("tel:+1-555-010-0199", &["+1-555-010-0199"]),
            ("phone=+1 (555) 010-0199&x=1", &["+1 (555) 010-0199"]),
            ("+44 (0)20 7946 0958", &["+44 (0)20 7946 0958"]),
            ("\"+4930123456789\"", &["+4930123456789"]),
            ("+33 1 23 45 67 89.", &["+33 1 23 45 67 89"]),
            ("(555) 010-0199", &["(555) 010-0199"]),
            ("x (555)010-0199, y", &["(555)010-0199"]),
            ("(030) 12345678", &["(030) 12345678"]),
            ("555-010-0199", &["555-010-0199"]),
            ("555.010.0199", &["555.010.0199"]),
            ("1-555-010-0199", &["1-555-010-0199"]),
            ("Tel. 030 12345678", &["030 12345678"]),
            ("020 7946 0958", &["020 7946 0958"]),
            ("01 23 45 67 89", &["01 23 45 67 89"]),
            ("089/1234567", &["089/1234567"]),
            ("0044 20 7946 0958", &["0044 20 7946 0958"]),
            ("a: +44 20 7946 0958, b: (555) 010-0199", &["+44 20 7946 0958", "(555) 010-0199"]),
            ("id 12 (555) 010-0199", &["(555) 010-0199"]),
        ]);
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            // Times, dates, time zones.
            "[22/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5123",
            "2026-11-22T10:00:00+01:00 12:30:45.123",
            "2026-11-22 10:00:00,123 and 22.11.2026 and 22/11/2026 and 01-02-2026",
            "+2026-11-22",
            "+2026-11-22 10:00",
            // Ports, sizes, ids, order numbers, epoch times.
            "203.0.113.5:4444 200 512 1234",
            "order 0001234567 id 4930123456789 ts 1732269600123",
            "order ORD-2026-000123 ref id-0301234567 x_555-010-0199",
            // Versions, addresses, UUIDs, hashes, cards.
            "Chrome/120.0.6099.109 v1.555-010-0199 1.2.3",
            "192.168.001.010 +203.0.113.77 010.020.030.040",
            "123e4567-e89b-12d3-a456-426614174000",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 sha 9f86d081884c7d659a2feaa0c55ad015",
            "4111 1111 1111 1111 and 4111-1111-1111-1111 and card 4229 0954 8754 6290",
            "order 2026 555-010-0199",
            // Too short or too long; digits glued to words; `+` inside an expression.
            "555-0199 +44 20 +1234567 +1234567890123456",
            "555-010-0199abc x555-010-0199 a+44 20 7946 0958 1e+10",
            // A run of digits without `+` is an id; math and ranges.
            "5550100199 10 - 20 1 2 3 4",
            "pid 0 12 345 6789",
        ]);
    }
}
