//! Safeguarding step-ins: the one way a global role sees inside a circle. An Admin steps in
//! to one circle with a written reason; for a limited time (`circles.step_in_days`) he
//! stands in it as a leader would. Every member and leader is emailed at once, the circle's
//! pages show a banner while it lasts, and the start and end are in the audit log.

use super::errors::CircleError;
use super::jobs::CircleNotice;
use super::{find_circle, notify, optional_text};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{is_member, running_step_in, standing, InCircle, Standing};
use crate::authz::{can, Actor, Granted};
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{circle_memberships as memberships, circle_step_ins as step_ins, users};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::circle::MembershipStatus;
use domain::Permission;
use serde::Serialize;
use uuid::Uuid;

/// A step-in, as the circle's members (and the Admin) see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepIn {
    pub id: Uuid,
    pub circle_id: Uuid,
    pub admin_id: Uuid,
    pub admin_name: String,
    /// Why, in the Admin's words.
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

async fn view(ctx: &Context, s: step_ins::Model) -> Result<StepIn> {
    let admin_name = users::Entity::find_by_id(s.admin_id)
        .one(&ctx.main)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    Ok(StepIn {
        id: s.id,
        circle_id: s.circle_id,
        admin_id: s.admin_id,
        admin_name,
        reason: s.reason,
        started_at: s.started_at,
        expires_at: s.expires_at,
    })
}

/// Steps in to a circle: needs `StepInToCircles` and a reason of 10–1000 characters.
/// Refused for an archived circle, for a circle the Admin is already in, and while he
/// already has a step-in there.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), circle_id = %circle_id), err(level = "info"))]
pub async fn start(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::StepInToCircles>,
    circle_id: Uuid,
    reason: &str,
) -> Result<StepIn> {
    let reason = optional_text(Some(reason), "reason", 1000)?
        .filter(|r| r.chars().count() >= 10)
        .ok_or_else(|| {
            Error::invalid(
                "reason",
                "Say why you step in (at least 10 characters): every member of the circle reads it.",
            )
        })?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = find_circle(&txn, circle_id).await?;
    if circle.status.is_read_only() {
        return Err(CircleError::Archived.into());
    }
    if is_member(&txn, circle_id, g.actor_id()).await? {
        return Err(CircleError::AlreadyInCircle.into());
    }
    if running_step_in(&txn, circle_id, Some(g.actor_id()), now)
        .await?
        .is_some()
    {
        return Err(CircleError::AlreadySteppedIn.into());
    }
    let row = step_ins::ActiveModel {
        id: Set(Uuid::now_v7()),
        circle_id: Set(circle_id),
        admin_id: Set(g.actor_id()),
        reason: Set(reason),
        started_at: Set(now),
        expires_at: Set(now + Duration::days(i64::from(ctx.settings.circles.step_in_days))),
        ended_at: Set(None),
        ended_by: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleStepInStarted)
            .by(g.actor_id())
            .on("circle", circle_id)
            .details(serde_json::json!({
                "step_in_id": row.id,
                "reason": row.reason,
                "expires_at": row.expires_at,
            })),
    )
    .await?;
    let everyone = memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(&txn)
        .await?;
    for m in everyone {
        let notice = CircleNotice::StepInStarted { step_in_id: row.id };
        notify(&txn, ctx, m.user_id, circle_id, notice).await?;
    }
    txn.commit().await?;
    view(ctx, row).await
}

/// Whether `actor` could step in to the circle now: he holds `StepInToCircles`, is
/// outside it, and it is not archived (what [`start`] refuses first).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn may_start(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<bool> {
    if !actor.can(Permission::StepInToCircles) {
        return Ok(false);
    }
    let circle = find_circle(&ctx.main, circle_id).await?;
    Ok(!circle.status.is_read_only()
        && standing(ctx, actor, circle_id).await? == Standing::Outsider)
}

/// Ends the Admin's own running step-in early.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), circle_id = %circle_id), err(level = "info"))]
pub async fn end(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::StepInToCircles>,
    circle_id: Uuid,
) -> Result<()> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let running = running_step_in(&txn, circle_id, Some(g.actor_id()), now)
        .await?
        .ok_or(Error::NotFound("step-in"))?;
    step_ins::ActiveModel {
        id: Set(running.id),
        ended_at: Set(Some(now)),
        ended_by: Set(Some(g.actor_id())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleStepInEnded)
            .by(g.actor_id())
            .on("circle", circle_id)
            .details(serde_json::json!({ "step_in_id": running.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The step-in running in the circle now, by any Admin: what the banner on the circle's
/// pages shows its members, leaders and the Admin himself.
#[tracing::instrument(skip_all, fields(actor_id = %inside.actor_id(), circle_id = %inside.circle_id()), err(level = "info"))]
pub async fn running(ctx: &Context, inside: &InCircle) -> Result<Option<StepIn>> {
    match running_step_in(&ctx.main, inside.circle_id(), None, ctx.now()).await? {
        Some(s) => Ok(Some(view(ctx, s).await?)),
        None => Ok(None),
    }
}
