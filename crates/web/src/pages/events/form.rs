//! The event form: creating an event (`/events/new`), editing one (`/events/{id}/edit`),
//! and the organiser's publish / complete / cancel buttons. The page reads numbers, times
//! and choices out of the form; every rule about an event is `app::events`', whose
//! problems come back next to their fields with what was typed kept.

use crate::pages::confirm;
use crate::pages::format::{local_input, zone_groups, ZoneGroup};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render};
use crate::pages::session::{Form, FormWithLists, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::Actor;
use app::events::audience::{audiences_for, circles_to_choose, Audience};
use app::events::{self, edit, manage, view, EventInput, EventView, Organising, Venue};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::event::{EventKind, EventStatus};
use domain::Money;
use domain::TimeZone;
use domain::{MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/new", get(new_form).post(create))
        .route("/events/{id}/edit", get(edit_form).post(update))
        .route("/events/{id}/status", post(set_status))
}

/// The audience choice that means "open to everyone" (a programme event).
const EVERYONE: &str = "everyone";
/// The audience choice that means "the members of the circles ticked below".
const CHOSEN: &str = "chosen";

/// What the form sends: every field as typed.
#[derive(Deserialize, Default)]
struct EventForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: MultiLine<5000>,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    venue_id: String,
    #[serde(default)]
    location: SingleLine<500>,
    #[serde(default)]
    online_url: SingleLine<500>,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
    /// A checkbox: present when ticked.
    waitlist_enabled: Option<String>,
    #[serde(default)]
    offer_hours: String,
    #[serde(default)]
    registration_opens_at: String,
    #[serde(default)]
    registration_closes_at: String,
    #[serde(default)]
    cancellation_policy: MultiLine<2000>,
    /// The ticked circles (sent once per circle: read from the form's lists).
    #[serde(skip)]
    circle_ids: Vec<String>,
}

impl EventForm {
    fn blank(actor: &Actor, audience: String) -> EventForm {
        EventForm {
            kind: EventKind::Workshop.as_str().into(),
            time_zone: actor.user.time_zone.clone().unwrap_or_default(),
            capacity: "20".into(),
            currency: "EUR".into(),
            waitlist_enabled: Some("1".into()),
            audience,
            ..EventForm::default()
        }
    }

    fn of(v: &EventView) -> EventForm {
        let zone = &v.time_zone;
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let price = v
            .currency
            .as_deref()
            .and_then(|c| Money::parse(v.price_minor, c).ok())
            .filter(|m| !m.is_free());
        EventForm {
            kind: v.kind.as_str().into(),
            title: v.title.clone(),
            description: MultiLine::from_stored(&v.description),
            starts_at: local_input(v.starts_at, zone),
            ends_at: local_input(v.ends_at, zone),
            time_zone: zone.clone(),
            audience: v
                .circle_id
                .map_or_else(|| EVERYONE.to_owned(), |c| c.to_string()),
            venue_id: v
                .venue
                .as_ref()
                .map(|x| x.id.to_string())
                .unwrap_or_default(),
            location: SingleLine::from_stored(&opt(&v.location)),
            online_url: SingleLine::from_stored(&opt(&v.online_url)),
            capacity: v.capacity.to_string(),
            price: price.map(|m| m.amount_text()).unwrap_or_default(),
            currency: v.currency.clone().unwrap_or_else(|| "EUR".into()),
            waitlist_enabled: v.waitlist_enabled.then(|| "1".into()),
            offer_hours: v.offer_hours.map(|h| h.to_string()).unwrap_or_default(),
            registration_opens_at: v
                .registration_opens_at
                .map(|t| local_input(t, zone))
                .unwrap_or_default(),
            registration_closes_at: v
                .registration_closes_at
                .map(|t| local_input(t, zone))
                .unwrap_or_default(),
            cancellation_policy: MultiLine::from_stored(&opt(&v.cancellation_policy)),
            circle_ids: Vec::new(),
        }
    }

