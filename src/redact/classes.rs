//! Byte-class bit masks of a region, made once per region and shared by every detector.
//!
//! Detectors for numbers (addresses, cards) care about separators *between digits*: the dot of
//! `192.0.2.1`, not the dots of `www.example.com` or `index.html`; others start from bytes that
//! are rare in logs (`@`, `%40`, `=`). A `memchr` loop per detector stops at every such byte and
//! pays a call and a restart each time, and each detector made its own pass over the line. Here
//! the region is classified once, 64 bytes at a time, into one bit mask per class (bit `j` of
//! block `i` is byte `64 i + j`); each detector then shifts and ANDs the masks it needs to keep
//! only the positions worth a look, and visits those alone. The classifier uses AVX2 where the
//! CPU has it (checked at run time) and SSE2 otherwise (part of the x86_64 baseline).

/// A byte class. The separators are the bytes some detector starts from or joins digits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Digit,
    Dot,
    Dash,
    Colon,
    At,
    Percent,
    Equals,
    Space,
    Plus,
    Quote,
    Backslash,
}

/// The bytes of the classes after `Digit`, in their order.
const SEPARATORS: [u8; 10] = [b'.', b'-', b':', b'@', b'%', b'=', b' ', b'+', b'"', b'\\'];
const N: usize = 1 + SEPARATORS.len();

/// The masks of one region, block by block. Kept in a worker's scratch and refilled per region,
/// so classifying allocates nothing once the longest line has been seen.
#[derive(Clone, Debug, Default)]
pub struct Classes {
    blocks: Vec<[u64; N]>,
    /// The OR of each class's masks over the region: not zero if some byte is of that class.
    any: [u64; N],
}

impl Classes {
    /// The masks of `b`.
    pub fn of(b: &[u8]) -> Self {
        let mut c = Self::default();
        c.classify(b);
        c
    }

    /// The heap bytes the masks hold: they grow with the longest region classified.
    pub fn held(&self) -> usize {
        crate::heap::held(&self.blocks)
    }

    /// Replaces the masks by those of `b`.
    pub fn classify(&mut self, b: &[u8]) {
        self.blocks.clear();
        self.blocks.reserve(b.len().div_ceil(64));
        self.any = Kernel::detected().run(b, &mut self.blocks);
    }

    /// True if some byte of the region is of class `c`.
    #[inline]
    pub fn has(&self, c: Class) -> bool {
        self.any[c as usize] != 0
    }

    /// Number of 64-byte blocks.
    #[inline]
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// The mask of class `c` in block `i` (empty past either end).
    #[inline]
    pub fn mask(&self, c: Class, i: usize) -> u64 {
        self.blocks.get(i).map_or(0, |m| m[c as usize])
    }

    /// Bit `j` set if byte `64 i + j + k` is of class `c` (`k` in 1..64): the mask looked `k`
    /// bytes ahead, across the block edge.
    #[inline]
    pub fn ahead(&self, c: Class, i: usize, k: u32) -> u64 {
        self.mask(c, i) >> k | self.mask(c, i + 1) << (64 - k)
    }

    /// Bit `j` set if byte `64 i + j - k` is of class `c` (`k` in 1..64).
    #[inline]
    pub fn behind(&self, c: Class, i: usize, k: u32) -> u64 {
        let before = if i == 0 { 0 } else { self.mask(c, i - 1) };
        self.mask(c, i) << k | before >> (64 - k)
    }

    /// Bytes of class `sep` with a digit on both sides, in block `i`.
    #[inline]
    pub fn between_digits(&self, sep: Class, i: usize) -> u64 {
        self.mask(sep, i) & self.behind(Class::Digit, i, 1) & self.ahead(Class::Digit, i, 1)
    }

    /// The first byte of class `c` at or after `from`.
    pub fn next(&self, c: Class, from: usize) -> Option<usize> {
        self.next_in(|cl, i| cl.mask(c, i), from)
    }

    /// The first position at or after `from` whose bit `select(self, block)` sets.
    pub fn next_in(&self, select: impl Fn(&Self, usize) -> u64, from: usize) -> Option<usize> {
        let mut i = from / 64;
        let mut m = select(self, i) & (u64::MAX << (from % 64));
        while m == 0 {
            i += 1;
            if i >= self.blocks.len() {
                return None;
            }
            m = select(self, i);
        }
        Some(i * 64 + m.trailing_zeros() as usize)
    }

