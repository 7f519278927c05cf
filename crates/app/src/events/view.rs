//! Events as a viewer sees them: one event, and the upcoming ones meant for him. Views
//! are built in bulk (a handful of queries for a whole page), since the event list is
//! one of the most visited pages.

use super::manage::{Venue, Warning};
use super::{visible_event, with_organiser_flags};
use crate::authz::circle::circles_led_by;
use crate::authz::Actor;
use crate::circles::escape_like;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{
    circle_memberships as memberships, event_circles, event_registrations as regs, events, users,
    venues,
};
use db::sea_orm::sea_query::{Expr, Func, LikeExpr, Query, SimpleExpr};
use db::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use domain::circle::MembershipStatus;
use domain::event::{
    EventKind, EventStatus, RegistrationClosed, RegistrationStatus, RegistrationWindow,
};
use domain::SingleLine;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// An event as the viewer may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub id: Uuid,
    #[schema(value_type = crate::api_schema::EventKind)]
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    #[schema(value_type = crate::api_schema::EventStatus)]
    pub status: EventStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub venue: Option<Venue>,
    pub location: Option<String>,
    /// Only for those registered and the organisers.
    pub online_url: Option<String>,
    /// Whether it happens online (the link itself is for those registered).
    pub is_online: bool,
    pub capacity: i32,
    pub seats_left: i32,
    pub waitlisted: u64,
    pub price_minor: i64,
    pub currency: Option<String>,
    /// A sliding scale's suggested amount (then `price_minor` is its minimum).
    pub price_suggested_minor: Option<i64>,
    /// A sliding scale's maximum.
    pub price_maximum_minor: Option<i64>,
    /// "EUR 25.00", "EUR 10.00–40.00 (sliding scale, suggested 25.00)", or "Free".
    pub price_label: String,
    /// Whether a seat must be paid for.
    pub is_paid: bool,
    pub waitlist_enabled: bool,
    pub offer_hours: Option<i32>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub cancellation_policy: Option<String>,
    /// The refund policy's full-refund limit, in days before the start (paid events).
    pub refund_full_days_before: Option<i32>,
    /// The refund policy's percentage after that limit, until the start.
    pub refund_later_percent: Option<i32>,
    /// The refund policy in a sentence, when the event states one.
    pub refund_policy_label: Option<String>,
    pub circle_id: Option<Uuid>,
    pub open_to_all: bool,
    /// The circles it is open to (empty when it is open to everyone): those whose leaders
    /// accepted it.
    pub circle_ids: Vec<Uuid>,
    /// For its organisers: circles offered the event whose leaders have not accepted yet
    /// (their members do not see it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_circle_ids: Vec<Uuid>,
    pub organiser_name: String,
    pub viewer_organises: bool,
    /// The viewer's registration status, if any (`confirmed`, `waitlisted` …).
    #[schema(value_type = Option<String>)]
    pub my_status: Option<RegistrationStatus>,
    /// Problems worth knowing about (for the organiser, after creating).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// What the viewer can do about registering now, as `registration::register` judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationChoice {
    /// He holds a registration already (or waits on the list).
    Holding,
    /// The event is not published (a draft, cancelled or over): it takes no registrations.
    NotPublished(EventStatus),
    /// Registration has not opened yet, has closed, or the event has started.
    Closed(RegistrationClosed),
    /// A seat is free, or (`waitlist`) none is but the waitlist takes him.
    Register { waitlist: bool },
    /// No seat is free and there is no waitlist.
    Full,
}

impl EventView {
    /// What the viewer can do about registering at `now`.
    pub fn registration_choice(&self, now: DateTime<Utc>) -> RegistrationChoice {
        if self.my_status.is_some() {
            return RegistrationChoice::Holding;
        }
        if self.status != EventStatus::Published {
            return RegistrationChoice::NotPublished(self.status);
        }
        let window = RegistrationWindow::check(
            self.registration_opens_at,
            self.registration_closes_at,
            self.starts_at,
            now,
        );
        match (window, self.seats_left > 0, self.waitlist_enabled) {
            (Err(why), _, _) => RegistrationChoice::Closed(why),
            (Ok(()), true, _) => RegistrationChoice::Register { waitlist: false },
            (Ok(()), false, true) => RegistrationChoice::Register { waitlist: true },
            (Ok(()), false, false) => RegistrationChoice::Full,
        }
    }
}

/// Filters for browsing upcoming events.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    /// Words in the title or description.
    #[param(inline)]
    pub q: Option<SingleLine<100>>,
    #[param(value_type = Option<crate::api_schema::EventKind>)]
    pub kind: Option<EventKind>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Only events starting after this instant (the last `starts_at` of the previous page).
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub after: Option<DateTime<Utc>>,
    /// Only events in this city (in their location, or their venue's name or address).
    pub city: Option<String>,
    /// `true`: only events with an online link; `false`: only events without one.
    pub online: Option<bool>,
}

