//! Creating events and venues, publishing, cancelling and completing events, viewing and
//! browsing them.

use super::errors::EventError;
use super::jobs::{EventNotice, SendEventNotice, SendEventReminders};
use super::lock_event;
use super::view::{get, EventView};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::circles_led_by;
use crate::authz::event::Organising;
use crate::authz::{can, Actor};
use crate::circles;
use crate::circles::jobs::CircleNotice;
use crate::jobs::Job;
use crate::{Checks, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_circles, event_registrations as regs, events, meetings, venues};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::event::{
    overlaps, CancellationPolicy, EventDescription, EventKind, EventSchedule, EventStatus,
    EventTitle, RegistrationStatus, RegistrationWindow,
};
use domain::meeting::MeetingStatus;
use domain::{DomainError, Money, Permission};
use domain::{MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most seats an event may have.
pub const MAX_CAPACITY: i64 = 1000;
/// The longest a freed seat may be held for someone on the waitlist.
pub const MAX_OFFER_HOURS: i64 = 168;

/// An event as its organiser describes it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EventInput {
    #[schema(value_type = crate::api_schema::EventKind)]
    pub kind: EventKind,
    #[schema(min_length = 3, max_length = 120)]
    pub title: String,
    #[serde(default)]
    pub description: MultiLine<5000>,
    /// Local start, `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub starts_at: String,
    /// Local end, `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub ends_at: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub venue_id: Option<Uuid>,
    /// Where it happens, when not at a venue.
    pub location: Option<SingleLine<500>>,
    /// An `https://` link for online events (shown to those registered).
    pub online_url: Option<SingleLine<500>>,
    /// Seats (no more than the venue holds).
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: i64,
    /// Price in minor units (cents); 0 or absent is free.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub price_minor: i64,
    /// ISO 4217 code, required when there is a price.
    pub currency: Option<SingleLine<3>>,
    /// When full, people join a waitlist (default) or are turned away.
    #[serde(default = "yes")]
    pub waitlist_enabled: bool,
    /// On paid events: hours a freed seat is offered to the head of the waitlist (1–168)
    /// before it passes on; absent gives the seat at once.
    #[schema(minimum = 1, maximum = 168)]
    pub offer_hours: Option<i64>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub cancellation_policy: Option<MultiLine<2000>>,
    /// For a facilitator's event for his own circle (only its members may register).
    pub circle_id: Option<Uuid>,
    /// For a programme event: the circles it is open to; empty is everyone.
    #[serde(default)]
    pub circle_ids: Vec<Uuid>,
}

fn yes() -> bool {
    true
}

/// A venue.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewVenue {
    #[schema(min_length = 2, max_length = 120)]
    pub name: SingleLine<120>,
    pub address: Option<SingleLine<500>>,
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Venue {
    pub id: Uuid,
    pub name: String,
    pub address: Option<String>,
    pub capacity: i32,
}

impl From<venues::Model> for Venue {
    fn from(v: venues::Model) -> Self {
        Venue {
            id: v.id,
            name: v.name,
            address: v.address,
            capacity: v.capacity,
        }
    }
}

/// A warning the organiser should see, though nothing was refused.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// `overlaps_circle_meeting` or `overlaps_registration`.
    pub code: &'static str,
    pub message: String,
}

pub(super) struct Valid {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) schedule: EventSchedule,
    pub(super) window: RegistrationWindow,
    pub(super) capacity: i32,
    pub(super) price: Option<Money>,
    pub(super) policy: Option<String>,
    pub(super) location: Option<String>,
    pub(super) online_url: Option<String>,
    pub(super) offer_hours: Option<i32>,
}

/// Every problem with `input` at once, touching nothing: a form that could not read some
/// of its fields still shows what is wrong with the others.
pub fn check(input: &EventInput) -> Result<()> {
    validate(input).map(|_| ())
}

