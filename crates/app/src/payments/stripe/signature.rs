//! The `Stripe-Signature` check of a webhook delivery: `t=<unix time>,v1=<hex>[,v1=…]`,
//! each `v1` an HMAC-SHA256 of `"{t}.{raw body}"` under an endpoint signing secret. A
//! delivery is genuine when any `v1` matches under any configured secret (several are
//! active while one is rotated) and `t` is within five minutes of our clock, so a
//! recorded delivery cannot be replayed later.

use crate::config::Secret;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far `t` may be from our clock, either way, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused (logged; the sender is told nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No header, no `t`, or no `v1`.
    Malformed,
    /// Signed too long ago (or too far ahead).
    OutsideTolerance,
    /// No `v1` matches under any configured secret.
    NoMatch,
}

/// Checks `header` over `body` against `secrets` at `now`.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let (t, signatures) = parse(header.ok_or(Refused::Malformed)?)?;
    if (now.timestamp() - t).abs() > TOLERANCE_SECS {
        return Err(Refused::OutsideTolerance);
    }
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
            continue;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // `verify_slice` compares in constant time.
        if signatures
            .iter()
            .any(|sig| mac.clone().verify_slice(sig).is_ok())
        {
            return Ok(());
        }
    }
    Err(Refused::NoMatch)
}

/// The timestamp and every `v1` signature; other schemes (`v0`) are ignored.
fn parse(header: &str) -> Result<(i64, Vec<Vec<u8>>), Refused> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) if t.is_none() => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                if let Ok(sig) = hex::decode(v) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    match t {
        Some(t) if !signatures.is_empty() => Ok((t, signatures)),
        _ => Err(Refused::Malformed),
    }
}

/// The header Stripe would send for `body` signed with `secret` at `t` (tests sign their
/// own deliveries with it).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(t: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(t, 0).unwrap()
    }

    fn secrets(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|s| Secret::new(*s)).collect()
    }

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    #[test]
    fn a_genuine_signature_passes_and_any_change_fails() {
        let header = sign("whsec_a", 1_700_000_000, BODY);
        let ok = verify(
            Some(&header),
            BODY,
            &secrets(&["whsec_a"]),
            at(1_700_000_010),
        );
        assert_eq!(ok, Ok(()));
        let changed = verify(
            Some(&header),
            br#"{"id":"evt_2"}"#,
            &secrets(&["whsec_a"]),
            at(1_700_000_010),
        );
        assert_eq!(changed, Err(Refused::NoMatch));
        let other_secret = verify(
            Some(&header),
            BODY,
            &secrets(&["whsec_b"]),
            at(1_700_000_010),
        );
        assert_eq!(other_secret, Err(Refused::NoMatch));
    }

    #[test]
    fn any_v1_under_any_secret_passes_while_rotating() {
        let old = sign("whsec_old", 1_700_000_000, BODY);
        let new = sign("whsec_new", 1_700_000_000, BODY);
        let v1 = |h: &str| h.split_once(",v1=").unwrap().1.to_owned();
        let both = format!("t=1700000000,v1={},v1={}", v1(&old), v1(&new));
        let now = at(1_700_000_000);
        for configured in [
            &["whsec_old"][..],
            &["whsec_new"],
            &["whsec_x", "whsec_new"],
        ] {
            assert_eq!(verify(Some(&both), BODY, &secrets(configured), now), Ok(()));
        }
        assert_eq!(
            verify(Some(&new), BODY, &secrets(&["whsec_old", "whsec_new"]), now),
            Ok(())
        );
    }

    #[test]
    fn old_or_future_deliveries_are_refused() {
        let header = sign("whsec_a", 1_700_000_000, BODY);
        let s = secrets(&["whsec_a"]);
        assert_eq!(verify(Some(&header), BODY, &s, at(1_700_000_300)), Ok(()));
        assert_eq!(
            verify(Some(&header), BODY, &s, at(1_700_000_301)),
            Err(Refused::OutsideTolerance)
        );
        assert_eq!(
            verify(Some(&header), BODY, &s, at(1_699_999_699)),
            Err(Refused::OutsideTolerance)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let s = secrets(&["whsec_a"]);
        let now = at(1_700_000_000);
        for bad in [
            "",
            "t=1700000000",
            "v1=abcd",
            "t=x,v1=abcd",
            "t=1700000000,v1=zz",
        ] {
            assert_eq!(
                verify(Some(bad), BODY, &s, now),
                Err(Refused::Malformed),
                "{bad}"
            );
        }
        assert_eq!(verify(None, BODY, &s, now), Err(Refused::Malformed));
        // No secret configured: nothing can match.
        let header = sign("whsec_a", 1_700_000_000, BODY);
        assert_eq!(verify(Some(&header), BODY, &[], now), Err(Refused::NoMatch));
    }
}