    fn state(&self) -> FormState {
        FormState::default()
            .with("kind", &self.kind)
            .with("title", &self.title)
            .with("description", &self.description)
            .with("starts_at", &self.starts_at)
            .with("ends_at", &self.ends_at)
            .with("time_zone", &self.time_zone)
            .with("audience", &self.audience)
            .with("venue_id", &self.venue_id)
            .with("location", &self.location)
            .with("online_url", &self.online_url)
            .with("capacity", &self.capacity)
            .with("price", &self.price)
            .with("currency", &self.currency)
            .with(
                "waitlist_enabled",
                self.waitlist_enabled.as_deref().unwrap_or(""),
            )
            .with("offer_hours", &self.offer_hours)
            .with("registration_opens_at", &self.registration_opens_at)
            .with("registration_closes_at", &self.registration_closes_at)
            .with("cancellation_policy", &self.cancellation_policy)
            .with("circle_ids", &self.circle_ids.join(" "))
    }

    /// The `EventInput` the form describes, or the form with a message next to each field
    /// the page could not read, and the input with stand-ins for those fields (so that the
    /// use case can still check the rest, and every problem shows at once).
    fn read(&self) -> (EventInput, Option<FormState>) {
        let mut state = self.state();
        let mut ok = true;
        let mut wrong = |state: FormState, field: &str, message: &str| {
            ok = false;
            state.field_error(field, message)
        };
        let kind = EventKind::parse(self.kind.trim());
        if kind.is_none() {
            state = wrong(state, "kind", "Choose what kind of event this is.");
        }
        let capacity = self.capacity.trim().parse::<i64>();
        if capacity.is_err() {
            state = wrong(
                state,
                "capacity",
                "Enter the number of seats, for example 20.",
            );
        }
        let circle_id = match self.audience.trim() {
            EVERYONE | CHOSEN => Ok(None),
            raw => raw.parse::<Uuid>().map(Some),
        };
        if circle_id.is_err() {
            state = wrong(state, "audience", "Choose who the event is for.");
        }
        let circle_ids = if self.audience.trim() == CHOSEN {
            self.circle_ids
                .iter()
                .map(|raw| raw.trim().parse::<Uuid>())
                .collect::<Result<Vec<_>, _>>()
        } else {
            Ok(Vec::new())
        };
        match &circle_ids {
            Ok(ids) if ids.is_empty() && self.audience.trim() == CHOSEN => {
                state = wrong(state, "circle_ids", "Tick at least one circle.");
            }
            Ok(_) => {}
            Err(_) => state = wrong(state, "circle_ids", "Tick circles from the list."),
        }
        let venue_id = match self.venue_id.trim() {
            "" => Ok(None),
            raw => raw.parse::<Uuid>().map(Some),
        };
        if venue_id.is_err() {
            state = wrong(state, "venue_id", "Choose a venue from the list, or none.");
        }
        let price = match self.price.trim() {
            "" | "0" => Ok(None),
            raw => Money::parse_amount(raw, &self.currency).map(Some),
        };
        if let Err(problems) = &price {
            for p in problems {
                let field = if p.field == "amount" {
                    "price"
                } else {
                    p.field
                };
                state = wrong(state, field, &p.message);
            }
        }
        let offer_hours = match self.offer_hours.trim() {
            "" => Ok(None),
            raw => raw.parse::<i64>().map(Some),
        };
        if offer_hours.is_err() {
            state = wrong(
                state,
                "offer_hours",
                "Enter a number of hours, or leave it empty to give freed seats at once.",
            );
        }
        let zone = TimeZone::parse(self.time_zone.trim()).ok();
        let opens = instant(&self.registration_opens_at, zone);
        if opens.is_err() {
            state = wrong(state, "registration_opens_at", "Enter a date and time.");
        }
        let closes = instant(&self.registration_closes_at, zone);
        if closes.is_err() {
            state = wrong(state, "registration_closes_at", "Enter a date and time.");
        }
        // Stand-ins that pass the use case's checks, so it reports only its own problems.
        let price = price.unwrap_or(None);
        let input = EventInput {
            kind: kind.unwrap_or(EventKind::Workshop),
            title: self.title.clone(),
            description: self.description.clone(),
            starts_at: self.starts_at.trim().to_owned(),
            ends_at: self.ends_at.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
            venue_id: venue_id.unwrap_or(None),
            location: Some(self.location.clone()),
            online_url: Some(self.online_url.clone()),
            capacity: capacity.unwrap_or(1),
            price_minor: price.as_ref().map_or(0, Money::amount_minor),
            currency: price.and_then(|p| SingleLine::try_from(p.currency().as_str()).ok()),
            waitlist_enabled: self.waitlist_enabled.is_some(),
            offer_hours: offer_hours.unwrap_or(None),
            registration_opens_at: opens.unwrap_or(None),
            registration_closes_at: closes.unwrap_or(None),
            cancellation_policy: Some(self.cancellation_policy.clone()),
            circle_id: circle_id.unwrap_or(None),
            circle_ids: circle_ids.unwrap_or_default(),
        };
        (input, (!ok).then_some(state))
    }
}

