//! Background work through a transactional outbox (docs/architecture.md, "Background work"): a use case writes a job
//! row in the same transaction as its change; a worker claims due jobs, runs them with
//! retries and backoff, and marks them done. Jobs run at least once, so handlers are
//! idempotent, and one that reaches outside (an email, a provider) does it through
//! [`JobRun::once`], which remembers that it did.
//!
//! The queue knows job *kinds* and JSON payloads, nothing more. Each feature declares its
//! own jobs beside its code (`accounts::jobs`, `circles::jobs`, …) by implementing [`Job`],
//! and lists them in its `jobs()`; the [`Registry`] built at start-up maps each kind to its
//! handler. Adding a job touches its feature's folder only.

mod effects;
mod queue;
mod registry;
mod worker;

pub use effects::JobRun;
pub use queue::{claim, is_pending, is_waiting, queue_depth, Lease, QueueDepth, LEASE};
pub use registry::{Registration, Registry};
pub use worker::{ensure_recurring, run_due_jobs, run_worker, JobStats};

use crate::Context;
use chrono::{DateTime, Utc};
use db::sea_orm::{ConnectionTrait, DbErr};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use uuid::Uuid;

/// One kind of background work. The value is the payload: ids, never secrets (the main
/// database must not carry a credential).
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name stored in `jobs.kind`. Rows queued by an earlier release carry it, so it
    /// never changes once released.
    const KIND: &'static str;

    /// Does the work. It may run more than once (a retry, a worker that died), so it
    /// repeats nothing a person would notice twice; see [`JobRun::once`].
    fn run(self, ctx: &Context, run: &JobRun) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Queues this job in the caller's transaction, due at once.
    fn enqueue(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Context,
    ) -> impl Future<Output = Result<Uuid, DbErr>> + Send {
        queue::insert(conn, ctx, self, ctx.now())
    }

    /// Queues this job in the caller's transaction, due no earlier than `at` (reminders,
    /// offers that expire).
    fn enqueue_at(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Context,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Uuid, DbErr>> + Send {
        queue::insert(conn, ctx, self, at)
    }
}

/// Checks that `stored`, a payload as an earlier release wrote it, still reads as
/// `expected` under the same kind, and that this release writes it the same way.
#[cfg(test)]
pub(crate) fn assert_reads_as_before<J: Job + std::fmt::Debug + PartialEq>(
    stored: &str,
    expected: J,
) {
    let tagged: serde_json::Value = serde_json::from_str(stored).unwrap();
    assert_eq!(tagged["kind"], J::KIND, "{stored}");
    let read: J = serde_json::from_str(stored).unwrap();
    assert_eq!(read, expected, "{stored}");
    assert_eq!(
        queue::payload(&read).unwrap(),
        stored,
        "written differently"
    );
}
