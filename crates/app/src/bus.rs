//! The bell: "something on this channel changed", rung after a commit and heard by every
//! instance of the platform.
//!
//! A signal carries no data worth protecting (a circle id, a session id): whoever hears it
//! re-reads the database, which stays the source of truth, so a missed or repeated signal
//! delays or repeats a read and never loses or invents anything. In one process the bell
//! is a `tokio::sync::broadcast` per channel. With `redis.url` set, every signal is also
//! published to Redis and every instance forwards what the others publish to its own
//! listeners; while Redis is unreachable each instance still hears itself, and when the
//! subscription comes back listeners are told to re-read everything ([`Signal::Everything`]).

use crate::config::Settings;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// What a signal is about. Listeners subscribe to one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A circle's conversation changed; the signal is the circle id.
    Conversation,
    /// A session or an account's standing changed; the signal names it.
    Sessions,
}

impl Channel {
    const ALL: [Channel; 2] = [Channel::Conversation, Channel::Sessions];

    fn name(self) -> &'static str {
        match self {
            Channel::Conversation => "conversation",
            Channel::Sessions => "sessions",
        }
    }

    fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        match self {
            Channel::Conversation => 0,
            Channel::Sessions => 1,
        }
    }
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// This changed (a circle id, a session id: the channel says which).
    Changed(String),
    /// Signals may have been missed (the Redis subscription was re-established, or the
    /// listener fell behind): treat everything on the channel as changed.
    Everything,
}

/// How many signals a slow listener may fall behind before it hears `Everything` instead.
const BACKLOG: usize = 1024;

/// The bell, cheap to clone; shared by every request and job of one instance.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    local: Vec<broadcast::Sender<Signal>>,
    redis: Option<RedisSide>,
    /// Stops the Redis subscription when the last clone of the bus goes.
    _subscription: Option<AbortOnDrop>,
}

struct RedisSide {
    publisher: redis::aio::ConnectionManager,
    prefix: String,
    /// Tags this instance's publications, so it does not hear itself twice.
    instance: String,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Bus {
    /// A bell heard only inside this process.
    pub fn in_process() -> Bus {
        Bus {
            inner: Arc::new(Inner {
                local: local_senders(),
                redis: None,
                _subscription: None,
            }),
        }
    }

    /// In process, and through Redis when `redis.url` is set.
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Bus> {
        let Some(url) = &settings.redis.url else {
            return Ok(Bus::in_process());
        };
        use anyhow::Context as _;
        let client =
            redis::Client::open(url.expose()).context("redis.url is not a valid Redis URL")?;
        let publisher = redis::aio::ConnectionManager::new(client.clone())
            .await
            .context("cannot connect to Redis (redis.url)")?;
        let local = local_senders();
        let prefix = format!("{}bus:", settings.redis.key_prefix);
        let instance = Uuid::new_v4().simple().to_string();
        let (subscribed, first_subscription) = tokio::sync::oneshot::channel();
        let subscription = tokio::spawn(forward_from_redis(
            client,
            prefix.clone(),
            instance.clone(),
            local.clone(),
            subscribed,
        ));
        // Ready means hearing the other instances: a signal rung right after start-up
        // must not be lost.
        tokio::time::timeout(Duration::from_secs(10), first_subscription)
            .await
            .ok()
            .and_then(Result::ok)
            .context("cannot subscribe to Redis (redis.url)")?;
        Ok(Bus {
            inner: Arc::new(Inner {
                local,
                redis: Some(RedisSide {
                    publisher,
                    prefix,
                    instance,
                }),
                _subscription: Some(AbortOnDrop(subscription)),
            }),
        })
    }

    /// Listens to one channel from now on.
    pub fn subscribe(&self, channel: Channel) -> Listener {
        Listener {
            receiver: self.inner.local[channel.index()].subscribe(),
        }
    }

    /// Rings the bell on every instance. Call it after the commit: a listener that re-reads
    /// before the commit would see nothing new. Never fails the caller: a Redis failure is
    /// logged, and the other instances catch up on their next read.
    pub async fn ring(&self, channel: Channel, what: impl Into<String>) {
        let what = what.into();
        // No listener on this instance is not an error.
        let _ = self.inner.local[channel.index()].send(Signal::Changed(what.clone()));
        self.publish(channel, &what).await;
    }

    /// Tells the other instances through Redis, when there is one.
    async fn publish(&self, channel: Channel, what: &str) {
        if let Some(redis) = &self.inner.redis {
            let topic = format!("{}{}", redis.prefix, channel.name());
            let payload = format!("{}|{what}", redis.instance);
            let mut conn = redis.publisher.clone();
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(&topic)
                .arg(&payload)
                .query_async(&mut conn)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, channel = channel.name(), "could not publish to Redis");
            }
        }
    }
}

