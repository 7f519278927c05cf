//! Event pages: the list of upcoming events, one event's page with registering,
//! cancelling and accepting an offered seat, and its `.ics` download. Creating events,
//! the list, the organiser's door list and "my events" live in the submodules.
//!
//! Every rule (who sees an event, when registration is open, seats and the waitlist) is
//! `app::events`'; these pages choose which buttons to offer and show the answer.

mod browse;
mod door;
mod form;
mod mine;
mod venues;

pub(super) use mine::{first, my_events, MyEvent};

use super::format::{local, when_words};
use super::layout::Layout;
use super::respond::{self, notice, render, DoneQuery, Empty};
use super::session::{Form, PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::Actor;
use app::events::audience::circle_names;
use app::events::view::RegistrationChoice;
use app::events::{registration, view, EventView, Registration};
use app::payments::refunds::{self, CancellationRefund};
use app::payments::scholarships::{self, ScholarshipView};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use domain::event::{EventKind, EventStatus, RegistrationStatus};
use domain::scholarship::ScholarshipStatus;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/{id}", get(show))
        .route("/events/{id}/register", post(register))
        .route("/events/{id}/cancel-registration", post(cancel))
        .route("/events/{id}/accept-offer", post(accept_offer))
        .route("/events/{id}/calendar.ics", get(ics))
        .merge(browse::routes())
        .merge(form::routes())
        .merge(door::routes())
        .merge(mine::routes())
        .merge(venues::routes())
}

/// Where an event happens, as a line: venue, place, or online.
fn place_words(v: &EventView) -> String {
    let at = match (&v.venue, &v.location) {
        (Some(venue), _) => match &venue.address {
            Some(a) => format!("{}, {a}", venue.name),
            None => venue.name.clone(),
        },
        (None, Some(l)) => l.clone(),
        (None, None) => String::new(),
    };
    match (at.is_empty(), v.is_online) {
        (true, true) => "Online".to_owned(),
        (false, true) => format!("{at} and online"),
        (true, false) => "Place to be announced".to_owned(),
        (false, false) => at,
    }
}

/// The viewer's place at an event, in words.
pub(super) fn my_status_words(status: RegistrationStatus) -> &'static str {
    match status {
        RegistrationStatus::Confirmed => "You are registered",
        RegistrationStatus::PaymentRequired => "Seat held — payment needed",
        RegistrationStatus::Offered => "A seat is offered to you",
        RegistrationStatus::Waitlisted => "On the waitlist",
        RegistrationStatus::Cancelled => "Not registered",
    }
}

pub(super) fn status_words(s: EventStatus) -> &'static str {
    match s {
        EventStatus::Draft => "Draft",
        EventStatus::Published => "Published",
        EventStatus::Cancelled => "Cancelled",
        EventStatus::Completed => "Completed",
    }
}

/// "12 of 30 seats left", "Full — 4 waiting", "Full".
fn seats_words(v: &EventView) -> String {
    if v.seats_left > 0 {
        format!("{} of {} seats left", v.seats_left, v.capacity)
    } else if v.waitlist_enabled && v.waitlisted > 0 {
        format!("Full — {} on the waitlist", v.waitlisted)
    } else if v.waitlist_enabled {
        "Full — the waitlist is open".to_owned()
    } else {
        "Full".to_owned()
    }
}

