//! What happens to a found value: IP truncation and keyed pseudonyms. Pure functions over
//! parsed values; finding the values is the detectors' job, placing the result is the renderer's.
//!
//! Pseudonyms are HMAC-SHA-256 under the user's secret key, never a bare hash: the IPv4 space has
//! 2^32 members and a bare hash of it is reversed by enumeration in minutes. The message is the
//! *canonical* address (4 bytes for IPv4, including IPv4-mapped IPv6; 16 bytes for other IPv6),
//! so every textual form of one address gives one pseudonym. Other values (emails, user names) are
//! hashed as `category 0x00 normalized-value`, so that equal strings in different categories do
//! not link. A token is a prefix, a dash and the first 8 bytes of the MAC in lower-case hex
//! (`ip4-5c1f0e6a9b3d2478`): 64 bits, so that collisions are negligible for any one log's
//! population of addresses while lines stay short. [`Pseudonymizer`] holds the keyed HMAC state.
//!
//! Which key a line uses is [`rotation`]'s business (the master key, or the key of the period that
//! contains the line's event time); how an address is written is [`preserving`]'s (a token, or an
//! address of the same family). Each worker holds a [`WorkerKeys`]: the keys of its current period
//! and a small cache, because real logs repeat client addresses heavily and an HMAC costs ~150 ns
//! (a format-preserving cipher several microseconds).

pub mod preserving;
pub mod rotation;

use hmac::{Hmac, Mac};
use rotation::{KeySchedule, PeriodKeys};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Shortest key accepted: 128 bits. Shorter secrets make the pseudonyms guessable.
pub const MIN_KEY_BYTES: usize = 16;

/// Length of a pseudonym's hex part.
pub const TOKEN_HEX: usize = 16;

/// The address a pseudonym or truncation is computed over: IPv4-mapped IPv6 is the IPv4 address.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The network address of `addr`'s prefix: `203.0.113.77` /24 is `203.0.113.0`.
pub fn truncate_v4(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
    Ipv4Addr::from(u32::from(addr) & mask)
}

/// The network address of `addr`'s prefix: `2001:db8:1:2::5` /48 is `2001:db8:1::`.
pub fn truncate_v6(addr: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix.min(128))).unwrap_or(0);
    Ipv6Addr::from(u128::from(addr) & mask)
}

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "the key is {0} bytes; at least {MIN_KEY_BYTES} bytes of secret are required (e.g. `head -c 32 /dev/urandom > loganon.key`)"
    )]
    TooShort(usize),
}

/// A keyed HMAC-SHA-256, ready to clone: the key schedule (inner and outer pad states) is
/// computed once, so each pseudonym costs two compression rounds.
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<keyed>)")
    }
}

impl Pseudonymizer {
    /// Keys the HMAC. The key bytes are used as given (a trailing newline is the caller's to strip).
    pub fn new(key: &[u8]) -> Result<Self, KeyError> {
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort(key.len()));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        Ok(Self { mac })
    }

    /// The whole MAC of the concatenated parts: key material for derived keys.
    pub fn mac_full(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    fn digest(&self, parts: &[&[u8]]) -> [u8; 8] {
        let full = self.mac_full(parts);
        let mut out = [0u8; 8];
        out.copy_from_slice(&full[..8]);
        out
    }

    /// The MAC prefix for an address, computed over its canonical form.
    pub fn ip_digest(&self, addr: IpAddr) -> [u8; 8] {
        match canonical(addr) {
            IpAddr::V4(v4) => self.digest(&[&v4.octets()]),
            IpAddr::V6(v6) => self.digest(&[&v6.octets()]),
        }
    }

    /// The MAC prefix for a non-address value in a category.
    pub fn value_digest(&self, category: &[u8], normalized: &[u8]) -> [u8; 8] {
        self.digest(&[category, &[0], normalized])
    }
}

/// Appends `prefix-<16 hex digits>` to `out`.
pub fn write_token(prefix: &[u8], digest: &[u8; 8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(prefix);
    out.push(b'-');
    for b in digest {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
}

/// The token prefix of an address's family after canonicalization.
pub fn ip_token_prefix(addr: IpAddr) -> &'static [u8] {
    match canonical(addr) {
        IpAddr::V4(_) => b"ip4",
        IpAddr::V6(_) => b"ip6",
    }
}

/// What an address becomes under a hash rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpPseudonym {
    /// The MAC prefix of a token (`ip4-...`).
    Token([u8; 8]),
    /// A format-preserving pseudonym: an address of the same family.
    Addr(IpAddr),
}

