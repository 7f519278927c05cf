//! Circles and membership: creating and editing circles, browsing them, asking to join,
//! the facilitators' queue, invitations, leaving and removal.
//!
//! The seat counter `circles.active_members` is the capacity invariant (docs/architecture.md, "Concurrency"): a
//! seat is taken only by the conditional update in [`take_seat`], in the same write
//! transaction that makes the membership active, and given back by [`free_seat`].
//! Facilitators and co-facilitators never take seats.

pub mod archive;
pub mod attendance;
pub mod errors;
pub mod facilitation;
pub mod health;
pub mod invitations;
pub mod jobs;
mod listing;
mod mail;
pub mod manage;
pub mod meetings;
pub mod membership;
pub mod rsvp;
pub mod step_in;

pub use crate::authz::circle::{
    ask, enter, is_member, lead, standing, Asking, InCircle, Leading, Standing,
};
pub use archive::{archive, ArchiveReport};
pub use errors::CircleError;
pub use health::{circle_health, org_overview, CircleHealth, OrgOverview};
pub use invitations::{Invitation, NewInvitation};
pub use listing::CircleOrder;
pub use manage::{CircleFilter, CircleInput, CirclePatch, CircleView, Person};
pub use membership::{JoinQueue, JoinRequest, Membership, MyCircle};
pub use step_in::StepIn;

use crate::jobs::Job;
use crate::{Context, Error, Result};
use db::main_db::{circle_memberships as memberships, circles};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus};
use jobs::{CircleNotice, SendCircleNotice};
use uuid::Uuid;

pub(crate) async fn find_circle(db: &impl ConnectionTrait, id: Uuid) -> Result<circles::Model> {
    circles::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("circle"))
}

/// Reads the circle inside a write transaction, locking its row on PostgreSQL (SQLite's
/// write gate already serialises writers), so checks on it hold until commit.
pub(crate) async fn lock_circle(txn: &impl ConnectionTrait, id: Uuid) -> Result<circles::Model> {
    let q = circles::Entity::find_by_id(id);
    let row = if txn.get_database_backend() == DbBackend::Postgres {
        q.lock_exclusive().one(txn).await?
    } else {
        q.one(txn).await?
    };
    row.ok_or(Error::NotFound("circle"))
}

/// Archived circles are read-only for good.
pub(crate) fn refuse_if_archived(c: &circles::Model) -> Result<()> {
    if c.status.is_read_only() {
        return Err(CircleError::Archived.into());
    }
    Ok(())
}

/// Closed and archived circles take nobody new.
pub(crate) fn refuse_unless_accepting(c: &circles::Model) -> Result<()> {
    if !c.status.accepts_members() {
        return Err(CircleError::NotAcceptingMembers.into());
    }
    Ok(())
}

/// Takes one seat if the circle has a free one and takes members. Only this conditional
/// update admits a member, so concurrent approvals and acceptances can never overfill a
/// circle: `true` when a seat was taken.
pub(crate) async fn take_seat(txn: &impl ConnectionTrait, circle_id: Uuid) -> Result<bool> {
    let res = circles::Entity::update_many()
        .col_expr(
            circles::Column::ActiveMembers,
            Expr::col(circles::Column::ActiveMembers).add(1),
        )
        .filter(circles::Column::Id.eq(circle_id))
        .filter(Expr::col(circles::Column::ActiveMembers).lt(Expr::col(circles::Column::Capacity)))
        .filter(circles::Column::Status.is_in(CircleStatus::accepting()))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives a seat back when an active member leaves or is removed.
pub(crate) async fn free_seat(txn: &impl ConnectionTrait, circle_id: Uuid) -> Result<()> {
    circles::Entity::update_many()
        .col_expr(
            circles::Column::ActiveMembers,
            Expr::col(circles::Column::ActiveMembers).sub(1),
        )
        .filter(circles::Column::Id.eq(circle_id))
        .filter(circles::Column::ActiveMembers.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// The refusal for a circle whose seat update took nothing: full, or no longer taking
/// members (re-read inside the same transaction).
pub(crate) async fn no_seat(txn: &impl ConnectionTrait, circle_id: Uuid) -> Error {
    match find_circle(txn, circle_id).await {
        Ok(c) if !c.status.accepts_members() => refuse_if_archived(&c)
            .and_then(|_| refuse_unless_accepting(&c))
            .unwrap_err(),
        Ok(_) => Error::from(CircleError::Full),
        Err(e) => e,
    }
}

/// The active leaders (facilitator and co-facilitators) of a circle.
pub(crate) async fn leader_ids(db: &impl ConnectionTrait, circle_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::Role.is_in(CircleRole::leading()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// Queues an email to `user_id` about `circle_id` in the caller's transaction (outbox).
pub(crate) async fn notify(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    user_id: Uuid,
    circle_id: Uuid,
    notice: CircleNotice,
) -> Result<()> {
    SendCircleNotice {
        user_id,
        circle_id,
        notice,
    }
    .enqueue(txn, ctx)
    .await?;
    Ok(())
}

/// Queues `notice` to every active leader of the circle.
pub(crate) async fn notify_leaders(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    circle_id: Uuid,
    notice: CircleNotice,
) -> Result<()> {
    for id in leader_ids(txn, circle_id).await? {
        notify(txn, ctx, id, circle_id, notice).await?;
    }
    Ok(())
}

/// An optional free-text reason or message: trimmed, empty is none, at most `max` chars.
pub(crate) fn optional_text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>> {
    let text = raw.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = text {
        if t.chars().count() > max {
            return Err(Error::invalid(
                field,
                format!("Keep this to {max} characters."),
            ));
        }
        if t.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(Error::invalid(
                field,
                "This text contains characters that cannot be shown.",
            ));
        }
    }
    Ok(text.map(str::to_owned))
}

pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
