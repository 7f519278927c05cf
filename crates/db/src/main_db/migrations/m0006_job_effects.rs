//! Migration m0006: what a job did outside the database (an email sent, a provider called),
//! one row per job and effect, so a job retried after a crash does not do it twice.

use crate::schema::{fk, timestamp, uuid, varchar};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_job_effects"
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum JobEffects {
    Table,
    JobId,
    Effect,
    DoneAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobEffects::Table)
                .col(uuid(JobEffects::JobId))
                .col(varchar(JobEffects::Effect, 64))
                .col(timestamp(JobEffects::DoneAt))
                // The key is what makes an effect happen once: a second note of it fails.
                .primary_key(
                    Index::create()
                        .col(JobEffects::JobId)
                        .col(JobEffects::Effect),
                )
                .foreign_key(&mut fk(
                    (JobEffects::Table, JobEffects::JobId),
                    (Jobs::Table, Jobs::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
    }
}
