//! Publishing, cancelling and completing events, and what that tells people.

use crate::audit::{self, Action, Entry};
use crate::authz::event::Organising;
use crate::authz::Actor;
use crate::events::errors::EventError;
use crate::events::jobs::{EventNotice, SendEventNotice, SendEventReminders};
use crate::events::lock_event;
use crate::events::view::{get, EventView};
use crate::jobs::Job;
use crate::{Context, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::event::{EventStatus, RegistrationStatus};
use uuid::Uuid;

/// Publishes, cancels or completes an event (its organisers). Cancelling tells everyone
/// registered or waiting, and plans the refund of every payment for it.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %org.event_id()), err(level = "info"))]
pub async fn set_status(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    org: &Organising,
    to: EventStatus,
) -> Result<EventView> {
    let event_id = org.event_id();
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    let from = e.status;
    if !from.can_become(to) {
        return Err(EventError::StatusChange.with(format!(
            "A {} event cannot become {}.",
            from.as_str(),
            to.as_str()
        )));
    }
    let now = ctx.now();
    if to == EventStatus::Completed && from != to && e.starts_at > now {
        return Err(EventError::NotStartedYet.into());
    }
    let mut row: events::ActiveModel = e.clone().into();
    row.status = Set(to);
    row.updated_at = Set(now);
    if to == EventStatus::Cancelled && from != to {
        row.cancelled_at = Set(Some(now));
        row.sequence = Set(e.sequence + 1);
        tell_everyone(&txn, ctx, event_id, EventNotice::EventCancelled).await?;
        crate::payments::refunds::cancelled_events::plan_refunds(&txn, ctx, &e).await?;
    }
    if to == EventStatus::Published && from != to {
        schedule_reminder(&txn, ctx, &e).await?;
    }
    row.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventStatusChanged)
            .by(org.actor_id())
            .on("event", event_id)
            .details(serde_json::json!({ "from": from.as_str(), "to": to.as_str() })),
    )
    .await?;
    txn.commit().await?;
    get(ctx, actor, event_id).await
}

/// Reminders go out a day before, from the job queue.
pub(in crate::events) async fn schedule_reminder(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
) -> Result<()> {
    let at = (e.starts_at - chrono::Duration::hours(24)).max(ctx.now());
    let job = SendEventReminders {
        event_id: e.id,
        starts_at: e.starts_at,
    };
    job.enqueue_at(txn, ctx, at).await?;
    Ok(())
}

/// Queues `notice` to everyone registered or waiting.
pub(in crate::events) async fn tell_everyone(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    event_id: Uuid,
    notice: EventNotice,
) -> Result<()> {
    let people = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .all(txn)
        .await?;
    for r in people {
        let job = SendEventNotice {
            user_id: r.user_id,
            event_id,
            notice,
        };
        job.enqueue(txn, ctx).await?;
    }
    Ok(())
}
