//! Registering for an event: a seat or a place on the waitlist, and what the person is told.

use super::{hold_for_payment, plan_hold_release, registration, set_status, RegistrationOutcome};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::events::errors::EventError;
use crate::events::jobs::{EventNotice, SendEventNotice};
use crate::events::manage::Warning;
use crate::events::{lock_event, next_position, take_seat, visible_event};
use crate::jobs::Job;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::event::{overlaps, EventStatus, RegistrationStatus, RegistrationWindow};
use uuid::Uuid;
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
    let paid = crate::payments::price_of(&e)?.is_paid();
    crate::memberships::refuse_if_lapsed(&txn, ctx, actor.id(), paid).await?;
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
    let held_until = hold_for_payment(&mut row, ctx, &e, status);
    row.registered_at = Set(now);
    row.confirmed_at = Set(status.holds_seat().then_some(now));
    row.cancelled_at = Set(None);
    row.updated_at = Set(now);
    let saved = if again {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    plan_hold_release(&txn, ctx, saved.id, held_until).await?;
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
pub(super) fn seat_status(e: &events::Model) -> RegistrationStatus {
    RegistrationStatus::seated(is_paid(e))
}

/// Whether seats at `e` must be paid for (a fixed price, or a sliding scale's minimum).
pub(super) fn is_paid(e: &events::Model) -> bool {
    e.price_minor > 0
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

pub(crate) async fn notify(
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
