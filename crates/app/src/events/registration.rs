//! Registering for events, the waitlist, offers of freed seats, and the organiser's list.
//!
//! A registration's status is a [`RegistrationStatus`]: the statuses that hold a seat count
//! in `events.confirmed_count`, and every change of a stored registration goes through
//! [`set_status`], which refuses one the status rules do not allow.

use super::errors::EventError;
use super::jobs::{EventNotice, ExpireSeatOffer, SendEventNotice};
use super::manage::Warning;
use super::view::{views, EventView};
use super::{free_seat, lock_event, next_position, take_seat, visible_event};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::jobs::Job;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use domain::event::{overlaps, EventStatus, RegistrationStatus, RegistrationWindow};
use serde::Serialize;
use uuid::Uuid;

/// Changes a stored registration's status. A change the status rules do not allow is a
/// bug in the caller, not something a person did, so it fails the whole transaction.
fn set_status(
    row: &mut regs::ActiveModel,
    from: RegistrationStatus,
    to: RegistrationStatus,
) -> Result<()> {
    if !from.can_become(to) {
        return Err(Error::Internal(anyhow::anyhow!(
            "a registration cannot go from {from} to {to}"
        )));
    }
    row.status = Set(to);
    Ok(())
}

/// One person's registration.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registration {
    pub id: Uuid,
    pub event_id: Uuid,
    /// `confirmed`, `payment_required`, `offered`, `waitlisted` or `cancelled`.
    #[schema(value_type = String)]
    pub status: RegistrationStatus,
    /// 1 = next to get a seat; only while waitlisted.
    pub waitlist_position: Option<u64>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub registered_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// What registering did, with anything the person should know.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationOutcome {
    pub registration: Registration,
    /// For instance another event of his at the same time.
    pub warnings: Vec<Warning>,
}

/// A registration (and the person's own events: his place in line, once known).
async fn registration(db: &impl ConnectionTrait, r: regs::Model) -> Result<Registration> {
    let position = if r.status.is_waiting() {
        let ahead = regs::Entity::find()
            .filter(regs::Column::EventId.eq(r.event_id))
            .filter(regs::Column::Status.eq(RegistrationStatus::Waitlisted))
            .filter(regs::Column::Position.lt(r.position))
            .count(db)
            .await?;
        Some(ahead + 1)
    } else {
        None
    };
    Ok(Registration {
        id: r.id,
        event_id: r.event_id,
        status: r.status,
        waitlist_position: position,
        offer_expires_at: r.offer_expires_at,
        registered_at: r.registered_at,
        checked_in_at: r.checked_in_at,
    })
}

/// Registers the actor: a seat if one is free, otherwise the end of the waitlist (or
/// `event_full` when the event keeps none). Concurrent registrations queue on the event's
/// lock, so places follow arrival order and seats never exceed capacity.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn register(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    event_id: Uuid,
) -> Result<RegistrationOutcome> {
    actor.require::<crate::authz::can::Participate>()?;
    visible_event(ctx, actor, event_id).await?;
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    // Read once the lock is held, so times follow arrival order as positions do.
    let now = ctx.now();
    refuse_unless_open(&e, now)?;
    let existing = regs::Entity::find()
        .filter(regs::Column::EventId.eq(e.id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .one(&txn)
        .await?;
    if existing.as_ref().is_some_and(|r| !r.status.is_cancelled()) {
        return Err(EventError::AlreadyRegistered.into());
    }
    let status = if take_seat(&txn, e.id).await? {
        seat_status(&e)
    } else if e.waitlist_enabled {
        RegistrationStatus::Waitlisted
    } else {
        return Err(EventError::Full.into());
    };
    let position = next_position(&txn, e.id).await?;
    // Someone who cancelled and comes back reuses his row, at the end of the line.
    let again = existing.is_some();
    let mut row: regs::ActiveModel = match existing {
        Some(r) => {
            let from = r.status;
            let mut row: regs::ActiveModel = r.into();
            set_status(&mut row, from, status)?;
            row
        }
        None => regs::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(e.id),
            user_id: Set(actor.id()),
            status: Set(status),
            note: Set(None),
            checked_in_at: Set(None),
            checked_in_by: Set(None),
            ..Default::default()
        },
    };
    row.position = Set(position);
    row.offer_expires_at = Set(None);
    row.registered_at = Set(now);
    row.confirmed_at = Set(status.holds_seat().then_some(now));
    row.cancelled_at = Set(None);
    row.updated_at = Set(now);
    let saved = if again {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    notify(&txn, ctx, actor.id(), e.id, notice_on_arrival(status)?).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventRegistered)
            .by(actor.id())
            .on("event", e.id)
            .within_circle(!e.open_to_all)
            .details(serde_json::json!({ "status": status })),
    )
    .await?;
    txn.commit().await?;
    let warnings = overlapping(ctx, actor.id(), &e).await?;
    Ok(RegistrationOutcome {
        registration: registration(&ctx.main, saved).await?,
        warnings,
    })
}

