//! Byte-class bit masks of 64-byte blocks: where the digits and a few separator bytes are.
//!
//! Detectors for numbers (addresses, cards) care about separators *between digits*: the dot of
//! `192.0.2.1`, not the dots of `www.example.com` or `index.html`. A `memchr` loop stops at every
//! separator and pays a call and a restart each time, and in an access log those separators are
//! everywhere (URLs, user agents, dates). Classifying 64 bytes at once into bit masks, with SSE2
//! (part of the x86_64 baseline, so no runtime detection), lets a detector shift and AND the masks
//! to keep only the interesting positions and visit those alone.

/// Masks of the 64 bytes at `b[at..]`: bit `i` of `digits` is set if `b[at + i]` is an ASCII
/// digit, bit `i` of `eq[k]` if it equals `bytes[k]`. Bytes past the end of `b` match nothing.
#[inline(always)]
pub fn block<const N: usize>(b: &[u8], at: usize, bytes: [u8; N]) -> (u64, [u64; N]) {
    let mut pad = [0u8; 64];
    let w = match b.get(at..at + 64) {
        Some(w) => w,
        None => {
            let rest = b.get(at..).unwrap_or(&[]);
            pad[..rest.len()].copy_from_slice(rest);
            &pad
        }
    };
    let mut digits = 0u64;
    let mut eq = [0u64; N];
    for chunk in 0..4 {
        let (d, e) = masks16(&w[chunk * 16..chunk * 16 + 16], bytes);
        digits |= u64::from(d) << (chunk * 16);
        for (m, e) in eq.iter_mut().zip(e) {
            *m |= u64::from(e) << (chunk * 16);
        }
    }
    (digits, eq)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks16<const N: usize>(w: &[u8], bytes: [u8; N]) -> (u16, [u16; N]) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8, _mm_sub_epi8,
    };
    assert_eq!(w.len(), 16);
    // SAFETY: `w` holds exactly 16 bytes, so the unaligned load stays inside it; SSE2 is part of
    // the x86_64 baseline.
    unsafe {
        let v = _mm_loadu_si128(w.as_ptr().cast());
        let shifted = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let d = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(9)), shifted)) as u16;
        let e = bytes.map(|c| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8))) as u16);
        (d, e)
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn masks16<const N: usize>(w: &[u8], bytes: [u8; N]) -> (u16, [u16; N]) {
    let mut d = 0u16;
    let mut e = [0u16; N];
    for (i, &c) in w.iter().enumerate() {
        d |= u16::from(c.is_ascii_digit()) << i;
        for (m, &x) in e.iter_mut().zip(&bytes) {
            *m |= u16::from(c == x) << i;
        }
    }
    (d, e)
}

/// Positions in `b` of the byte `sep` with an ASCII digit on both sides, in order.
pub fn between_digits(b: &[u8], sep: u8) -> BetweenDigits<'_> {
    BetweenDigits { b, sep, next_block: 0, block: 0, mask: 0 }
}

/// The iterator of [`between_digits`]: one block's mask at a time.
pub struct BetweenDigits<'a> {
    b: &'a [u8],
    sep: u8,
    next_block: usize,
    block: usize,
    mask: u64,
}

impl Iterator for BetweenDigits<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            let at = self.next_block;
            if at >= self.b.len() {
                return None;
            }
            let (d, [s]) = block(self.b, at, [self.sep]);
            let before = d << 1 | u64::from(at > 0 && self.b[at - 1].is_ascii_digit());
            let after = d >> 1 | u64::from(self.b.get(at + 64).is_some_and(u8::is_ascii_digit)) << 63;
            self.mask = s & before & after;
            self.block = at;
            self.next_block = at + 64;
        }
        let i = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.block + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_a_byte_loop_at_every_length_and_offset() {
        let text: Vec<u8> = (0..300u32).map(|i| b"0a.9-Z 5..1-"[(i * 7 % 12) as usize]).collect();
        for at in [0, 1, 17, 63, 64, 100, 250, 299, 300] {
            let (d, [dot, dash]) = block(&text, at, [b'.', b'-']);
            for i in 0..64 {
                let c = text.get(at + i).copied();
                assert_eq!(d >> i & 1 == 1, c.is_some_and(|c| c.is_ascii_digit()), "digit at {at}+{i}");
                assert_eq!(dot >> i & 1 == 1, c == Some(b'.'), "dot at {at}+{i}");
                assert_eq!(dash >> i & 1 == 1, c == Some(b'-'), "dash at {at}+{i}");
            }
        }
    }

    #[test]
    fn separators_between_digits_across_block_edges() {
        for pad in 0..140 {
            let line = format!("{}1.2 a.b 3. .4 5.6", "x".repeat(pad));
            let got: Vec<usize> = between_digits(line.as_bytes(), b'.').collect();
            assert_eq!(got, [pad + 1, pad + 15], "{line}");
        }
        assert_eq!(between_digits(b"", b'.').count(), 0);
    }
}
