//! The periods of a circle's conversation, each with its own key; at most one is open.

use domain::conversation::ClosedReason;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_epochs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub circle_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    /// The roster whose members' devices the key was wrapped for.
    pub roster_version: i32,
    pub created_by_device: Uuid,
    pub started_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_reason: Option<ClosedReason>,
}

impl Model {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
