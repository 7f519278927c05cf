//! Joining and leaving: requests to join, the facilitators' queue, approval and decline,
//! leaving, removal, co-facilitators, and a person's own circles.

use super::errors::CircleError;
use super::facilitation;
use super::jobs::CircleNotice;
use super::{
    find_circle, free_seat, lock_circle, no_seat, notify, notify_leaders, optional_text,
    refuse_if_archived, refuse_unless_accepting, take_seat,
};
use crate::accounts::SharedProfile;
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{active_membership, Leading};
use crate::authz::{can, roles_of, Actor, Granted};
use crate::{certification, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{circle_memberships as memberships, circles, users};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus, Visibility};
use domain::Role;
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
    pub message: Option<String>,
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
            message: m.message,
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
    pub message: Option<String>,
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

/// Asks to join an open circle. A person who left, was removed or declined may ask again
/// (the same row is reused).
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), circle_id = %circle_id), err(level = "info"))]
pub async fn request_join(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::Participate>,
    circle_id: Uuid,
    message: Option<&str>,
) -> Result<Membership> {
    let message = optional_text(message, "message", 500)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = find_circle(&txn, circle_id).await?;
    refuse_unless_accepting(&circle)?;
    if circle.visibility != Visibility::Open {
        return Err(CircleError::InvitationOnly.into());
    }
    let existing = membership_in(&txn, circle_id, g.actor_id()).await?;
    let row = match existing {
        Some(m) if m.status.is_active() => return Err(CircleError::AlreadyMember.into()),
        Some(m) if m.status.is_pending() => return Err(CircleError::AlreadyRequested.into()),
        Some(m) => {
            let row = memberships::ActiveModel {
                role: Set(CircleRole::Member),
                message: Set(message),
                reason: Set(None),
                requested_at: Set(now),
                decided_at: Set(None),
                decided_by: Set(None),
                joined_at: Set(None),
                ended_at: Set(None),
                ..Default::default()
            };
            let from = m.status;
            if !transition(&txn, m.id, from, MembershipStatus::Requested, row).await? {
                return Err(CircleError::AlreadyRequested.into());
            }
            memberships::Entity::find_by_id(m.id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("membership"))?
        }
        None => memberships::ActiveModel {
            id: Set(Uuid::now_v7()),
            circle_id: Set(circle_id),
            user_id: Set(g.actor_id()),
            role: Set(CircleRole::Member),
            status: Set(MembershipStatus::Requested),
            message: Set(message),
            reason: Set(None),
            requested_at: Set(now),
            decided_at: Set(None),
            decided_by: Set(None),
            joined_at: Set(None),
            ended_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::from(CircleError::AlreadyRequested)
            } else {
                e.into()
            }
        })?,
    };
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleJoinRequested)
            .by(g.actor_id())
            .on("circle", circle_id),
    )
    .await?;
    notify(
        &txn,
        ctx,
        g.actor_id(),
        circle_id,
        CircleNotice::JoinRequestReceived,
    )
    .await?;
    notify_leaders(&txn, ctx, circle_id, CircleNotice::NewJoinRequest).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Pending requests in arrival order (requested_at, then id).
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn queue(ctx: &Context, lead: &Leading) -> Result<JoinQueue> {
    let circle = find_circle(&ctx.main, lead.circle_id()).await?;
    let rows = memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle.id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Requested))
        .order_by_asc(memberships::Column::RequestedAt)
        .order_by_asc(memberships::Column::Id)
        .all(&ctx.main)
        .await?;
    let users: HashMap<Uuid, users::Model> = users::Entity::find()
        .filter(users::Column::Id.is_in(rows.iter().map(|m| m.user_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let open_seats = if circle.status.accepts_members() {
        (circle.capacity - circle.active_members).max(0)
    } else {
        0
    };
    Ok(JoinQueue {
        circle_id: circle.id,
        circle_full: circle.active_members >= circle.capacity,
        open_seats,
        requests: rows
            .into_iter()
            .map(|m| {
                let user = users.get(&m.user_id);
                JoinRequest {
                    membership_id: m.id,
                    user_id: m.user_id,
                    display_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
                    message: m.message,
                    requested_at: m.requested_at,
                    profile: user.map(SharedProfile::of).unwrap_or_default(),
                }
            })
            .collect(),
    })
}

async fn pending_request(
    txn: &DatabaseTransaction,
    lead: &Leading,
    membership_id: Uuid,
) -> Result<memberships::Model> {
    let m = memberships::Entity::find_by_id(membership_id)
        .one(txn)
        .await?
        .filter(|m| m.circle_id == lead.circle_id())
        .ok_or(Error::NotFound("request"))?;
    if !m.status.is_pending() {
        return Err(not_pending());
    }
    Ok(m)
}

fn not_pending() -> Error {
    Error::from(CircleError::RequestNotPending)
}

/// Approves a request: takes a seat with the conditional update. When the circle is full
/// the request stays queued, in its place.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), membership_id = %membership_id), err(level = "info"))]
pub async fn approve(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    membership_id: Uuid,
) -> Result<Membership> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    // Lock order everywhere: the circle row, then memberships (no deadlocks on PostgreSQL).
    lock_circle(&txn, lead.circle_id()).await?;
    let m = pending_request(&txn, lead, membership_id).await?;
    let row = memberships::ActiveModel {
        decided_at: Set(Some(now)),
        decided_by: Set(Some(lead.actor_id())),
        joined_at: Set(Some(now)),
        ..Default::default()
    };
    if !transition(
        &txn,
        m.id,
        MembershipStatus::Requested,
        MembershipStatus::Active,
        row,
    )
    .await?
    {
        return Err(not_pending());
    }
    if !take_seat(&txn, m.circle_id).await? {
        // Dropping the transaction undoes the status change: the request stays queued.
        return Err(no_seat(&txn, m.circle_id).await);
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleMemberApproved)
            .by(lead.actor_id())
            .on("circle", m.circle_id)
            .details(serde_json::json!({ "user_id": m.user_id })),
    )
    .await?;
    notify(
        &txn,
        ctx,
        m.user_id,
        m.circle_id,
        CircleNotice::RequestApproved,
    )
    .await?;
    txn.commit().await?;
    find(ctx, m.id).await
}

