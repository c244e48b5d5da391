//! IPv6 finder: every RFC 4291 / RFC 5952 text form (compressed, full, mixed case,
//! IPv4-embedded), bracketed or bare, with or without a zone id.
//!
//! Gate: a line needs `::` or six colons at all (counted in its byte-class masks), then the scan
//! visits its colons (from the same masks); around each colon the maximal run of address characters
//! (hex digits, `:`, `.`) is taken. A run can only hold an address if it contains `::` or at least
//! six colons, which rejects clock times (`12:30:45`), `host:port` and MAC-like strings
//! (`00:1a:2b:3c:4d:5e`) without parsing. Confirmation parses windows of the run, longest first,
//! at most 45 bytes (the longest address text), as the standard library's parser does (`parse`,
//! on bytes, checked against it by a property test): this accepts exactly the RFC forms and never
//! a look-alike. A window must not be glued to a letter, digit or `_` on either side, which keeps
//! `std::io` and `Foo::Bar` out; a `%zone`, `]`, `/prefix` or port after it is fine, and the zone
//! id is left in place (it names an interface, not a person). The bare `::` is
//! not reported. Work per colon is bounded, so a hostile line of colons stays linear.

use super::classes::{Class, Classes};
use super::span::{Found, RuleId, Span};
use std::net::{IpAddr, Ipv6Addr};

const MAX_TEXT: usize = 45;

const ADDR_BYTES: [bool; 256] = crate::byteset::hex_digits_and(b":.");
const WORD_BYTES: [bool; 256] = crate::byteset::alphanumeric_and(b"_");

fn is_addr_byte(c: u8) -> bool {
    ADDR_BYTES[usize::from(c)]
}

fn is_word_byte(c: u8) -> bool {
    WORD_BYTES[usize::from(c)]
}

/// `text` as an address, exactly as `Ipv6Addr::from_str` reads it (RFC 4291 forms: up to eight
/// groups of one to four hex digits, one `::` standing for one or more zero groups, and an
/// embedded dotted quad for the last two), on bytes. The standard parser decodes a `char` per
/// byte and tries a dotted quad at each group, and was half of the cost of a line with an
/// address; a property test checks this one against it.
fn parse(text: &[u8]) -> Option<Ipv6Addr> {
    let mut at = 0;
    let mut head = [0u16; 8];
    let (head_len, head_quad) = groups(text, &mut at, &mut head);
    if head_len == 8 {
        return (at == text.len()).then(|| head.into());
    }
    // A dotted quad ends an address: it cannot come before a `::`.
    if head_quad || text.get(at..at + 2) != Some(b"::") {
        return None;
    }
    at += 2;
    let mut tail = [0u16; 7];
    let (tail_len, _) = groups(text, &mut at, &mut tail[..7 - head_len]);
    if at != text.len() {
        return None;
    }
    head[8 - tail_len..].copy_from_slice(&tail[..tail_len]);
    Some(head.into())
}

/// Reads colon-separated groups from `at` into `out`, as many as fit and parse: a dotted quad
/// (two groups) where at least two are left, else one to four hex digits. Returns how many, and
/// whether the last two were a dotted quad (which ends the groups). `at` ends after the last group
/// read: a colon not followed by a group is left unread.
fn groups(text: &[u8], at: &mut usize, out: &mut [u16]) -> (usize, bool) {
    let limit = out.len();
    for i in 0..limit {
        let from = match i {
            0 => *at,
            _ if text.get(*at) == Some(&b':') => *at + 1,
            _ => return (i, false),
        };
        // One to four hex digits, unless they start a dotted quad: the standard parser tries a
        // quad first, and one can only stand where a `.` follows the digits.
        let (mut value, mut digits) = (0u16, 0);
        while let Some(v) = text.get(from + digits).filter(|_| digits < 4).and_then(|&c| hex_value(c)) {
            value = value << 4 | v;
            digits += 1;
        }
        if i + 1 < limit && text.get(from + digits) == Some(&b'.') {
            if let Some((quad, end)) = dotted_quad(text, from) {
                out[i] = u16::from_be_bytes([quad[0], quad[1]]);
                out[i + 1] = u16::from_be_bytes([quad[2], quad[3]]);
                *at = end;
                return (i + 2, true);
            }
        }
        if digits == 0 {
            return (i, false);
        }
        out[i] = value;
        *at = from + digits;
    }
    (limit, false)
}

fn hex_value(c: u8) -> Option<u16> {
    let v = match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => return None,
    };
    Some(u16::from(v))
}

