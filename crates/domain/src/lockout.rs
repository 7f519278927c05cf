//! Progressive lockout after repeated failed attempts (login, MFA codes).

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
}
