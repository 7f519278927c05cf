//! A person's standing in a circle: one row per circle and person, through its lifecycle
//! (requested → active → left/removed, or declined).

use domain::circle::{CircleRole, MembershipStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "circle_memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub circle_id: Uuid,
    pub user_id: Uuid,
    pub role: CircleRole,
    pub status: MembershipStatus,
    /// What the person wrote when asking to join.
    pub message: Option<String>,
    /// Why a request was declined or a member removed.
    pub reason: Option<String>,
    /// Order of the request queue.
    pub requested_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub joined_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
