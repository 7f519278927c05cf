//! Invitations by email: leaders invite an address; the person signed in with that address
//! accepts with the emailed link and takes a seat (the same conditional update as approval).
//!
//! The link's token hash lives in the credentials database, the invitation in main. There
//! is no cross-database transaction, so the main database decides: accepting claims the
//! invitation (`accepted_at`) and the seat in one main transaction, and only then marks the
//! token used. Should that last step fail, the claimed invitation already refuses reuse.

use super::errors::CircleError;
use super::jobs::{CircleNotice, SendCircleInvitation};
use super::membership::insert_active;
use super::{lock_circle, notify_leaders, refuse_if_archived, refuse_unless_accepting, take_seat};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Leading;
use crate::authz::{can, Actor, Granted};
use crate::jobs::Job;
use crate::{token, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::credentials::invitation_tokens;
use db::main_db::{circle_invitations as invitations, circle_memberships as memberships, users};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::circle::{CircleRole, MembershipStatus};
use domain::Email;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long an invitation stays open.
pub const INVITATION_DAYS: i64 = 14;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewInvitation {
    pub email: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub id: Uuid,
    pub circle_id: Uuid,
    pub email: String,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether the circle had no free seat when this was read. An invitation into a full
    /// circle is still sent, but accepting it waits for a seat to free up.
    pub circle_full: bool,
}

impl Invitation {
    fn of(i: invitations::Model, circle: &db::main_db::circles::Model) -> Self {
        Invitation {
            circle_full: circle.active_members >= circle.capacity,
            id: i.id,
            circle_id: i.circle_id,
            email: i.email,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
        }
    }
}

fn pending(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(invitations::Column::AcceptedAt.is_null())
        .add(invitations::Column::RevokedAt.is_null())
        .add(invitations::Column::ExpiresAt.gt(now))
}

/// Invites an address (leaders). One pending invitation per address and circle.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn invite(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    input: &NewInvitation,
) -> Result<Invitation> {
    let email = Email::parse(&input.email)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    // Locked so two invitations to one address cannot both pass the check below.
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    refuse_unless_accepting(&circle)?;
    if let Some(user) = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
    {
        if super::is_member(&txn, circle.id, user.id).await? {
            return Err(CircleError::InviteeAlreadyMember.into());
        }
    }
    let open = invitations::Entity::find()
        .filter(invitations::Column::CircleId.eq(circle.id))
        .filter(invitations::Column::Email.eq(email.as_str()))
        .filter(pending(now))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(CircleError::AlreadyInvited.into());
    }
    let row = invitations::ActiveModel {
        id: Set(Uuid::now_v7()),
        circle_id: Set(circle.id),
        email: Set(email.into_inner()),
        invited_by: Set(Some(lead.actor_id())),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITATION_DAYS)),
        accepted_at: Set(None),
        accepted_by: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    SendCircleInvitation {
        invitation_id: row.id,
    }
    .enqueue(&txn, ctx)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleInvitationSent)
            .by(lead.actor_id())
            .on("circle", circle.id)
            .details(serde_json::json!({ "invitation_id": row.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(Invitation::of(row, &circle))
}

/// Pending invitations, oldest first.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn list(ctx: &Context, lead: &Leading) -> Result<Vec<Invitation>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::CircleId.eq(lead.circle_id()))
        .filter(pending(ctx.now()))
        .order_by_asc(invitations::Column::Id)
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|i| Invitation::of(i, lead.circle()))
        .collect())
}

/// Revokes a pending invitation; its link stops working.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), invitation_id = %invitation_id), err(level = "info"))]
pub async fn revoke(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    invitation_id: Uuid,
) -> Result<Invitation> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let inv = invitations::Entity::find_by_id(invitation_id)
        .one(&txn)
        .await?
        .filter(|i| i.circle_id == lead.circle_id())
        .ok_or(Error::NotFound("invitation"))?;
    let res = invitations::Entity::update_many()
        .col_expr(invitations::Column::RevokedAt, Expr::value(now))
        .filter(invitations::Column::Id.eq(inv.id))
        .filter(pending(now))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(CircleError::InvitationNotPending.into());
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleInvitationRevoked)
            .by(lead.actor_id())
            .on("circle", inv.circle_id)
            .details(serde_json::json!({ "invitation_id": inv.id })),
    )
    .await?;
    txn.commit().await?;
    let row = invitations::Entity::find_by_id(inv.id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("invitation"))?;
    Ok(Invitation::of(row, lead.circle()))
}

