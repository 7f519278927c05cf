//! Fixed-window rate limits by client address or account: in memory by default, in Redis
//! when configured so that every instance shares the same counts.

use crate::config::Settings;
use crate::{Error, Result};
use anyhow::Context as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub enum Limiter {
    Memory(Arc<Mutex<HashMap<String, Window>>>),
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Window {
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
        Limiter::Memory(Arc::new(Mutex::new(HashMap::new())))
    }

    /// Counts one hit against `limit` for `subject` (an address or a hashed account key),
    /// refusing with `TooManyAttempts` once the window is full.
    pub async fn hit(&self, limit: Limit, subject: &str) -> Result<()> {
        let key = format!("rl:{}:{subject}", limit.name);
        let (count, retry_after) = match self {
            Limiter::Memory(map) => memory_hit(map, key, limit.window),
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
            metrics_hint(limit.name);
            return Err(Error::TooManyAttempts {
                retry_after_secs: retry_after.as_secs().max(1),
            });
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

fn memory_hit(
    map: &Mutex<HashMap<String, Window>>,
    key: String,
    window: Duration,
) -> (u32, Duration) {
    let now = Instant::now();
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() > 100_000 {
        map.retain(|_, w| w.resets_at > now);
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

fn metrics_hint(name: &str) {
    tracing::info!(limit = name, "rate limit reached");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_limits_per_subject_and_window() {
        let l = Limiter::memory();
        let limit = Limit {
            name: "t",
            max: 2,
            window: Duration::from_millis(200),
        };
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
}
