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
    /// What the person wrote when asking to join, in plain text: only rows stored before
    /// migration m0010 had it, and start-up moves it into `message_encrypted` (always empty
    /// after that).
    pub message: Option<String>,
    /// The message sealed in the requester's browser to the leaders' devices: JSON of
    /// `app::circles::membership::SealedJoinMessage`, which the server cannot open.
    pub message_sealed: Option<String>,
    /// The message encrypted at rest with the server's field key (sent without JavaScript,
    /// or before any leader had a device): base64 of nonce ‖ AES-GCM output.
    pub message_encrypted: Option<String>,
    /// The field key version of `message_encrypted`.
    pub message_key_version: Option<i32>,
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
