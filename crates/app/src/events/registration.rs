//! Registering for events, the waitlist, offers of freed seats, and the organiser's list.
//!
//! Statuses: `confirmed` (a seat, free event), `payment_required` (a seat held on a paid
//! event until payment, which a later release takes), `offered` (a freed seat held for
//! someone from the waitlist until `offer_expires_at`), `waitlisted`, `cancelled`. The
//! first three hold a seat and count in `events.confirmed_count`.

use super::errors::EventError;
use super::manage::Warning;
use super::view::{views, EventView};
use super::{free_seat, lock_event, next_position, take_seat, visible_event};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::jobs::{self, EventNotice, Job};
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use domain::event::{overlaps, EventStatus, RegistrationWindow};
use serde::Serialize;
use uuid::Uuid;

const CONFIRMED: &str = "confirmed";
const PAYMENT_REQUIRED: &str = "payment_required";
const OFFERED: &str = "offered";
const WAITLISTED: &str = "waitlisted";
const CANCELLED: &str = "cancelled";

fn holds_seat(status: &str) -> bool {
    matches!(status, CONFIRMED | PAYMENT_REQUIRED | OFFERED)
}

/// One person's registration.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registration {
    pub id: Uuid,
    pub event_id: Uuid,
    /// `confirmed`, `payment_required`, `offered`, `waitlisted` or `cancelled`.
    pub status: String,
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
    let position = if r.status == WAITLISTED {
        let ahead = regs::Entity::find()
            .filter(regs::Column::EventId.eq(r.event_id))
            .filter(regs::Column::Status.eq(WAITLISTED))
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
    let now = Utc::now();
    refuse_unless_open(&e, now)?;
    let existing = regs::Entity::find()
        .filter(regs::Column::EventId.eq(e.id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .one(&txn)
        .await?;
    if existing.as_ref().is_some_and(|r| r.status != CANCELLED) {
        return Err(EventError::AlreadyRegistered.into());
    }
    let status = if take_seat(&txn, e.id).await? {
        seat_status(&e)
    } else if e.waitlist_enabled {
        WAITLISTED
    } else {
        return Err(EventError::Full.into());
    };
    let position = next_position(&txn, e.id).await?;
    // Someone who cancelled and comes back reuses his row, at the end of the line.
    let again = existing.is_some();
    let mut row: regs::ActiveModel = match existing {
        Some(r) => r.into(),
        None => regs::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(e.id),
            user_id: Set(actor.id()),
            note: Set(None),
            checked_in_at: Set(None),
            checked_in_by: Set(None),
            ..Default::default()
        },
    };
    row.status = Set(status.to_owned());
    row.position = Set(position);
    row.offer_expires_at = Set(None);
    row.registered_at = Set(now);
    row.confirmed_at = Set((status != WAITLISTED).then_some(now));
    row.cancelled_at = Set(None);
    row.updated_at = Set(now);
    let saved = if again {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    notify(&txn, ctx, actor.id(), e.id, notice_for(status)).await?;
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
    if e.status != EventStatus::Published.as_str() {
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
fn seat_status(e: &events::Model) -> &'static str {
    if e.price_minor > 0 {
        PAYMENT_REQUIRED
    } else {
        CONFIRMED
    }
}

fn notice_for(status: &str) -> EventNotice {
    match status {
        WAITLISTED => EventNotice::Waitlisted,
        OFFERED => EventNotice::SeatOffered,
        PAYMENT_REQUIRED => EventNotice::PaymentRequired,
        _ => EventNotice::Confirmed,
    }
}

async fn notify(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    user_id: Uuid,
    event_id: Uuid,
    notice: EventNotice,
) -> Result<()> {
    let job = Job::SendEventNotice {
        user_id,
        event_id,
        notice,
    };
    jobs::enqueue(txn, ctx.settings.jobs.max_attempts, &job).await?;
    Ok(())
}

/// The person's other registrations at the same time.
async fn overlapping(ctx: &Context, user_id: Uuid, e: &events::Model) -> Result<Vec<Warning>> {
    let mine = regs::Entity::find()
        .filter(regs::Column::UserId.eq(user_id))
        .filter(regs::Column::EventId.ne(e.id))
        .filter(regs::Column::Status.ne(CANCELLED))
        .all(&ctx.main)
        .await?;
    let others = events::Entity::find()
        .filter(events::Column::Id.is_in(mine.iter().map(|r| r.event_id)))
        .filter(events::Column::Status.ne(EventStatus::Cancelled.as_str()))
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
        .filter(regs::Column::Status.ne(CANCELLED))
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
    let had_seat = holds_seat(&r.status);
    let now = Utc::now();
    let mut row: regs::ActiveModel = r.into();
    row.status = Set(CANCELLED.to_owned());
    row.cancelled_at = Set(Some(now));
    row.offer_expires_at = Set(None);
    row.updated_at = Set(now);
    let r = row.update(txn).await?;
    if had_seat {
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
    if e.status != EventStatus::Published.as_str() || e.starts_at <= Utc::now() {
        return Ok(0);
    }
    let mut promoted = 0;
    loop {
        let Some(next) = regs::Entity::find()
            .filter(regs::Column::EventId.eq(e.id))
            .filter(regs::Column::Status.eq(WAITLISTED))
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
    let now = Utc::now();
    let offer = e.offer_hours.filter(|_| e.price_minor > 0);
    let status = if offer.is_some() {
        OFFERED
    } else {
        seat_status(e)
    };
    let expires = offer.map(|h| (now + Duration::hours(i64::from(h))).min(e.starts_at));
    let user_id = r.user_id;
    let id = r.id;
    let mut row: regs::ActiveModel = r.into();
    row.status = Set(status.to_owned());
    row.offer_expires_at = Set(expires);
    row.confirmed_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(txn).await?;
    if let Some(at) = expires {
        let job = Job::ExpireSeatOffer {
            registration_id: id,
        };
        jobs::enqueue_at(txn, ctx.settings.jobs.max_attempts, &job, at).await?;
    }
    let notice = if status == OFFERED {
        EventNotice::SeatOffered
    } else {
        EventNotice::PromotedFromWaitlist
    };
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
    let now = Utc::now();
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    let r = regs::Entity::find()
        .filter(regs::Column::EventId.eq(e.id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.eq(OFFERED))
        .one(&txn)
        .await?
        .filter(|r| r.offer_expires_at.is_some_and(|x| x > now))
        .ok_or_else(|| Error::from(EventError::NoOffer))?;
    let mut row: regs::ActiveModel = r.into();
    row.status = Set(PAYMENT_REQUIRED.to_owned());
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
    let due = r.offer_expires_at.is_some_and(|x| x <= Utc::now());
    if r.status == OFFERED && due {
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
        .filter(regs::Column::Status.ne(CANCELLED))
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
        .filter(regs::Column::Status.ne(CANCELLED))
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
