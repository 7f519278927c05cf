//! Registering for events, the waitlist, offers of freed seats, and the organiser's list.
//!
//! A registration's status is a [`RegistrationStatus`]: the statuses that hold a seat count
//! in `events.confirmed_count`, and every change of a stored registration goes through
//! [`set_status`], which refuses one the status rules do not allow.

mod registering;
mod waitlist;

pub use registering::register;
pub use waitlist::{accept_offer, cancel};

pub(crate) use waitlist::{expire_offer, fill_freed_seats};

use super::manage::Warning;
use super::view::{views, EventView};
use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
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
