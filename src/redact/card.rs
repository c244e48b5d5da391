//! Payment-card finder: 13-19 digits, contiguous or grouped by single separators, accepted only
//! with a valid Luhn check digit and an issuer prefix that issues cards of that length.
//!
//! Gate: runs of ASCII digits. A run glued to a letter or digit on either side belongs to a longer
//! token (a hex trace id, a 20-digit id) and is never a card. Groups joined by one separator
//! (space, `-`, and in URLs `+` or `%20`) form a candidate chain; every sub-chain of whole groups
//! with 13-19 digits is tried, longest first from each group, so a card followed by another number
//! (`4111 1111 1111 1111 2024`) is still found. The Luhn check alone would pass one random number
//! in ten; the issuer table below cuts that to the ranges real networks use, which keeps order
//! numbers, timestamps and ids untouched.

use super::classes::{Class, Classes, has_run};
use super::span::{Found, RuleId, Span};

/// Issuer ranges: (prefix low, prefix high, number of prefix digits, lengths allowed).
/// Sources: the card networks' published IIN ranges (Visa, Mastercard incl. 2-series, Amex,
/// Discover incl. UnionPay co-brand, Diners, JCB, UnionPay, Maestro, Mir, RuPay).
const ISSUERS: &[(u32, u32, u32, &[usize])] = &[
    (4, 4, 1, &[13, 16, 19]),                       // Visa
    (51, 55, 2, &[16]),                             // Mastercard
    (2221, 2720, 4, &[16]),                         // Mastercard 2-series
    (34, 34, 2, &[15]),                             // American Express
    (37, 37, 2, &[15]),                             // American Express
    (6011, 6011, 4, &[16, 17, 18, 19]),             // Discover
    (644, 649, 3, &[16, 17, 18, 19]),               // Discover
    (65, 65, 2, &[16, 17, 18, 19]),                 // Discover / RuPay
    (300, 305, 3, &[14, 16, 17, 18, 19]),           // Diners Club International
    (36, 36, 2, &[14, 15, 16, 17, 18, 19]),         // Diners Club
    (38, 39, 2, &[14, 15, 16, 17, 18, 19]),         // Diners Club
    (3528, 3589, 4, &[16, 17, 18, 19]),             // JCB
    (62, 62, 2, &[16, 17, 18, 19]),                 // UnionPay
    (2200, 2204, 4, &[16, 17, 18, 19]),             // Mir
    (60, 60, 2, &[16]),                             // RuPay
    (508, 508, 3, &[16]),                           // RuPay
    (5018, 5018, 4, &[13, 14, 15, 16, 17, 18, 19]), // Maestro
    (5020, 5020, 4, &[13, 14, 15, 16, 17, 18, 19]), // Maestro
    (5038, 5038, 4, &[13, 14, 15, 16, 17, 18, 19]), // Maestro
    (5893, 5893, 4, &[13, 14, 15, 16, 17, 18, 19]), // Maestro
    (6304, 6304, 4, &[13, 14, 15, 16, 17, 18, 19]), // Maestro
    (6759, 6763, 4, &[13, 14, 15, 16, 17, 18, 19]), // Maestro
];

/// Luhn check over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// True if some issuer uses this prefix with this length.
pub fn issuer_ok(digits: &[u8]) -> bool {
    ISSUERS.iter().any(|&(lo, hi, width, lens)| {
        let prefix = digits[..width as usize].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
        (lo..=hi).contains(&prefix) && lens.contains(&digits.len())
    })
}

/// A card number: Luhn-valid with a real issuer prefix for its length.
pub fn is_card(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && issuer_ok(digits) && luhn(digits)
}

/// Length of the separator at `i` if one follows (a digit must come after it).
fn separator(b: &[u8], i: usize) -> usize {
    let len = match b.get(i) {
        Some(b' ' | b'-' | b'+') => 1,
        Some(b'%') if b.get(i + 1..i + 3) == Some(b"20") => 3,
        _ => return 0,
    };
    if b.get(i + len).is_some_and(u8::is_ascii_digit) { len } else { 0 }
}