/// A `datetime-local` value on the event's clock as an instant; empty is none. Without a
/// known zone it is read as UTC (the zone's own error is reported next to its field).
fn instant(raw: &str, zone: Option<TimeZone>) -> Result<Option<DateTime<Utc>>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").map_err(|_| ())?;
    Ok(Some(match zone {
        Some(z) => {
            use chrono::TimeZone as _;
            // In a daylight-saving gap the wall-clock time does not exist: take the first
            // instant after it, as calendars do.
            z.tz()
                .from_local_datetime(&naive)
                .earliest()
                .or_else(|| {
                    z.tz()
                        .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
        }
        None => naive.and_utc(),
    }))
}

#[derive(Template)]
#[template(path = "events/form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    submit: &'static str,
    back: String,
    form: FormState,
    kinds: Vec<(&'static str, &'static str)>,
    /// (value, label) of who the event may be for; fixed (one entry) when editing.
    audiences: Vec<(String, String)>,
    /// (id, name) of the circles a new event may be opened to (the "chosen circles" choice).
    circles: Vec<(Uuid, String)>,
    editing: bool,
    venues: Vec<Venue>,
    zone_groups: Vec<ZoneGroup>,
}

impl FormPage {
    fn new(
        layout: Layout,
        form: FormState,
        (audiences, circles): Choices,
        venues: Vec<Venue>,
        editing: Option<Uuid>,
    ) -> FormPage {
        let (heading, action, submit, back) = match editing {
            None => (
                "Create an event".to_owned(),
                "/events/new".to_owned(),
                "Create as draft",
                "/events".to_owned(),
            ),
            Some(id) => (
                layout.title.clone(),
                format!("/events/{id}/edit"),
                "Save changes",
                format!("/events/{id}"),
            ),
        };
        FormPage {
            layout,
            heading,
            action,
            submit,
            back,
            form,
            kinds: EventKind::ALL
                .iter()
                .map(|k| (k.as_str(), kind_label(*k)))
                .collect(),
            audiences,
            circles,
            editing: editing.is_some(),
            venues,
            zone_groups: zone_groups(),
        }
    }
}

impl FormPage {
    /// Whether the circle is ticked.
    fn chosen(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.form.value("circle_ids").split(' ').any(|v| v == id)
    }
}

fn kind_label(k: EventKind) -> &'static str {
    match k {
        EventKind::CircleMeeting => "Circle meeting",
        EventKind::MovieNight => "Movie night",
        EventKind::Workshop => "Workshop",
        EventKind::DayRetreat => "Day retreat (one day)",
        EventKind::MultiDayRetreat => "Multi-day retreat (with nights away)",
    }
}

/// Who an event may be for: (value, label) choices, and the circles that may be ticked.
type Choices = (Vec<(String, String)>, Vec<(Uuid, String)>);

