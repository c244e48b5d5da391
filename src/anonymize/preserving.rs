//! Format-preserving address pseudonyms: a keyed, deterministic permutation of the address
//! space, so that a pseudonymized access log still parses, and per-client analytics (counting,
//! rate limits, joins) keep working, while the address is hidden.
//!
//! Two vetted constructions, both by well-kept crates rather than our own code:
//! - [`IpFormat::Ff1`]: NIST SP 800-38G FF1 with AES-256 over the address bits (radix 2: 32
//!   numerals for IPv4, 128 for IPv6), crate `fpe`. An IPv4 address stays IPv4 and an IPv6
//!   address stays IPv6; neighbouring addresses get unrelated results (no prefix is kept).
//! - [`IpFormat::IpcryptPfx`]: ipcrypt-pfx from the IETF draft "Methods for IP Address Encryption
//!   and Obfuscation" (draft-denis-ipcrypt), crate `ipcrypt-rs` by the draft's author. Prefix
//!   preserving: two addresses that share their first n bits give results that share their first
//!   n bits, so a /24 stays one /24 (and so leaks the structure of the population, which is
//!   why it is opt-in). IPv4 stays IPv4.
//!
//! Both are encryption, so whoever holds the key can also decrypt: the output is pseudonymous
//! data, kept for the pseudonymous retention like the hash tokens. Each cipher's key is derived
//! from the period key with its own label (`HMAC(K, "loganon ip-format ff1")`, `... ipcrypt-pfx`),
//! so the HMAC tokens and the ciphers never share key material.

use super::Pseudonymizer;
use aes::Aes256;
use fpe::ff1::{BinaryNumeralString, FF1};
use ipcrypt_rs::IpcryptPfx;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How hashed addresses are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpFormat {
    /// `ip4-`/`ip6-` and 16 hex digits of HMAC-SHA-256.
    #[default]
    Token,
    /// An address of the same family, FF1-encrypted.
    Ff1,
    /// An address of the same family, ipcrypt-pfx encrypted (prefix-preserving).
    IpcryptPfx,
}

impl IpFormat {
    /// The names rule files use.
    pub const NAMES: [(&'static str, IpFormat); 3] =
        [("token", IpFormat::Token), ("ff1", IpFormat::Ff1), ("ipcrypt-pfx", IpFormat::IpcryptPfx)];

    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, f)| *f == self).map_or("token", |(n, _)| n)
    }
}

/// A keyed address permutation (not `Clone`: each worker derives its own from the period key).
pub enum IpCipher {
    Ff1(Box<FF1<Aes256>>),
    Pfx(Box<IpcryptPfx>),
}

impl IpCipher {
    /// The cipher `format` names, keyed from `period` (`None` for [`IpFormat::Token`]).
    pub fn new(format: IpFormat, period: &Pseudonymizer) -> Option<Self> {
        match format {
            IpFormat::Token => None,
            IpFormat::Ff1 => {
                let key = period.mac_full(&[b"loganon ip-format ff1"]);
                Some(IpCipher::Ff1(Box::new(FF1::<Aes256>::new(&key, 2).expect("radix 2 is valid"))))
            }
            IpFormat::IpcryptPfx => {
                let key = period.mac_full(&[b"loganon ip-format ipcrypt-pfx"]);
                // The construction needs two different AES-128 keys; equal halves of an HMAC
                // output have probability 2^-128, and the crate refuses them by panicking.
                Some(IpCipher::Pfx(Box::new(IpcryptPfx::new(key))))
            }
        }
    }

