//! Everything a use case needs, built once from the settings and shared by the server,
//! the worker and the admin commands.

use crate::accounts::SessionCache;
use crate::bus::Bus;
use crate::clock::Clock;
use crate::config::Settings;
use crate::email::Mailer;
use crate::jobs;
use crate::keys::Keys;
use crate::rate_limit::Limiter;
use anyhow::Context as _;
use db::sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct Context {
    /// The `main` database: everything but secrets.
    pub main: DatabaseConnection,
    /// The `credentials` database: secrets only.
    pub creds: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: Arc<Keys>,
    pub limiter: Limiter,
    pub mailer: Mailer,
    /// Turns for CPU- and memory-heavy image work (photo uploads), shared by all requests.
    pub image_work: Arc<tokio::sync::Semaphore>,
    /// Where "now" comes from (see [`Clock`]).
    pub clock: Clock,
    /// The handler of every kind of background job.
    pub jobs: Arc<jobs::Registry>,
    /// The bell between requests, jobs and instances (see [`crate::bus`]).
    pub bus: Bus,
    /// Sessions trusted without a database read (see [`crate::accounts::SessionCache`]).
    pub sessions: Arc<SessionCache>,
    /// Stripe's API when card payments are set up (`[payments.stripe]`), else `None`.
    pub stripe: Option<crate::payments::stripe::Client>,
}

impl Context {
    /// Connects to both databases, runs pending migrations, loads keys and connects the
    /// shared services the settings name.
    pub async fn build(settings: Settings) -> anyhow::Result<Context> {
        // Secrets, SQLite files and the outbox live here: owner-only.
        db::private_fs::ensure_dir(&settings.data.dir).context("data.dir")?;
        let keys = Keys::load(&settings)?;
        let (main, creds) = connect_and_migrate(&settings).await?;
        let limiter = Limiter::from_settings(&settings).await?;
        let mailer = Mailer::from_settings(&settings)?;
        let bus = Bus::from_settings(&settings).await?;
        let sessions = SessionCache::listening(&bus, settings.redis.url.is_some());
        let stripe = crate::payments::stripe::Client::from_settings(&settings.payments.stripe)
            .context("payments.stripe")?;
        let ctx = Context {
            main,
            creds,
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            limiter,
            mailer,
            image_work: Arc::new(tokio::sync::Semaphore::new(crate::accounts::IMAGE_WORKERS)),
            clock: Clock::system(),
            jobs: Arc::new(job_registry()),
            bus,
            sessions,
            stripe,
        };
        // Migrations cannot read the field key: plain notes are encrypted here, before
        // anything is served.
        crate::circles::meetings::encrypt_plain_notes(&ctx)
            .await
            .context("encrypting meeting notes at rest")?;
        // Needs the field key, so it runs here rather than in migration m0010; idempotent.
        crate::circles::membership::encrypt_plain_messages(&ctx)
            .await
            .context("encrypting join-request messages at rest")?;
        Ok(ctx)
    }

    /// The same context reading time from `clock` (tests pass an adjustable one).
    pub fn with_clock(mut self, clock: Clock) -> Context {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Every feature's background jobs, collected once: the queue knows kinds, each feature
/// its own work.
pub fn job_registry() -> jobs::Registry {
    jobs::Registry::default()
        .with(crate::accounts::jobs::jobs())
        .with(crate::circles::jobs::jobs())
        .with(crate::events::jobs::jobs())
        .with(crate::certification::jobs::jobs())
        .with(crate::conversation::jobs::jobs())
        .with(crate::payments::jobs::jobs())
        .with(crate::payments::refunds::jobs::jobs())
        .with(crate::memberships::jobs::jobs())
}

/// Opens both databases and brings their schemas up to date.
pub async fn connect_and_migrate(
    settings: &Settings,
) -> anyhow::Result<(DatabaseConnection, DatabaseConnection)> {
    let pool = db::PoolSize {
        max_connections: settings.database.max_connections,
        acquire_timeout: settings
            .database
            .acquire_timeout_secs
            .map(std::time::Duration::from_secs),
    };
    if settings.env == crate::config::Environment::Production {
        for url in [
            settings.main_database_url(),
            settings.credentials_database_url(),
        ] {
            if let Some(why) = db::unencrypted_remote(&url) {
                tracing::warn!(
                    "{why}: the database connection may travel unencrypted; add sslmode=require (or verify-full)"
                );
            }
        }
    }
    let main = db::connect_pool(&settings.main_database_url(), pool).await?;
    let creds = db::connect_pool(&settings.credentials_database_url(), pool).await?;
    db::migrate(&main, &creds)
        .await
        .context("migrations failed")?;
    Ok((main, creds))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_job_kind_an_earlier_release_queued_has_a_handler() {
        let registry = super::job_registry();
        let mut kinds: Vec<&str> = registry.kinds().collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                "conversation_notice_round",
                "expire_conversations",
                "expire_payment_hold",
                "expire_seat_offer",
                "handle_stripe_event",
                "lapse_expired_certifications",
                "lapse_memberships",
                "reconcile_payments",
                "refund_cancelled_event",
                "refund_cancelled_registration",
                "refund_late_payment",
                "send_account_notice",
                "send_already_registered_email",
                "send_circle_invitation",
                "send_circle_notice",
                "send_conversation_notice",
                "send_donation_thanks",
                "send_event_notice",
                "send_event_reminders",
                "send_meeting_notice",
                "send_membership_notice",
                "send_password_reset_email",
                "send_refund_notice",
                "send_scholarship_notice",
                "send_verification_email",
            ]
        );
    }
}