fn refuse_unless_open(e: &events::Model, now: DateTime<Utc>) -> Result<()> {
    if !e.status.accepts_registrations() {
        return Err(EventError::NotOpen.into());
    }
    RegistrationWindow::check(
        e.registration_opens_at,
        e.registration_closes_at,
        e.starts_at,
        now,
    )
    .map_err(|why| EventError::from(why).with(why.to_string()))
}

/// A seat on a paid event waits for payment; on a free one it is confirmed.
fn seat_status(e: &events::Model) -> RegistrationStatus {
    RegistrationStatus::seated(e.price_minor > 0)
}

/// What a person who just registered is told. Registering never makes an offer, nor a
/// cancellation; either would be a bug.
fn notice_on_arrival(status: RegistrationStatus) -> Result<EventNotice> {
    match status {
        RegistrationStatus::Confirmed => Ok(EventNotice::Confirmed),
        RegistrationStatus::PaymentRequired => Ok(EventNotice::PaymentRequired),
        RegistrationStatus::Waitlisted => Ok(EventNotice::Waitlisted),
        RegistrationStatus::Offered | RegistrationStatus::Cancelled => Err(Error::Internal(
            anyhow::anyhow!("registering does not leave a registration {status}"),
        )),
    }
}

async fn notify(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    user_id: Uuid,
    event_id: Uuid,
    notice: EventNotice,
) -> Result<()> {
    let job = SendEventNotice {
        user_id,
        event_id,
        notice,
    };
    job.enqueue(txn, ctx).await?;
    Ok(())
}

/// The person's other registrations at the same time.
async fn overlapping(ctx: &Context, user_id: Uuid, e: &events::Model) -> Result<Vec<Warning>> {
    let mine = regs::Entity::find()
        .filter(regs::Column::UserId.eq(user_id))
        .filter(regs::Column::EventId.ne(e.id))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .all(&ctx.main)
        .await?;
    let others = events::Entity::find()
        .filter(events::Column::Id.is_in(mine.iter().map(|r| r.event_id)))
        .filter(events::Column::Status.ne(EventStatus::Cancelled))
        .all(&ctx.main)
        .await?;
    Ok(others
        .into_iter()
        .filter(|o| overlaps(e.starts_at, e.ends_at, o.starts_at, o.ends_at))
        .map(|o| Warning {
            code: "overlaps_registration",
            message: format!("You are also registered for \"{}\" at that time.", o.title),
        })
        .collect())
}

/// Cancels the actor's registration; a seat he held goes to the head of the waitlist.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn cancel(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    event_id: Uuid,
) -> Result<Registration> {
    visible_event(ctx, actor, event_id).await?;
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    let r = regs::Entity::find()
        .filter(regs::Column::EventId.eq(e.id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("registration"))?;
    let r = cancel_one(&txn, ctx, &e, r).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventRegistrationCancelled)
            .by(actor.id())
            .on("event", e.id)
            .within_circle(!e.open_to_all),
    )
    .await?;
    txn.commit().await?;
    registration(&ctx.main, r).await
}

/// Cancels one registration under the event's lock and passes its seat on.
pub(crate) async fn cancel_one(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
    r: regs::Model,
) -> Result<regs::Model> {
    let from = r.status;
    let now = ctx.now();
    let mut row: regs::ActiveModel = r.into();
    set_status(&mut row, from, RegistrationStatus::Cancelled)?;
    row.cancelled_at = Set(Some(now));
    row.offer_expires_at = Set(None);
    row.updated_at = Set(now);
    let r = row.update(txn).await?;
    if from.holds_seat() {
        free_seat(txn, e.id).await?;
        fill_freed_seats(txn, ctx, e).await?;
    }
    Ok(r)
}

