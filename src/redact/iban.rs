//! IBAN finder (ISO 13616): a country code, two check digits and the national account number,
//! contiguous (`DE89370400440532013000`) or in groups of four separated by single spaces
//! (`DE89 3704 0044 0532 0130 00`), accepted only with the length the country's IBANs have and a
//! valid mod-97 check.
//!
//! Gate: runs of ASCII digits (from the region's byte-class masks), kept only where the
//! run starts right after two upper-case letters that do not continue a word: `GB82` in
//! `iban=GB82...`, never `ABCGB82`. The country table fixes the length, so a candidate is never
//! stretched over a following token; the mod-97 check then passes one random string in 97, and
//! the two together keep order numbers, upper-case ids and SKUs out. Lower-case IBANs are not
//! recognised.

use super::classes::{Class, Classes};
use super::span::{Found, RuleId, Span};

/// IBAN length per country, from the SWIFT IBAN registry.
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

/// The longest IBAN of any country.
const MAX_LEN: usize = 34;

fn length_of(country: &[u8]) -> Option<usize> {
    LENGTHS.iter().find(|(cc, _)| cc.as_slice() == country).map(|&(_, n)| n)
}

/// The ISO 7064 mod 97-10 check: the first four characters moved to the end, letters read as
/// 10-35, the number mod 97 must be 1.
pub fn mod97_ok(iban: &[u8]) -> bool {
    let (head, tail) = iban.split_at(4);
    let rem = tail.iter().chain(head).fold(0u32, |rem, &c| {
        if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    rem == 1
}

/// Reads an IBAN of `len` characters from `at`, contiguous or grouped by fours with single
/// spaces; returns where it ends and its characters.
fn read(b: &[u8], at: usize, len: usize, chars: &mut [u8; MAX_LEN]) -> Option<usize> {
    let spaced = b.get(at + 4) == Some(&b' ');
    let mut i = at;
    for (n, slot) in chars.iter_mut().enumerate().take(len) {
        if spaced && n > 0 && n % 4 == 0 {
            if b.get(i) != Some(&b' ') {
                return None;
            }
            i += 1;
        }
        let c = *b.get(i)?;
        if !(c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return None;
        }
        *slot = c;
        i += 1;
    }
    (!b.get(i).is_some_and(u8::is_ascii_alphanumeric)).then_some(i)
}

/// Pushes a span for every IBAN in `b`. Returns how many candidates of a known country failed
/// the length or mod-97 check.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    let mut rejected = 0;
    let mut from = 0;
    let mut chars = [0u8; MAX_LEN];
    while let Some(d) = cl.next(Class::Digit, from) {
        let run_end = d + b[d..].iter().position(|c| !c.is_ascii_digit()).unwrap_or(b.len() - d);
        from = run_end;
        if d < 2 || run_end - d < 2 || !b[d - 2].is_ascii_uppercase() || !b[d - 1].is_ascii_uppercase() {
            continue;
        }
        let at = d - 2;
        if at > 0 && b[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let Some(len) = length_of(&b[at..d]) else { continue };
        match read(b, at, len, &mut chars) {
            Some(end) if mod97_ok(&chars[..len]) => {
                out.push(Span::new(at, end, rule, Found::Other));
                from = end;
            }
            _ => rejected += 1,
        }
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    // The examples published in the IBAN registry and by national banks for testing.
    #[test]
    fn positives() {
        find.finds(&[
            ("iban=GB82WEST12345698765432&x=1", &["GB82WEST12345698765432"]),
            ("to GB82 WEST 1234 5698 7654 32 today", &["GB82 WEST 1234 5698 7654 32"]),
            ("DE89 3704 0044 0532 0130 00", &["DE89 3704 0044 0532 0130 00"]),
            ("\"DE89370400440532013000\"", &["DE89370400440532013000"]),
            ("fr FR1420041010050500013M02606.", &["FR1420041010050500013M02606"]),
            ("NL91ABNA0417164300,BE68539007547034", &["NL91ABNA0417164300", "BE68539007547034"]),
            ("no NO9386011117947", &["NO9386011117947"]),
            ("ch CH9300762011623852957 ok", &["CH9300762011623852957"]),
        ]);
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            "GB82WEST12345698765433",                 // mod 97 fails
            "GB82 WEST 1234 5698 7654 33",            // grouped, mod 97 fails
            "DE89370400440532013000X",                // glued to a letter
            "XDE89370400440532013000",                // glued before
            "DE8937040044053201300",                  // one short for DE
            "DE89 3704 0044 0532 0130",               // grouped, short
            "DE89 37040044 0532 0130 00",             // irregular groups
            "ZZ12345678901234567890",                 // no such country
            "SKU AB12CDEF3456GH7890 id",              // upper-case id
            "ORDER-DE00000000000000000000",           // right length, wrong check
            "trace 4bf92f3577b34da6a3ce929d0e0e4736", // hex
            "de89370400440532013000",                 // lower case
            "123e4567-e89b-12d3-a456-426614174000",
        ]);
    }

    #[test]
    fn check_digits() {
        assert!(mod97_ok(b"GB82WEST12345698765432"));
        assert!(!mod97_ok(b"GB28WEST12345698765432"));
    }
}
