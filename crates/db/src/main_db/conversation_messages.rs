//! One message of a circle's conversation: ciphertext, sender, time and its place in the
//! circle's order. No column holds anything the server could read.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub circle_id: Uuid,
    /// The circle's own order: strictly increasing, never reused.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub epoch: i32,
    pub sender_device_id: Uuid,
    pub sender_user_id: Uuid,
    /// The sender device's own counter within the epoch.
    pub device_seq: i64,
    /// `None` once deleted by its sender or expired.
    pub ciphertext: Option<String>,
    pub signature: Option<String>,
    pub sent_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub pinned: bool,
    /// The sender's own id for the message, so a retry finds the first attempt.
    pub client_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
