//! A circle's member list as a leader's device signed it, version by version.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_rosters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub circle_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// The canonical JSON text that was signed.
    pub body: String,
    pub signer_device_id: Uuid,
    pub signature: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