    /// The closing quote of a quoted string (JSON's, a logfmt value, an access log's field)
    /// whose contents start at `from`: the first quote at or after `from` that no backslash
    /// escapes (a backslash escapes the byte after it). Also whether the contents hold a
    /// backslash. `None` if the string is not closed. `b` is the classified region.
    pub fn closing_quote(&self, b: &[u8], from: usize) -> Option<(usize, bool)> {
        let mut at = from;
        let mut escaped = false;
        loop {
            at = self.next_in(|cl, i| cl.mask(Class::Quote, i) | cl.mask(Class::Backslash, i), at)?;
            if b[at] == b'"' {
                return Some((at, escaped));
            }
            escaped = true;
            at += 2;
        }
    }

    /// The positions whose bits `select(self, block)` sets, in order.
    pub fn positions<F: Fn(&Self, usize) -> u64>(&self, select: F) -> Positions<'_, F> {
        Positions { classes: self, select, next_block: 0, base: 0, mask: 0 }
    }

    /// The positions of the bytes of class `c`, in order.
    pub fn of_class(&self, c: Class) -> Positions<'_, impl Fn(&Self, usize) -> u64> {
        self.positions(move |cl, i| cl.mask(c, i))
    }
}

/// True if `len` (1 to 64) consecutive positions are set in the masks `mask(0)` to
/// `mask(blocks - 1)` of a region (bit `j` of `mask(i)` is position `64 i + j`; `mask` must give
/// 0 past the last block). A run lies within one block or crosses an edge, where it is the set
/// bits that end one block and start the next; blocks with no bit set are passed over.
#[inline]
pub fn has_run(blocks: usize, mask: impl Fn(usize) -> u64, len: u32) -> bool {
    (0..blocks).any(|i| {
        let m = mask(i);
        if m == 0 {
            return false;
        }
        // Bit `p` of `r` is set if the `k` bits from `p` on are: ANDing in `r` shifted by up to
        // `k` grows `k` by that much.
        let (mut r, mut k) = (m, 1);
        while k < len {
            let s = k.min(len - k);
            r &= r >> s;
            k += s;
        }
        r != 0 || (m >> 63 == 1 && m.leading_ones() + mask(i + 1).trailing_ones() >= len)
    })
}

/// The iterator of [`Classes::positions`]: one block's mask at a time.
pub struct Positions<'a, F> {
    classes: &'a Classes,
    select: F,
    next_block: usize,
    base: usize,
    mask: u64,
}

impl<F: Fn(&Classes, usize) -> u64> Iterator for Positions<'_, F> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            if self.next_block >= self.classes.blocks.len() {
                return None;
            }
            self.mask = (self.select)(self.classes, self.next_block);
            self.base = self.next_block * 64;
            self.next_block += 1;
        }
        let j = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + j)
    }
}

/// A block classifier, chosen per region from what the CPU has (the standard library caches the
/// check). AVX-512BW was tried (one comparison per class gives a block's mask straight away) and
/// made the whole process 20-30% slower on the Xeon machine this project is measured on, so it is
/// not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// A byte at a time: the reference the vector kernels are tested against, and the
    /// classifier on other architectures.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    Bytes,
    /// SSE2, part of the x86_64 baseline: four 16-byte lanes.
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// AVX2: two 32-byte lanes.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The best kernel this CPU runs.
    fn detected() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
            Kernel::Sse2
        }
        #[cfg(not(target_arch = "x86_64"))]
        Kernel::Bytes
    }

    /// Fills `blocks` (empty) with the masks of `b`, block by block, and returns their OR. The
    /// vector kernels run the whole region inside one function compiled for their features, so
    /// the block classifier inlines into the loop and the feature is checked once per region, not
    /// once per block.
    fn run(self, b: &[u8], blocks: &mut Vec<[u64; N]>) -> [u64; N] {
        match self {
            Kernel::Bytes => blocks_with(b, blocks, classify64_bytes),
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => x86::region_sse2(b, blocks),
            // SAFETY: `detected` chooses AVX2 only where the CPU has it, and the tests take
            // their kernels from `detected`.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { x86::region_avx2(b, blocks) },
        }
    }
}