fn glued(c: Option<&u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// False only if the region cannot hold a card: no run of 13 bytes that are digits or separators
/// between digits. Cards are rare and digits are not (an access log line has thirty in its
/// address, time, status and size), so this test on the region's byte-class masks spares the
/// group-by-group chain building on nearly every line.
fn may_hold_card(cl: &Classes) -> bool {
    // A separator counts only between a digit before it and a digit after it (`%20`: the `2`).
    let joined = |i| {
        let sep = [Class::Space, Class::Dash, Class::Plus, Class::Percent].map(|c| cl.between_digits(c, i));
        cl.mask(Class::Digit, i) | sep[0] | sep[1] | sep[2] | sep[3]
    };
    has_run(cl.blocks(), joined, 13)
}

/// Pushes a span for every card number in `b`, whose byte classes `cl` holds. `groups` is scratch
/// space. Returns how many chains of 13 or more digits held no card (Luhn or issuer check failed).
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>, groups: &mut Vec<(usize, usize)>) -> usize {
    if !cl.has(Class::Digit) || !may_hold_card(cl) {
        return 0;
    }
    let mut rejected = 0;
    let mut from = 0;
    let mut digits = [0u8; 19];
    while let Some(i) = cl.next(Class::Digit, from) {
        // Collect the chain of digit groups starting here; most chains (years, ports, sizes,
        // version numbers) have far fewer than 13 digits and are dismissed on the count alone.
        groups.clear();
        let mut at = i;
        let mut total = 0;
        loop {
            let s = at;
            while at < b.len() && b[at].is_ascii_digit() {
                at += 1;
            }
            groups.push((s, at));
            total += at - s;
            let sep = separator(b, at);
            if sep == 0 {
                break;
            }
            at += sep;
        }
        from = at;
        if total < 13 {
            continue;
        }
        let found_before = out.len();
        let left_glued = i > 0 && glued(b.get(i - 1));
        let right_glued = glued(b.get(at));
        let mut g = usize::from(left_glued);
        while g < groups.len() {
            let mut best = None;
            let mut n = 0;
            for (e, &(s, end)) in groups.iter().enumerate().skip(g) {
                if n + (end - s) > 19 {
                    break;
                }
                digits[n..n + end - s].copy_from_slice(&b[s..end]);
                n += end - s;
                let at_chain_end = e + 1 == groups.len();
                if n >= 13 && !(at_chain_end && right_glued) && is_card(&digits[..n]) {
                    best = Some(e);
                }
            }
            match best {
                Some(e) => {
                    out.push(Span::new(groups[g].0, groups[e].1, rule, Found::Other));
                    g = e + 1;
                }
                None => g += 1,
            }
        }
        rejected += usize::from(out.len() == found_before);
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    /// The finder with a scratch of its own for the digit groups.
    fn find_line(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
        find(b, cl, rule, out, &mut Vec::new())
    }

    // Test numbers published by card networks and payment processors for testing.
    #[test]
    fn positives() {
        find_line.finds(&[
            ("card=4111111111111111&x", &["4111111111111111"]),
            ("pan 4111 1111 1111 1111 end", &["4111 1111 1111 1111"]),
            ("pan 4111-1111-1111-1111.", &["4111-1111-1111-1111"]),
            ("?cc=4111+1111+1111+1111&", &["4111+1111+1111+1111"]),
            ("?cc=4111%201111%201111%201111&", &["4111%201111%201111%201111"]),
            ("amex 378282246310005", &["378282246310005"]),
            ("amex 3782 822463 10005", &["3782 822463 10005"]),
            ("mc 5555555555554444 and 2223003122003222", &["5555555555554444", "2223003122003222"]),
            ("discover 6011111111111117", &["6011111111111117"]),
            ("jcb 3530111333300000", &["3530111333300000"]),
            ("diners 30569309025904", &["30569309025904"]),
            ("visa13 4222222222222", &["4222222222222"]),
            ("4111 1111 1111 1111 2024", &["4111 1111 1111 1111"]),
            ("\"4111111111111111\"", &["4111111111111111"]),
            ("n=4111111111111111", &["4111111111111111"]),
        ]);
    }

    #[test]
    fn the_gate_passes_every_card_at_every_offset_and_skips_plain_lines() {
        let line = "203.0.113.7 - - [22/Nov/2026:10:00:00 +0000] \"GET /a/2026/11 HTTP/1.1\" 200 51234 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.6099.109\"";
        assert!(!may_hold_card(&Classes::of(line.as_bytes())));
        for card in ["4111111111111111", "4111 1111 1111 1111", "4111%201111%201111%201111", "4222222222222"] {
            for pad in 0..280 {
                let text = format!("{}{card}{}", "x/".repeat(pad / 2), " y".repeat(pad % 7));
                assert!(may_hold_card(&Classes::of(text.as_bytes())), "{text}");
                assert_eq!(find_line.found(&text), [card], "{text}");
            }
        }
        assert!(!may_hold_card(&Classes::of(b"12-34 5+6 1.2345678901")), "no run of 13 digits and joins");
        for pad in 0..200 {
            let text = format!("{}123456789012/123456 78901/12345-789012", "x".repeat(pad));
            assert!(!may_hold_card(&Classes::of(text.as_bytes())), "runs of 12 at offset {pad}");
        }
    }

    #[test]
    fn look_alikes() {
        find_line.finds_nothing(&[
            "4111111111111112",         // Luhn fails
            "order 1234567890123456",   // no issuer 12
            "trace a4111111111111111b", // inside hex
            "id 41111111111111110000",  // 20 digits
            "x4111111111111111",
            "4111111111111111y",
            "ts 1732269600123 ms", // epoch millis: 13 digits, no issuer 17
            "2026-11-22 10:00:00",
            "9999999999999999",
            "4111  1111 1111 1111", // double space: groups too short
        ]);
    }

    #[test]
    fn digit_search_crosses_chunk_boundaries() {
        for pad in [0, 1, 62, 63, 64, 65, 127, 128, 200] {
            let line =
                format!("{}4111111111111111{}", "x ".repeat(pad / 2) + &" ".repeat(pad % 2), " z".repeat(pad % 7));
            assert_eq!(find_line.found(&line), ["4111111111111111"], "pad {pad}");
        }
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398710"));
    }
}