/// Declines a request, with an optional reason the person is told.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), membership_id = %membership_id), err(level = "info"))]
pub async fn decline(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    membership_id: Uuid,
    reason: Option<&str>,
) -> Result<Membership> {
    let reason = optional_text(reason, "reason", 500)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    refuse_if_archived(&lock_circle(&txn, lead.circle_id()).await?)?;
    let m = pending_request(&txn, lead, membership_id).await?;
    let row = memberships::ActiveModel {
        reason: Set(reason.clone()),
        decided_at: Set(Some(now)),
        decided_by: Set(Some(lead.actor_id())),
        ..Default::default()
    };
    if !transition(
        &txn,
        m.id,
        MembershipStatus::Requested,
        MembershipStatus::Declined,
        row,
    )
    .await?
    {
        return Err(not_pending());
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleRequestDeclined)
            .by(lead.actor_id())
            .on("circle", m.circle_id)
            .details(serde_json::json!({ "user_id": m.user_id, "reason": reason })),
    )
    .await?;
    notify(
        &txn,
        ctx,
        m.user_id,
        m.circle_id,
        CircleNotice::RequestDeclined,
    )
    .await?;
    txn.commit().await?;
    find(ctx, m.id).await
}

async fn find(ctx: &Context, id: Uuid) -> Result<Membership> {
    Ok(memberships::Entity::find_by_id(id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("membership"))?
        .into())
}

