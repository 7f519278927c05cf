//! The ways out of a circle: leaving (or withdrawing a request) and removal by a leader.

use super::{end_active, find, membership_in, transition, Membership};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{active_membership, Leading};
use crate::authz::{can, Granted};
use crate::circles::errors::CircleError;
use crate::circles::jobs::CircleNotice;
use crate::circles::{
    free_seat, lock_circle, notify, notify_leaders, optional_text, refuse_if_archived,
};
use crate::{conversation, Context, Error, RequestMeta, Result};
use db::main_db::circle_memberships as memberships;
use db::sea_orm::Set;
use domain::circle::{CircleRole, MembershipStatus};
use domain::conversation::ClosedReason;
use uuid::Uuid;

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
        conversation::membership_ended(
            &txn,
            circle_id,
            g.actor_id(),
            ClosedReason::MemberLeft,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    if from == MembershipStatus::Active {
        conversation::notify_changed(ctx, circle_id).await;
    }
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
    if !end_active(&txn, lead, m.id, Some(reason.clone()), now).await? {
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
    conversation::membership_ended(&txn, m.circle_id, user_id, ClosedReason::MemberRemoved, now)
        .await?;
    txn.commit().await?;
    conversation::notify_changed(ctx, m.circle_id).await;
    find(ctx, m.id).await
}