impl PeriodKeys {
    /// The pseudonym of `addr` under these keys, computed over its canonical form.
    pub fn ip(&self, addr: IpAddr) -> IpPseudonym {
        let addr = canonical(addr);
        match &self.cipher {
            Some(c) => IpPseudonym::Addr(c.encrypt(addr)),
            None => IpPseudonym::Token(self.mac.ip_digest(addr)),
        }
    }
}

/// Slots per set of [`PseudonymCache`], and sets (a power of two).
const WAYS: usize = 4;
const SETS: usize = 1024;

/// A cache of recent address pseudonyms: 1024 sets of four slots, most recently used first.
/// 4096 slots hold the working set of client addresses of a busy server's access log; a miss
/// costs one HMAC (or one cipher call). Four ways per set instead of one slot let busy addresses
/// that hash to the same set stay together: on the generated access corpus a direct-mapped table
/// of the same size computed 1.6 times as many HMACs (5,234 against 3,201 in 20,000 lines holding
/// about 2,900 distinct addresses).
///
/// The table (about 160 KiB) is made on the first lookup: every pipeline worker and every
/// `serve` connection has a cache, and only hash mode uses it. Made up front, it made each idle
/// connection cost about 140 KiB, 36 MB for 256 of them.
#[derive(Default)]
pub struct PseudonymCache {
    /// Empty until the first lookup, then [`SETS`] sets.
    sets: Vec<[Option<(IpAddr, IpPseudonym)>; WAYS]>,
}

impl PseudonymCache {
    /// The set an address (in canonical form) belongs to.
    fn set_of(addr: IpAddr) -> usize {
        let bits = match addr {
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            IpAddr::V6(v6) => u128::from(v6),
        };
        // Fibonacci hashing spreads neighbouring addresses over the table: its top bits pick the set.
        let h = (bits as u64 ^ (bits >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - SETS.trailing_zeros())) as usize
    }

    /// The slot of `set` that holds `addr`, if any.
    fn way(set: &[Option<(IpAddr, IpPseudonym)>; WAYS], addr: IpAddr) -> Option<usize> {
        set.iter().position(|s| s.is_some_and(|(cached, _)| cached == addr))
    }

    /// The pseudonym of `addr`, from the cache or freshly computed with `keys`.
    pub fn ip(&mut self, keys: &PeriodKeys, addr: IpAddr) -> IpPseudonym {
        let addr = canonical(addr);
        if self.sets.is_empty() {
            self.sets = vec![[None; WAYS]; SETS];
        }
        let set = &mut self.sets[Self::set_of(addr)];
        // A hit moves its slot to the front; a miss drops the least recently used slot.
        let (way, p) = match Self::way(set, addr) {
            Some(way) => (way, set[way].expect("matched above").1),
            None => (WAYS - 1, keys.ip(addr)),
        };
        set[..=way].rotate_right(1);
        set[0] = Some((addr, p));
        p
    }

    fn clear(&mut self) {
        self.sets.fill([None; WAYS]);
    }

    #[cfg(test)]
    fn holds(&self, addr: IpAddr) -> bool {
        self.sets.get(Self::set_of(addr)).is_some_and(|set| Self::way(set, addr).is_some())
    }
}

/// A worker's keys: those of the period its current line falls in, and the cache of pseudonyms
/// made with them (emptied when the period changes, so no pseudonym crosses periods).
#[derive(Default)]
pub struct WorkerKeys {
    current: Option<(i64, PeriodKeys)>,
    cache: PseudonymCache,
}

