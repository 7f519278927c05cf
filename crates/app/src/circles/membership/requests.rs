//! Asking to join and the facilitators' answers: requests, the queue, approval, decline.

use super::join_message::{self, JoinMessage};
use super::{find, membership_in, transition, JoinQueue, JoinRequest, Membership};
use crate::accounts::SharedProfile;
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Leading;
use crate::authz::{can, Granted};
use crate::circles::errors::CircleError;
use crate::circles::jobs::CircleNotice;
use crate::circles::{
    find_circle, lock_circle, no_seat, notify, notify_leaders, optional_text, refuse_if_archived,
    refuse_unless_accepting, take_seat,
};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::circle_memberships as memberships;
use db::main_db::users;
use db::sea_orm::QueryOrder;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};
use domain::circle::Visibility;
use domain::circle::{CircleRole, MembershipStatus};
use std::collections::HashMap;
use uuid::Uuid;

/// Asks to join an open circle, with an optional message for its leaders (sealed to their
/// devices, or encrypted at rest: see [`join_message`]). A person who left, was removed or
/// declined may ask again (the same row is reused).
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), circle_id = %circle_id), err(level = "info"))]
pub async fn request_join(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::Participate>,
    circle_id: Uuid,
    message: Option<JoinMessage>,
) -> Result<Membership> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = find_circle(&txn, circle_id).await?;
    refuse_unless_accepting(&circle)?;
    if circle.visibility != Visibility::Open {
        return Err(CircleError::InvitationOnly.into());
    }
    let existing = membership_in(&txn, circle_id, g.actor_id()).await?;
    let stored = join_message::to_store(&txn, ctx, circle_id, g.actor_id(), message).await?;
    let row = match existing {
        Some(m) if m.status.is_active() => return Err(CircleError::AlreadyMember.into()),
        Some(m) if m.status.is_pending() => return Err(CircleError::AlreadyRequested.into()),
        Some(m) => {
            let mut row = memberships::ActiveModel {
                role: Set(CircleRole::Member),
                reason: Set(None),
                requested_at: Set(now),
                decided_at: Set(None),
                decided_by: Set(None),
                joined_at: Set(None),
                ended_at: Set(None),
                ..Default::default()
            };
            stored.apply(&mut row);
            let from = m.status;
            if !transition(&txn, m.id, from, MembershipStatus::Requested, row).await? {
                return Err(CircleError::AlreadyRequested.into());
            }
            memberships::Entity::find_by_id(m.id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("membership"))?
        }
        None => {
            let mut row = memberships::ActiveModel {
                id: Set(Uuid::now_v7()),
                circle_id: Set(circle_id),
                user_id: Set(g.actor_id()),
                role: Set(CircleRole::Member),
                status: Set(MembershipStatus::Requested),
                reason: Set(None),
                requested_at: Set(now),
                decided_at: Set(None),
                decided_by: Set(None),
                joined_at: Set(None),
                ended_at: Set(None),
                ..Default::default()
            };
            stored.apply(&mut row);
            row
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
    let mut requests = Vec::with_capacity(rows.len());
    for m in rows {
        let user = users.get(&m.user_id);
        let (message, message_sealed) = join_message::for_leaders(ctx, &m)?;
        requests.push(JoinRequest {
            membership_id: m.id,
            user_id: m.user_id,
            display_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
            message,
            message_sealed,
            requested_at: m.requested_at,
            profile: user.map(SharedProfile::of).unwrap_or_default(),
        });
    }
    Ok(JoinQueue {
        circle_id: circle.id,
        circle_full: circle.active_members >= circle.capacity,
        open_seats,
        requests,
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
    // The conversation's roster now lacks him: its members' browsers should know.
    crate::conversation::notify_changed(ctx, m.circle_id).await;
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
