//! Storing, claiming, renewing and finishing jobs on SQLite and PostgreSQL.

use super::Job;
use crate::Context;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use db::main_db::jobs;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, Set, Statement, UpdateMany, Value,
};
use domain::job::JobStatus;
use serde::Serialize;
use uuid::Uuid;

/// How long a claimed job stays reserved for the worker that holds it. The worker renews
/// it while the handler runs, so a job whose worker died is taken up again this soon.
pub const LEASE: Duration = Duration::seconds(30);

/// A job's stored payload: its fields with its kind first, the shape every release has
/// written (`{"kind":"send_event_notice","user_id":…}`), so rows queued before an upgrade
/// still read, and equal jobs have equal payloads.
#[derive(Serialize)]
struct Stored<'a, J> {
    kind: &'static str,
    #[serde(flatten)]
    job: &'a J,
}

pub(super) fn payload<J: Job>(job: &J) -> Result<String, DbErr> {
    serde_json::to_string(&Stored { kind: J::KIND, job })
        .map_err(|e| DbErr::Custom(format!("job {} not serialisable: {e}", J::KIND)))
}

/// Adds `job` to the outbox inside the caller's transaction, due no earlier than `run_at`.
pub(super) async fn insert<J: Job>(
    conn: &impl ConnectionTrait,
    ctx: &Context,
    job: &J,
    run_at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let payload = payload(job)?;
    let at = Due {
        now: ctx.now(),
        run_at,
    };
    insert_raw(conn, J::KIND, payload, ctx.settings.jobs.max_attempts, at).await
}

/// When a row is written and when it becomes due.
pub(super) struct Due {
    pub now: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
}

pub(super) async fn insert_raw(
    conn: &impl ConnectionTrait,
    kind: &str,
    payload: String,
    max_attempts: i32,
    at: Due,
) -> Result<Uuid, DbErr> {
    let now = at.now.trunc_subsecs(6);
    let id = Uuid::now_v7();
    jobs::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_owned()),
        payload: Set(payload),
        status: Set(JobStatus::Pending),
        attempts: Set(0),
        max_attempts: Set(max_attempts),
        run_at: Set(at.run_at.trunc_subsecs(6).max(now)),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Whether a job equal to `job` waits to run.
pub async fn is_pending<J: Job>(conn: &impl ConnectionTrait, job: &J) -> Result<bool, DbErr> {
    let found = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(J::KIND))
        .filter(jobs::Column::Status.eq(JobStatus::Pending))
        .filter(jobs::Column::Payload.eq(payload(job)?))
        .count(conn)
        .await?;
    Ok(found > 0)
}

/// Whether `job` is queued and no worker has started it yet: a run already under way may
/// have read the state before the caller's change, a waiting one will see it.
pub async fn is_waiting<J: Job>(conn: &impl ConnectionTrait, job: &J) -> Result<bool, DbErr> {
    let found = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(J::KIND))
        .filter(jobs::Column::Status.eq(JobStatus::Pending))
        .filter(jobs::Column::Attempts.eq(0))
        .filter(jobs::Column::Payload.eq(payload(job)?))
        .count(conn)
        .await?;
    Ok(found > 0)
}

/// A claimed job, reserved for its holder until the lease runs out. `attempt` tells this
/// claim from any later one: renewing and finishing only touch the row while it is still
/// the same claim, so a worker that lost its lease cannot overwrite the next one's work.
#[derive(Debug, FromQueryResult)]
pub struct Lease {
    pub id: Uuid,
    pub kind: String,
    pub(super) payload: String,
    attempts: i32,
    max_attempts: i32,
}

/// Claims the job that is due first and not held by a live lease, if any.
pub async fn claim(ctx: &Context) -> anyhow::Result<Option<Lease>> {
    let now = ctx.now().trunc_subsecs(6);
    let backend = ctx.main.get_database_backend();
    let skip_locked = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET attempts = attempts + 1, locked_until = $1, updated_at = $2 \
         WHERE id = (SELECT id FROM jobs WHERE status = $3 AND run_at <= $2 \
                     AND (locked_until IS NULL OR locked_until < $2) \
                     ORDER BY run_at, id LIMIT 1 {skip_locked}) \
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    let values: Vec<Value> = vec![(now + LEASE).into(), now.into(), JobStatus::Pending.into()];
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    Ok(Lease::find_by_statement(stmt).one(&ctx.main).await?)
}

impl Lease {
    /// The row, as long as this claim still holds it.
    fn held(&self) -> Condition {
        Condition::all()
            .add(jobs::Column::Id.eq(self.id))
            .add(jobs::Column::Attempts.eq(self.attempts))
            .add(jobs::Column::Status.eq(JobStatus::Pending))
    }

