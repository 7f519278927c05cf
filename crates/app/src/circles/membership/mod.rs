//! Joining and leaving: requests to join, the facilitators' queue, approval and decline,
//! leaving, removal, co-facilitators, and a person's own circles.

mod co_facilitators;
pub mod join_message;
mod leaving;
mod requests;

pub use co_facilitators::{add_co_facilitator, remove_co_facilitator};
pub use join_message::{
    encrypt_plain_messages, leader_devices, JoinEnvelope, JoinMessage, LeaderDevice,
    SealedJoinMessage,
};
pub use leaving::{leave, remove};
pub use requests::{approve, decline, queue, request_join};

use crate::accounts::SharedProfile;
use crate::authz::circle::{Asking, Leading};
use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{circle_memberships as memberships, circles};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One person's standing in one circle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub id: Uuid,
    pub circle_id: Uuid,
    pub user_id: Uuid,
    #[schema(value_type = crate::api_schema::CircleRole)]
    pub role: CircleRole,
    #[schema(value_type = crate::api_schema::MembershipStatus)]
    pub status: MembershipStatus,
    /// Whether the request came with a message for the leaders (never the message itself:
    /// it is sealed to their devices or encrypted at rest).
    pub has_message: bool,
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub joined_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<memberships::Model> for Membership {
    fn from(m: memberships::Model) -> Self {
        Membership {
            id: m.id,
            circle_id: m.circle_id,
            user_id: m.user_id,
            role: m.role,
            status: m.status,
            has_message: m.message.is_some()
                || m.message_sealed.is_some()
                || m.message_encrypted.is_some(),
            reason: m.reason,
            requested_at: m.requested_at,
            decided_at: m.decided_at,
            joined_at: m.joined_at,
            ended_at: m.ended_at,
        }
    }
}

/// A pending request as the facilitators see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JoinRequest {
    pub membership_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    /// The message in plain text, when it was sent without sealing (kept encrypted at rest
    /// with the server's field key, decrypted for the leaders).
    pub message: Option<String>,
    /// The message sealed to the leaders' devices: their browsers open it.
    pub message_sealed: Option<SealedJoinMessage>,
    pub requested_at: DateTime<Utc>,
    /// Phone, city, bio and photo, which the profile shares with the circle's leaders.
    pub profile: SharedProfile,
}

/// The queue of pending requests, in arrival order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JoinQueue {
    pub circle_id: Uuid,
    /// No seat is free: approvals wait until one is.
    pub circle_full: bool,
    pub open_seats: i32,
    pub requests: Vec<JoinRequest>,
}

/// A circle on the person's own list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyCircle {
    pub circle_id: Uuid,
    pub name: String,
    #[schema(value_type = crate::api_schema::CircleStatus)]
    pub status: CircleStatus,
    #[schema(value_type = crate::api_schema::CircleRole)]
    pub role: CircleRole,
    #[schema(value_type = crate::api_schema::MembershipStatus)]
    pub membership_status: MembershipStatus,
    pub joined_at: Option<DateTime<Utc>>,
    pub requested_at: DateTime<Utc>,
}

async fn membership_in(
    txn: &DatabaseTransaction,
    circle_id: Uuid,
    user_id: Uuid,
) -> Result<Option<memberships::Model>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .one(txn)
        .await?)
}

/// Moves a membership from one status to another, with the other changes in `row`, only
/// if it still has the first: `true` when this caller made the change (so a concurrent
/// decision cannot be applied twice). A change the rules do not allow is a bug, not a race.
async fn transition(
    txn: &DatabaseTransaction,
    id: Uuid,
    from: MembershipStatus,
    to: MembershipStatus,
    mut row: memberships::ActiveModel,
) -> Result<bool> {
    if !from.can_become(to) {
        return Err(Error::Internal(anyhow::anyhow!(
            "a membership cannot go from {from} to {to}"
        )));
    }
    row.status = Set(to);
    let res = memberships::Entity::update_many()
        .set(row)
        .filter(memberships::Column::Id.eq(id))
        .filter(memberships::Column::Status.eq(from))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Puts someone straight into the circle, active from `now`, with no request behind it:
/// the row a new circle's facilitator, an accepted invitation and a new co-facilitator all
/// start from. Returns the new membership's id.
pub(crate) async fn insert_active(
    txn: &DatabaseTransaction,
    circle_id: Uuid,
    user_id: Uuid,
    role: CircleRole,
    decided_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    memberships::ActiveModel {
        id: Set(id),
        circle_id: Set(circle_id),
        user_id: Set(user_id),
        role: Set(role),
        status: Set(MembershipStatus::Active),
        message: Set(None),
        message_sealed: Set(None),
        message_encrypted: Set(None),
        message_key_version: Set(None),
        reason: Set(None),
        requested_at: Set(now),
        decided_at: Set(Some(now)),
        decided_by: Set(decided_by),
        joined_at: Set(Some(now)),
        ended_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// A leader ends an active membership (a member's or a co-facilitator's): `true` when this
/// caller made the change. A reason, when given, is kept on the row; otherwise the row's
/// reason is left as it was.
async fn end_active(
    txn: &DatabaseTransaction,
    lead: &Leading,
    id: Uuid,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut row = memberships::ActiveModel {
        decided_at: Set(Some(now)),
        decided_by: Set(Some(lead.actor_id())),
        ended_at: Set(Some(now)),
        ..Default::default()
    };
    if let Some(reason) = reason {
        row.reason = Set(Some(reason));
    }
    transition(
        txn,
        id,
        MembershipStatus::Active,
        MembershipStatus::Removed,
        row,
    )
    .await
}

async fn find(ctx: &Context, id: Uuid) -> Result<Membership> {
    Ok(memberships::Entity::find_by_id(id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("membership"))?
        .into())
}

/// When the actor asked to join the circle, while his request waits for its leaders.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn pending_since(
    ctx: &Context,
    actor: &Actor,
    circle_id: Uuid,
) -> Result<Option<DateTime<Utc>>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::UserId.eq(actor.id()))
        .filter(memberships::Column::Status.eq(MembershipStatus::Requested.as_str()))
        .one(&ctx.main)
        .await?
        .map(|m| m.requested_at))
}

/// The actor's circles: active memberships and pending requests, archived circles left out.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn my_circles(ctx: &Context, actor: &Actor) -> Result<Vec<MyCircle>> {
    let rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(actor.id()))
        .filter(memberships::Column::Status.is_in(MembershipStatus::current()))
        .order_by_asc(memberships::Column::RequestedAt)
        .all(&ctx.main)
        .await?;
    let circles: HashMap<Uuid, circles::Model> = circles::Entity::find()
        .filter(circles::Column::Id.is_in(rows.iter().map(|m| m.circle_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let c = circles.get(&m.circle_id)?;
            (!c.status.is_read_only()).then(|| MyCircle {
                circle_id: c.id,
                name: c.name.clone(),
                status: c.status,
                role: m.role,
                membership_status: m.status,
                joined_at: m.joined_at,
                requested_at: m.requested_at,
            })
        })
        .collect())
}
