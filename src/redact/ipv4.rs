//! IPv4 finder: dotted quads with octets 0-255, standing alone.
//!
//! Gate: from the region's byte-class masks ([`classes`](super::classes)), the dots that have a
//! digit on both sides and another such dot two to four bytes on with only digits between: the
//! first dot of a quad always does, and the lone dots of versions and sizes (`HTTP/1.1`, `537.36`)
//! do not. Of those, only the dots whose next dot passes the same test are candidates (counted as
//! rejected when they hold no address): the first dot of a quad is followed by two more, while a
//! version of three parts (`605.1.15`, `120.0.6099.109` with its four-digit part) never gets to the
//! octet checks, which cost a few times the masks' test.
//! Confirmation in code around each candidate: one to three digits per octet, value at most 255,
//! leading zeros accepted and read as decimal (`192.168.001.010` is 192.168.1.10; reading them as
//! octal, as some C parsers do, would anonymize the wrong network, and either way the text is
//! hidden).
//! A quad inside a longer dotted number (`1.2.3.4.5`, `5.1.2.3.4`) is not an address; a port,
//! bracket, comma or letter on its right is fine. Version strings such as
//! `Chrome/120.0.6099.109` fail the octet check.
//!
//! A quad written inside a host name (`host129.206.196.21.example.com`, glued to a letter or `-`
//! on its left or followed by `.` and a letter) is reported as [`Found::HostIp`]: reverse-DNS
//! style names write addresses in either byte order, so a truncation that keeps "the first three
//! octets" could keep the host octet; the renderer hides such an address whole. The same goes
//! for the dashed form that ISPs and clouds put in host names (`203-0-113-9.dsl.example.net`,
//! `ip-10-0-0-1.ec2.internal`), which is only taken in host-name context (a letter or `-` before
//! it, or `.` and a letter after it), because dashed numbers elsewhere are dates and ranges.

use super::classes::{Class, Classes};
use super::span::{Found, RuleId, Span};
use std::net::{IpAddr, Ipv4Addr};

/// Parses a quad with separator `sep` starting exactly at `at`: returns (address, end). Each
/// octet is one to three digits not followed by another, of value at most 255.
fn parse_sep(b: &[u8], at: usize, sep: u8) -> Option<(Ipv4Addr, usize)> {
    let mut o = [0u8; 4];
    let mut i = at;
    for (k, slot) in o.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&sep) {
                return None;
            }
            i += 1;
        }
        // One pass over the digits: a fourth one fails the octet as it is read.
        let start = i;
        let mut v: u32 = 0;
        while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d < 10) {
            if i - start == 3 {
                return None;
            }
            v = v * 10 + u32::from(d);
            i += 1;
        }
        if i == start || v > 255 {
            return None;
        }
        *slot = v as u8;
    }
    Some((Ipv4Addr::from(o), i))
}

/// Parses a dotted quad starting exactly at `at`: returns (address, end).
pub fn parse_at(b: &[u8], at: usize) -> Option<(Ipv4Addr, usize)> {
    parse_sep(b, at, b'.')
}

fn glued_left(b: &[u8], start: usize) -> bool {
    start > 0 && matches!(b[start - 1], b'0'..=b'9' | b'.')
}

/// True if the quad sits inside a host name rather than standing alone.
fn in_host_name(b: &[u8], start: usize, end: usize) -> bool {
    let left = start > 0 && (b[start - 1].is_ascii_alphabetic() || b[start - 1] == b'-' || b[start - 1] == b'_');
    let right = b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_alphabetic);
    left || right
}

fn glued_right(b: &[u8], end: usize) -> bool {
    match b.get(end) {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'.') => b.get(end + 1).is_some_and(u8::is_ascii_digit),
        _ => false,
    }
}

/// Where the first octet of a quad whose first separator is at `sep` starts: the one to three
/// digits before the separator, none of them before `next_free` (where the last quad ended).
/// `None` if the separator is not past `next_free`, or more than three digits come before it.
fn first_octet(b: &[u8], sep: usize, next_free: usize) -> Option<usize> {
    if sep <= next_free {
        return None;
    }
    let mut start = sep - 1;
    while start > next_free && b[start - 1].is_ascii_digit() && sep - start < 4 {
        start -= 1;
    }
    (sep - start <= 3).then_some(start)
}