/// Accepts an invitation with the emailed token: the signed-in user must own the invited
/// address. Takes a seat; when the circle is full nobody is admitted and nothing is queued:
/// the invitation stays valid until it expires, and accepting works once a seat frees up.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn accept(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    g: Granted<can::Participate>,
    raw_token: &str,
) -> Result<super::Membership> {
    let now = ctx.now();
    let stored = invitation_tokens::Entity::find()
        .filter(invitation_tokens::Column::TokenHash.eq(token::hash(raw_token.trim())))
        .filter(invitation_tokens::Column::UsedAt.is_null())
        .filter(invitation_tokens::Column::ExpiresAt.gt(now))
        .one(&ctx.creds)
        .await?
        .ok_or(Error::InvalidToken)?;
    let inv = invitations::Entity::find_by_id(stored.invitation_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::InvalidToken)?;
    let invited = Email::parse(&inv.email)
        .map(Email::into_inner)
        .unwrap_or(inv.email.clone());
    let mine = Email::parse(&actor.user.email)
        .map(Email::into_inner)
        .unwrap_or(actor.user.email.to_lowercase());
    if invited != mine {
        return Err(CircleError::InvitationForSomeoneElse.into());
    }
    let txn = db::begin_write(&ctx.main).await?;
    // The circle row first, as everywhere that also writes memberships.
    let circle = lock_circle(&txn, inv.circle_id).await?;
    refuse_unless_accepting(&circle)?;
    let existing = memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle.id))
        .filter(memberships::Column::UserId.eq(g.actor_id()))
        .one(&txn)
        .await?;
    if existing.as_ref().is_some_and(|m| m.status.is_active()) {
        return Err(CircleError::AlreadyMember.into());
    }
    // Claim the invitation: exactly one acceptance wins, and only of a pending one.
    let claimed = invitations::Entity::update_many()
        .col_expr(invitations::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitations::Column::AcceptedBy, Expr::value(g.actor_id()))
        .filter(invitations::Column::Id.eq(inv.id))
        .filter(pending(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(Error::InvalidToken);
    }
    if !take_seat(&txn, circle.id).await? {
        // Dropping the transaction un-claims the invitation: it stays valid.
        // The circle row is locked and takes members (checked above), so no seat means
        // full; unlike a join request, nothing waits in a queue.
        return Err(CircleError::FullForInvitation.into());
    }
    let id = match existing {
        Some(m) => {
            // Only from the status just read, so a concurrent approval of the same person
            // cannot make one membership take two seats.
            let res = memberships::Entity::update_many()
                .set(memberships::ActiveModel {
                    role: Set(CircleRole::Member),
                    status: Set(MembershipStatus::Active),
                    reason: Set(None),
                    decided_at: Set(Some(now)),
                    decided_by: Set(inv.invited_by),
                    joined_at: Set(Some(now)),
                    ended_at: Set(None),
                    ..Default::default()
                })
                .filter(memberships::Column::Id.eq(m.id))
                .filter(memberships::Column::Status.eq(m.status))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                return Err(CircleError::AlreadyMember.into());
            }
            m.id
        }
        None => {
            insert_active(
                &txn,
                circle.id,
                g.actor_id(),
                CircleRole::Member,
                inv.invited_by,
                now,
            )
            .await?
        }
    };
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleInvitationAccepted)
            .by(g.actor_id())
            .on("circle", circle.id)
            .details(serde_json::json!({ "invitation_id": inv.id })),
    )
    .await?;
    notify_leaders(&txn, ctx, circle.id, CircleNotice::InvitationAccepted).await?;
    txn.commit().await?;
    crate::conversation::notify_changed(ctx, circle.id).await;
    // Follow-up in credentials; the claimed invitation already refuses a second use.
    invitation_tokens::Entity::update_many()
        .col_expr(invitation_tokens::Column::UsedAt, Expr::value(now))
        .filter(invitation_tokens::Column::InvitationId.eq(inv.id))
        .exec(&ctx.creds)
        .await?;
    Ok(memberships::Entity::find_by_id(id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("membership"))?
        .into())
}

/// What an invitation link's page says before anyone accepts: who invited, to which
/// circle, and whether a seat is free now.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    pub circle_name: String,
    /// The inviter's display name; `None` once that account is gone.
    pub invited_by: Option<String>,
    pub circle_full: bool,
}

/// What the page of an invitation link shows; `None` for a link that names no
/// invitation. Only the holder of the emailed token learns this. Whether the link still
/// works is decided by [`accept`].
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn preview(ctx: &Context, raw_token: &str) -> Result<Option<InvitationPreview>> {
    if raw_token.is_empty() {
        return Ok(None);
    }
    let Some(t) = invitation_tokens::Entity::find()
        .filter(invitation_tokens::Column::TokenHash.eq(token::hash(raw_token)))
        .one(&ctx.creds)
        .await?
    else {
        return Ok(None);
    };
    let Some(inv) = invitations::Entity::find_by_id(t.invitation_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let Ok(circle) = super::find_circle(&ctx.main, inv.circle_id).await else {
        return Ok(None);
    };
    let invited_by = match inv.invited_by {
        Some(id) => users::Entity::find_by_id(id)
            .one(&ctx.main)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    Ok(Some(InvitationPreview {
        circle_full: circle.active_members >= circle.capacity,
        circle_name: circle.name,
        invited_by,
    }))
}