/// Gives free seats to the waitlist, first in line first: at once, or as a time-limited
/// offer on paid events that make offers.
pub(crate) async fn fill_freed_seats(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
) -> Result<u32> {
    if !e.status.accepts_registrations() || e.starts_at <= ctx.now() {
        return Ok(0);
    }
    let mut promoted = 0;
    loop {
        let Some(next) = regs::Entity::find()
            .filter(regs::Column::EventId.eq(e.id))
            .filter(regs::Column::Status.eq(RegistrationStatus::Waitlisted))
            .order_by_asc(regs::Column::Position)
            .one(txn)
            .await?
        else {
            return Ok(promoted);
        };
        if !take_seat(txn, e.id).await? {
            return Ok(promoted);
        }
        promote(txn, ctx, e, next).await?;
        promoted += 1;
    }
}

async fn promote(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
    r: regs::Model,
) -> Result<()> {
    let now = ctx.now();
    let offer = e.offer_hours.filter(|_| e.price_minor > 0);
    let (status, notice) = if offer.is_some() {
        (RegistrationStatus::Offered, EventNotice::SeatOffered)
    } else {
        (seat_status(e), EventNotice::PromotedFromWaitlist)
    };
    let expires = offer.map(|h| (now + Duration::hours(i64::from(h))).min(e.starts_at));
    let user_id = r.user_id;
    let id = r.id;
    let from = r.status;
    let mut row: regs::ActiveModel = r.into();
    set_status(&mut row, from, status)?;
    row.offer_expires_at = Set(expires);
    row.confirmed_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(txn).await?;
    if let Some(at) = expires {
        let job = ExpireSeatOffer {
            registration_id: id,
        };
        job.enqueue_at(txn, ctx, at).await?;
    }
    notify(txn, ctx, user_id, e.id, notice).await
}

/// Accepts a seat offered from the waitlist, before the offer runs out.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn accept_offer(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    event_id: Uuid,
) -> Result<Registration> {
    visible_event(ctx, actor, event_id).await?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    let r = regs::Entity::find()
        .filter(regs::Column::EventId.eq(e.id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.eq(RegistrationStatus::Offered))
        .one(&txn)
        .await?
        .filter(|r| r.offer_expires_at.is_some_and(|x| x > now))
        .ok_or_else(|| Error::from(EventError::NoOffer))?;
    let from = r.status;
    let mut row: regs::ActiveModel = r.into();
    set_status(&mut row, from, RegistrationStatus::PaymentRequired)?;
    row.offer_expires_at = Set(None);
    row.updated_at = Set(now);
    let r = row.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventOfferAccepted)
            .by(actor.id())
            .on("event", e.id)
            .within_circle(!e.open_to_all),
    )
    .await?;
    txn.commit().await?;
    registration(&ctx.main, r).await
}

/// The job run when an offer's time is up: a seat still only offered passes on.
pub(crate) async fn expire_offer(ctx: &Context, registration_id: Uuid) -> Result<()> {
    let Some(r) = regs::Entity::find_by_id(registration_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(());
    };
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, r.event_id).await?;
    let Some(r) = regs::Entity::find_by_id(registration_id).one(&txn).await? else {
        return Ok(());
    };
    let due = r.offer_expires_at.is_some_and(|x| x <= ctx.now());
    if r.status == RegistrationStatus::Offered && due {
        let user_id = r.user_id;
        cancel_one(&txn, ctx, &e, r).await?;
        notify(&txn, ctx, user_id, e.id, EventNotice::OfferExpired).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The actor's registration for one event, unless he has none or cancelled it.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn mine_for(
    ctx: &Context,
    actor: &Actor,
    event_id: Uuid,
) -> Result<Option<Registration>> {
    let row = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .one(&ctx.main)
        .await?;
    match row {
        Some(r) => Ok(Some(registration(&ctx.main, r).await?)),
        None => Ok(None),
    }
}

/// The actor's registrations that are not cancelled, with their events, soonest first.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn mine(ctx: &Context, actor: &Actor) -> Result<Vec<(EventView, Registration)>> {
    let rows = regs::Entity::find()
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .all(&ctx.main)
        .await?;
    let found = events::Entity::find()
        .filter(events::Column::Id.is_in(rows.iter().map(|r| r.event_id)))
        .all(&ctx.main)
        .await?;
    let found = super::with_organiser_flags(ctx, actor, found).await?;
    let mut views: std::collections::HashMap<Uuid, EventView> = views(ctx, actor.id(), found)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut kept = Vec::new();
    for r in rows {
        if let Some(v) = views.remove(&r.event_id) {
            kept.push((v, registration(&ctx.main, r).await?));
        }
    }
    kept.sort_by_key(|(e, _)| e.starts_at);
    Ok(kept)
}