fn kind_words(k: EventKind) -> String {
    let l = k.label();
    let mut c = l.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// An event as a line of a list.
pub(super) struct EventCard {
    pub id: Uuid,
    pub title: String,
    pub kind: String,
    pub when: String,
    pub place: String,
    pub price: String,
    pub seats: String,
    pub status: EventStatus,
    pub status_label: &'static str,
    pub mine: Option<&'static str>,
}

impl From<&EventView> for EventCard {
    fn from(v: &EventView) -> Self {
        EventCard {
            id: v.id,
            title: v.title.clone(),
            kind: kind_words(v.kind),
            when: when_words(v.starts_at, v.ends_at, &v.time_zone),
            place: place_words(v),
            price: v.price_label.clone(),
            seats: seats_words(v),
            status: v.status,
            status_label: status_words(v.status),
            mine: v.my_status.map(my_status_words),
        }
    }
}

// --- One event ---------------------------------------------------------------------------

/// What the viewer can do about registering, worked out for the page.
pub(super) enum Action {
    Register { waitlist: bool },
    Full,
    NotOpen(String),
    Holding,
}

#[derive(Template)]
#[template(path = "events/show.html")]
struct ShowPage {
    layout: Layout,
    event: EventView,
    card: EventCard,
    description_paragraphs: bool,
    registration: Option<Registration>,
    action: Action,
    opens: Option<String>,
    closes: Option<String>,
    offer_expires: Option<String>,
    /// Until when a seat held for payment is kept, on the event's clock.
    hold_expires: Option<String>,
    /// The event's times on the reader's own clock, when his profile names another zone.
    your_when: Option<String>,
    /// It has begun: only then can it be marked as completed.
    started: bool,
    /// For the organiser: the chosen circles whose facilitators have not accepted the
    /// event yet (their members do not see it until then).
    pending_circles: Vec<String>,
    /// For a paid seat: what cancelling now gives back under the event's refund policy.
    cancel_refund: Option<CancellationRefund>,
    /// His request for a scholarship on this registration, if he made one.
    scholarship: Option<ScholarshipView>,
    /// Whether he may ask for one now: his seat is held for payment on a programme event.
    may_ask_scholarship: bool,
    notice: Option<&'static str>,
    problem: Option<String>,
    /// Card payments through Stripe are set up: a held seat can be paid at once.
    card_payments: bool,
}

/// What a change tells at the top of the page; what the "Your place" card already says
/// (a held seat awaiting payment) is not said twice.
const NOTICES: &[(&str, &str)] = &[
    (
        "registered",
        "You are registered. A confirmation is on its way by email.",
    ),
    (
        "registered_overlap",
        "You are registered. Note: this overlaps another event you are registered for.",
    ),
    (
        "waitlisted",
        "The event is full: you are on the waitlist. If a seat frees, we'll email you.",
    ),
    (
        "payment_required",
        "Your seat is held, but not yet confirmed until you pay: see \"Your place\" below.",
    ),
    ("cancelled", "Your registration is cancelled."),
    (
        "scholarship_asked",
        "Your request is sent. Your seat stays held until you have the answer, by email and here.",
    ),
    ("accepted", "The seat is yours."),
    (
        "created",
        "Event created as a draft. Publish it when it is ready.",
    ),
    ("saved", "Changes saved."),
    ("event_draft", "Back to a draft: only organisers see it."),
    (
        "event_published",
        "Published: members can now find the event and register.",
    ),
    (
        "event_cancelled",
        "Cancelled: everyone registered is told by email.",
    ),
    ("event_completed", "Marked as completed."),
];

impl ShowPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, id: Uuid) -> PageResult<ShowPage> {
        let event = view::get(&s.ctx, actor, id).await?;
        let registration = match event.my_status {
            Some(_) => registration::mine_for(&s.ctx, actor, id).await?,
            None => None,
        };
        let zone = event.time_zone.clone();
        let at = |t: Option<DateTime<Utc>>| t.map(|t| local(t, &zone));
        let action = action_for(&event, s.ctx.now());
        let pending_circles = circle_names(&s.ctx, &event.pending_circle_ids).await?;
        let paid_seat = event.is_paid
            && registration
                .as_ref()
                .is_some_and(|r| r.status == RegistrationStatus::Confirmed);
        let cancel_refund = if paid_seat {
            refunds::policy::on_cancelling(&s.ctx, actor, id).await?
        } else {
            None
        };
        let scholarship = match &registration {
            Some(r) => scholarships::for_registration(&s.ctx, actor, id, r.id).await?,
            None => None,
        };
        let may_ask_scholarship = scholarship.is_none()
            && event.circle_id.is_none()
            && registration
                .as_ref()
                .is_some_and(|r| r.status == RegistrationStatus::PaymentRequired);
        Ok(ShowPage {
            cancel_refund,
            scholarship,
            may_ask_scholarship,
            layout: Layout::new(
                event.title.clone(),
                csrf,
                Some(actor),
                &format!("/events/{id}"),
            ),
            card: EventCard::from(&event),
            your_when: your_when(actor, &event),
            started: event.starts_at <= s.ctx.now(),
            description_paragraphs: !event.description.trim().is_empty(),
            opens: at(event.registration_opens_at),
            closes: at(event.registration_closes_at),
            offer_expires: at(registration.as_ref().and_then(|r| r.offer_expires_at)),
            hold_expires: at(registration.as_ref().and_then(|r| r.hold_expires_at)),
            registration,
            action,
            event,
            pending_circles,
            notice: None,
            problem: None,
            card_payments: s.ctx.stripe.is_some(),
        })
    }

    /// The viewer's place in words.
    fn my_words(&self) -> &'static str {
        self.registration
            .as_ref()
            .map_or("Not registered", |r| my_status_words(r.status))
    }
}

