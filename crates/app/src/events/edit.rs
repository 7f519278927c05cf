//! Editing an event after it was created: its organisers replace what they described,
//! with the checks `create` makes and a few more that protect people already registered
//! (seats they hold, the price they agreed to, the audience the event was meant for).

use super::errors::EventError;
use super::jobs::{EventNotice, SendEventReminders};
use super::manage::{
    check_venue, clashes_with_own_meetings, schedule_reminder, tell_everyone, validate, EventInput,
    Valid,
};
use super::registration::fill_freed_seats;
use super::view::{get, EventView};
use super::{circles_of, lock_event};
use crate::audit::{self, Action, Entry};
use crate::authz::event::Organising;
use crate::authz::Actor;
use crate::payments::{price_columns, refund_policy_columns};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::event::{EventKind, EventStatus, RegistrationStatus};
use uuid::Uuid;

/// Fields a calendar shows (its times, title, description and place): changing any of
/// them bumps the event's `sequence`, so calendar apps take the new version.
const CALENDAR_FIELDS: [&str; 7] = [
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue_id",
    "location",
    "online_url",
];

/// Replaces an event's editable fields (its organisers), while it is a draft or
/// published. The audience is fixed; capacity cannot drop below the seats held; the price
/// is fixed once anyone registered. Moving a published event tells everyone registered or
/// waiting and plans a new reminder; more seats go to the waitlist, first in line first.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %org.event_id()), err(level = "info"))]
pub async fn update(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    org: &Organising,
    input: &EventInput,
) -> Result<EventView> {
    let event_id = org.event_id();
    let before = org.event().clone();
    refuse_unless_open(&before)?;
    // The audience never changes, so it may be checked before taking the lock.
    same_audience(ctx, &before, input).await?;
    let v = validate(input)?;

    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    refuse_unless_open(&e)?;
    if v.capacity < e.confirmed_count {
        return Err(Error::invalid(
            "capacity",
            format!(
                "{held} seats are already held, so the capacity cannot go below {held}.",
                held = e.confirmed_count
            ),
        ));
    }
    let (price_minor, currency, suggested, maximum) = price_columns(&v.price);
    let price_changed = price_minor != e.price_minor
        || currency != e.currency
        || suggested != e.price_suggested_minor
        || maximum != e.price_maximum_minor;
    if price_changed && anyone_registered(&txn, event_id).await? {
        return Err(EventError::PriceLocked.into());
    }
    if let Some(venue_id) = input.venue_id {
        check_venue(&txn, venue_id, Some(event_id), &v).await?;
    }

    let mut changed = changes(&e, input, &v, price_minor, currency.as_deref());
    if suggested != e.price_suggested_minor || maximum != e.price_maximum_minor {
        changed.push("price_scale");
    }
    // A start already past may stay as it is (fixing a typo in a running event), but a
    // changed start must be still to come.
    if changed.contains(&"starts_at") && v.schedule.starts_at() < ctx.now() {
        return Err(Error::invalid(
            "starts_at",
            "An event cannot start in the past: choose a start from now on.",
        ));
    }
    if !changed.is_empty() {
        let moved = changed.contains(&"starts_at") || changed.contains(&"ends_at");
        let start_moved = changed.contains(&"starts_at");
        let grew = v.capacity > e.capacity;
        let mut row: events::ActiveModel = e.clone().into();
        row.kind = Set(input.kind);
        row.title = Set(v.title);
        row.description = Set(v.description);
        row.starts_at = Set(v.schedule.starts_at());
        row.ends_at = Set(v.schedule.ends_at());
        row.time_zone = Set(v.schedule.time_zone().name().to_owned());
        row.venue_id = Set(input.venue_id);
        row.location = Set(v.location);
        row.online_url = Set(v.online_url);
        row.capacity = Set(v.capacity);
        row.price_minor = Set(price_minor);
        row.currency = Set(currency);
        row.price_suggested_minor = Set(suggested);
        row.price_maximum_minor = Set(maximum);
        row.waitlist_enabled = Set(input.waitlist_enabled);
        row.offer_hours = Set(v.offer_hours);
        row.registration_opens_at = Set(v.window.opens_at());
        row.registration_closes_at = Set(v.window.closes_at());
        row.cancellation_policy = Set(v.policy);
        let (refund_days, refund_percent) = refund_policy_columns(v.refund_policy.as_ref());
        row.refund_full_days_before = Set(refund_days);
        row.refund_later_percent = Set(refund_percent);
        row.updated_at = Set(ctx.now());
        if changed.iter().any(|f| CALENDAR_FIELDS.contains(f)) {
            row.sequence = Set(e.sequence + 1);
        }
        let after = row.update(&txn).await?;
        let published = after.status == EventStatus::Published;
        if published && moved {
            tell_everyone(&txn, ctx, event_id, EventNotice::EventChanged).await?;
        }
        // A reminder carries the start it was planned for, so the old one does nothing.
        if published && start_moved && !reminder_pending(&txn, &after).await? {
            schedule_reminder(&txn, ctx, &after).await?;
        }
        if grew {
            fill_freed_seats(&txn, ctx, &after).await?;
        }
        audit::record(
            &txn,
            meta,
            Entry::new(Action::EventUpdated)
                .by(actor.id())
                .on("event", event_id)
                .details(serde_json::json!({ "changed": changed })),
        )
        .await?;
    }
    txn.commit().await?;
    let mut view = get(ctx, actor, event_id).await?;
    view.warnings = clashes_with_own_meetings(ctx, actor, &view).await?;
    Ok(view)
}

