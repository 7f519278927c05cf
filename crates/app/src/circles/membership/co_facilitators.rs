//! Sharing a circle's leadership: adding and removing co-facilitators.

use super::{end_active, find, insert_active, membership_in, Membership};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{active_membership, Leading};
use crate::authz::roles_of;
use crate::certification;
use crate::circles::errors::CircleError;
use crate::circles::jobs::CircleNotice;
use crate::circles::{facilitation, free_seat, lock_circle, notify, refuse_if_archived};
use crate::{conversation, Context, Error, RequestMeta, Result};
use db::main_db::circle_memberships as memberships;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};
use domain::circle::{CircleRole, MembershipStatus};
use domain::conversation::ClosedReason;
use domain::Role;
use uuid::Uuid;

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
            insert_active(
                &txn,
                lead.circle_id(),
                user_id,
                CircleRole::CoFacilitator,
                Some(lead.actor_id()),
                now,
            )
            .await?
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
    // His role on the conversation's roster changed: a leader signs it anew.
    conversation::notify_changed(ctx, lead.circle_id()).await;
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
    if !end_active(&txn, lead, m.id, None, now).await? {
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
    conversation::membership_ended(
        &txn,
        lead.circle_id(),
        user_id,
        ClosedReason::MemberRemoved,
        now,
    )
    .await?;
    txn.commit().await?;
    conversation::notify_changed(ctx, lead.circle_id()).await;
    find(ctx, m.id).await
}