impl WorkerKeys {
    /// The keys for a line whose event time is `time`, deriving them on a change of period.
    pub fn at(&mut self, schedule: &KeySchedule, time: i64) -> (&PeriodKeys, &mut PseudonymCache) {
        let p = schedule.period_of(time);
        if self.current.as_ref().is_none_or(|(q, _)| *q != p) {
            self.current = Some((p, schedule.keys(p)));
            self.cache.clear();
        }
        let (_, keys) = self.current.as_ref().expect("set above");
        (keys, &mut self.cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn token(p: &Pseudonymizer, s: &str) -> String {
        let addr: IpAddr = s.parse().unwrap();
        let mut out = Vec::new();
        write_token(ip_token_prefix(addr), &p.ip_digest(addr), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn truncates_to_network_address() {
        assert_eq!(truncate_v4("203.0.113.77".parse().unwrap(), 24), Ipv4Addr::new(203, 0, 113, 0));
        assert_eq!(truncate_v4("203.0.113.77".parse().unwrap(), 16), Ipv4Addr::new(203, 0, 0, 0));
        assert_eq!(truncate_v4("203.0.113.77".parse().unwrap(), 0), Ipv4Addr::UNSPECIFIED);
        assert_eq!(truncate_v4("203.0.113.77".parse().unwrap(), 32), Ipv4Addr::new(203, 0, 113, 77));
        let v6: Ipv6Addr = "2001:db8:1:2::5".parse().unwrap();
        assert_eq!(truncate_v6(v6, 48).to_string(), "2001:db8:1::");
        assert_eq!(truncate_v6(v6, 0), Ipv6Addr::UNSPECIFIED);
        assert_eq!(truncate_v6(v6, 128), v6);
    }

    #[test]
    fn pseudonym_ignores_textual_form() {
        let p = Pseudonymizer::new(KEY).unwrap();
        assert_eq!(token(&p, "1.2.3.4"), token(&p, "::ffff:1.2.3.4"));
        assert_eq!(token(&p, "2001:DB8::1"), token(&p, "2001:0db8:0000::0001"));
        assert!(token(&p, "1.2.3.4").starts_with("ip4-"));
        assert!(token(&p, "2001:db8::1").starts_with("ip6-"));
        assert_eq!(token(&p, "1.2.3.4").len(), 4 + TOKEN_HEX);
        assert_ne!(token(&p, "1.2.3.4"), token(&p, "1.2.3.5"));
    }

    #[test]
    fn pseudonym_is_the_documented_hmac() {
        // The README promises HMAC-SHA-256(key, 4 address bytes), first 8 bytes in hex.
        let p = Pseudonymizer::new(KEY).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
        mac.update(&[1, 2, 3, 4]);
        let full = mac.finalize().into_bytes();
        let hex: String = full[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(token(&p, "1.2.3.4"), format!("ip4-{hex}"));
    }

    #[test]
    fn another_key_gives_unrelated_tokens() {
        let a = Pseudonymizer::new(KEY).unwrap();
        let b = Pseudonymizer::new(b"another key of sufficient length").unwrap();
        assert_ne!(token(&a, "1.2.3.4"), token(&b, "1.2.3.4"));
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(Pseudonymizer::new(b"short").unwrap_err(), KeyError::TooShort(5));
    }

    #[test]
    fn cache_agrees_with_direct_computation() {
        let schedule = KeySchedule::new(Pseudonymizer::new(KEY).unwrap(), None, preserving::IpFormat::Token);
        let keys = schedule.keys(0);
        let mut cache = PseudonymCache::default();
        for i in 0..20_000u32 {
            let addr = IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761)));
            let direct = IpPseudonym::Token(keys.mac.ip_digest(addr));
            assert_eq!(cache.ip(&keys, addr), direct);
            assert_eq!(cache.ip(&keys, addr), direct);
        }
    }

    #[test]
    fn a_full_set_drops_its_least_recently_used_address() {
        let schedule = KeySchedule::new(Pseudonymizer::new(KEY).unwrap(), None, preserving::IpFormat::Token);
        let keys = schedule.keys(0);
        let first = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let set = PseudonymCache::set_of(first);
        let same_set: Vec<IpAddr> = (0..u32::MAX)
            .map(|i| IpAddr::V4(Ipv4Addr::from(0xCB00_7100 + i)))
            .filter(|&a| PseudonymCache::set_of(a) == set)
            .take(WAYS)
            .collect();
        let mut cache = PseudonymCache::default();
        cache.ip(&keys, first);
        for &a in &same_set[..WAYS - 1] {
            cache.ip(&keys, a);
        }
        cache.ip(&keys, first); // used again: now the most recent
        cache.ip(&keys, same_set[WAYS - 1]);
        assert!(cache.holds(first), "a recently used address stays");
        assert!(!cache.holds(same_set[0]), "the least recently used one goes");
        assert!(same_set[1..].iter().all(|&a| cache.holds(a)));
    }

    #[test]
    fn a_new_period_empties_the_cache() {
        let schedule = KeySchedule::new(
            Pseudonymizer::new(KEY).unwrap(),
            Some(rotation::Rotation { period: 86_400, stamp: false }),
            preserving::IpFormat::Token,
        );
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        let mut worker = WorkerKeys::default();
        let day1 = {
            let (k, c) = worker.at(&schedule, 86_400);
            c.ip(k, addr)
        };
        let day2 = {
            let (k, c) = worker.at(&schedule, 2 * 86_400);
            c.ip(k, addr)
        };
        assert_ne!(day1, day2);
        assert_eq!(day2, schedule.keys(2).ip(addr));
    }
}