/// Cancelled and completed events are closed to edits.
fn refuse_unless_open(e: &events::Model) -> Result<()> {
    if e.status.is_final() {
        return Err(
            EventError::Closed.with(format!("A {} event can no longer be edited.", e.status))
        );
    }
    Ok(())
}

/// The input names the circle(s) the event was created for, and nothing else.
async fn same_audience(ctx: &Context, e: &events::Model, input: &EventInput) -> Result<()> {
    let mut asked = input.circle_ids.clone();
    asked.sort();
    asked.dedup();
    let same = match e.circle_id {
        // A circle's own event: its audience is that circle (listed or not).
        Some(circle) => input.circle_id == Some(circle) && (asked.is_empty() || asked == [circle]),
        None => {
            let mut stored = circles_of(&ctx.main, e.id, true).await?;
            stored.sort();
            input.circle_id.is_none() && asked == stored
        }
    };
    if !same {
        return Err(Error::invalid(
            "circle_id",
            "The audience of an event is fixed once created; cancel it and create a new one.",
        ));
    }
    if input.kind == EventKind::CircleMeeting && e.circle_id.is_none() {
        return Err(Error::invalid(
            "kind",
            "Only an event of a circle can be a circle meeting.",
        ));
    }
    Ok(())
}

/// Whether anyone holds a registration that is not cancelled (waiting included).
async fn anyone_registered(txn: &impl ConnectionTrait, event_id: Uuid) -> Result<bool> {
    Ok(regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .one(txn)
        .await?
        .is_some())
}

/// Whether a reminder for the event's current start is already queued (an event moved
/// away and back again keeps the reminder it had, rather than sending two).
async fn reminder_pending(txn: &impl ConnectionTrait, e: &events::Model) -> Result<bool> {
    let job = SendEventReminders {
        event_id: e.id,
        starts_at: e.starts_at,
    };
    Ok(crate::jobs::is_pending(txn, &job).await?)
}

/// The names of the fields the input changes (for the audit log: names, never values).
fn changes(
    e: &events::Model,
    input: &EventInput,
    v: &Valid,
    price_minor: i64,
    currency: Option<&str>,
) -> Vec<&'static str> {
    let s = &v.schedule;
    [
        ("kind", e.kind != input.kind),
        ("title", e.title != v.title),
        ("description", e.description != v.description),
        ("starts_at", e.starts_at != s.starts_at()),
        ("ends_at", e.ends_at != s.ends_at()),
        ("time_zone", e.time_zone != s.time_zone().name()),
        ("venue_id", e.venue_id != input.venue_id),
        ("location", e.location != v.location),
        ("online_url", e.online_url != v.online_url),
        ("capacity", e.capacity != v.capacity),
        ("price_minor", e.price_minor != price_minor),
        ("currency", e.currency.as_deref() != currency),
        (
            "waitlist_enabled",
            e.waitlist_enabled != input.waitlist_enabled,
        ),
        ("offer_hours", e.offer_hours != v.offer_hours),
        (
            "registration_opens_at",
            e.registration_opens_at != v.window.opens_at(),
        ),
        (
            "registration_closes_at",
            e.registration_closes_at != v.window.closes_at(),
        ),
        ("cancellation_policy", e.cancellation_policy != v.policy),
        (
            "refund_policy",
            (e.refund_full_days_before, e.refund_later_percent)
                != refund_policy_columns(v.refund_policy.as_ref()),
        ),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}