/// The event's times in the zone the reader's profile names, when that is not the
/// event's own: the profile promises event times in that zone.
fn your_when(actor: &Actor, v: &EventView) -> Option<String> {
    let mine = actor.user.time_zone.as_deref()?;
    (mine != v.time_zone && domain::TimeZone::parse(mine).is_ok())
        .then(|| when_words(v.starts_at, v.ends_at, mine))
}

/// The buttons and words for what `app::events` says the viewer can do about registering.
fn action_for(v: &EventView, now: DateTime<Utc>) -> Action {
    match v.registration_choice(now) {
        RegistrationChoice::Holding => Action::Holding,
        RegistrationChoice::NotPublished(status) => Action::NotOpen(format!(
            "This event is {}: it takes no registrations.",
            status_words(status).to_lowercase()
        )),
        RegistrationChoice::Closed(why) => Action::NotOpen(why.to_string()),
        RegistrationChoice::Register { waitlist } => Action::Register { waitlist },
        RegistrationChoice::Full => Action::Full,
    }
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = ShowPage::load(&s, &actor, m.csrf, id).await?;
    page.notice = notice(q.done.as_deref(), NOTICES);
    render(page)
}

/// Shows the event again with what went wrong.
pub(super) async fn with_problem(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    id: Uuid,
    e: app::Error,
) -> PageResult<Response> {
    let problem = FormState::default().absorb(e)?.summary;
    let mut page = ShowPage::load(s, actor, csrf, id).await?;
    page.problem = problem.or_else(|| Some("That did not work.".to_owned()));
    let mut res = render(page)?;
    *res.status_mut() = axum::http::StatusCode::CONFLICT;
    Ok(res)
}

async fn register(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    match registration::register(&s.ctx, &m.request, &actor, id).await {
        Ok(out) => {
            let overlap = !out.warnings.is_empty();
            let done = match out.registration.status {
                RegistrationStatus::Waitlisted => "waitlisted",
                RegistrationStatus::PaymentRequired => "payment_required",
                RegistrationStatus::Confirmed
                | RegistrationStatus::Offered
                | RegistrationStatus::Cancelled => {
                    if overlap {
                        "registered_overlap"
                    } else {
                        "registered"
                    }
                }
            };
            respond::done(&format!("/events/{id}"), done, "")
        }
        Err(e) => with_problem(&s, &actor, m.csrf, id, e).await,
    }
}

async fn cancel(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    match registration::cancel(&s.ctx, &m.request, &actor, id).await {
        Ok(_) => respond::done(&format!("/events/{id}"), "cancelled", ""),
        Err(e) => with_problem(&s, &actor, m.csrf, id, e).await,
    }
}

async fn accept_offer(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    match registration::accept_offer(&s.ctx, &m.request, &actor, id).await {
        Ok(r) if r.status == RegistrationStatus::PaymentRequired => {
            respond::done(&format!("/events/{id}"), "payment_required", "")
        }
        Ok(_) => respond::done(&format!("/events/{id}"), "accepted", ""),
        Err(e) => with_problem(&s, &actor, m.csrf, id, e).await,
    }
}

/// The event as an `.ics` file to open in a calendar app.
async fn ics(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let body = app::events::feed::event_ics(&s.ctx, &actor, id).await?;
    Ok(respond::attachment(
        "text/calendar; charset=utf-8",
        "event.ics",
        body,
    ))
}
