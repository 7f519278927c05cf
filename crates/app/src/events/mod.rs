//! Events: circle meetings, movie nights, workshops and retreats, with registration and a
//! waitlist.
//!
//! The seat counter `events.confirmed_count` is the capacity invariant (docs/architecture.md, "Concurrency"), as
//! for circles: a seat is taken only by the conditional update in [`take_seat`], inside
//! the write transaction that holds the event's lock, and given back by [`free_seat`],
//! which hands it straight to the head of the waitlist. `domain::event::Roster` is the
//! executable spec these follow.

pub mod audience;
pub mod edit;
pub mod errors;
pub mod feed;
mod finding;
pub mod jobs;
mod mail;
pub mod manage;
pub mod registration;
pub mod roster;
pub mod venues;
pub mod view;

pub use crate::authz::event::{organise, Organising};
pub use errors::EventError;
pub use manage::{EventInput, NewVenue, Venue, Warning};
pub use registration::{Registration, RegistrationOutcome};
pub use roster::{Counts, RosterEntry};
pub use view::{EventFilter, EventView};

use crate::authz::circle::circles_led_by;
use crate::authz::event::{needs_audience, needs_led, organises, organises_given, Known};
use crate::authz::Actor;
use crate::{Context, Error, Result};
use db::main_db::{circle_memberships as memberships, event_circles, events};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use domain::circle::MembershipStatus;
use std::collections::HashMap;
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

/// The circles an event is open to (empty when it is open to everyone): only those whose
/// leaders accepted it, unless `pending_too`.
pub(crate) async fn circles_of(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    pending_too: bool,
) -> Result<Vec<Uuid>> {
    let mut q = event_circles::Entity::find().filter(event_circles::Column::EventId.eq(event_id));
    if !pending_too {
        q = q.filter(event_circles::Column::AcceptedAt.is_not_null());
    }
    Ok(q.all(db).await?.into_iter().map(|c| c.circle_id).collect())
}

/// The circles `user_id` is active in, as member or leader.
pub(crate) async fn circles_of_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect())
}

/// [`organises`] for many events with few queries: each event with whether `actor`
/// organises it.
pub(crate) async fn with_organiser_flags(
    ctx: &Context,
    actor: &Actor,
    rows: Vec<events::Model>,
) -> Result<Vec<(events::Model, bool)>> {
    let led = if rows.iter().any(|e| needs_led(actor, e)) {
        circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?
    } else {
        Vec::new()
    };
    let restricted: Vec<Uuid> = rows
        .iter()
        .filter(|e| needs_audience(actor, e))
        .map(|e| e.id)
        .collect();
    let mut audiences: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !restricted.is_empty() {
        for (event_id, circle_id) in event_circles::Entity::find()
            .select_only()
            .column(event_circles::Column::EventId)
            .column(event_circles::Column::CircleId)
            .filter(event_circles::Column::EventId.is_in(restricted))
            .into_tuple::<(Uuid, Uuid)>()
            .all(&ctx.main)
            .await?
        {
            audiences.entry(event_id).or_default().push(circle_id);
        }
    }
    Ok(rows
        .into_iter()
        .map(|e| {
            let audience = audiences.get(&e.id).map_or(&[][..], Vec::as_slice);
            let known = Known {
                led: &led,
                audience,
            };
            let organiser = organises_given(actor, &e, known);
            (e, organiser)
        })
        .collect())
}

/// Whether the event is meant for `actor`: open to everyone, or to one of his circles.
pub(crate) async fn is_for(ctx: &Context, actor: &Actor, e: &events::Model) -> Result<bool> {
    if e.open_to_all {
        return Ok(true);
    }
    let mine = circles_of_user(&ctx.main, actor.id()).await?;
    Ok(circles_of(&ctx.main, e.id, false)
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
    if organiser || (e.status.is_public() && is_for(ctx, actor, &e).await?) {
        Ok((e, organiser))
    } else {
        Err(Error::NotFound("event"))
    }
}
