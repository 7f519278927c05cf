//! Whose address a request comes from, when proxies relay it.
//!
//! `X-Forwarded-For` is a list each proxy appends its peer to; anything left of the hops
//! our own proxies wrote is whatever the client chose to send. So the client is the
//! right-most hop that is not one of our trusted proxies, found by walking from the
//! connection's peer leftwards for as long as the address in hand is trusted.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A single address (`10.0.0.7`, `::1`) or a network in CIDR notation (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

/// Why a text is not an address range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a CIDR network such as \"10.0.0.0/8\" or \"::1\"")]
pub struct NotAnIpRange(String);

impl IpRange {
    /// Whether `ip` lies in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xFFu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

impl FromStr for IpRange {
    type Err = NotAnIpRange;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = || NotAnIpRange(raw.to_owned());
        let (addr, prefix) = match raw.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw.trim(), None),
        };
        let network = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
        };
        Ok(IpRange { network, prefix })
    }
}

impl TryFrom<String> for IpRange {
    type Error = NotAnIpRange;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<IpRange> for String {
    fn from(r: IpRange) -> String {
        r.to_string()
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The client's address: `peer` (who connected) unless it is a trusted proxy, in which case
/// the hops of `forwarded_for` (the `X-Forwarded-For` values, in order) are read from the
/// right while the address in hand is trusted. A hop that is not an address ends the walk
/// at the proxy that passed it on.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    let mut hops = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rev();
    let mut current = peer.to_canonical();
    while is_trusted(current) {
        match hops.next().map(str::parse::<IpAddr>) {
            Some(Ok(hop)) => current = hop.to_canonical(),
            Some(Err(_)) | None => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    #[test]
    fn ranges_parse_and_match() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("10.200.3.4")));
        assert!(!r.contains(ip("11.0.0.1")));
        let r: IpRange = "192.168.1.128/25".parse().unwrap();
        assert!(r.contains(ip("192.168.1.200")));
        assert!(!r.contains(ip("192.168.1.127")));
        let r: IpRange = "127.0.0.1".parse().unwrap();
        assert!(r.contains(ip("127.0.0.1")) && !r.contains(ip("127.0.0.2")));
        // IPv4-mapped IPv6 peers (a dual-stack listener) are their IPv4 selves.
        assert!(r.contains(ip("::ffff:127.0.0.1")));
        let r: IpRange = "fd00::/8".parse().unwrap();
        assert!(r.contains(ip("fd12::1")) && !r.contains(ip("fe80::1")));
        assert!(!r.contains(ip("10.0.0.1")));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0/8",
            "::1/129",
            "host",
            "1.2.3.4/+8",
        ] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "10.1.2.3/8".parse::<IpRange>().unwrap().to_string(),
            "10.1.2.3/8"
        );
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(
            client_address(ip("203.0.113.9"), &["198.51.100.1"], &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_speak_for_others() {
        let trusted = ranges(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("203.0.113.9"), &["10.0.0.1, 1.1.1.1"], &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = ranges(&["127.0.0.1", "10.0.0.0/8"]);
        // The client sent a made-up left-most hop; our proxies appended the real one.
        let header = ["6.6.6.6, 203.0.113.9, 10.0.0.5"];
        assert_eq!(
            client_address(ip("127.0.0.1"), &header, &trusted),
            ip("203.0.113.9")
        );
        // Split over two header lines, the order is the same.
        let lines = ["6.6.6.6", "203.0.113.9, 10.0.0.5"];
        assert_eq!(
            client_address(ip("127.0.0.1"), &lines, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn garbage_or_missing_hops_stop_at_the_last_known_address() {
        let trusted = ranges(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &["1.2.3.4, not-an-ip, 10.0.0.5"], &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &[], &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["10.0.0.9"], &trusted),
            ip("10.0.0.9")
        );
    }
}
