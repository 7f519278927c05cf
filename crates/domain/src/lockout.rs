//! Progressive lockout after repeated failed attempts (login, MFA codes).
//!
//! An attempt is *reserved* before the secret is checked: the counter goes up first and
//! comes down (is cleared) only when the attempt succeeds. Counting first is what keeps
//! many simultaneous guesses from all being checked against one stale count.

use chrono::{DateTime, Duration, Utc};

/// How failures turn into lock periods: free attempts first, then a lock that doubles with
/// every further failure, up to a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lock.
    pub free_attempts: u32,
    /// Length of the first lock.
    pub base_lock: Duration,
    /// Longest lock.
    pub max_lock: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            free_attempts: 5,
            base_lock: Duration::minutes(1),
            max_lock: Duration::hours(1),
        }
    }
}

/// A stored attempt counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCount {
    /// Consecutive attempts not (yet) followed by a success.
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Whether another attempt may be checked, and what the counter becomes if so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Locked: refuse without checking anything.
    Refused { retry_after: Duration },
    /// Check the attempt; the counter is stored as `next` first. Should the attempt fail,
    /// `next.locked_until` is the lock it earned.
    Granted { next: AttemptCount },
}

impl LockoutPolicy {
    /// After `failures` consecutive failures (counting the one that just happened), how long
    /// further attempts are refused. `None` while attempts remain free.
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_attempts)?;
        let factor = 1i32.checked_shl(over.min(30)).unwrap_or(i32::MAX);
        let lock = self.base_lock.checked_mul(factor).unwrap_or(self.max_lock);
        Some(lock.min(self.max_lock))
    }

    /// The moment a lock ends, if `failures` imposes one.
    pub fn locked_until(&self, failures: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lock_after(failures).map(|d| now + d)
    }

    /// Decides about one more attempt given the stored counter (`None`: no failures yet).
    /// The attempt that reaches the limit locks at once, so attempts made while it is
    /// being checked are refused; a success clears the counter and with it the lock.
    pub fn reserve(&self, current: Option<AttemptCount>, now: DateTime<Utc>) -> Reservation {
        let current = current.unwrap_or(AttemptCount {
            failures: 0,
            locked_until: None,
        });
        if let Some(until) = current.locked_until.filter(|until| *until > now) {
            return Reservation::Refused {
                retry_after: until - now,
            };
        }
        let failures = current.failures.saturating_add(1);
        Reservation::Granted {
            next: AttemptCount {
                failures,
                locked_until: self.locked_until(failures, now),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_up_to_the_ceiling() {
        let p = LockoutPolicy::default();
        assert_eq!(p.lock_after(4), None);
        assert_eq!(p.lock_after(5), Some(Duration::minutes(1)));
        assert_eq!(p.lock_after(6), Some(Duration::minutes(2)));
        assert_eq!(p.lock_after(8), Some(Duration::minutes(8)));
        assert_eq!(p.lock_after(11), Some(Duration::hours(1)));
        assert_eq!(p.lock_after(u32::MAX), Some(Duration::hours(1)));
    }

    fn granted(r: Reservation) -> AttemptCount {
        match r {
            Reservation::Granted { next } => next,
            Reservation::Refused { .. } => panic!("refused: {r:?}"),
        }
    }

    #[test]
    fn exactly_the_free_attempts_are_granted_before_the_lock() {
        let p = LockoutPolicy::default();
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let mut stored = None;
        for n in 1..=5 {
            let next = granted(p.reserve(stored, now));
            assert_eq!(next.failures, n);
            assert_eq!(next.locked_until.is_some(), n == 5, "attempt {n}");
            stored = Some(next);
        }
        assert_eq!(
            p.reserve(stored, now + Duration::seconds(59)),
            Reservation::Refused {
                retry_after: Duration::seconds(1)
            }
        );
    }

    #[test]
    fn after_a_lock_one_attempt_is_granted_and_locks_longer() {
        let p = LockoutPolicy::default();
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let stored = AttemptCount {
            failures: 5,
            locked_until: Some(now),
        };
        let next = granted(p.reserve(Some(stored), now));
        assert_eq!(next.failures, 6);
        assert_eq!(next.locked_until, Some(now + Duration::minutes(2)));
        assert!(matches!(
            p.reserve(Some(next), now),
            Reservation::Refused { .. }
        ));
    }
}
