//! Creating events: who may create one and for whom, the venue and clashes it is checked against.

use super::input::{validate, Valid};
use super::{EventInput, Warning};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::circles_led_by;
use crate::authz::Actor;
use crate::circles;
use crate::circles::jobs::CircleNotice;
use crate::events::errors::EventError;
use crate::events::view::{get, EventView};
use crate::payments::{price_columns, refund_policy_columns};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_circles, events, meetings, venues};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::event::{overlaps, EventKind, EventStatus};
use domain::meeting::MeetingStatus;
use domain::Permission;
use uuid::Uuid;

/// Creates a draft event. Facilitators create events for a circle they lead; the Program
/// Team and Admins create programme events, open to everyone or to chosen circles.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn create(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    input: &EventInput,
) -> Result<EventView> {
    let (circle_id, audience) = audience(ctx, actor, input).await?;
    let v = validate(input)?;
    let now = ctx.now();
    // Nobody can register for an event that has begun, so one cannot be created so.
    if v.schedule.starts_at() < now {
        return Err(Error::invalid(
            "starts_at",
            "An event cannot start in the past: choose a start from now on.",
        ));
    }
    let id = Uuid::now_v7();
    let txn = db::begin_write(&ctx.main).await?;
    if let Some(venue_id) = input.venue_id {
        check_venue(&txn, venue_id, None, &v).await?;
    }
    let (price_minor, currency, suggested, maximum) = price_columns(&v.price);
    let (refund_days, refund_percent) = refund_policy_columns(v.refund_policy.as_ref());
    events::ActiveModel {
        id: Set(id),
        kind: Set(input.kind),
        title: Set(v.title),
        description: Set(v.description),
        status: Set(EventStatus::Draft),
        starts_at: Set(v.schedule.starts_at()),
        ends_at: Set(v.schedule.ends_at()),
        time_zone: Set(v.schedule.time_zone().name().to_owned()),
        venue_id: Set(input.venue_id),
        location: Set(v.location),
        online_url: Set(v.online_url),
        capacity: Set(v.capacity),
        price_minor: Set(price_minor),
        currency: Set(currency),
        price_suggested_minor: Set(suggested),
        price_maximum_minor: Set(maximum),
        waitlist_enabled: Set(input.waitlist_enabled),
        offer_hours: Set(v.offer_hours),
        registration_opens_at: Set(v.window.opens_at()),
        registration_closes_at: Set(v.window.closes_at()),
        cancellation_policy: Set(v.policy),
        refund_full_days_before: Set(refund_days),
        refund_later_percent: Set(refund_percent),
        circle_id: Set(circle_id),
        open_to_all: Set(audience.is_empty()),
        organiser_id: Set(actor.id()),
        confirmed_count: Set(0),
        last_position: Set(0),
        sequence: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        cancelled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    offer_to_circles(ctx, &txn, actor, id, &audience).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventCreated)
            .by(actor.id())
            .on("event", id),
    )
    .await?;
    txn.commit().await?;
    let mut view = get(ctx, actor, id).await?;
    view.warnings = clashes_with_own_meetings(ctx, actor, &view).await?;
    Ok(view)
}

/// Who may create this event and for whom: (its circle, the circles it is open to).
///
/// A circle's own event is created by a leader of that circle. A programme event is open to
/// everyone (Program Team and Admins), or to chosen circles: created by someone who leads
/// them all, or by the Program Team — whose offer each circle's leaders must accept before
/// its members see it ([`offer_to_circles`]).
async fn audience(
    ctx: &Context,
    actor: &Actor,
    input: &EventInput,
) -> Result<(Option<Uuid>, Vec<Uuid>)> {
    if let Some(circle) = input.circle_id {
        circles::lead(ctx, actor, circle).await?;
        return Ok((Some(circle), vec![circle]));
    }
    if input.kind == EventKind::CircleMeeting {
        return Err(Error::invalid(
            "circle_id",
            "A circle meeting belongs to a circle: choose which.",
        ));
    }
    let mut chosen = input.circle_ids.clone();
    chosen.sort();
    chosen.dedup();
    if actor.can(Permission::CreateProgrammeEvents) {
        for c in &chosen {
            circles::find_circle(&ctx.main, *c).await?;
        }
        return Ok((None, chosen));
    }
    if chosen.is_empty() {
        return Err(Error::Forbidden);
    }
    let led = circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?;
    if chosen.iter().all(|c| led.contains(c)) {
        Ok((None, chosen))
    } else {
        Err(Error::Forbidden)
    }
}

/// Opens the event to the chosen circles: at once for circles the creator leads, otherwise
/// as an offer their leaders are asked to accept (until then their members do not see it).
async fn offer_to_circles(
    ctx: &Context,
    txn: &impl ConnectionTrait,
    actor: &Actor,
    event_id: Uuid,
    audience: &[Uuid],
) -> Result<()> {
    let led = circles_led_by(txn, actor.id(), None, ctx.now()).await?;
    for circle in audience {
        let accepted = led.contains(circle);
        event_circles::ActiveModel {
            event_id: Set(event_id),
            circle_id: Set(*circle),
            accepted_at: Set(accepted.then(|| ctx.now())),
            accepted_by: Set(accepted.then(|| actor.id())),
        }
        .insert(txn)
        .await?;
        if !accepted {
            let notice = CircleNotice::EventOffered { event_id };
            circles::notify_leaders(txn, ctx, *circle, notice).await?;
        }
    }
    Ok(())
}

/// The venue must exist, hold the seats, and be free at that time.
pub(in crate::events) async fn check_venue(
    txn: &impl ConnectionTrait,
    venue_id: Uuid,
    except: Option<Uuid>,
    v: &Valid,
) -> Result<()> {
    let venue = venues::Entity::find_by_id(venue_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::invalid("venue_id", "There is no such venue."))?;
    if v.capacity > venue.capacity {
        return Err(Error::invalid(
            "capacity",
            format!("{} holds at most {} people.", venue.name, venue.capacity),
        ));
    }
    let booked = events::Entity::find()
        .filter(events::Column::VenueId.eq(venue_id))
        .filter(events::Column::Status.is_in(EventStatus::not_final()))
        .all(txn)
        .await?;
    let (start, end) = (v.schedule.starts_at(), v.schedule.ends_at());
    if let Some(other) = booked
        .iter()
        .filter(|e| Some(e.id) != except)
        .find(|e| overlaps(start, end, e.starts_at, e.ends_at))
    {
        return Err(EventError::VenueBooked.with(format!(
            "{} is already booked then, for \"{}\".",
            venue.name, other.title
        )));
    }
    Ok(())
}

/// Meetings of circles the organiser leads that overlap the event.
pub(in crate::events) async fn clashes_with_own_meetings(
    ctx: &Context,
    actor: &Actor,
    e: &EventView,
) -> Result<Vec<Warning>> {
    let led = circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?;
    let clashing = meetings::Entity::find()
        .filter(meetings::Column::CircleId.is_in(led))
        .filter(meetings::Column::Status.eq(MeetingStatus::Scheduled))
        .all(&ctx.main)
        .await?
        .into_iter()
        .filter(|m| {
            let end = m.starts_at + chrono::Duration::minutes(i64::from(m.duration_minutes));
            overlaps(e.starts_at, e.ends_at, m.starts_at, end)
        });
    Ok(clashing
        .map(|m| Warning {
            code: "overlaps_circle_meeting",
            message: format!(
                "This overlaps a meeting of a circle you lead on {}.",
                m.starts_at.format("%Y-%m-%d %H:%M UTC")
            ),
        })
        .collect())
}