    /// Extends the lease to [`LEASE`] from now; `false` when it was lost (it ran out and
    /// another worker claimed the job).
    pub async fn renew(&self, ctx: &Context) -> anyhow::Result<bool> {
        let now = ctx.now().trunc_subsecs(6);
        let renewed = jobs::Entity::update_many()
            .col_expr(jobs::Column::LockedUntil, Expr::value(now + LEASE))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(self.held())
            .exec(&ctx.main)
            .await?;
        Ok(renewed.rows_affected == 1)
    }

    /// Records how the run went: done (queuing the next run of a recurring job in the same
    /// transaction), due again after a backoff, or failed for good.
    pub async fn finish(self, ctx: &Context, outcome: &anyhow::Result<()>) -> anyhow::Result<()> {
        let now = ctx.now().trunc_subsecs(6);
        let update = jobs::Entity::update_many()
            .col_expr(
                jobs::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
        let update = match outcome {
            Ok(()) => update.col_expr(jobs::Column::Status, Expr::value(JobStatus::Done)),
            Err(e) => self.failed(update, e, now),
        };
        let txn = db::begin_write(&ctx.main).await?;
        if update.filter(self.held()).exec(&txn).await?.rows_affected == 0 {
            tracing::warn!(job = %self.id, kind = %self.kind, "lease lost before the job finished; its new holder decides");
            return Ok(());
        }
        if let (Ok(()), Some((every, payload))) = (outcome, ctx.jobs.recurrence(&self.kind)) {
            let at = Due {
                now,
                run_at: now + every,
            };
            insert_raw(&txn, &self.kind, payload, self.max_attempts, at).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    fn failed(
        &self,
        update: UpdateMany<jobs::Entity>,
        e: &anyhow::Error,
        now: DateTime<Utc>,
    ) -> UpdateMany<jobs::Entity> {
        let message = format!("{e:#}");
        let update = update.col_expr(
            jobs::Column::LastError,
            Expr::value(message.chars().take(2000).collect::<String>()),
        );
        if self.attempts >= self.max_attempts {
            tracing::error!(job = %self.id, kind = %self.kind, attempts = self.attempts, error = %message, "job failed for good");
            update.col_expr(jobs::Column::Status, Expr::value(JobStatus::Failed))
        } else {
            tracing::warn!(job = %self.id, kind = %self.kind, attempts = self.attempts, error = %message, "job failed; will retry");
            update.col_expr(
                jobs::Column::RunAt,
                Expr::value(now + backoff(self.attempts)),
            )
        }
    }
}

/// 10 s, 20 s, 40 s … up to an hour.
fn backoff(attempts: i32) -> Duration {
    let secs = 10i64.saturating_mul(1i64 << attempts.clamp(1, 20).saturating_sub(1));
    Duration::seconds(secs.min(3600))
}

/// Jobs waiting and jobs given up on, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct QueueDepth {
    pub pending: u64,
    pub failed: u64,
}

pub async fn queue_depth(ctx: &Context) -> anyhow::Result<QueueDepth> {
    let count = |status: JobStatus| {
        jobs::Entity::find()
            .filter(jobs::Column::Status.eq(status))
            .count(&ctx.main)
    };
    Ok(QueueDepth {
        pending: count(JobStatus::Pending).await?,
        failed: count(JobStatus::Failed).await?,
    })
}

/// Whether a job of `kind` waits to run (for recurring jobs, which keep one pending copy).
pub(super) async fn kind_pending(ctx: &Context, kind: &str) -> Result<bool, DbErr> {
    let found = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(kind))
        .filter(jobs::Column::Status.eq(JobStatus::Pending))
        .count(&ctx.main)
        .await?;
    Ok(found > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(20));
        assert_eq!(backoff(4), Duration::seconds(80));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }

    #[derive(Serialize, Deserialize)]
    struct Ping {
        user_id: Uuid,
    }

    impl Job for Ping {
        const KIND: &'static str = "ping";
        async fn run(self, _: &Context, _: &super::super::JobRun) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Sweep {}

    impl Job for Sweep {
        const KIND: &'static str = "sweep";
        async fn run(self, _: &Context, _: &super::super::JobRun) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_payload_carries_its_kind_first_as_earlier_releases_wrote_it() {
        let id = Uuid::nil();
        assert_eq!(
            payload(&Ping { user_id: id }).unwrap(),
            format!("{{\"kind\":\"ping\",\"user_id\":\"{id}\"}}")
        );
        assert_eq!(payload(&Sweep {}).unwrap(), "{\"kind\":\"sweep\"}");
    }
}