/// Pushes a span for a dashed quad written in a host name whose first dash is at `dash`, if
/// there is one; `next_free` is where the last one ended.
fn dashed_at(b: &[u8], dash: usize, next_free: &mut usize, rule: RuleId, out: &mut Vec<Span>) {
    let Some(start) = first_octet(b, dash, *next_free) else { return };
    if start > 0 && b[start - 1].is_ascii_digit() {
        return;
    }
    let Some((addr, end)) = parse_sep(b, start, b'-') else { return };
    let before = start.checked_sub(1).map(|i| b[i]);
    let glued_before = before.is_some_and(|c| c.is_ascii_alphabetic() || c == b'-');
    let digit_before = start >= 2 && before == Some(b'-') && b[start - 2].is_ascii_digit();
    let host_after = b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_alphabetic);
    let longer = b.get(end).is_some_and(u8::is_ascii_digit)
        || (b.get(end) == Some(&b'-') && b.get(end + 1).is_some_and(u8::is_ascii_digit));
    if (glued_before || host_after) && !digit_before && !longer {
        out.push(Span::new(start, end, rule, Found::HostIp(IpAddr::V4(addr))));
        *next_free = end;
    }
}

/// Pushes a span for the dotted quad whose first dot is at `dot`, if there is one; `next_free`
/// is where the last one ended. Returns true if the octet checks rejected the candidate.
fn dotted_at(b: &[u8], dot: usize, next_free: &mut usize, rule: RuleId, out: &mut Vec<Span>) -> bool {
    let Some(start) = first_octet(b, dot, *next_free) else { return false };
    if glued_left(b, start) {
        return false;
    }
    match parse_at(b, start) {
        Some((addr, end)) if !glued_right(b, end) => {
            let ip = IpAddr::V4(addr);
            let found = if in_host_name(b, start, end) { Found::HostIp(ip) } else { Found::Ip(ip) };
            out.push(Span::new(start, end, rule, found));
            *next_free = end;
            false
        }
        _ => true,
    }
}

/// Pushes a span for every IPv4 address in `b`: dotted quads, and dashed quads in host names.
/// Returns how many dotted candidates the octet checks rejected.
/// `cl` holds the byte classes of `b`.
pub fn find(b: &[u8], cl: &Classes, rule: RuleId, out: &mut Vec<Span>) -> usize {
    if !cl.has(Class::Digit) || !(cl.has(Class::Dash) || cl.has(Class::Dot)) {
        return 0;
    }
    let (mut dash_free, mut dot_free, mut rejected) = (0, 0, 0);
    let blocks = cl.blocks();
    let mut next = quad_links(cl, 0);
    for i in 0..blocks {
        let links = next;
        next = if i + 1 < blocks { quad_links(cl, i + 1) } else { (0, 0) };
        let (mut dashes, mut dots) = links;
        if dashes | dots == 0 {
            continue;
        }
        (dashes, dots) = (chained(dashes, next.0), chained(dots, next.1));
        while dashes != 0 {
            dashed_at(b, i * 64 + dashes.trailing_zeros() as usize, &mut dash_free, rule, out);
            dashes &= dashes - 1;
        }
        while dots != 0 {
            rejected += usize::from(dotted_at(b, i * 64 + dots.trailing_zeros() as usize, &mut dot_free, rule, out));
            dots &= dots - 1;
        }
    }
    rejected
}

/// The links in `links` (a block's, from [`quad_links`]) whose next separator, 2 to 4 bytes on
/// (possibly in the next block, whose links are `next`), is a link as well: the first separator
/// of a quad always is, and the first dot of a version such as `120.0.6099.109` or `605.1.15`
/// is not, so its octets are never read.
fn chained(links: u64, next: u64) -> u64 {
    let on = |k: u32| links >> k | next << (64 - k);
    links & (on(2) | on(3) | on(4))
}