/// One event as `actor` may see it.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn get(ctx: &Context, actor: &Actor, event_id: Uuid) -> Result<EventView> {
    let (e, organiser) = visible_event(ctx, actor, event_id).await?;
    let mut v = views(ctx, actor.id(), vec![(e, organiser)]).await?;
    v.pop().ok_or(Error::NotFound("event"))
}

/// Views of `rows` (event, whether the viewer organises it) for viewer `me`.
pub(crate) async fn views(
    ctx: &Context,
    me: Uuid,
    rows: Vec<(events::Model, bool)>,
) -> Result<Vec<EventView>> {
    // An empty page (the last one, a cursor at the end) needs no statement at all.
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|(e, _)| e.id).collect();
    let venue_ids: HashSet<Uuid> = rows.iter().filter_map(|(e, _)| e.venue_id).collect();
    let venues: HashMap<Uuid, Venue> = if venue_ids.is_empty() {
        HashMap::new()
    } else {
        // What a view shows of a venue, not who made it or when.
        venues::Entity::find()
            .select_only()
            .columns([
                venues::Column::Id,
                venues::Column::Name,
                venues::Column::Address,
                venues::Column::Capacity,
            ])
            .filter(venues::Column::Id.is_in(venue_ids))
            .into_tuple::<(Uuid, String, Option<String>, i32)>()
            .all(&ctx.main)
            .await?
            .into_iter()
            .map(|(id, name, address, capacity)| {
                let venue = Venue {
                    id,
                    name,
                    address,
                    capacity,
                };
                (id, venue)
            })
            .collect()
    };
    let organiser_ids: HashSet<Uuid> = rows.iter().map(|(e, _)| e.organiser_id).collect();
    // The name is all the view shows of the organiser.
    let names: HashMap<Uuid, String> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::DisplayName)
        .filter(users::Column::Id.is_in(organiser_ids))
        .into_tuple::<(Uuid, String)>()
        .all(&ctx.main)
        .await?
        .into_iter()
        .collect();
    let (waiting, mine) = registrations_seen(ctx, me, &ids).await?;
    // Accepted circles, and (for organisers) those whose leaders have not answered yet.
    // Whether accepted, not when or by whom: a flag instead of a timestamp and an id.
    let mut audiences: HashMap<Uuid, (Vec<Uuid>, Vec<Uuid>)> = HashMap::new();
    for (event_id, circle_id, is_accepted) in event_circles::Entity::find()
        .select_only()
        .column(event_circles::Column::EventId)
        .column(event_circles::Column::CircleId)
        .column_as(
            Expr::col(event_circles::Column::AcceptedAt).is_not_null(),
            "accepted",
        )
        .filter(event_circles::Column::EventId.is_in(ids.clone()))
        .into_tuple::<(Uuid, Uuid, bool)>()
        .all(&ctx.main)
        .await?
    {
        let (accepted, pending) = audiences.entry(event_id).or_default();
        if is_accepted {
            accepted.push(circle_id);
        } else {
            pending.push(circle_id);
        }
    }
    rows.into_iter()
        .map(|(e, organiser)| {
            let venue = e.venue_id.and_then(|v| venues.get(&v).cloned());
            let organiser_name = names.get(&e.organiser_id).cloned().unwrap_or_default();
            let waitlisted = waiting.get(&e.id).copied().unwrap_or(0) as u64;
            let my_status = mine.get(&e.id).copied();
            let mut v = view_of(e, organiser, venue, organiser_name, waitlisted, my_status)?;
            let (mut accepted, mut pending) = audiences.remove(&v.id).unwrap_or_default();
            accepted.sort();
            pending.sort();
            v.circle_ids = accepted;
            v.pending_circle_ids = if organiser { pending } else { Vec::new() };
            Ok(v)
        })
        .collect()
}

