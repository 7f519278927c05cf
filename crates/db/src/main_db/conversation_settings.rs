//! A circle's conversation settings (no row: the defaults).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub circle_id: Uuid,
    /// Whether a new member may be given the keys of epochs from before he joined.
    pub share_history: bool,
    /// 30, 90 or 365; none keeps messages.
    pub disappearing_days: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
