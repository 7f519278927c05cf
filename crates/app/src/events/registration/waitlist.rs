//! Cancelling, and freed seats passing down the waitlist: at once, or as offers that can run out.

use super::registering::{is_paid, notify, seat_status};
use super::{hold_for_payment, plan_hold_release, registration, set_status, Registration};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::events::errors::EventError;
use crate::events::jobs::{EventNotice, ExpireSeatOffer};
use crate::events::{free_seat, lock_event, take_seat, visible_event};
use crate::jobs::Job;
use crate::{Context, Error, RequestMeta, Result};
use chrono::Duration;
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::event::RegistrationStatus;
use uuid::Uuid;
/// Cancels the actor's registration; a seat he held goes to the head of the waitlist, and
/// a paid one is refunded as the event's refund policy states now.
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
    crate::payments::refunds::policy::plan_refund_on_cancel(&txn, ctx, &e, r.id).await?;
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

/// Cancels one registration under the event's lock and passes its seat on; a confirmed
/// seat's scholarship share goes back to the fund.
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
    row.hold_expires_at = Set(None);
    row.updated_at = Set(now);
    let r = row.update(txn).await?;
    if from == RegistrationStatus::Confirmed {
        // The seat is given up: what the scholarship fund paid towards it goes back.
        let why = format!("a seat at \"{}\" was cancelled", e.title);
        crate::payments::scholarships::restore_for_seat(txn, r.id, &why, now).await?;
    }
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
    let offer = e.offer_hours.filter(|_| is_paid(e));
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
    let held_until = hold_for_payment(&mut row, ctx, e, status);
    row.confirmed_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(txn).await?;
    plan_hold_release(txn, ctx, id, held_until).await?;
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
    let held_until = hold_for_payment(&mut row, ctx, &e, RegistrationStatus::PaymentRequired);
    row.updated_at = Set(now);
    let r = row.update(&txn).await?;
    plan_hold_release(&txn, ctx, r.id, held_until).await?;
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
