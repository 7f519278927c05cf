//! An epoch key wrapped for one device by another (the server cannot unwrap it).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_envelopes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub circle_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub epoch: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient_device_id: Uuid,
    pub sender_device_id: Uuid,
    pub wrapped: String,
    pub signature: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
