//! Sets of bytes as 256-entry tables built at compile time. A membership test is one load,
//! where the same test written as ranges (`is_ascii_alphanumeric() || matches!(..)`) costs a
//! handful of compares in the loops that walk text byte by byte (logfmt keys, the key before a
//! `=` or `:`, an email address's local part and domain).

/// The ASCII letters and digits, and the bytes of `extra`.
pub const fn alphanumeric_and(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
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
    fn holds_letters_digits_and_the_extra_bytes_only() {
        let set = alphanumeric_and(b"_-");
        for c in 0..=255u8 {
            assert_eq!(set[usize::from(c)], c.is_ascii_alphanumeric() || c == b'_' || c == b'-', "byte {c}");
        }
        let wide = and_non_ascii(set);
        for c in 0..=255u8 {
            assert_eq!(wide[usize::from(c)], set[usize::from(c)] || c >= 0x80, "byte {c}");
        }
    }
}
