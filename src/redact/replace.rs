//! The text written in place of a find: truncated addresses, masks, the host-name form. Written
//! by hand rather than through `fmt`, whose machinery cost more per address than detecting the
//! address did; each writer is tested against the standard library's text or a worked example.

use crate::anonymize::{truncate_v4, truncate_v6};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Writes the network address of `addr`; an IPv4-mapped address stays in its mapped form.
pub(super) fn write_truncated(addr: IpAddr, v4_prefix: u8, v6_prefix: u8, out: &mut Vec<u8>) {
    match addr {
        IpAddr::V4(v4) => write_ipv4(truncate_v4(v4, v4_prefix), out),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => {
                out.extend_from_slice(b"::ffff:");
                write_ipv4(truncate_v4(v4, v4_prefix), out);
            }
            None => write_ipv6(truncate_v6(v6, v6_prefix), out),
        },
    }
}

/// Writes `value` with every run of digits replaced by one `0`, keeping the separators:
/// `129.206.196.21` -> `0.0.0.0`, `203-0-113-9` -> `0-0-0-0`.
pub(super) fn zero_numbers(value: &[u8], out: &mut Vec<u8>) {
    let mut in_digits = false;
    for &c in value {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push(b'0');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
}

/// RFC 5952 text of an IPv6 address (lower-case hex, the longest run of two or more zero groups
/// compressed, the first such run on a tie), without the `fmt` machinery, which cost more than
/// the detection of the address did.
pub(super) fn write_ipv6(addr: Ipv6Addr, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let groups = addr.segments();
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run.1 == 0 {
                run.0 = i;
            }
            run.1 += 1;
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run.1 = 0;
        }
    }
    let hex = |g: u16, out: &mut Vec<u8>| {
        let digits = (16 - g.leading_zeros()).div_ceil(4).max(1);
        for k in (0..digits).rev() {
            out.push(HEX[usize::from((g >> (4 * k)) & 15)]);
        }
    };
    let join = |part: &[u16], out: &mut Vec<u8>| {
        for (i, &g) in part.iter().enumerate() {
            if i > 0 {
                out.push(b':');
            }
            hex(g, out);
        }
    };
    if best.1 >= 2 {
        join(&groups[..best.0], out);
        out.extend_from_slice(b"::");
        join(&groups[best.0 + best.1..], out);
    } else {
        join(&groups, out);
    }
}

/// Each octet's decimal text in four bytes: its digits, then its length in the last byte.
const OCTET_TEXT: [[u8; 4]; 256] = {
    let mut table = [[0u8; 4]; 256];
    let mut o = 0;
    while o < 256 {
        let (h, t, u) = (b'0' + (o / 100) as u8, b'0' + (o / 10 % 10) as u8, b'0' + (o % 10) as u8);
        table[o] = match o {
            100.. => [h, t, u, 3],
            10.. => [t, u, 0, 2],
            _ => [u, 0, 0, 1],
        };
        o += 1;
    }
    table
};

/// Dotted-quad formatting without the `fmt` machinery: this runs once per address. Each
/// octet's text is copied from a table four bytes at a time (what follows its digits is
/// overwritten by the dot), and the whole text is appended once.
pub(super) fn write_ipv4(addr: Ipv4Addr, out: &mut Vec<u8>) {
    let mut text = [0u8; 16];
    let mut n = 0;
    for o in addr.octets() {
        let digits = OCTET_TEXT[usize::from(o)];
        text[n..n + 4].copy_from_slice(&digits);
        n += usize::from(digits[3]);
        text[n] = b'.';
        n += 1;
    }
    out.extend_from_slice(&text[..n - 1]);
}

/// Masks letters and digits with `*` except the last `keep_last`; separators and `%XX` escapes
/// are kept so the value keeps its shape (`4111 1111 1111 1111` -> `**** **** **** 1111`).
pub(super) fn mask(value: &[u8], keep_last: usize, out: &mut Vec<u8>) {
    let is_escape =
        |i: usize| value[i] == b'%' && value.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
    let mut total = 0;
    let mut i = 0;
    while i < value.len() {
        if is_escape(i) {
            i += 3;
            continue;
        }
        total += usize::from(value[i].is_ascii_alphanumeric());
        i += 1;
    }
    let mut seen = 0;
    let mut i = 0;
    while i < value.len() {
        if is_escape(i) {
            out.extend_from_slice(&value[i..i + 3]);
            i += 3;
            continue;
        }
        let c = value[i];
        if c.is_ascii_alphanumeric() {
            seen += 1;
            out.push(if seen + keep_last > total { c } else { b'*' });
        } else {
            out.push(c);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_text_matches_the_standard_library() {
        let mut samples: Vec<Ipv6Addr> = [
            "::",
            "::1",
            "1::",
            "2001:db8::",
            "2001:db8:0:1:0:0:0:1",
            "1:0:0:2:0:0:0:3",
            "1:2:3:4:5:6:7:8",
            "0:1::",
            "ffff::ffff:0:0",
            "1:0:1:0:1:0:1:0",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let mut x: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
        for _ in 0..5000 {
            x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835).wrapping_add(1);
            // Zero some groups at random so compression is exercised.
            let mask = (0..8).fold(0u128, |m, k| if (x >> (k * 7)) & 3 == 0 { m } else { m | (0xffff << (k * 16)) });
            samples.push(Ipv6Addr::from(x & mask));
        }
        for addr in samples {
            let mut out = Vec::new();
            write_ipv6(addr, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), addr.to_string());
        }
    }

    #[test]
    fn ipv4_text_matches_std() {
        // Every octet value in every position, with neighbours of each length.
        for o in 0..=255u8 {
            for addr in [[o, 0, 9, 10], [99, o, 100, 255], [255, 1, o, 7], [10, 200, 3, o], [o; 4]] {
                let addr = Ipv4Addr::from(addr);
                let mut out = b"x".to_vec();
                write_ipv4(addr, &mut out);
                assert_eq!(String::from_utf8(out).unwrap(), format!("x{addr}"));
            }
        }
    }

    #[test]
    fn masks_keep_separators_and_escapes() {
        let mut out = Vec::new();
        mask(b"4111%201111%201111%201111", 4, &mut out);
        assert_eq!(out, b"****%20****%20****%201111");
    }
}