/// Classifies `b` 64 bytes at a time into `blocks` (empty) with `classify64`; returns the OR of
/// the masks, taken here so that it is compiled with the kernel's features. A last, partial block
/// is the region's last 64 bytes with their masks shifted down to it (bits past the end come in
/// as zeros), or, in a region shorter than 64 bytes, the bytes padded with zero bytes, which
/// belong to no class.
#[inline(always)]
fn blocks_with(b: &[u8], blocks: &mut Vec<[u64; N]>, classify64: impl Fn(&[u8; 64]) -> [u64; N]) -> [u64; N] {
    let mut chunks = b.chunks_exact(64);
    for w in &mut chunks {
        blocks.push(classify64(w.try_into().expect("chunks of 64")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() && b.len() >= 64 {
        let last = classify64(b[b.len() - 64..].try_into().expect("64 bytes"));
        blocks.push(last.map(|m| m >> (64 - rest.len())));
    } else if !rest.is_empty() {
        let mut pad = [0u8; 64];
        pad[..rest.len()].copy_from_slice(rest);
        blocks.push(classify64(&pad));
    }
    let mut any = [0u64; N];
    for m in blocks.iter() {
        for (a, m) in any.iter_mut().zip(m) {
            *a |= m;
        }
    }
    any
}

/// The masks of 64 bytes, a byte at a time.
fn classify64_bytes(w: &[u8; 64]) -> [u64; N] {
    let mut m = [0u64; N];
    for (j, &c) in w.iter().enumerate() {
        m[0] |= u64::from(c.is_ascii_digit()) << j;
        for (k, &s) in SEPARATORS.iter().enumerate() {
            m[k + 1] |= u64::from(c == s) << j;
        }
    }
    m
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{N, SEPARATORS, blocks_with};
    use std::arch::x86_64::*;

    pub fn region_sse2(b: &[u8], blocks: &mut Vec<[u64; N]>) -> [u64; N] {
        blocks_with(b, blocks, classify64_sse2)
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn region_avx2(b: &[u8], blocks: &mut Vec<[u64; N]>) -> [u64; N] {
        blocks_with(b, blocks, |w| classify64_avx2(w))
    }

    /// SSE2: four 16-byte lanes.
    #[inline]
    pub fn classify64_sse2(w: &[u8; 64]) -> [u64; N] {
        let mut m = [0u64; N];
        for lane in 0..4 {
            // SAFETY: the lane's 16 bytes lie inside `w`; SSE2 is part of the x86_64 baseline.
            unsafe {
                let v = _mm_loadu_si128(w.as_ptr().add(lane * 16).cast());
                let shifted = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
                let digit = _mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(9)), shifted);
                m[0] |= u64::from(_mm_movemask_epi8(digit) as u16) << (lane * 16);
                for (k, &s) in SEPARATORS.iter().enumerate() {
                    let eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(s as i8));
                    m[k + 1] |= u64::from(_mm_movemask_epi8(eq) as u16) << (lane * 16);
                }
            }
        }
        m
    }

    /// AVX2: two 32-byte lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub fn classify64_avx2(w: &[u8; 64]) -> [u64; N] {
        let mut m = [0u64; N];
        for lane in 0..2 {
            // SAFETY: the lane's 32 bytes lie inside `w`.
            let v = unsafe { _mm256_loadu_si256(w.as_ptr().add(lane * 32).cast()) };
            let shifted = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
            let digit = _mm256_cmpeq_epi8(_mm256_min_epu8(shifted, _mm256_set1_epi8(9)), shifted);
            m[0] |= u64::from(_mm256_movemask_epi8(digit) as u32) << (lane * 32);
            for (k, &s) in SEPARATORS.iter().enumerate() {
                let eq = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(s as i8));
                m[k + 1] |= u64::from(_mm256_movemask_epi8(eq) as u32) << (lane * 32);
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Class; N] = [
        Class::Digit,
        Class::Dot,
        Class::Dash,
        Class::Colon,
        Class::At,
        Class::Percent,
        Class::Equals,
        Class::Space,
        Class::Plus,
        Class::Quote,
        Class::Backslash,
    ];

    fn is(c: Class, b: u8) -> bool {
        match c {
            Class::Digit => b.is_ascii_digit(),
            _ => SEPARATORS[c as usize - 1] == b,
        }
    }

    fn text(len: usize) -> Vec<u8> {
        // Every byte of every class, and some of none, in a scrambled order.
        let palette = b"0a.9-Z 5..1-:@%=+\x80\xff\x00\"\\";
        (0..len as u32).map(|i| palette[(i.wrapping_mul(2_654_435_761) >> 13) as usize % palette.len()]).collect()
    }

    #[test]
    fn runs_are_found_within_blocks_and_across_edges() {
        // Masks from a fixed generator, some with long runs, against a bit-by-bit count.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for case in 0..3000 {
            let blocks = 1 + case % 4;
            let masks: Vec<u64> = (0..blocks)
                .map(|_| match next() % 4 {
                    0 => 0,
                    1 => u64::MAX,
                    2 => next() | next(),
                    _ => (next() | next() | next()) << (next() % 64),
                })
                .collect();
            let mask = |i: usize| masks.get(i).copied().unwrap_or(0);
            for len in [1, 2, 5, 13, 20, 63, 64] {
                let (mut run, mut longest) = (0, 0);
                for p in 0..64 * blocks {
                    run = if mask(p / 64) >> (p % 64) & 1 == 1 { run + 1 } else { 0 };
                    longest = longest.max(run);
                }
                assert_eq!(has_run(blocks, mask, len), longest >= len, "{masks:x?} len {len}");
            }
        }
    }

    #[test]
    fn vector_classifiers_match_the_byte_loop() {
        for start in 0..64 {
            let t = text(start + 64);
            let w: &[u8; 64] = t[start..].try_into().unwrap();
            let want = classify64_bytes(w);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(x86::classify64_sse2(w), want);
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: checked just above.
                    assert_eq!(unsafe { x86::classify64_avx2(w) }, want);
                }
            }
        }
    }

    #[test]
    fn every_kernel_classifies_a_region_bit_by_bit() {
        let mut kernels = vec![Kernel::Bytes, Kernel::detected()];
        #[cfg(target_arch = "x86_64")]
        kernels.push(Kernel::Sse2);
        for len in [0, 1, 63, 64, 65, 127, 128, 129, 300] {
            let t = text(len);
            // Bit by bit; none past the end.
            let bit = |c: Class, p: usize| u64::from(t.get(p).is_some_and(|&b| is(c, b)));
            let want: Vec<[u64; N]> = (0..len.div_ceil(64))
                .map(|i| ALL.map(|c| (0..64).fold(0, |m, j| m | bit(c, i * 64 + j) << j)))
                .collect();
            for k in &kernels {
                let mut got = Vec::new();
                k.run(&t, &mut got);
                assert_eq!(got, want, "{k:?} over {len} bytes");
            }
        }
    }

    #[test]
    fn masks_and_shifts_match_the_bytes_at_every_length() {
        for len in [0, 1, 17, 63, 64, 65, 100, 128, 250, 300] {
            let t = text(len);
            let cl = Classes::of(&t);
            assert_eq!(cl.blocks(), len.div_ceil(64));
            for c in ALL {
                assert_eq!(cl.has(c), t.iter().any(|&b| is(c, b)), "{c:?} in {len}");
                let at = |p: Option<usize>| p.and_then(|p| t.get(p)).is_some_and(|&b| is(c, b));
                for i in 0..cl.blocks() + 1 {
                    for j in 0..64 {
                        let p = i * 64 + j;
                        assert_eq!(cl.mask(c, i) >> j & 1 == 1, at(Some(p)), "{c:?} {p}");
                        for k in [1, 3, 63] {
                            assert_eq!(cl.ahead(c, i, k) >> j & 1 == 1, at(Some(p + k as usize)), "{c:?} {p}+{k}");
                            assert_eq!(
                                cl.behind(c, i, k) >> j & 1 == 1,
                                at(p.checked_sub(k as usize)),
                                "{c:?} {p}-{k}"
                            );
                        }
                    }
                }
                let want: Vec<usize> = (0..len).filter(|&p| is(c, t[p])).collect();
                assert_eq!(cl.of_class(c).collect::<Vec<_>>(), want);
                for from in 0..len + 2 {
                    assert_eq!(cl.next(c, from), want.iter().copied().find(|&p| p >= from));
                }
            }
        }
    }

    #[test]
    fn closing_quotes_skip_escaped_bytes() {
        let close = |s: &str, from| Classes::of(s.as_bytes()).closing_quote(s.as_bytes(), from);
        assert_eq!(close(r#""abc" x"#, 1), Some((4, false)));
        assert_eq!(close(r#""a\"b" x"#, 1), Some((5, true)));
        assert_eq!(close(r#""a\\" x"#, 1), Some((4, true)), "an escaped backslash does not escape the quote");
        assert_eq!(close(r#""abc"#, 1), None, "not closed");
        assert_eq!(close(r#""ab\"#, 1), None, "a backslash at the end escapes nothing there");
        let long = format!("\"{}\\\"{}\"", "x".repeat(61), "y".repeat(70));
        assert_eq!(close(&long, 1), Some((long.len() - 1, true)), "across blocks");
    }

    #[test]
    fn separators_between_digits_across_block_edges() {
        for pad in 0..140 {
            let line = format!("{}1.2 a.b 3. .4 5.6", "x".repeat(pad));
            let cl = Classes::of(line.as_bytes());
            let got: Vec<usize> = cl.positions(|cl, i| cl.between_digits(Class::Dot, i)).collect();
            assert_eq!(got, [pad + 1, pad + 15], "{line}");
        }
        assert_eq!(Classes::of(b"").positions(|cl, i| cl.between_digits(Class::Dot, i)).count(), 0);
    }
}
