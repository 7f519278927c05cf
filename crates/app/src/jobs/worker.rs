//! Running claimed jobs: dispatch to the registered handler, keep the lease alive while it
//! runs, record the outcome; and the polling loop of `circles worker`.

use super::queue::{self, claim, Due, Lease, LEASE};
use super::JobRun;
use crate::Context;
use tracing::Instrument;

/// How often a running job's lease is renewed: well inside [`LEASE`], so a slow database
/// round trip does not let it lapse.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);

impl Lease {
    /// Runs the job's handler, renewing the lease while it works, and returns its outcome
    /// without recording it (tests use this to play a worker that dies before finishing).
    pub async fn run(&self, ctx: &Context) -> anyhow::Result<()> {
        let run = JobRun::new(self.id);
        // Everything the run logs, down to the use cases it calls, carries the job.
        let span = tracing::info_span!("job", job_id = %self.id, kind = %self.kind);
        let work = ctx
            .jobs
            .run(&self.kind, ctx, &run, &self.payload)
            .instrument(span);
        tokio::pin!(work);
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = tokio::time::sleep(HEARTBEAT) => self.heartbeat(ctx).await,
            }
        }
    }

    async fn heartbeat(&self, ctx: &Context) {
        // Work already under way carries on either way: stopping it half-done could leave
        // an effect without its note. Finishing is fenced, so a lost lease harms nothing.
        match self.renew(ctx).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = %self.id, kind = %self.kind, "lease lost while running")
            }
            Err(e) => {
                tracing::warn!(job = %self.id, error = %format!("{e:#}"), "lease not renewed")
            }
        }
    }
}

/// What one pass over the queue did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobStats {
    pub succeeded: usize,
    pub failed: usize,
}

/// Runs every job that is due now, one after another, and returns what happened. Tests
/// call this to drain the queue instead of sleeping.
pub async fn run_due_jobs(ctx: &Context) -> anyhow::Result<JobStats> {
    let mut stats = JobStats::default();
    while let Some(lease) = claim(ctx).await? {
        let outcome = lease.run(ctx).await;
        if outcome.is_ok() {
            stats.succeeded += 1;
        } else {
            stats.failed += 1;
        }
        tracing::debug!(job = %lease.id, kind = %lease.kind, ok = outcome.is_ok(), "job finished");
        lease.finish(ctx, &outcome).await?;
    }
    Ok(stats)
}

/// Queues each recurring job that has no pending copy, one interval from now (at start-up;
/// two instances starting at once may both queue one, which only runs a harmless sweep
/// twice).
pub async fn ensure_recurring(ctx: &Context) -> anyhow::Result<()> {
    for (kind, every, payload) in ctx.jobs.recurring() {
        if !queue::kind_pending(ctx, kind).await? {
            let now = ctx.now();
            let at = Due {
                now,
                run_at: now + every,
            };
            let max_attempts = ctx.settings.jobs.max_attempts;
            queue::insert_raw(&ctx.main, kind, payload.to_owned(), max_attempts, at).await?;
        }
    }
    Ok(())
}

/// Polls for due jobs until `shutdown` resolves.
pub async fn run_worker(ctx: Context, shutdown: impl std::future::Future<Output = ()>) {
    let interval = std::time::Duration::from_millis(ctx.settings.jobs.poll_interval_ms.max(10));
    tokio::pin!(shutdown);
    if let Err(e) = ensure_recurring(&ctx).await {
        tracing::error!(error = %format!("{e:#}"), "could not queue the recurring jobs");
    }
    tracing::info!(lease_secs = LEASE.num_seconds(), "job worker started");
    loop {
        if let Err(e) = run_due_jobs(&ctx).await {
            tracing::error!(error = %format!("{e:#}"), "job worker pass failed");
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
    tracing::info!("job worker stopped");
}
