//! Sets of bytes as 256-entry tables built at compile time. A membership test is one load,
//! where the same test written as ranges (`is_ascii_alphanumeric() || matches!(..)`) costs a
//! handful of compares in the loops that walk a key byte by byte (logfmt keys, the key before a
//! `=` or `:`).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_letters_digits_and_the_extra_bytes_only() {
        let set = alphanumeric_and(b"_-");
        for c in 0..=255u8 {
            assert_eq!(set[usize::from(c)], c.is_ascii_alphanumeric() || c == b'_' || c == b'-', "byte {c}");
        }
    }
}
