//! Registering for events, the waitlist, offers of freed seats, and the organiser's list.
//!
//! A registration's status is a [`RegistrationStatus`]: the statuses that hold a seat count
//! in `events.confirmed_count`, and every change of a stored registration goes through
//! [`set_status`], which refuses one the status rules do not allow.

mod registering;
mod waitlist;

pub use registering::register;
pub use waitlist::{accept_offer, cancel};

pub(crate) use registering::notify;
pub(crate) use waitlist::{cancel_one, expire_offer, fill_freed_seats};

use super::manage::Warning;
use super::view::{views, EventView};
use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use domain::event::RegistrationStatus;
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

/// Holds a seat just given on a paid event for payment: sets its deadline on `row` and
/// returns it, for [`plan_hold_release`] once the row is saved. Other statuses hold nothing.
fn hold_for_payment(
    row: &mut regs::ActiveModel,
    ctx: &Context,
    e: &events::Model,
    status: RegistrationStatus,
) -> Option<DateTime<Utc>> {
    let until = (status == RegistrationStatus::PaymentRequired)
        .then(|| crate::payments::holds::hold_until(ctx, e));
    row.hold_expires_at = Set(until);
    until
}

/// Queues the release of a held seat (see [`hold_for_payment`]).
async fn plan_hold_release(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    registration_id: Uuid,
    until: Option<DateTime<Utc>>,
) -> Result<()> {
    match until {
        Some(at) => crate::payments::holds::plan_release(txn, ctx, registration_id, at).await,
        None => Ok(()),
    }
}

/// Confirms a seat that awaited payment, now paid (under the event's lock).
pub(crate) async fn confirm_paid(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    r: regs::Model,
) -> Result<regs::Model> {
    let now = ctx.now();
    let from = r.status;
    let mut row: regs::ActiveModel = r.into();
    set_status(&mut row, from, RegistrationStatus::Confirmed)?;
    row.hold_expires_at = Set(None);
    row.confirmed_at = Set(Some(now));
    row.updated_at = Set(now);
    Ok(row.update(txn).await?)
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
    /// While the seat awaits payment: when it is released to the waitlist if unpaid.
    pub hold_expires_at: Option<DateTime<Utc>>,
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
        hold_expires_at: r.hold_expires_at,
        registered_at: r.registered_at,
        checked_in_at: r.checked_in_at,
    })
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
