//! What a job did outside the database, noted right after doing it: a retry of the job
//! (its worker died before marking it done) finds the note and does not do it again.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_effects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    /// What was done, unique within the job: `email`, `notices_queued` …
    #[sea_orm(primary_key, auto_increment = false)]
    pub effect: String,
    pub done_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
