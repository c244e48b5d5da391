//! Sets of bytes as 256-entry tables built at compile time. A membership test is one load,
//! where the same test written as ranges (`is_ascii_alphanumeric() || matches!(..)`) costs a
//! handful of compares in the loops that walk text byte by byte (logfmt keys, the key before a
//! `=` or `:`, an email address's local part and domain, an IPv6 address's run).

/// The ASCII letters and digits, and the bytes of `extra`.
pub const fn alphanumeric_and(extra: &[u8]) -> [bool; 256] {
    with(ranges(&[(b'0', b'9'), (b'a', b'z'), (b'A', b'Z')]), extra)
}

/// The ASCII hex digits (either case), and the bytes of `extra`.
pub const fn hex_digits_and(extra: &[u8]) -> [bool; 256] {
    with(ranges(&[(b'0', b'9'), (b'a', b'f'), (b'A', b'F')]), extra)
}

/// The bytes of the inclusive `ranges`.
const fn ranges(ranges: &[(u8, u8)]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut r = 0;
    while r < ranges.len() {
        let (mut c, last) = (ranges[r].0 as usize, ranges[r].1 as usize);
        while c <= last {
            set[c] = true;
            c += 1;
        }
        r += 1;
    }
    set
}

/// `set` with the bytes of `extra` added.
const fn with(mut set: [bool; 256], extra: &[u8]) -> [bool; 256] {
    let mut i = 0;
    while i < extra.len() {
        set[extra[i] as usize] = true;
        i += 1;
    }
    set
}

/// `set` with every byte above ASCII added (the bytes of UTF-8 text outside ASCII).
pub const fn and_non_ascii(mut set: [bool; 256]) -> [bool; 256] {
    let mut c = 0x80;
    while c < 256 {
        set[c] = true;
        c += 1;
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_holds_its_bytes_only() {
        let set = alphanumeric_and(b"_-");
        for c in 0..=255u8 {
            assert_eq!(set[usize::from(c)], c.is_ascii_alphanumeric() || c == b'_' || c == b'-', "byte {c}");
        }
        let hex = hex_digits_and(b":.");
        for c in 0..=255u8 {
            assert_eq!(hex[usize::from(c)], c.is_ascii_hexdigit() || c == b':' || c == b'.', "byte {c}");
        }
        let wide = and_non_ascii(set);
        for c in 0..=255u8 {
            assert_eq!(wide[usize::from(c)], set[usize::from(c)] || c >= 0x80, "byte {c}");
        }
    }
}