/// For each event: how many wait on its list, and the viewer's own registration status
/// (cancelled ones aside) — one grouped query instead of one per question, over the
/// waitlisted rows and the viewer's own only.
async fn registrations_seen(
    ctx: &Context,
    me: Uuid,
    ids: &[Uuid],
) -> Result<(HashMap<Uuid, i64>, HashMap<Uuid, RegistrationStatus>)> {
    let status = || Expr::col((regs::Entity, regs::Column::Status));
    let waiting = Expr::case(status().eq(RegistrationStatus::Waitlisted.as_str()), 1).finally(0);
    let mine = Expr::case(
        Condition::all()
            .add(Expr::col((regs::Entity, regs::Column::UserId)).eq(me))
            .add(status().ne(RegistrationStatus::Cancelled.as_str())),
        status(),
    )
    .finally(Expr::value(Option::<String>::None));
    let rows = regs::Entity::find()
        .select_only()
        .column(regs::Column::EventId)
        .column_as(
            SimpleExpr::FunctionCall(Func::sum(SimpleExpr::Case(Box::new(waiting)))),
            "waiting",
        )
        .column_as(
            SimpleExpr::FunctionCall(Func::max(SimpleExpr::Case(Box::new(mine)))),
            "mine",
        )
        .filter(regs::Column::EventId.is_in(ids.iter().copied()))
        // Only the rows either answer needs: reading every confirmed seat of fifty events
        // cost PostgreSQL a sequential scan (7 ms at demo scale) where this reads ~70 rows.
        .filter(
            Condition::any()
                .add(status().eq(RegistrationStatus::Waitlisted.as_str()))
                .add(Expr::col((regs::Entity, regs::Column::UserId)).eq(me)),
        )
        .group_by(regs::Column::EventId)
        .into_tuple::<(Uuid, Option<i64>, Option<String>)>()
        .all(&ctx.main)
        .await?;
    let mut waiting = HashMap::new();
    let mut mine = HashMap::new();
    for (event_id, count, status) in rows {
        waiting.insert(event_id, count.unwrap_or(0));
        if let Some(status) = status.as_deref().and_then(RegistrationStatus::parse) {
            mine.insert(event_id, status);
        }
    }
    Ok((waiting, mine))
}

fn view_of(
    e: events::Model,
    organiser: bool,
    venue: Option<Venue>,
    organiser_name: String,
    waitlisted: u64,
    my_status: Option<RegistrationStatus>,
) -> Result<EventView> {
    let price = crate::payments::price_of(&e)?;
    let refund_policy = crate::payments::refund_policy_of(&e)?;
    let sees_link = organiser || my_status.is_some_and(RegistrationStatus::sees_event_details);
    Ok(EventView {
        id: e.id,
        kind: e.kind,
        status: e.status,
        price_label: price.label(),
        is_paid: price.is_paid(),
        seats_left: (e.capacity - e.confirmed_count).max(0),
        is_online: e.online_url.is_some(),
        online_url: if sees_link { e.online_url } else { None },
        title: e.title,
        description: e.description,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        time_zone: e.time_zone,
        venue,
        location: e.location,
        capacity: e.capacity,
        waitlisted,
        price_minor: e.price_minor,
        currency: e.currency,
        price_suggested_minor: e.price_suggested_minor,
        price_maximum_minor: e.price_maximum_minor,
        waitlist_enabled: e.waitlist_enabled,
        offer_hours: e.offer_hours,
        registration_opens_at: e.registration_opens_at,
        registration_closes_at: e.registration_closes_at,
        cancellation_policy: e.cancellation_policy,
        refund_full_days_before: e.refund_full_days_before,
        refund_later_percent: e.refund_later_percent,
        refund_policy_label: refund_policy.map(|p| p.describe()),
        circle_id: e.circle_id,
        open_to_all: e.open_to_all,
        circle_ids: Vec::new(),
        pending_circle_ids: Vec::new(),
        organiser_name,
        viewer_organises: organiser,
        my_status,
        warnings: Vec::new(),
    })
}

