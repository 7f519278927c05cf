//! Admins' safeguarding step-ins: an explicit, time-limited, announced view into one
//! circle, the only way a global role sees a circle's private data.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "circle_step_ins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub circle_id: Uuid,
    pub admin_id: Uuid,
    /// Why, in the Admin's words; shown to every member of the circle.
    pub reason: String,
    pub started_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set when the Admin steps out before it expires.
    pub ended_at: Option<DateTimeUtc>,
    pub ended_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