    /// The pseudonym of a canonical address: an address of the same family.
    pub fn encrypt(&self, addr: IpAddr) -> IpAddr {
        match self {
            IpCipher::Pfx(c) => c.encrypt_ipaddr(addr),
            IpCipher::Ff1(c) => {
                let ff1 = |bytes: &[u8]| -> Vec<u8> {
                    let x = BinaryNumeralString::from_bytes_le(bytes);
                    c.encrypt(&[], &x)
                        .expect("a binary numeral string of 32 or 128 bits is in FF1's domain")
                        .to_bytes_le()
                };
                match addr {
                    IpAddr::V4(v4) => {
                        let out: [u8; 4] = ff1(&v4.octets()).try_into().expect("FF1 keeps the length");
                        IpAddr::V4(Ipv4Addr::from(out))
                    }
                    IpAddr::V6(v6) => {
                        let out: [u8; 16] = ff1(&v6.octets()).try_into().expect("FF1 keeps the length");
                        IpAddr::V6(Ipv6Addr::from(out))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn cipher(format: IpFormat) -> IpCipher {
        IpCipher::new(format, &Pseudonymizer::new(b"0123456789abcdef0123456789abcdef").unwrap()).unwrap()
    }

    fn enc(c: &IpCipher, s: &str) -> IpAddr {
        c.encrypt(s.parse().unwrap())
    }

    #[test]
    fn the_ipcrypt_crate_matches_the_drafts_test_vectors() {
        // draft-denis-ipcrypt, ipcrypt-pfx test vectors (key, input, output).
        let key: [u8; 32] = std::array::from_fn(|i| {
            let hex = "0123456789abcdeffedcba98765432101032547698badcfeefcdab8967452301";
            u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()
        });
        let c = IpcryptPfx::new(key);
        assert_eq!(c.encrypt_ipaddr("192.0.2.1".parse().unwrap()).to_string(), "100.115.72.131");
        assert_eq!(
            c.encrypt_ipaddr("2001:db8::1".parse().unwrap()).to_string(),
            "c180:5dd4:2587:3524:30ab:fa65:6ab6:f88"
        );
    }

    #[test]
    fn both_keep_the_family_and_are_deterministic() {
        for format in [IpFormat::Ff1, IpFormat::IpcryptPfx] {
            let c = cipher(format);
            for s in ["192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "fe80::1"] {
                let a = enc(&c, s);
                let orig: IpAddr = s.parse().unwrap();
                assert_eq!(a.is_ipv4(), orig.is_ipv4(), "{format:?} {s} -> {a}");
                assert_eq!(a, enc(&c, s));
                assert_ne!(a, orig, "{format:?} left {s} unchanged");
            }
        }
    }

    #[test]
    fn ff1_is_a_permutation_without_prefix_structure() {
        let c = cipher(IpFormat::Ff1);
        let outs: HashSet<IpAddr> =
            (0..=255u8).map(|i| c.encrypt(IpAddr::V4(Ipv4Addr::new(198, 51, 100, i)))).collect();
        assert_eq!(outs.len(), 256, "distinct inputs give distinct outputs");
        let nets: HashSet<[u8; 3]> = outs
            .iter()
            .map(|a| match a {
                IpAddr::V4(v4) => [v4.octets()[0], v4.octets()[1], v4.octets()[2]],
                IpAddr::V6(_) => unreachable!(),
            })
            .collect();
        assert!(nets.len() > 200, "one /24 must scatter, got {} networks", nets.len());
    }

    #[test]
    fn ipcrypt_pfx_keeps_shared_prefixes() {
        let c = cipher(IpFormat::IpcryptPfx);
        let (a, b, other) = (enc(&c, "198.51.100.7"), enc(&c, "198.51.100.200"), enc(&c, "203.0.113.7"));
        let net = |a: IpAddr| match a {
            IpAddr::V4(v4) => u32::from(v4) >> 8,
            IpAddr::V6(_) => unreachable!(),
        };
        assert_eq!(net(a), net(b));
        assert_ne!(net(a), net(other));
    }

    #[test]
    fn names_round_trip() {
        for (name, f) in IpFormat::NAMES {
            assert_eq!(IpFormat::parse(name), Some(f));
            assert_eq!(f.name(), name);
        }
        assert_eq!(IpFormat::parse("aes"), None);
    }
}