/// Leaves a circle (or withdraws a pending request). A member's seat is freed; the
/// facilitator cannot leave their own circle.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), circle_id = %circle_id), err(level = "info"))]
pub async fn leave(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::Participate>,
    circle_id: Uuid,
) -> Result<Membership> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, circle_id).await?;
    refuse_if_archived(&circle)?;
    let m = membership_in(&txn, circle_id, g.actor_id())
        .await?
        .ok_or(Error::NotFound("membership"))?;
    let from = m.status;
    if !from.is_current() {
        return Err(Error::NotFound("membership"));
    }
    if m.role == CircleRole::Facilitator {
        return Err(CircleError::FacilitatorCannotLeave.into());
    }
    let row = memberships::ActiveModel {
        ended_at: Set(Some(now)),
        ..Default::default()
    };
    if !transition(&txn, m.id, from, MembershipStatus::Left, row).await? {
        return Err(Error::NotFound("membership"));
    }
    let was_member = from == MembershipStatus::Active && m.role.takes_seat();
    if was_member {
        free_seat(&txn, circle_id).await?;
    }
    audit::record(
        &txn,
        meta,
        Entry::new(if from == MembershipStatus::Active {
            Action::CircleLeft
        } else {
            Action::CircleRequestWithdrawn
        })
        .by(g.actor_id())
        .on("circle", circle_id),
    )
    .await?;
    if from == MembershipStatus::Active {
        notify_leaders(&txn, ctx, circle_id, CircleNotice::MemberLeft).await?;
    }
    txn.commit().await?;
    find(ctx, m.id).await
}

/// Removes an active member, with a reason (told to them and kept in the audit log).
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), user_id = %user_id), err(level = "info"))]
pub async fn remove(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    user_id: Uuid,
    reason: &str,
) -> Result<Membership> {
    let Some(reason) = optional_text(Some(reason), "reason", 500)? else {
        return Err(Error::invalid(
            "reason",
            "Give the reason for removing this member.",
        ));
    };
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    refuse_if_archived(&lock_circle(&txn, lead.circle_id()).await?)?;
    let m = active_membership(&txn, lead.circle_id(), user_id)
        .await?
        .ok_or(Error::NotFound("member"))?;
    if m.role.leads() {
        return Err(CircleError::CannotRemoveLeader.into());
    }
    let row = memberships::ActiveModel {
        reason: Set(Some(reason.clone())),
        decided_at: Set(Some(now)),
        decided_by: Set(Some(lead.actor_id())),
        ended_at: Set(Some(now)),
        ..Default::default()
    };
    if !transition(
        &txn,
        m.id,
        MembershipStatus::Active,
        MembershipStatus::Removed,
        row,
    )
    .await?
    {
        return Err(Error::NotFound("member"));
    }
    free_seat(&txn, m.circle_id).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleMemberRemoved)
            .by(lead.actor_id())
            .on("circle", m.circle_id)
            .details(serde_json::json!({ "user_id": user_id, "reason": reason })),
    )
    .await?;
    notify(&txn, ctx, user_id, m.circle_id, CircleNotice::Removed).await?;
    txn.commit().await?;
    find(ctx, m.id).await
}

