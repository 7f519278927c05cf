//! What a run of a job did outside the database, remembered in `job_effects` so a retry
//! (after an error, or after its worker died between the effect and marking the job done)
//! does not do it again.

use crate::Context;
use chrono::{DateTime, SubsecRound, Utc};
use db::main_db::job_effects;
use db::sea_orm::sea_query::OnConflict;
use db::sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use std::future::Future;
use uuid::Uuid;

/// The job being run, as its handler sees it.
#[derive(Debug, Clone, Copy)]
pub struct JobRun {
    id: Uuid,
}

impl JobRun {
    pub(super) fn new(id: Uuid) -> Self {
        JobRun { id }
    }

    /// The job's id: the same on every attempt.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Does `effect` unless an earlier attempt of this job already did, then notes that it
    /// was done. `key` names the effect within the job. Only a crash in the moment between
    /// the effect and its note can still repeat it.
    pub async fn once(
        &self,
        ctx: &Context,
        key: &str,
        effect: impl Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<()> {
        if self.did(&ctx.main, key).await? {
            tracing::info!(job = %self.id, effect = key, "already done by an earlier attempt");
            return Ok(());
        }
        effect.await?;
        self.note(&ctx.main, key, ctx.now()).await?;
        Ok(())
    }

    /// Whether an attempt of this job noted `key`.
    async fn did(&self, conn: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
        let found = job_effects::Entity::find_by_id((self.id, key.to_owned()))
            .one(conn)
            .await?;
        Ok(found.is_some())
    }

    /// Notes `key` as done; `false` when an attempt had already noted it. An effect that is
    /// itself a write to the main database notes it in the same transaction, which makes
    /// it happen exactly once.
    pub async fn note(
        &self,
        conn: &impl ConnectionTrait,
        key: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let row = job_effects::ActiveModel {
            job_id: Set(self.id),
            effect: Set(key.to_owned()),
            done_at: Set(at.trunc_subsecs(6)),
        };
        let noted = job_effects::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([job_effects::Column::JobId, job_effects::Column::Effect])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        Ok(noted == 1)
    }
}