/// One listener's end of a channel.
pub struct Listener {
    receiver: broadcast::Receiver<Signal>,
}

impl Listener {
    /// The next signal; `None` once the bus is gone. A listener that fell behind hears
    /// [`Signal::Everything`] once.
    pub async fn next(&mut self) -> Option<Signal> {
        match self.receiver.recv().await {
            Ok(signal) => Some(signal),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Signal::Everything),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

fn local_senders() -> Vec<broadcast::Sender<Signal>> {
    Channel::ALL
        .iter()
        .map(|_| broadcast::channel(BACKLOG).0)
        .collect()
}

/// Subscribes to every channel in Redis and hands what other instances publish to this
/// instance's listeners, re-subscribing with a growing pause while Redis is away.
async fn forward_from_redis(
    client: redis::Client,
    prefix: String,
    instance: String,
    local: Vec<broadcast::Sender<Signal>>,
    subscribed: tokio::sync::oneshot::Sender<()>,
) {
    let mut subscribed = Some(subscribed);
    let mut pause = Duration::from_millis(200);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(e) = pubsub.psubscribe(format!("{prefix}*")).await {
                    tracing::warn!(error = %e, "could not subscribe to Redis");
                } else {
                    pause = Duration::from_millis(200);
                    if let Some(tell) = subscribed.take() {
                        let _ = tell.send(());
                    }
                    // Whatever was published while we were not listening is unknown.
                    for sender in &local {
                        let _ = sender.send(Signal::Everything);
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        deliver(&msg, &prefix, &instance, &local);
                    }
                    tracing::warn!("Redis subscription ended; re-subscribing");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot reach Redis for the bus"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

fn deliver(msg: &redis::Msg, prefix: &str, instance: &str, local: &[broadcast::Sender<Signal>]) {
    let Some(channel) = msg
        .get_channel_name()
        .strip_prefix(prefix)
        .and_then(Channel::from_name)
    else {
        return;
    };
    let Ok(payload) = msg.get_payload::<String>() else {
        return;
    };
    match payload.split_once('|') {
        Some((from, _)) if from == instance => {}
        Some((_, what)) => {
            let _ = local[channel.index()].send(Signal::Changed(what.to_string()));
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_hears_what_is_rung_on_its_channel_only() {
        let bus = Bus::in_process();
        let mut conversation = bus.subscribe(Channel::Conversation);
        let mut sessions = bus.subscribe(Channel::Sessions);
        bus.ring(Channel::Conversation, "circle-1").await;
        assert_eq!(
            conversation.next().await,
            Some(Signal::Changed("circle-1".into()))
        );
        bus.ring(Channel::Sessions, "session-9").await;
        assert_eq!(
            sessions.next().await,
            Some(Signal::Changed("session-9".into()))
        );
    }

    #[tokio::test]
    async fn a_listener_that_falls_behind_hears_everything() {
        let bus = Bus::in_process();
        let mut slow = bus.subscribe(Channel::Conversation);
        for i in 0..(BACKLOG + 5) {
            bus.ring(Channel::Conversation, i.to_string()).await;
        }
        assert_eq!(slow.next().await, Some(Signal::Everything));
    }

    #[tokio::test]
    async fn another_instance_hears_the_bell_through_redis_and_nobody_hears_himself_twice() {
        let url = testkit::redis::url();
        if !testkit::redis::available(&url).await {
            return;
        }
        let mut settings = Settings::default();
        settings.redis.url = Some(crate::config::Secret::new(url));
        settings.redis.key_prefix = format!("bus-test-{}:", Uuid::new_v4().simple());
        let a = Bus::from_settings(&settings).await.expect("instance A");
        let b = Bus::from_settings(&settings).await.expect("instance B");
        let mut on_a = a.subscribe(Channel::Conversation);
        let mut on_b = b.subscribe(Channel::Conversation);
        a.ring(Channel::Conversation, "circle-7").await;
        let changed = Some(Signal::Changed("circle-7".into()));
        assert_eq!(heard(&mut on_a).await, changed);
        assert_eq!(heard(&mut on_b).await, changed);
        // A hears its own ring once (in process), not a second time through Redis.
        assert!(
            tokio::time::timeout(Duration::from_millis(300), on_a.next())
                .await
                .is_err(),
            "instance A heard its own signal twice"
        );
    }

    async fn heard(listener: &mut Listener) -> Option<Signal> {
        tokio::time::timeout(Duration::from_secs(5), listener.next())
            .await
            .ok()
            .flatten()
    }

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::from_name(c.name()), Some(c));
        }
        assert_eq!(Channel::from_name("other"), None);
    }
}