/// Upcoming published events meant for `actor` (open to all, or to one of his circles),
/// soonest first, a page at a time.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn browse(ctx: &Context, actor: &Actor, filter: &EventFilter) -> Result<Vec<EventView>> {
    actor.require::<crate::authz::can::Participate>()?;
    let limit = filter.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            "Ask for 1 to 200 events at a time.",
        ));
    }
    let after = filter.after.unwrap_or_else(|| ctx.now());
    let mut q = events::Entity::find()
        .filter(events::Column::Status.eq(EventStatus::Published))
        .filter(events::Column::StartsAt.gt(after))
        .order_by_asc(events::Column::StartsAt)
        .order_by_asc(events::Column::Id);
    if let Some(kind) = filter.kind {
        q = q.filter(events::Column::Kind.eq(kind));
    }
    q = q.filter(super::finding::place_condition(
        filter.city.as_deref(),
        filter.online,
    )?);
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let lower = |c: events::Column| Expr::expr(Func::lower(Expr::col((events::Entity, c))));
        q = q.filter(
            Condition::any()
                .add(lower(events::Column::Title).like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(lower(events::Column::Description).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    let rows = q
        .filter(
            Condition::any()
                .add(events::Column::OpenToAll.eq(true))
                .add(events::Column::Id.in_subquery(offered_to_circles_of(actor.id()))),
        )
        .limit(limit)
        .all(&ctx.main)
        .await?;
    let with_role = with_organiser_flags(ctx, actor, rows).await?;
    views(ctx, actor.id(), with_role).await
}

/// The events offered to (and accepted by) a circle `user_id` is active in, as a subquery
/// of the list's own statement rather than two reads before it.
fn offered_to_circles_of(user_id: Uuid) -> db::sea_orm::sea_query::SelectStatement {
    let my_circles = Query::select()
        .column(memberships::Column::CircleId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::UserId).eq(user_id))
        .and_where(Expr::col(memberships::Column::Status).eq(MembershipStatus::Active))
        .to_owned();
    Query::select()
        .column(event_circles::Column::EventId)
        .from(event_circles::Entity)
        .and_where(Expr::col(event_circles::Column::AcceptedAt).is_not_null())
        .and_where(Expr::col(event_circles::Column::CircleId).in_subquery(my_circles))
        .to_owned()
}

/// How far back [`organising`] still lists events: long enough to look at an event's
/// report the week after.
const ORGANISING_LOOKBACK_DAYS: i64 = 14;

/// The events `actor` organises that are not long over, drafts included, soonest first:
/// those he created and those of circles he leads (at most 200).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn organising(ctx: &Context, actor: &Actor) -> Result<Vec<EventView>> {
    actor.require::<crate::authz::can::Participate>()?;
    let led = circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?;
    let since = ctx.now() - chrono::Duration::days(ORGANISING_LOOKBACK_DAYS);
    let rows = events::Entity::find()
        .filter(
            Condition::any()
                .add(events::Column::OrganiserId.eq(actor.id()))
                .add(events::Column::CircleId.is_in(led)),
        )
        .filter(events::Column::EndsAt.gt(since))
        .filter(events::Column::Status.is_in([
            EventStatus::Draft,
            EventStatus::Published,
            EventStatus::Completed,
        ]))
        .order_by_asc(events::Column::StartsAt)
        .limit(200)
        .all(&ctx.main)
        .await?;
    // He created some of them, but organises only those he still may.
    let mine = with_organiser_flags(ctx, actor, rows)
        .await?
        .into_iter()
        .filter(|(_, organiser)| *organiser)
        .collect();
    views(ctx, actor.id(), mine).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn published(now: DateTime<Utc>, seats_left: i32, waitlist_enabled: bool) -> EventView {
        EventView {
            id: Uuid::nil(),
            kind: EventKind::Workshop,
            title: "Workshop".into(),
            description: String::new(),
            status: EventStatus::Published,
            starts_at: now + Duration::days(7),
            ends_at: now + Duration::days(7) + Duration::hours(3),
            time_zone: "Europe/Berlin".into(),
            venue: None,
            location: None,
            online_url: None,
            is_online: false,
            capacity: 10,
            seats_left,
            waitlisted: 0,
            price_minor: 0,
            currency: None,
            price_suggested_minor: None,
            price_maximum_minor: None,
            price_label: "Free".into(),
            is_paid: false,
            waitlist_enabled,
            offer_hours: None,
            registration_opens_at: None,
            registration_closes_at: None,
            cancellation_policy: None,
            refund_full_days_before: None,
            refund_later_percent: None,
            refund_policy_label: None,
            circle_id: None,
            open_to_all: true,
            circle_ids: Vec::new(),
            pending_circle_ids: Vec::new(),
            organiser_name: "Organiser".into(),
            viewer_organises: false,
            my_status: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn the_choice_follows_status_window_seats_and_waitlist() {
        let now = Utc::now();
        let open = published(now, 3, false);
        assert_eq!(
            open.registration_choice(now),
            RegistrationChoice::Register { waitlist: false }
        );
        assert_eq!(
            published(now, 0, true).registration_choice(now),
            RegistrationChoice::Register { waitlist: true }
        );
        assert_eq!(
            published(now, 0, false).registration_choice(now),
            RegistrationChoice::Full
        );
        let later = now + Duration::days(8);
        assert_eq!(
            open.registration_choice(later),
            RegistrationChoice::Closed(RegistrationClosed::Started)
        );
        let draft = EventView {
            status: EventStatus::Draft,
            ..open.clone()
        };
        assert_eq!(
            draft.registration_choice(now),
            RegistrationChoice::NotPublished(EventStatus::Draft)
        );
        let holding = EventView {
            my_status: Some(RegistrationStatus::Waitlisted),
            ..draft
        };
        assert_eq!(
            holding.registration_choice(now),
            RegistrationChoice::Holding
        );
    }
}