/// A dotted quad at `from`, as the standard parser reads one inside an address: four decimal
/// octets of one to three digits, at most 255, without a leading zero. Returns it and its end.
fn dotted_quad(text: &[u8], from: usize) -> Option<([u8; 4], usize)> {
    let mut quad = [0u8; 4];
    let mut at = from;
    for (k, octet) in quad.iter_mut().enumerate() {
        if k > 0 {
            if text.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let digits = text[at.min(text.len())..].iter().take(3).take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || (digits > 1 && text[at] == b'0') {
            return None;
        }
        let value = text[at..at + digits].iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        *octet = u8::try_from(value).ok()?;
        at += digits;
    }
    Some((quad, at))
}

/// The longest address starting at `start` and ending at or before `run_end`.
fn longest_at(b: &[u8], start: usize, run_end: usize) -> Option<(Ipv6Addr, usize)> {
    if start > 0 && is_word_byte(b[start - 1]) {
        return None;
    }
    let last = run_end.min(start + MAX_TEXT);
    for end in (start + 2..=last).rev() {
        if end < b.len() && is_word_byte(b[end]) {
            continue; // would cut a hex group in two
        }
        if let Some(addr) = parse(&b[start..end]) {
            if end - start > 2 {
                return Some((addr, end));
            }
        }
    }
    None
}

/// False only if the region cannot hold an address: it has no `::` and fewer than six colons in
/// all, not counting colons next to a quote. Most lines pass a few colons (clock times, `https:`,
/// the members of a JSON line) and no address; counting colons in the byte-class masks spares
/// them the colon-by-colon run scan below.
fn may_hold_address(cl: &Classes) -> bool {
    let mut colons = 0;
    for i in 0..cl.blocks() {
        let c = cl.mask(Class::Colon, i);
        if c == 0 {
            continue;
        }
        if c & cl.ahead(Class::Colon, i, 1) != 0 {
            return true;
        }
        // A colon next to a quote (JSON's `"key":"value"`) is never one of an address's six.
        // Counted bit by bit: blocks hold a few, and a population count is a long sequence of
        // instructions on CPUs without one (this build targets the x86_64 baseline).
        let mut counted = c & !cl.behind(Class::Quote, i, 1) & !cl.ahead(Class::Quote, i, 1);
        while counted != 0 {
            colons += 1;
            if colons == 6 {
                return true;
            }
            counted &= counted - 1;
        }
    }
    false
}

/// Pushes a span for every IPv6 address in `b`. Returns how many runs that passed the colon gate
/// held no address.
/// `cl` holds the byte classes of `b`.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    if !cl.has(Class::Colon) || !may_hold_address(cl) {
        return 0;
    }
    let mut rejected = 0;
    let mut next_free = 0;
    for colon in cl.of_class(Class::Colon) {
        if colon < next_free {
            continue;
        }
        let mut run_start = colon;
        while run_start > next_free && is_addr_byte(b[run_start - 1]) {
            run_start -= 1;
        }
        let (mut run_end, mut colons, mut double) = (colon + 1, 1, false);
        while run_end < b.len() && is_addr_byte(b[run_end]) {
            if b[run_end] == b':' {
                colons += 1;
                double |= b[run_end - 1] == b':';
            }
            run_end += 1;
        }
        next_free = run_end;
        // Colons before the one the scan is at.
        colons += b[run_start..colon].iter().filter(|&&c| c == b':').count();
        double |= b[run_start..colon + 1].windows(2).any(|w| w == b"::");
        if colons < 6 && !double {
            continue;
        }
        // Try each group start as an address start (the run's first byte, after a colon, or at a
        // `::`), so that a word glued to the run (`host:2001:db8::1`) does not hide what follows.
        let found_before = out.len();
        let mut start = run_start;
        while start + 2 <= run_end {
            let group_start = start == run_start || b[start - 1] == b':' || b[start..].starts_with(b"::");
            if group_start {
                if let Some((addr, end)) = longest_at(b, start, run_end) {
                    out.push(Span::new(start, end, rule, Found::Ip(IpAddr::V6(addr))));
                    start = end;
                    continue;
                }
            }
            start += 1;
        }
        rejected += usize::from(out.len() == found_before);
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;
    use proptest::prelude::*;

    #[test]
    fn the_gate_passes_addresses_at_every_offset() {
        for addr in ["2001:db8::1", "::1", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1", "64:ff9b::1:2:3:4"] {
            for pad in 0..140 {
                let line = format!("{} {addr} at 10:00:00", "x".repeat(pad));
                assert!(may_hold_address(&Classes::of(line.as_bytes())), "{line}");
                assert_eq!(find.found(&line), [addr], "{line}");
            }
        }
        assert!(!may_hold_address(&Classes::of(
            b"[22/Nov/2026:10:00:00 +0000] \"GET https://example.com/ HTTP/1.1\" a:b"
        )));
    }

    #[test]
    fn positives() {
        find.finds(&[
            ("2001:db8::1 - -", &["2001:db8::1"]),
            ("from 2001:DB8:0:0:8:800:200C:417A port", &["2001:DB8:0:0:8:800:200C:417A"]),
            ("[2001:db8::1]:443", &["2001:db8::1"]),
            ("rhost=::ffff:192.0.2.1", &["::ffff:192.0.2.1"]),
            ("fe80::1%eth0 up", &["fe80::1"]),
            ("2001:db8:1:2::5, 2001:db8::7", &["2001:db8:1:2::5", "2001:db8::7"]),
            ("ip=2001:0db8:0000:0000:0000:ff00:0042:8329;", &["2001:0db8:0000:0000:0000:ff00:0042:8329"]),
            ("::1", &["::1"]),
            ("2001:db8::", &["2001:db8::"]),
            ("ip:2001:db8::1", &["2001:db8::1"]),
            ("\"2001:db8::a:b\"", &["2001:db8::a:b"]),
            ("64:ff9b::192.0.2.33.", &["64:ff9b::192.0.2.33"]),
        ]);
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            "12:30:45",
            "10/Oct/2026:13:55:36 +0000",
            "00:1a:2b:3c:4d:5e",
            "std::io::Error",
            "Foo::Bar",
            "a :: b",
            "http://example.com:8080/",
            "::",
            "de:ad:be:ef",
        ]);
    }

    #[test]
    fn hostile_colon_runs_stay_fast() {
        let line = "1:".repeat(50_000);
        let t = std::time::Instant::now();
        let mut v = Vec::new();
        find(line.as_bytes(), &Classes::of(line.as_bytes()), 0, &mut v);
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        assert!(!v.is_empty());
    }

    #[test]
    fn reads_the_edge_forms_as_the_standard_library_does() {
        for text in [
            "",
            ":",
            "::",
            ":::",
            "1:::2",
            ":1::",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8",
            "fe80::",
            "::1.2.3.4",
            "::ffff:192.0.2.1",
            "::ffff:1.2.3.04",
            "::ffff:256.1.1.1",
            "::00.1.1.1",
            "::0.0.0.0",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.4.5",
            "::1.2.3",
            "::12.3.4.5",
            "1::2:3.4.5.6",
            "1234.5.6.7::",
            "::1a.2.3.4",
            "::1234.5.6.7",
            "::FFFF:0:0",
        ] {
            assert_eq!(parse(text.as_bytes()), text.parse::<Ipv6Addr>().ok(), "{text:?}");
        }
    }

    /// Texts near the address forms: runs of the bytes an address is made of, and addresses
    /// (groups often zero, so that `::` forms come up) written compressed, in full, with a dotted
    /// quad, then perhaps with one byte replaced, inserted or removed.
    fn near_addresses() -> impl Strategy<Value = String> {
        let byte = || prop::sample::select(b"0123456789abcdefABCDEF:.".to_vec());
        let runs = prop::collection::vec(byte(), 0..46).prop_map(|v| String::from_utf8(v).unwrap());
        let group = prop_oneof![Just(0u16), 1..16u16, any::<u16>()];
        let forms = (prop::array::uniform8(group), 0..4u8).prop_map(|(g, form)| {
            let hex = |gs: &[u16], width: usize| gs.iter().map(|x| format!("{x:0width$x}")).collect::<Vec<_>>();
            let quad = std::net::Ipv4Addr::from(u32::from(g[6]) << 16 | u32::from(g[7]));
            match form {
                0 => Ipv6Addr::from(g).to_string(),
                1 => hex(&g, 4).join(":").to_uppercase(),
                2 => format!("{}:{quad}", hex(&g[..6], 1).join(":")),
                _ => format!("::ffff:{quad}"),
            }
        });
        let edited = (forms.clone(), any::<prop::sample::Index>(), byte(), 0..4u8).prop_map(|(text, at, c, how)| {
            let mut b = text.into_bytes();
            let i = at.index(b.len() + 1);
            match how {
                0 if i < b.len() => b[i] = c,
                1 => b.insert(i, c),
                2 if i < b.len() => {
                    b.remove(i);
                }
                _ => {}
            }
            String::from_utf8(b).unwrap()
        });
        prop_oneof![runs, forms, edited]
    }

    proptest! {
        #[test]
        fn parses_as_the_standard_library_does(text in near_addresses()) {
            prop_assert_eq!(parse(text.as_bytes()), text.parse::<Ipv6Addr>().ok(), "{:?}", text);
        }
    }
}
