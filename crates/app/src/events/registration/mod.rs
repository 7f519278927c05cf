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
use crate::page::{time_key, Page, PageRequest};
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::sea_query::{Alias, Expr, IntoIden, Query, TableRef};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use domain::event::RegistrationStatus;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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
    // A late card payment may confirm a registration whose hold had run out.
    row.cancelled_at = Set(None);
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
    Ok(registration_at(r, position))
}

/// A registration whose place in line (if it waits) is already known.
fn registration_at(r: regs::Model, waitlist_position: Option<u64>) -> Registration {
    Registration {
        id: r.id,
        event_id: r.event_id,
        status: r.status,
        waitlist_position,
        offer_expires_at: r.offer_expires_at,
        hold_expires_at: r.hold_expires_at,
        registered_at: r.registered_at,
        checked_in_at: r.checked_in_at,
    }
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

/// Which of his registrations a person lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Events not over yet, soonest first.
    #[default]
    Upcoming,
    /// Events over, the most recent first.
    Past,
}

/// Filters for the person's own registrations.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineFilter {
    /// `upcoming` (the default): events not over yet, soonest first; `past`: events that
    /// are over, the most recent first.
    #[param(value_type = Option<When>)]
    pub when: Option<When>,
}

/// A page of the actor's registrations that are not cancelled, with their events, in
/// (start, registration id) order: the events and registrations in one statement, their
/// views in a few more for the whole page, and places in line in one grouped query.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn mine(
    ctx: &Context,
    actor: &Actor,
    filter: &MineFilter,
    page: &PageRequest,
) -> Result<Page<(EventView, Registration)>> {
    let limit = page.limit()?;
    let past = filter.when.unwrap_or_default() == When::Past;
    let rows = mine_rows(ctx, actor, past, page.cursor_time_key()?, limit + 1).await?;
    let page = Page::from_rows(rows, limit, |(r, e)| time_key(e.starts_at, r.id));
    let (rows, events): (Vec<regs::Model>, Vec<events::Model>) = page.items.into_iter().unzip();
    let flagged = super::with_organiser_flags(ctx, actor, events).await?;
    let views = views(ctx, actor.id(), flagged).await?;
    let mut places = places_in_line(ctx, &rows).await?;
    let items = rows
        .into_iter()
        .zip(views)
        .map(|(r, v)| {
            let place = places.remove(&r.id);
            (v, registration_at(r, place))
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Up to `take` of the actor's live registrations with their events, after `cursor`.
async fn mine_rows(
    ctx: &Context,
    actor: &Actor,
    past: bool,
    cursor: Option<(DateTime<Utc>, Uuid)>,
    take: u64,
) -> Result<Vec<(regs::Model, events::Model)>> {
    let (starts, id) = (events::Column::StartsAt, regs::Column::Id);
    let mut q = regs::Entity::find()
        .join(
            JoinType::InnerJoin,
            regs::Entity::belongs_to(events::Entity)
                .from(regs::Column::EventId)
                .to(events::Column::Id)
                .into(),
        )
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled));
    let now = ctx.now();
    q = if past {
        q.filter(events::Column::EndsAt.lte(now))
            .order_by_desc(starts)
            .order_by_desc(id)
    } else {
        q.filter(events::Column::EndsAt.gt(now))
            .order_by_asc(starts)
            .order_by_asc(id)
    };
    if let Some((at, after)) = cursor {
        // Strictly beyond the last row shown, in the list's own direction.
        let same_start = Condition::all().add(starts.eq(at));
        let beyond = if past {
            Condition::any()
                .add(starts.lt(at))
                .add(same_start.add(id.lt(after)))
        } else {
            Condition::any()
                .add(starts.gt(at))
                .add(same_start.add(id.gt(after)))
        };
        q = q.filter(beyond);
    }
    let rows = q
        .select_also(events::Entity)
        .limit(take)
        .all(&ctx.main)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(r, e)| e.map(|e| (r, e)))
        .collect())
}

/// The place in line of each waitlisted registration among `rows`: one grouped count of
/// those ahead of it, instead of a count per registration.
async fn places_in_line(ctx: &Context, rows: &[regs::Model]) -> Result<HashMap<Uuid, u64>> {
    let waiting: Vec<&regs::Model> = rows.iter().filter(|r| r.status.is_waiting()).collect();
    if waiting.is_empty() {
        return Ok(HashMap::new());
    }
    let (mine, ahead) = (Alias::new("mine"), Alias::new("ahead"));
    let col = |t: &Alias, c: regs::Column| Expr::col((t.clone(), c));
    let query = Query::select()
        .column((mine.clone(), regs::Column::Id))
        .expr(Expr::col((ahead.clone(), regs::Column::Id)).count())
        .from_as(regs::Entity, mine.clone())
        .left_join(
            TableRef::Table(regs::Entity.into_iden()).alias(ahead.clone()),
            Condition::all()
                .add(
                    col(&ahead, regs::Column::EventId)
                        .equals((mine.clone(), regs::Column::EventId)),
                )
                .add(col(&ahead, regs::Column::Status).eq(RegistrationStatus::Waitlisted.as_str()))
                .add(col(&ahead, regs::Column::Position).lt(col(&mine, regs::Column::Position))),
        )
        .and_where(col(&mine, regs::Column::Id).is_in(waiting.iter().map(|r| r.id)))
        .group_by_col((mine.clone(), regs::Column::Id))
        .to_owned();
    let backend = ctx.main.get_database_backend();
    let counted = ctx.main.query_all(backend.build(&query)).await?;
    let mut places = HashMap::new();
    for row in counted {
        let id: Uuid = row.try_get_by_index(0)?;
        let before: i64 = row.try_get_by_index(1)?;
        places.insert(id, before.max(0) as u64 + 1);
    }
    Ok(places)
}
