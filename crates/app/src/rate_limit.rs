//! Fixed-window rate limits by client address or account: in memory by default, in Redis
//! when configured so that every instance shares the same counts.
//!
//! A hit is counted before the work it guards, so simultaneous requests cannot all slip
//! under the limit; work that turns out not to deserve counting (a successful sign-in) is
//! refunded afterwards.

use crate::config::Settings;
use crate::{Error, Result};
use anyhow::Context as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Windows the in-memory limiter keeps at most; a flood of new subjects evicts the
/// windows closest to their end rather than growing the map without bound.
pub const MEMORY_CAP: usize = 100_000;

#[derive(Clone)]
pub enum Limiter {
    Memory(Arc<MemoryWindows>),
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

/// Counting windows in this process, at most `cap` of them.
pub struct MemoryWindows {
    map: Mutex<HashMap<String, Window>>,
    cap: usize,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    count: u32,
    resets_at: Instant,
}

/// A named limit: at most `max` hits per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

const INCR_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

// Never below zero, and never creates a key (an expired window stays expired).
const REFUND_SCRIPT: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
";

impl Limiter {
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Limiter> {
        match &settings.redis.url {
            None => Ok(Limiter::memory()),
            Some(url) => {
                let client = redis::Client::open(url.expose())
                    .context("redis.url is not a valid Redis URL")?;
                let conn = redis::aio::ConnectionManager::new(client)
                    .await
                    .context("cannot connect to Redis (redis.url)")?;
                Ok(Limiter::Redis {
                    conn,
                    prefix: settings.redis.key_prefix.clone(),
                })
            }
        }
    }

    pub fn memory() -> Limiter {
        Limiter::memory_with_cap(MEMORY_CAP)
    }

    pub fn memory_with_cap(cap: usize) -> Limiter {
        Limiter::Memory(Arc::new(MemoryWindows {
            map: Mutex::new(HashMap::new()),
            cap: cap.max(1),
        }))
    }

    /// Counts one hit against `limit` for `subject` (an address or a hashed account key),
    /// refusing with `TooManyAttempts` once the window is full.
    #[tracing::instrument(skip_all, fields(limit = limit.name), err(level = "info"))]
    pub async fn hit(&self, limit: Limit, subject: &str) -> Result<()> {
        let key = key_of(limit, subject);
        let (count, retry_after) = match self {
            Limiter::Memory(windows) => windows.hit(key, limit.window),
            Limiter::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let (n, ttl_ms): (u32, i64) = redis::Script::new(INCR_SCRIPT)
                    .key(format!("{prefix}{key}"))
                    .arg(limit.window.as_millis() as u64)
                    .invoke_async(&mut conn)
                    .await
                    .context("rate limit check in Redis failed")?;
                (n, Duration::from_millis(ttl_ms.max(0) as u64))
            }
        };
        if count > limit.max {
            tracing::info!(limit = limit.name, "rate limit reached");
            return Err(Error::TooManyAttempts {
                retry_after_secs: retry_after.as_secs().max(1),
            });
        }
        Ok(())
    }

    /// Takes back one hit of `subject` in the current window: the request it counted turned
    /// out to be no attempt at guessing.
    #[tracing::instrument(skip_all, fields(limit = limit.name), err)]
    pub async fn refund(&self, limit: Limit, subject: &str) -> Result<()> {
        let key = key_of(limit, subject);
        match self {
            Limiter::Memory(windows) => windows.refund(&key),
            Limiter::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let _: i64 = redis::Script::new(REFUND_SCRIPT)
                    .key(format!("{prefix}{key}"))
                    .invoke_async(&mut conn)
                    .await
                    .context("rate limit refund in Redis failed")?;
            }
        }
        Ok(())
    }

    /// Whether the limiter can be reached (for readiness checks).
    pub async fn ping(&self) -> anyhow::Result<()> {
        if let Limiter::Redis { conn, .. } = self {
            let mut conn = conn.clone();
            let _: String = redis::cmd("PING")
                .query_async(&mut conn)
                .await
                .context("Redis does not answer")?;
        }
        Ok(())
    }
}