pub(super) fn validate(input: &EventInput) -> Result<Valid> {
    let mut c = Checks::default();
    let title = c.check(EventTitle::parse(&input.title));
    let description = c.check(EventDescription::parse(&input.description));
    let policy = c.check(CancellationPolicy::parse(
        input.cancellation_policy.as_deref().unwrap_or(""),
    ));
    let schedule = many(
        &mut c,
        EventSchedule::parse(
            &input.starts_at,
            &input.ends_at,
            &input.time_zone,
            input.kind,
        ),
    );
    let window = schedule.as_ref().and_then(|s| {
        many(
            &mut c,
            RegistrationWindow::new(
                input.registration_opens_at,
                input.registration_closes_at,
                s.starts_at(),
            ),
        )
    });
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        c.check::<()>(Err(DomainError::new(
            "capacity",
            format!("An event has between 1 and {MAX_CAPACITY} seats."),
        )));
    }
    let price = match (input.price_minor, input.currency.as_deref()) {
        (0, None | Some("")) => None,
        (amount, currency) => many(&mut c, Money::parse(amount, currency.unwrap_or(""))),
    };
    if let Some(h) = input.offer_hours {
        if !(1..=MAX_OFFER_HOURS).contains(&h) {
            c.check::<()>(Err(DomainError::new(
                "offer_hours",
                format!("An offer lasts between 1 and {MAX_OFFER_HOURS} hours."),
            )));
        }
    }
    let location = text(&mut c, input.location.as_deref(), "location", 500);
    let online_url = text(&mut c, input.online_url.as_deref(), "online_url", 500);
    if let Some(u) = &online_url {
        if !url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.host_str().is_some()) {
            c.check::<()>(Err(DomainError::new(
                "online_url",
                "Give a full https:// link, for example https://meet.example.org/workshop.",
            )));
        }
    }
    c.finish()?;
    let (Some(title), Some(description), Some(policy), Some(schedule), Some(window)) =
        (title, description, policy, schedule, window)
    else {
        return Err(Error::invalid("title", "Some input is invalid."));
    };
    Ok(Valid {
        title: title.as_str().to_owned(),
        description: description.as_str().to_owned(),
        schedule,
        window,
        capacity: input.capacity as i32,
        offer_hours: price.as_ref().and(input.offer_hours).map(|h| h as i32),
        price,
        policy: policy.map(|p| p.as_str().to_owned()),
        location,
        online_url,
    })
}

/// Files every problem of a check that reports several.
fn many<T>(c: &mut Checks, r: std::result::Result<T, Vec<DomainError>>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(errors) => {
            for e in errors {
                c.check::<()>(Err(e));
            }
            None
        }
    }
}

fn text(c: &mut Checks, v: Option<&str>, field: &'static str, max: usize) -> Option<String> {
    let t = v.map(str::trim).filter(|s| !s.is_empty())?;
    if t.chars().count() > max || t.chars().any(char::is_control) {
        c.check::<()>(Err(DomainError::new(
            field,
            format!("Keep this to {max} characters on one line."),
        )));
    }
    Some(t.to_owned())
}

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
        price_minor: Set(v.price.as_ref().map_or(0, Money::amount_minor)),
        currency: Set(v.price.as_ref().map(|p| p.currency().as_str().to_owned())),
        waitlist_enabled: Set(input.waitlist_enabled),
        offer_hours: Set(v.offer_hours),
        registration_opens_at: Set(v.window.opens_at()),
        registration_closes_at: Set(v.window.closes_at()),
        cancellation_policy: Set(v.policy),
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

/// A programme event offered to a circle, as its leaders see it while deciding.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventOffer {
    pub event_id: Uuid,
    pub title: String,
    #[schema(value_type = crate::api_schema::EventKind)]
    pub kind: EventKind,
    pub starts_at: DateTime<Utc>,
    pub organiser_name: String,
}

