//! Storing, claiming and finishing jobs on SQLite and PostgreSQL.

use super::{handlers, Job};
use crate::Context;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use db::main_db::jobs;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, Set, Statement, Value,
};
use tracing::Instrument;
use uuid::Uuid;

/// Adds `job` to the outbox inside the caller's transaction.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    max_attempts: i32,
    job: &Job,
) -> Result<Uuid, db::sea_orm::DbErr> {
    enqueue_at(conn, max_attempts, job, Utc::now()).await
}

/// Queues `job` to run no earlier than `run_at` (reminders, offers that expire).
pub async fn enqueue_at(
    conn: &impl ConnectionTrait,
    max_attempts: i32,
    job: &Job,
    run_at: DateTime<Utc>,
) -> Result<Uuid, db::sea_orm::DbErr> {
    let payload = serde_json::to_string(job).map_err(|e| {
        db::sea_orm::DbErr::Custom(format!("job {} not serialisable: {e}", job.kind()))
    })?;
    let now = Utc::now().trunc_subsecs(6);
    let id = Uuid::now_v7();
    jobs::ActiveModel {
        id: Set(id),
        kind: Set(job.kind().to_owned()),
        payload: Set(payload),
        status: Set(jobs::STATUS_PENDING.to_owned()),
        attempts: Set(0),
        max_attempts: Set(max_attempts),
        run_at: Set(run_at.trunc_subsecs(6).max(now)),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Jobs that repeat for ever, each with its interval: one pending copy of each is kept.
const RECURRING: &[(Job, Duration)] = &[(Job::LapseExpiredCertifications, Duration::hours(1))];

fn interval_of(job: &Job) -> Option<Duration> {
    RECURRING.iter().find(|(j, _)| j == job).map(|(_, d)| *d)
}

/// Queues each recurring job that has no pending copy, one interval from now (at start-up;
/// two instances starting at once may both queue one, which only runs a harmless sweep
/// twice).
pub async fn ensure_recurring(ctx: &Context) -> anyhow::Result<()> {
    for (job, every) in RECURRING {
        let pending = jobs::Entity::find()
            .filter(jobs::Column::Kind.eq(job.kind()))
            .filter(jobs::Column::Status.eq(jobs::STATUS_PENDING))
            .one(&ctx.main)
            .await?;
        if pending.is_none() {
            enqueue_at(
                &ctx.main,
                ctx.settings.jobs.max_attempts,
                job,
                ctx.now() + *every,
            )
            .await?;
        }
    }
    Ok(())
}

/// Queues the next run of a recurring job, one interval after this one.
pub(super) async fn schedule_next(ctx: &Context, job: &Job) -> anyhow::Result<()> {
    if let Some(every) = interval_of(job) {
        enqueue_at(
            &ctx.main,
            ctx.settings.jobs.max_attempts,
            job,
            ctx.now() + every,
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct Claimed {
    id: Uuid,
    payload: String,
    attempts: i32,
    max_attempts: i32,
}

/// How long a claimed job stays reserved for the worker that holds it.
const LEASE: Duration = Duration::minutes(5);

async fn claim(ctx: &Context, now: DateTime<Utc>) -> anyhow::Result<Option<Claimed>> {
    let backend = ctx.main.get_database_backend();
    let skip_locked = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET attempts = attempts + 1, locked_until = $1, updated_at = $2 \
         WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $2 \
                     AND (locked_until IS NULL OR locked_until < $2) \
                     ORDER BY run_at, id LIMIT 1 {skip_locked}) \
         RETURNING id, payload, attempts, max_attempts"
    );
    let values: Vec<Value> = vec![(now + LEASE).into(), now.into()];
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    Ok(Claimed::find_by_statement(stmt).one(&ctx.main).await?)
}

async fn finish(
    ctx: &Context,
    job: &Claimed,
    outcome: anyhow::Result<()>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut row: jobs::ActiveModel = jobs::ActiveModel {
        id: Set(job.id),
        ..Default::default()
    };
    row.locked_until = Set(None);
    row.updated_at = Set(now);
    match outcome {
        Ok(()) => row.status = Set(jobs::STATUS_DONE.to_owned()),
        Err(e) => {
            let message = format!("{e:#}");
            if job.attempts >= job.max_attempts {
                tracing::error!(job = %job.id, attempts = job.attempts, error = %message, "job failed for good");
                row.status = Set(jobs::STATUS_FAILED.to_owned());
            } else {
                tracing::warn!(job = %job.id, attempts = job.attempts, error = %message, "job failed; will retry");
                row.run_at = Set(now + backoff(job.attempts));
            }
            row.last_error = Set(Some(message.chars().take(2000).collect()));
        }
    }
    row.update(&ctx.main).await?;
    Ok(())
}

/// 10 s, 20 s, 40 s … up to an hour.
fn backoff(attempts: i32) -> Duration {
    let secs = 10i64.saturating_mul(1i64 << attempts.clamp(1, 20).saturating_sub(1));
    Duration::seconds(secs.min(3600))
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
    loop {
        let now = ctx.now().trunc_subsecs(6);
        let Some(job) = claim(ctx, now).await? else {
            return Ok(stats);
        };
        // Everything the run logs, down to the use cases it calls, carries the job.
        let span = tracing::info_span!("job", job_id = %job.id, kind = tracing::field::Empty, attempt = job.attempts);
        let outcome = match serde_json::from_str::<Job>(&job.payload) {
            Ok(parsed) => {
                span.record("kind", parsed.kind());
                handlers::run(ctx, job.id, &parsed).instrument(span).await
            }
            Err(e) => Err(anyhow::anyhow!("unreadable job payload: {e}")),
        };
        if outcome.is_ok() {
            stats.succeeded += 1;
        } else {
            stats.failed += 1;
        }
        metrics_count(outcome.is_ok());
        finish(ctx, &job, outcome, ctx.now().trunc_subsecs(6)).await?;
    }
}

fn metrics_count(ok: bool) {
    tracing::debug!(ok, "job finished");
}

/// Polls for due jobs until `shutdown` resolves.
pub async fn run_worker(ctx: Context, shutdown: impl std::future::Future<Output = ()>) {
    let interval = std::time::Duration::from_millis(ctx.settings.jobs.poll_interval_ms.max(10));
    tokio::pin!(shutdown);
    if let Err(e) = ensure_recurring(&ctx).await {
        tracing::error!(error = %format!("{e:#}"), "could not queue the recurring jobs");
    }
    tracing::info!("job worker started");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(20));
        assert_eq!(backoff(4), Duration::seconds(80));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}

/// Jobs waiting and jobs given up on, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct QueueDepth {
    pub pending: u64,
    pub failed: u64,
}

pub async fn queue_depth(ctx: &Context) -> anyhow::Result<QueueDepth> {
    use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let count = |status: &'static str| {
        jobs::Entity::find()
            .filter(jobs::Column::Status.eq(status))
            .count(&ctx.main)
    };
    Ok(QueueDepth {
        pending: count(jobs::STATUS_PENDING).await?,
        failed: count(jobs::STATUS_FAILED).await?,
    })
}