fn key_of(limit: Limit, subject: &str) -> String {
    format!("rl:{}:{subject}", limit.name)
}

impl MemoryWindows {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a hit; answers the count so far and the time until the window resets.
    fn hit(&self, key: String, window: Duration) -> (u32, Duration) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= self.cap && !map.contains_key(&key) {
            make_room(&mut map, self.cap, now);
        }
        let w = map.entry(key).or_insert(Window {
            count: 0,
            resets_at: now + window,
        });
        if w.resets_at <= now {
            *w = Window {
                count: 0,
                resets_at: now + window,
            };
        }
        w.count = w.count.saturating_add(1);
        (w.count, w.resets_at - now)
    }

    fn refund(&self, key: &str) {
        let now = Instant::now();
        if let Some(w) = self.lock().get_mut(key) {
            if w.resets_at > now {
                w.count = w.count.saturating_sub(1);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Frees room for one more window: expired windows go first; when that is not enough, the
/// tenth closest to resetting (their counts matter least), so a flood of new subjects
/// does not sort the map on every request.
fn make_room(map: &mut HashMap<String, Window>, cap: usize, now: Instant) {
    map.retain(|_, w| w.resets_at > now);
    if map.len() < cap {
        return;
    }
    let evict = (map.len() + 1 - cap).max(cap / 10).min(map.len());
    let mut ends: Vec<Instant> = map.values().map(|w| w.resets_at).collect();
    let (_, cutoff, _) = ends.select_nth_unstable(evict - 1);
    let cutoff = *cutoff;
    let mut left = evict;
    map.retain(|_, w| {
        let drop = left > 0 && w.resets_at <= cutoff;
        if drop {
            left -= 1;
        }
        !drop
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(max: u32, window: Duration) -> Limit {
        Limit {
            name: "t",
            max,
            window,
        }
    }

    #[tokio::test]
    async fn memory_limits_per_subject_and_window() {
        let l = Limiter::memory();
        let limit = limit(2, Duration::from_millis(200));
        l.hit(limit, "a").await.unwrap();
        l.hit(limit, "a").await.unwrap();
        assert!(matches!(
            l.hit(limit, "a").await,
            Err(Error::TooManyAttempts { .. })
        ));
        l.hit(limit, "b").await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        l.hit(limit, "a").await.unwrap();
    }

    #[tokio::test]
    async fn refunded_hits_do_not_count() {
        let l = Limiter::memory();
        let limit = limit(2, Duration::from_secs(60));
        for _ in 0..10 {
            l.hit(limit, "a").await.unwrap();
            l.refund(limit, "a").await.unwrap();
        }
        l.hit(limit, "a").await.unwrap();
        l.hit(limit, "a").await.unwrap();
        assert!(l.hit(limit, "a").await.is_err());
        // A refund of an unknown subject changes nothing.
        l.refund(limit, "nobody").await.unwrap();
    }

    #[test]
    fn the_memory_map_stays_within_its_cap() {
        let windows = MemoryWindows {
            map: Mutex::new(HashMap::new()),
            cap: 100,
        };
        let long = Duration::from_secs(600);
        windows.hit("first".into(), long);
        windows.hit("first".into(), long);
        for i in 0..1_000 {
            windows.hit(format!("subject-{i}"), long);
            assert!(windows.len() <= 100, "{} windows", windows.len());
        }
        // The oldest window was evicted: its count starts again.
        assert_eq!(windows.hit("first".into(), long).0, 1);
        // The newest survive with their counts.
        assert_eq!(windows.hit("subject-999".into(), long).0, 2);
    }

    #[test]
    fn expired_windows_are_evicted_before_live_ones() {
        let windows = MemoryWindows {
            map: Mutex::new(HashMap::new()),
            cap: 3,
        };
        windows.hit("live".into(), Duration::from_secs(600));
        windows.hit("live".into(), Duration::from_secs(600));
        windows.hit("gone-1".into(), Duration::ZERO);
        windows.hit("gone-2".into(), Duration::ZERO);
        windows.hit("new".into(), Duration::from_secs(600));
        assert_eq!(windows.len(), 2);
        assert_eq!(windows.hit("live".into(), Duration::from_secs(600)).0, 3);
    }
}