/// Programme events offered to the led circle that its leaders have not yet accepted.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn offers(ctx: &Context, lead: &circles::Leading) -> Result<Vec<EventOffer>> {
    let pending: Vec<Uuid> = event_circles::Entity::find()
        .filter(event_circles::Column::CircleId.eq(lead.circle_id()))
        .filter(event_circles::Column::AcceptedAt.is_null())
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|r| r.event_id)
        .collect();
    let rows = events::Entity::find()
        .filter(events::Column::Id.is_in(pending))
        .filter(events::Column::Status.is_in(EventStatus::not_final()))
        .all(&ctx.main)
        .await?;
    let names =
        crate::accounts::display_names(&ctx.main, rows.iter().map(|e| e.organiser_id)).await?;
    let mut out: Vec<EventOffer> = rows
        .into_iter()
        .map(|e| EventOffer {
            event_id: e.id,
            kind: e.kind,
            organiser_name: names.get(&e.organiser_id).cloned().unwrap_or_default(),
            title: e.title,
            starts_at: e.starts_at,
        })
        .collect();
    out.sort_by_key(|o| o.starts_at);
    Ok(out)
}

/// A leader of the circle accepts (the event is shown to its members from now on) or
/// declines (the circle is taken off the event) an offered programme event.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), event_id = %event_id), err(level = "info"))]
pub async fn answer_offer(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &circles::Leading,
    event_id: Uuid,
    accept: bool,
) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    lock_event(&txn, event_id).await?;
    let row = event_circles::Entity::find_by_id((event_id, lead.circle_id()))
        .one(&txn)
        .await?
        .filter(|r| r.accepted_at.is_none())
        .ok_or(Error::NotFound("event offer"))?;
    let action = if accept {
        event_circles::ActiveModel {
            event_id: Set(row.event_id),
            circle_id: Set(row.circle_id),
            accepted_at: Set(Some(ctx.now())),
            accepted_by: Set(Some(lead.actor_id())),
        }
        .update(&txn)
        .await?;
        Action::EventCircleAccepted
    } else {
        event_circles::Entity::delete_by_id((row.event_id, row.circle_id))
            .exec(&txn)
            .await?;
        Action::EventCircleDeclined
    };
    audit::record(
        &txn,
        meta,
        Entry::new(action)
            .by(lead.actor_id())
            .on("event", event_id)
            .details(serde_json::json!({ "circle_id": lead.circle_id() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The venue must exist, hold the seats, and be free at that time.
pub(super) async fn check_venue(
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
pub(super) async fn clashes_with_own_meetings(
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

/// Publishes, cancels or completes an event (its organisers). Cancelling tells everyone
/// registered or waiting.
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
pub(super) async fn schedule_reminder(
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
pub(super) async fn tell_everyone(
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

/// A venue's name, address and capacity as given, or every rule broken.
pub(super) fn checked_venue(input: &NewVenue) -> Result<(String, Option<String>, i32)> {
    let mut c = Checks::default();
    let name = input.name.trim();
    if !(2..=120).contains(&name.chars().count()) || name.chars().any(char::is_control) {
        c.check::<()>(Err(DomainError::new(
            "name",
            "A venue's name has 2 to 120 characters.",
        )));
    }
    if !(1..=10_000).contains(&input.capacity) {
        c.check::<()>(Err(DomainError::new(
            "capacity",
            "A venue holds between 1 and 10000 people.",
        )));
    }
    let address = text(&mut c, input.address.as_deref(), "address", 500);
    c.finish()?;
    Ok((name.to_owned(), address, input.capacity as i32))
}

/// Adds a venue (Program Team and Admins).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn create_venue(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    input: &NewVenue,
) -> Result<Venue> {
    actor.require::<can::CreateProgrammeEvents>()?;
    let (name, address, capacity) = checked_venue(input)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let venue = venues::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        address: Set(address),
        capacity: Set(capacity),
        created_by: Set(Some(actor.id())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::VenueCreated)
            .by(actor.id())
            .on("venue", venue.id),
    )
    .await?;
    txn.commit().await?;
    Ok(venue.into())
}

/// Every venue, by name (anyone who may create events).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn venues(ctx: &Context, actor: &Actor) -> Result<Vec<Venue>> {
    if !actor.can(Permission::CreateProgrammeEvents) {
        actor.require::<can::CreateCircles>()?;
    }
    let mut all: Vec<Venue> = venues::Entity::find()
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(Venue::from)
        .collect();
    all.sort_by_key(|v| v.name.to_lowercase());
    Ok(all)
}