/// Who a new event may be for: `app::events::audience` decides.
async fn audiences(s: &AppState, actor: &Actor) -> PageResult<Choices> {
    let mut choices: Vec<(String, String)> = audiences_for(&s.ctx, actor)
        .await?
        .into_iter()
        .map(|a| match a {
            Audience::Everyone => (
                EVERYONE.to_owned(),
                "Everyone (a programme event)".to_owned(),
            ),
            Audience::Circle { id, name } => (id.to_string(), format!("Members of {name}")),
        })
        .collect();
    let circles = circles_to_choose(&s.ctx, actor).await?;
    if !circles.is_empty() {
        choices.push((CHOSEN.to_owned(), "Members of chosen circles".to_owned()));
    }
    Ok((choices, circles))
}

/// An event's fixed audience, as the one choice of its edit form.
fn audience_of(v: &EventView) -> Choices {
    (fixed_audience(v), Vec::new())
}

fn fixed_audience(v: &EventView) -> Vec<(String, String)> {
    let label = match (v.circle_id, v.open_to_all) {
        (Some(_), _) => "Members of the circle it belongs to",
        (None, true) => "Everyone (a programme event)",
        (None, false) => "The circles it was opened to",
    };
    let value = v
        .circle_id
        .map_or_else(|| EVERYONE.to_owned(), |c| c.to_string());
    vec![(value, label.to_owned())]
}

async fn venues_for(s: &AppState, actor: &Actor) -> PageResult<Vec<Venue>> {
    Ok(manage::venues(&s.ctx, actor).await?)
}

async fn new_form(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
) -> PageResult<Response> {
    let audiences = audiences(&s, &actor).await?;
    let Some((first, _)) = audiences.0.first().cloned() else {
        return Err(app::Error::Forbidden.into());
    };
    let layout = Layout::new("Create an event", m.csrf, Some(&actor), &m.path);
    let venues = venues_for(&s, &actor).await?;
    render(FormPage::new(
        layout,
        EventForm::blank(&actor, first).state(),
        audiences,
        venues,
        None,
    ))
}

async fn create(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    FormWithLists(mut input, lists): FormWithLists<EventForm>,
) -> PageResult<Response> {
    input.circle_ids = lists.all("circle_ids").map(str::to_owned).collect();
    let audiences = audiences(&s, &actor).await?;
    if audiences.0.is_empty() {
        return Err(app::Error::Forbidden.into());
    }
    let layout = Layout::new("Create an event", m.csrf, Some(&actor), &m.path);
    let venues = venues_for(&s, &actor).await?;
    let (event, problems) = input.read();
    if let Some(form) = problems {
        let form = form.also(manage::check(&event).map_err(price_field))?;
        return render(FormPage::new(layout, form, audiences, venues, None));
    }
    match manage::create(&s.ctx, &m.request, &actor, &event).await {
        Ok(v) => respond::done(&format!("/events/{}", v.id), "created", ""),
        Err(e) => {
            let form = input.state().absorb(price_field(e))?;
            render(FormPage::new(layout, form, audiences, venues, None))
        }
    }
}

/// The use cases name the price `amount`; the form calls it `price`.
fn price_field(e: app::Error) -> app::Error {
    respond::rename_field(e, "amount", "price")
}

/// The event and the proof that `actor` organises it (`Forbidden` otherwise).
async fn organised(s: &AppState, actor: &Actor, id: Uuid) -> PageResult<(Organising, EventView)> {
    let org = events::organise(&s.ctx, actor, id).await?;
    Ok((org, view::get(&s.ctx, actor, id).await?))
}

async fn edit_form(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let (_, v) = organised(&s, &actor, id).await?;
    let layout = Layout::new(format!("Edit {}", v.title), m.csrf, Some(&actor), &m.path);
    let venues = venues_for(&s, &actor).await?;
    render(FormPage::new(
        layout,
        EventForm::of(&v).state(),
        audience_of(&v),
        venues,
        Some(id),
    ))
}

