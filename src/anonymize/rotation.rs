//! Key rotation: one pseudonym key per period of event time, derived from the master key.
//!
//! A privacy policy that keeps pseudonymous IPs "for 2 weeks" is undermined if the same address
//! gets the same pseudonym forever: months of logs link up into one profile. With rotation, the
//! key for a line is
//!
//! ```text
//! K_p = HMAC-SHA-256(master, "loganon key rotation v1" 0x00 || be64(period_seconds) || be64(p))
//! p   = floor(event_time / period_seconds)      (periods counted from 1970-01-01T00:00:00Z)
//! ```
//!
//! where the event time is the line's own timestamp, capped at the clock like its expiry. So:
//! replays of old logs give the same pseudonyms as the first run did (the wall clock plays no
//! part); every host with the same master key agrees with no coordination; and pseudonyms of
//! different periods are unrelated to anyone without the master key. A search for a known value
//! in period `p` needs only `K_p` (or the master), and `K_p` reveals neither the master nor any
//! other period's key, because HMAC is a pseudorandom function. Whoever keeps the master key can
//! still recompute every period: destroying old periods for good means rotating the master key
//! itself, which is the operator's call and is documented in the README.
//!
//! Workers hold the derived keys of the period they are in ([`PeriodKeys`]) and derive the next
//! ones when a line's period changes, which happens once a period in a time-ordered log.

use super::Pseudonymizer;
use super::preserving::{IpCipher, IpFormat};

/// The label that keeps period keys apart from every other use of the master key.
const LABEL: &[u8] = b"loganon key rotation v1\0";

/// The shortest and longest rotation periods accepted.
pub const MIN_PERIOD: i64 = 60;
pub const MAX_PERIOD: i64 = 366 * 86_400;

/// Key rotation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// Period length in seconds.
    pub period: i64,
    /// Stamp lines that carry pseudonyms with the start of their period (`key_period=`).
    pub stamp: bool,
}

/// The master key and how keys are chosen from it: immutable, shared by every worker.
#[derive(Clone, Debug)]
pub struct KeySchedule {
    master: Pseudonymizer,
    /// Without rotation the master key serves every line.
    rotation: Option<Rotation>,
    ip_format: IpFormat,
}

/// The keys of one period, owned by a worker: the HMAC for tokens and, for format-preserving
/// address pseudonyms, the address cipher.
pub struct PeriodKeys {
    pub mac: Pseudonymizer,
    pub cipher: Option<IpCipher>,
}

impl KeySchedule {
    /// The period must lie within [`MIN_PERIOD`]..=[`MAX_PERIOD`]; the rules loader checks it.
    pub fn new(master: Pseudonymizer, rotation: Option<Rotation>, ip_format: IpFormat) -> Self {
        debug_assert!(rotation.is_none_or(|r| (MIN_PERIOD..=MAX_PERIOD).contains(&r.period)));
        Self { master, rotation, ip_format }
    }

    pub fn rotation(&self) -> Option<Rotation> {
        self.rotation
    }

    fn rotate(&self) -> Option<i64> {
        self.rotation.map(|r| r.period)
    }

    pub fn ip_format(&self) -> IpFormat {
        self.ip_format
    }

    /// The period that contains `time` (0 for every time without rotation).
    pub fn period_of(&self, time: i64) -> i64 {
        self.rotate().map_or(0, |len| time.div_euclid(len))
    }

    /// The first second of period `p` (Unix time).
    pub fn period_start(&self, p: i64) -> i64 {
        self.rotate().map_or(0, |len| p.saturating_mul(len))
    }

    /// The raw key of period `p`: the master key itself without rotation, else `K_p`.
    pub fn period_key(&self, p: i64) -> Option<[u8; 32]> {
        let len = self.rotate()?;
        Some(self.master.mac_full(&[LABEL, &len.to_be_bytes(), &p.to_be_bytes()]))
    }

    /// The keys of period `p`, ready to use.
    pub fn keys(&self, p: i64) -> PeriodKeys {
        let mac = match self.period_key(p) {
            Some(k) => Pseudonymizer::new(&k).expect("a derived key has 32 bytes"),
            None => self.master.clone(),
        };
        let cipher = IpCipher::new(self.ip_format, &mac);
        PeriodKeys { mac, cipher }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const MASTER: &[u8] = b"0123456789abcdef0123456789abcdef";
    const DAY: i64 = 86_400;

    fn schedule(period: Option<i64>) -> KeySchedule {
        let rotation = period.map(|period| Rotation { period, stamp: false });
        KeySchedule::new(Pseudonymizer::new(MASTER).unwrap(), rotation, IpFormat::Token)
    }

    #[test]
    fn periods_are_counted_from_the_epoch_in_utc() {
        let s = schedule(Some(DAY));
        // 2026-11-22T00:00:00Z is day 20779; its last second belongs to it, the next does not.
        assert_eq!(s.period_of(1_795_305_600), 20_779);
        assert_eq!(s.period_of(1_795_305_600 + DAY - 1), 20_779);
        assert_eq!(s.period_of(1_795_305_600 + DAY), 20_780);
        assert_eq!(s.period_start(20_779), 1_795_305_600);
        assert_eq!(s.period_of(-1), -1, "times before 1970 still get a period of their own");
        assert_eq!(schedule(None).period_of(1_795_305_600), 0);
    }

    #[test]
    fn period_key_is_the_documented_hmac() {
        let s = schedule(Some(DAY));
        let mut mac = Hmac::<Sha256>::new_from_slice(MASTER).unwrap();
        mac.update(b"loganon key rotation v1\0");
        mac.update(&DAY.to_be_bytes());
        mac.update(&20_779i64.to_be_bytes());
        assert_eq!(s.period_key(20_779).unwrap(), <[u8; 32]>::from(mac.finalize().into_bytes()));
        assert_eq!(schedule(None).period_key(20_779), None);
    }

    #[test]
    fn periods_and_lengths_give_unrelated_keys() {
        let day = schedule(Some(DAY));
        let hour = schedule(Some(3600));
        assert_ne!(day.period_key(1), day.period_key(2));
        assert_ne!(day.period_key(1), hour.period_key(1));
        let ip = "192.0.2.1".parse().unwrap();
        assert_ne!(day.keys(1).mac.ip_digest(ip), day.keys(2).mac.ip_digest(ip));
        assert_eq!(day.keys(1).mac.ip_digest(ip), day.keys(1).mac.ip_digest(ip));
    }

    #[test]
    fn without_rotation_the_master_key_is_used() {
        let s = schedule(None);
        let ip = "192.0.2.1".parse().unwrap();
        assert_eq!(s.keys(0).mac.ip_digest(ip), Pseudonymizer::new(MASTER).unwrap().ip_digest(ip));
    }
}