/// The dashes and the dots in block `i` that can join the first two octets of a quad: a digit
/// on both sides, and the next separator of the same kind 2, 3 or 4 bytes on, with only digits
/// before it and a digit after. Both kinds in one pass, as they share the digits' shifts.
#[inline(always)]
fn quad_links(cl: &Classes, i: usize) -> (u64, u64) {
    let (dash, dot) = (cl.mask(Class::Dash, i), cl.mask(Class::Dot, i));
    if dash | dot == 0 {
        return (0, 0);
    }
    // This block's masks and the next one's, as 128 bits, so that a look ahead crosses the edge.
    let wide = |c| u128::from(cl.mask(c, i)) | u128::from(cl.mask(c, i + 1)) << 64;
    let d = wide(Class::Digit);
    let [d1, d2, d3, d4, d5] = [1, 2, 3, 4, 5].map(|k| (d >> k) as u64);
    let joined = cl.behind(Class::Digit, i, 1) & d1;
    let links = |s: u128| {
        let sep_at = |k: u32| (s >> k) as u64;
        let two = sep_at(2) & d3;
        let three = d2 & sep_at(3) & d4;
        let four = d2 & d3 & sep_at(4) & d5;
        sep_at(0) & joined & (two | three | four)
    };
    let dashes = if dash == 0 { 0 } else { links(wide(Class::Dash)) };
    let dots = if dot == 0 { 0 } else { links(wide(Class::Dot)) };
    (dashes, dots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::table::Finder;

    #[test]
    fn positives() {
        find.finds(&[
            ("203.0.113.77 - - [x]", &["203.0.113.77"]),
            ("client=198.51.100.7 ok", &["198.51.100.7"]),
            ("[client 203.0.113.9:52144]", &["203.0.113.9"]),
            ("xff=\"198.51.100.1, 203.0.113.2,192.0.2.3\"", &["198.51.100.1", "203.0.113.2", "192.0.2.3"]),
            ("from 10.0.0.1 to 10.0.0.2", &["10.0.0.1", "10.0.0.2"]),
            ("0.0.0.0 255.255.255.255", &["0.0.0.0", "255.255.255.255"]),
            ("192.168.001.010", &["192.168.001.010"]),
            ("(1.2.3.4)", &["1.2.3.4"]),
            ("1.2.3.4.", &["1.2.3.4"]),
            ("1.2.3.4abc", &["1.2.3.4"]),
            ("http://203.0.113.5/path", &["203.0.113.5"]),
            ("(host129.206.196.21.example.com)", &["129.206.196.21"]),
            ("v1.2.3.4", &["1.2.3.4"]),
        ]);
    }

    #[test]
    fn look_alikes() {
        find.finds_nothing(&[
            "Chrome/120.0.6099.109",
            "1.2.3.4.5",
            "version 1.2.3",
            "256.1.1.1",
            "1.2.3.256",
            "5.1.2.3.4",
            "1234.1.1.1",
            "1.1.1.1234",
            "3.14159",
            "....",
            "1..2.3.4",
        ]);
    }

    #[test]
    fn addresses_inside_host_names_are_flagged() {
        for (line, host) in [
            ("host129.206.196.21.example.com", true),
            ("9.113.0.203.in-addr.arpa", true),
            ("ip-1.2.3.4 x", true),
            ("from 1.2.3.4. Next", false),
            ("1.2.3.4:80", false),
        ] {
            let mut v = Vec::new();
            find(line.as_bytes(), &Classes::of(line.as_bytes()), 0, &mut v);
            assert_eq!(matches!(v[0].found, Found::HostIp(_)), host, "{line}");
        }
    }

    #[test]
    fn dashed_quads_in_host_names() {
        find.finds(&[
            ("rhost=220-135-151-1.hinet-ip.hinet.net user=root", &["220-135-151-1"]),
            ("ip-10-0-0-1.ec2.internal", &["10-0-0-1"]),
            ("host-203-0-113-9 x", &["203-0-113-9"]),
            ("on 2026-11-22 at 10-12", &[]),
            ("range 1-2-3-4 only", &[]),
            ("tel 1-2-3-4-5.example", &[]),
            ("x-300-1-1-1.example", &[]),
            ("ip-10-0-0-1.ec2.internal from 192.0.2.1", &["10-0-0-1", "192.0.2.1"]),
        ]);
        // Both kinds across a block edge, each kind's candidates taken in order.
        for pad in 50..70 {
            let line = format!("{} host-203-0-113-9 1.2.3.4 ip-10-0-0-1.x", "x".repeat(pad));
            let mut found = find.found(&line);
            found.sort_by_key(|f| line.find(f));
            assert_eq!(found, ["203-0-113-9", "1.2.3.4", "10-0-0-1"], "pad {pad}");
        }
    }

    #[test]
    fn quads_across_a_block_edge() {
        for pad in 50..70 {
            let line = format!("{} 10.20.30.40 end", "x".repeat(pad));
            assert_eq!(find.found(&line), ["10.20.30.40"], "pad {pad}");
        }
    }

    #[test]
    fn only_separators_that_chain_into_a_quad_are_candidates() {
        let rejected = |line: &str| find(line.as_bytes(), &Classes::of(line.as_bytes()), 0, &mut Vec::new());
        // Versions of three parts never reach the octet checks; a quad with a bad octet does.
        assert_eq!(rejected("Chrome/120.0.6099.109 Version/605.1.15"), 0);
        assert_eq!(rejected("1.2.3.999 and 300.1.1.1"), 2);
    }

    #[test]
    fn leading_zeros_read_as_decimal() {
        let mut v = Vec::new();
        find(b"192.168.001.010", &Classes::of(b"192.168.001.010"), 0, &mut v);
        assert_eq!(v[0].found, Found::Ip("192.168.1.10".parse().unwrap()));
    }
}