async fn update(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(mut input): Form<EventForm>,
) -> PageResult<Response> {
    let (org, v) = organised(&s, &actor, id).await?;
    // The audience cannot change, and its control is shown disabled (so a browser does not
    // send it): read the form as if the stored audience had been sent.
    input.audience = fixed_audience(&v).remove(0).0;
    let layout = Layout::new(format!("Edit {}", v.title), m.csrf, Some(&actor), &m.path);
    let venues = venues_for(&s, &actor).await?;
    let (mut event, problems) = input.read();
    if let Some(form) = problems {
        let form = form.also(manage::check(&event).map_err(price_field))?;
        return render(FormPage::new(
            layout,
            form,
            audience_of(&v),
            venues,
            Some(id),
        ));
    }
    // The audience is fixed once created: send back what is stored, whatever was posted.
    event.circle_id = v.circle_id;
    event.circle_ids = if v.circle_id.is_some() {
        Vec::new()
    } else {
        let mut all: Vec<Uuid> = v
            .circle_ids
            .iter()
            .chain(&v.pending_circle_ids)
            .copied()
            .collect();
        all.sort();
        all
    };
    match edit::update(&s.ctx, &m.request, &actor, &org, &event).await {
        Ok(_) => respond::done(&format!("/events/{id}"), "saved", ""),
        Err(e) => {
            let form = input.state().absorb(price_field(e))?;
            render(FormPage::new(
                layout,
                form,
                audience_of(&v),
                venues,
                Some(id),
            ))
        }
    }
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    to: String,
    /// `yes` from the confirmation page (cancelling asks first).
    confirm: Option<String>,
}

async fn set_status(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<StatusForm>,
) -> PageResult<Response> {
    let to = EventStatus::parse(input.to.trim())
        .ok_or_else(|| crate::pages::PageError::BadForm("Choose a status.".into()))?;
    let org = events::organise(&s.ctx, &actor, id).await?;
    if to == EventStatus::Cancelled && !confirm::confirmed(&input.confirm) {
        let v = view::get(&s.ctx, &actor, id).await?;
        return ask_to_cancel(&actor, m, &v);
    }
    match manage::set_status(&s.ctx, &m.request, &actor, &org, to).await {
        Ok(_) => {
            // The notice names the new status in plain words.
            let done = match to {
                EventStatus::Draft => "event_draft",
                EventStatus::Published => "event_published",
                EventStatus::Cancelled => "event_cancelled",
                EventStatus::Completed => "event_completed",
            };
            respond::done(&format!("/events/{id}"), done, "")
        }
        Err(e) => super::with_problem(&s, &actor, m.csrf, id, e).await,
    }
}

/// The step before cancelling an event: who is emailed, and that it cannot be undone.
fn ask_to_cancel(actor: &Actor, m: PageMeta, v: &EventView) -> PageResult<Response> {
    let registered = (v.capacity - v.seats_left).max(0);
    let heading = format!("Cancel {}?", v.title);
    confirm::ask(
        Layout::new(heading.clone(), m.csrf, Some(actor), &m.path),
        confirm::Ask {
            heading,
            consequences: vec![
                format!(
                    "Everyone registered ({registered}) and everyone on the waitlist ({}) is emailed that the event is cancelled.",
                    v.waitlisted
                ),
                "Nobody can register any more. The event stays listed as cancelled, and this cannot be undone.".to_owned(),
            ],
            action: format!("/events/{}/status", v.id),
            fields: vec![("to", EventStatus::Cancelled.as_str().to_owned())],
            button: "Yes, cancel the event",
            back: format!("/events/{}", v.id),
            keep: "Keep the event",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_on_the_event_clock() {
        let berlin = TimeZone::parse("Europe/Berlin").ok();
        assert_eq!(
            instant("2026-12-05T19:00", berlin).unwrap().unwrap(),
            "2026-12-05T18:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // 02:30 does not exist on 29 March 2026 in Berlin: the first instant after.
        assert_eq!(
            instant("2026-03-29T02:30", berlin).unwrap().unwrap(),
            "2026-03-29T01:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(instant(" ", berlin), Ok(None));
        assert!(instant("5 Dec", berlin).is_err());
    }
}