/// Makes someone a co-facilitator. They must hold the Facilitator role, which itself needs
/// a current certification. A member who becomes co-facilitator gives up their seat.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), user_id = %user_id), err(level = "info"))]
pub async fn add_co_facilitator(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    user_id: Uuid,
) -> Result<Membership> {
    if user_id == lead.actor_id() {
        return Err(CircleError::CannotAddSelf.into());
    }
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    refuse_if_archived(&lock_circle(&txn, lead.circle_id()).await?)?;
    crate::accounts::find_user(&txn, user_id).await?;
    if !roles_of(&txn, user_id).await?.contains(&Role::Facilitator) {
        return Err(CircleError::NotAFacilitator.into());
    }
    let existing = membership_in(&txn, lead.circle_id(), user_id).await?;
    let id = match existing {
        Some(m) if m.status.is_active() && m.role.leads() => {
            return Err(CircleError::AlreadyLeader.into())
        }
        Some(m) => {
            if m.status.is_active() {
                free_seat(&txn, m.circle_id).await?;
            }
            memberships::ActiveModel {
                id: Set(m.id),
                role: Set(CircleRole::CoFacilitator),
                status: Set(MembershipStatus::Active),
                reason: Set(None),
                decided_at: Set(Some(now)),
                decided_by: Set(Some(lead.actor_id())),
                joined_at: Set(Some(now)),
                ended_at: Set(None),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            m.id
        }
        None => {
            let id = Uuid::now_v7();
            memberships::ActiveModel {
                id: Set(id),
                circle_id: Set(lead.circle_id()),
                user_id: Set(user_id),
                role: Set(CircleRole::CoFacilitator),
                status: Set(MembershipStatus::Active),
                message: Set(None),
                reason: Set(None),
                requested_at: Set(now),
                decided_at: Set(Some(now)),
                decided_by: Set(Some(lead.actor_id())),
                joined_at: Set(Some(now)),
                ended_at: Set(None),
            }
            .insert(&txn)
            .await?;
            id
        }
    };
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleCoFacilitatorAdded)
            .by(lead.actor_id())
            .on("circle", lead.circle_id())
            .details(serde_json::json!({ "user_id": user_id })),
    )
    .await?;
    notify(
        &txn,
        ctx,
        user_id,
        lead.circle_id(),
        CircleNotice::CoFacilitatorAdded,
    )
    .await?;
    tell_everyone_else(&txn, ctx, lead.circle_id(), user_id).await?;
    if certification::is_current(&txn, user_id, now).await? {
        facilitation::clear(&txn, &[lead.circle_id()]).await?;
    }
    txn.commit().await?;
    find(ctx, id).await
}

/// Every member and leader of the circle but the new co-facilitator hears who now leads
/// it with them: nobody joins a circle's leadership unseen.
async fn tell_everyone_else(
    txn: &DatabaseTransaction,
    ctx: &Context,
    circle_id: Uuid,
    newcomer: Uuid,
) -> Result<()> {
    let everyone = memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::UserId.ne(newcomer))
        .all(txn)
        .await?;
    for m in everyone {
        let notice = CircleNotice::NewCoFacilitator { user_id: newcomer };
        notify(txn, ctx, m.user_id, circle_id, notice).await?;
    }
    Ok(())
}

/// Ends a co-facilitator's role in the circle (the facilitator stays).
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), user_id = %user_id), err(level = "info"))]
pub async fn remove_co_facilitator(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    user_id: Uuid,
) -> Result<Membership> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    refuse_if_archived(&lock_circle(&txn, lead.circle_id()).await?)?;
    let m = active_membership(&txn, lead.circle_id(), user_id)
        .await?
        .filter(|m| m.role == CircleRole::CoFacilitator)
        .ok_or(Error::NotFound("co-facilitator"))?;
    let row = memberships::ActiveModel {
        decided_at: Set(Some(now)),
        decided_by: Set(Some(lead.actor_id())),
        ended_at: Set(Some(now)),
        ..Default::default()
    };
    if !transition(
        &txn,
        m.id,
        MembershipStatus::Active,
        MembershipStatus::Removed,
        row,
    )
    .await?
    {
        return Err(Error::NotFound("co-facilitator"));
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleCoFacilitatorRemoved)
            .by(lead.actor_id())
            .on("circle", lead.circle_id())
            .details(serde_json::json!({ "user_id": user_id })),
    )
    .await?;
    notify(
        &txn,
        ctx,
        user_id,
        lead.circle_id(),
        CircleNotice::CoFacilitatorRemoved,
    )
    .await?;
    txn.commit().await?;
    find(ctx, m.id).await
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
