//! Signed-in sessions remembered between requests, so that trusting an access token or a
//! session cookie costs no database round trip in the common case.
//!
//! What is remembered is what the database said when a request last read it: the actor
//! (user row and roles), and the session's expiry and last use. A hit is still checked
//! against the clock (expiry, idle limit); only what can change elsewhere is taken on
//! trust, and that is forgotten at once when it changes:
//!
//! - on this instance, by the code that changed it ([`announce`], after its commit);
//! - on every other instance through the bus ([`Channel::Sessions`]): with `redis.url`
//!   set, within the pub/sub delay (milliseconds);
//! - without Redis, other instances cannot hear the bell, so an entry is trusted for at
//!   most [`TTL_ALONE`] (5 s) after it was read: that is how long a logout, suspension,
//!   role change or password change on one instance may take to reach another one that
//!   shares its databases but no Redis. With Redis, [`TTL_SHARED`] bounds what a lost
//!   publication could leave behind.

use crate::authz::Actor;
use crate::bus::{Bus, Channel, Signal};
use crate::Context;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use uuid::Uuid;

/// How long an entry is trusted when no Redis carries other instances' changes.
pub const TTL_ALONE: Duration = Duration::seconds(5);
/// How long an entry is trusted when Redis does (a safety net for a lost publication).
pub const TTL_SHARED: Duration = Duration::seconds(60);
/// More entries than this and the cache starts over: a bound on memory, reached only by a
/// very busy instance, and costing one read per session when it happens.
const MAX_ENTRIES: usize = 100_000;

/// The remembered sessions of one instance.
pub struct SessionCache {
    entries: Mutex<Entries>,
    /// Moves on every forgetting. A request that read the database before a change was
    /// announced must not store what it read after the announcement cleared the cache.
    generation: AtomicU64,
    ttl: Duration,
}

#[derive(Default)]
struct Entries {
    by_session: HashMap<Uuid, Remembered>,
    /// Hash of a browser session's cookie token → its session.
    by_cookie: HashMap<String, Uuid>,
}

/// One session as the database last described it.
#[derive(Clone)]
pub(super) struct Remembered {
    pub actor: Actor,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    cookie_hash: Option<String>,
    read_at: DateTime<Utc>,
}

impl Remembered {
    pub fn new(
        actor: Actor,
        session: &db::credentials::sessions::Model,
        read_at: DateTime<Utc>,
    ) -> Remembered {
        Remembered {
            actor,
            expires_at: session.expires_at,
            last_used_at: session.last_used_at,
            cookie_hash: session.cookie_token_hash.clone(),
            read_at,
        }
    }

    /// Whether the clock alone still lets the session in (not expired, not idle). When it
    /// does not, the caller reads the database, which ends the session properly.
    pub fn live_at(&self, now: DateTime<Utc>, idle_limit: Duration) -> bool {
        self.expires_at > now && now - self.last_used_at <= idle_limit
    }
}

/// What changed, as rung on [`Channel::Sessions`].
pub enum Changed {
    /// One session (ended, or touched).
    Session(Uuid),
    /// Everything about one account: its row, its roles, all its sessions.
    User(Uuid),
}

impl Changed {
    fn signal(&self) -> String {
        match self {
            Changed::Session(id) => id.to_string(),
            Changed::User(id) => format!("user:{id}"),
        }
    }

    /// What a signal on [`Channel::Sessions`] says changed; `None` for one this version
    /// does not understand (treat it as "everything").
    pub fn parse(signal: &str) -> Option<Changed> {
        match signal.strip_prefix("user:") {
            Some(user) => user.parse().ok().map(Changed::User),
            None => signal.parse().ok().map(Changed::Session),
        }
    }
}

impl Changed {
    /// Whether the change may end or alter what `actor` was trusted with.
    pub fn concerns(&self, actor: &crate::authz::Actor) -> bool {
        match self {
            Changed::Session(id) => *id == actor.session_id,
            Changed::User(id) => *id == actor.id(),
        }
    }
}

/// Forgets what changed on this instance at once, and tells every other instance. Call it
/// after the commit that changed it.
pub async fn announce(ctx: &Context, changed: Changed) {
    ctx.sessions.forget(&changed);
    ctx.bus.ring(Channel::Sessions, changed.signal()).await;
}

