//! A set of byte pairs as a 65,536-bit table: one load and one bit test per pair looked up.
//!
//! Two finders turn most candidates away by a pair of bytes before their real search: the
//! regex anchors by the first two bytes of their literals (on short regions, where the automaton's
//! set-up costs more than the scan), the key rules by the last two bytes of their keys.

/// The pairs, bit `256 a + b` for the pair `a b`.
#[derive(Clone, Debug)]
pub struct BytePairs(Box<[u64; 1024]>);

impl BytePairs {
    pub fn new(pairs: impl IntoIterator<Item = (u8, u8)>) -> Self {
        // A fixed-size table: every pair's word is in bounds, so a lookup checks no index.
        let mut bits = Box::new([0u64; 1024]);
        for (a, b) in pairs {
            let bit = usize::from(a) << 8 | usize::from(b);
            bits[bit / 64] |= 1 << (bit % 64);
        }
        Self(bits)
    }

    #[inline]
    pub fn contains(&self, a: u8, b: u8) -> bool {
        let bit = usize::from(a) << 8 | usize::from(b);
        self.0[bit / 64] >> (bit % 64) & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_exactly_its_pairs() {
        let p = BytePairs::new([(b'e', b'y'), (0, 0), (255, 255)]);
        assert!(p.contains(b'e', b'y') && p.contains(0, 0) && p.contains(255, 255));
        assert!(!p.contains(b'y', b'e') && !p.contains(0, 1) && !p.contains(255, 254));
    }
}
