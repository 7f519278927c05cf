//! Events: circle meetings, movie nights, workshops and retreats, with registration and a
//! waitlist.
//!
//! The seat counter `events.confirmed_count` is the capacity invariant (DESIGN.md §4), as
//! for circles: a seat is taken only by the conditional update in [`take_seat`], inside
//! the write transaction that holds the event's lock, and given back by [`free_seat`],
//! which hands it straight to the head of the waitlist. `domain::event::Roster` is the
//! executable spec these follow.

pub mod edit;
pub mod feed;
pub mod manage;
pub mod registration;
pub mod roster;
pub mod view;

pub use manage::{EventInput, NewVenue, Venue, Warning};
pub use registration::{Registration, RegistrationOutcome};
pub use roster::{Counts, RosterEntry};
pub use view::{EventFilter, EventView};

use crate::authz::Actor;
use crate::circles::oversees_all_circles;
use crate::{Context, Error, Result};
use db::main_db::{circle_memberships as memberships, event_circles, events};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use domain::circle::{CircleRole, MembershipStatus};
use domain::Permission;
use uuid::Uuid;

pub(crate) async fn find_event(db: &impl ConnectionTrait, id: Uuid) -> Result<events::Model> {
    events::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("event"))
}

/// Reads the event inside a write transaction, locking its row on PostgreSQL (SQLite's
/// write gate already serialises writers): registrations queue here, in arrival order.
pub(crate) async fn lock_event(txn: &impl ConnectionTrait, id: Uuid) -> Result<events::Model> {
    let q = events::Entity::find_by_id(id);
    let row = if txn.get_database_backend() == DbBackend::Postgres {
        q.lock_exclusive().one(txn).await?
    } else {
        q.one(txn).await?
    };
    row.ok_or(Error::NotFound("event"))
}

/// Takes one seat if one is free: `true` when taken.
pub(crate) async fn take_seat(txn: &impl ConnectionTrait, event_id: Uuid) -> Result<bool> {
    let res = events::Entity::update_many()
        .col_expr(
            events::Column::ConfirmedCount,
            Expr::col(events::Column::ConfirmedCount).add(1),
        )
        .filter(events::Column::Id.eq(event_id))
        .filter(Expr::col(events::Column::ConfirmedCount).lt(Expr::col(events::Column::Capacity)))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub(crate) async fn free_seat(txn: &impl ConnectionTrait, event_id: Uuid) -> Result<()> {
    events::Entity::update_many()
        .col_expr(
            events::Column::ConfirmedCount,
            Expr::col(events::Column::ConfirmedCount).sub(1),
        )
        .filter(events::Column::Id.eq(event_id))
        .filter(events::Column::ConfirmedCount.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// Hands out the next arrival position (the waitlist order) under the event's lock.
pub(crate) async fn next_position(txn: &impl ConnectionTrait, event_id: Uuid) -> Result<i64> {
    events::Entity::update_many()
        .col_expr(
            events::Column::LastPosition,
            Expr::col(events::Column::LastPosition).add(1),
        )
        .filter(events::Column::Id.eq(event_id))
        .exec(txn)
        .await?;
    Ok(find_event(txn, event_id).await?.last_position)
}

/// The circles an event is open to (empty when it is open to everyone).
pub(crate) async fn circles_of(db: &impl ConnectionTrait, event_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(event_circles::Entity::find()
        .filter(event_circles::Column::EventId.eq(event_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.circle_id)
        .collect())
}

/// The circles `user_id` is active in, as member or leader.
pub(crate) async fn circles_of_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect())
}

/// Whether `actor` organises the event: its organiser, an Admin, a leader of the circle
/// it belongs to, or (for programme events) the Program Team.
pub(crate) async fn organises(ctx: &Context, actor: &Actor, e: &events::Model) -> Result<bool> {
    let led = match e.circle_id {
        Some(circle) if e.organiser_id != actor.id() && !oversees_all_circles(actor) => {
            circles_led_by(&ctx.main, actor.id(), Some(circle)).await?
        }
        _ => Vec::new(),
    };
    Ok(organises_given(actor, e, &led))
}

/// [`organises`] for many events with one query: each event with whether `actor`
/// organises it.
pub(crate) async fn with_organiser_flags(
    ctx: &Context,
    actor: &Actor,
    rows: Vec<events::Model>,
) -> Result<Vec<(events::Model, bool)>> {
    let led = if rows.iter().any(|e| e.circle_id.is_some()) {
        circles_led_by(&ctx.main, actor.id(), None).await?
    } else {
        Vec::new()
    };
    Ok(rows
        .into_iter()
        .map(|e| {
            let organiser = organises_given(actor, &e, &led);
            (e, organiser)
        })
        .collect())
}

/// The rule behind [`organises`], given the circles `actor` leads.
fn organises_given(actor: &Actor, e: &events::Model, led: &[Uuid]) -> bool {
    if e.organiser_id == actor.id() || oversees_all_circles(actor) {
        return true;
    }
    match e.circle_id {
        None => actor.can(Permission::CreateProgrammeEvents),
        Some(circle) => led.contains(&circle),
    }
}

/// The circles `user_id` actively leads (only `circle`, when given).
async fn circles_led_by(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    circle: Option<Uuid>,
) -> Result<Vec<Uuid>> {
    let mut q = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active.as_str()))
        .filter(memberships::Column::Role.is_in([
            CircleRole::Facilitator.as_str(),
            CircleRole::CoFacilitator.as_str(),
        ]));
    if let Some(c) = circle {
        q = q.filter(memberships::Column::CircleId.eq(c));
    }
    Ok(q.all(db).await?.into_iter().map(|m| m.circle_id).collect())
}

/// Whether the event is meant for `actor`: open to everyone, or to one of his circles.
pub(crate) async fn is_for(ctx: &Context, actor: &Actor, e: &events::Model) -> Result<bool> {
    if e.open_to_all {
        return Ok(true);
    }
    let mine = circles_of_user(&ctx.main, actor.id()).await?;
    Ok(circles_of(&ctx.main, e.id)
        .await?
        .iter()
        .any(|c| mine.contains(c)))
}

/// The event as `actor` may see it: published events meant for him, or any event he
/// organises. Others do not exist for him.
pub(crate) async fn visible_event(
    ctx: &Context,
    actor: &Actor,
    event_id: Uuid,
) -> Result<(events::Model, bool)> {
    let e = find_event(&ctx.main, event_id).await?;
    let organiser = organises(ctx, actor, &e).await?;
    if organiser || (e.status != "draft" && is_for(ctx, actor, &e).await?) {
        Ok((e, organiser))
    } else {
        Err(Error::NotFound("event"))
    }
}

/// `organises`, or `Forbidden` (`NotFound` for events he cannot see at all).
pub(crate) async fn organised(
    ctx: &Context,
    actor: &Actor,
    event_id: Uuid,
) -> Result<events::Model> {
    let (e, organiser) = visible_event(ctx, actor, event_id).await?;
    if organiser {
        Ok(e)
    } else {
        Err(Error::Forbidden)
    }
}