impl SessionCache {
    /// An empty cache trusting entries for `ttl`.
    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            entries: Mutex::default(),
            generation: AtomicU64::new(0),
            ttl,
        }
    }

    /// An empty cache that forgets what any instance announces on `bus` from now on.
    pub fn listening(bus: &Bus, shared: bool) -> Arc<SessionCache> {
        let cache = Arc::new(SessionCache::new(if shared {
            TTL_SHARED
        } else {
            TTL_ALONE
        }));
        let mut listener = bus.subscribe(Channel::Sessions);
        let weak: Weak<SessionCache> = Arc::downgrade(&cache);
        tokio::spawn(async move {
            while let Some(signal) = listener.next().await {
                let Some(cache) = weak.upgrade() else { return };
                match signal {
                    Signal::Changed(what) => match Changed::parse(&what) {
                        Some(changed) => cache.forget(&changed),
                        None => cache.forget_everything(),
                    },
                    Signal::Everything => cache.forget_everything(),
                }
            }
        });
        cache
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves plain maps behind; they stay usable.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Taken before reading the database; hand it back to [`SessionCache::remember`].
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The session, if remembered and read less than the TTL ago.
    pub(super) fn session(&self, id: Uuid, now: DateTime<Utc>) -> Option<Remembered> {
        let entries = self.lock();
        let hit = entries.by_session.get(&id)?;
        (now - hit.read_at <= self.ttl).then(|| hit.clone())
    }

    /// The browser session whose cookie token hashes to `hash`.
    pub(super) fn cookie(&self, hash: &str, now: DateTime<Utc>) -> Option<Remembered> {
        let id = *self.lock().by_cookie.get(hash)?;
        self.session(id, now)
    }

    /// Remembers what was read, unless something was forgotten since `generation`.
    pub(super) fn remember(&self, generation: u64, entry: Remembered) {
        let mut entries = self.lock();
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.by_session.len() >= MAX_ENTRIES {
            *entries = Entries::default();
        }
        if let Some(hash) = &entry.cookie_hash {
            entries
                .by_cookie
                .insert(hash.clone(), entry.actor.session_id);
        }
        entries.by_session.insert(entry.actor.session_id, entry);
    }

    /// Notes a session's new last use (written to the database by the caller).
    pub(super) fn touched(&self, id: Uuid, at: DateTime<Utc>) {
        if let Some(entry) = self.lock().by_session.get_mut(&id) {
            entry.last_used_at = at;
        }
    }

    pub fn forget(&self, changed: &Changed) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        let gone: Vec<Uuid> = match changed {
            Changed::Session(id) => vec![*id],
            Changed::User(user) => entries
                .by_session
                .values()
                .filter(|e| e.actor.user.id == *user)
                .map(|e| e.actor.session_id)
                .collect(),
        };
        for id in gone {
            if let Some(entry) = entries.by_session.remove(&id) {
                if let Some(hash) = entry.cookie_hash {
                    entries.by_cookie.remove(&hash);
                }
            }
        }
    }

    fn forget_everything(&self) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        *entries = Entries::default();
    }

    /// How many sessions are remembered (for tests).
    pub fn len(&self) -> usize {
        self.lock().by_session.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remembered(user: Uuid, session: Uuid, now: DateTime<Utc>) -> Remembered {
        let actor = Actor::for_tests(user, &[domain::Role::Member], session, now);
        Remembered {
            actor,
            expires_at: now + Duration::days(1),
            last_used_at: now,
            cookie_hash: Some(format!("hash-{session}")),
            read_at: now,
        }
    }

    #[test]
    fn what_was_read_before_a_change_is_not_stored_after_it() {
        let cache = SessionCache::new(TTL_ALONE);
        let now = Utc::now();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let read_before = cache.generation();
        cache.forget(&Changed::Session(session));
        cache.remember(read_before, remembered(user, session, now));
        assert!(cache.is_empty());
        cache.remember(cache.generation(), remembered(user, session, now));
        assert!(cache.session(session, now).is_some());
        assert!(cache.cookie(&format!("hash-{session}"), now).is_some());
    }

    #[test]
    fn entries_end_with_their_user_their_session_or_the_ttl() {
        let cache = SessionCache::new(TTL_ALONE);
        let now = Utc::now();
        let user = Uuid::now_v7();
        let (one, two, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        for (u, s) in [(user, one), (user, two), (Uuid::now_v7(), other)] {
            cache.remember(cache.generation(), remembered(u, s, now));
        }
        assert!(cache
            .session(other, now + TTL_ALONE + Duration::seconds(1))
            .is_none());
        cache.forget(&Changed::Session(one));
        assert!(cache.session(one, now).is_none());
        assert!(cache.session(two, now).is_some());
        cache.forget(&Changed::User(user));
        assert!(cache.session(two, now).is_none());
        assert!(cache.cookie(&format!("hash-{two}"), now).is_none());
        assert!(cache.session(other, now).is_some());
        cache.forget_everything();
        assert!(cache.is_empty());
    }

    #[test]
    fn signals_name_a_session_or_a_user() {
        let id = Uuid::now_v7();
        assert!(
            matches!(Changed::parse(&Changed::User(id).signal()), Some(Changed::User(u)) if u == id)
        );
        assert!(
            matches!(Changed::parse(&Changed::Session(id).signal()), Some(Changed::Session(s)) if s == id)
        );
        assert!(Changed::parse("nonsense").is_none());
    }
}
