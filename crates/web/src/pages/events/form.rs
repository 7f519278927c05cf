//! The event form: creating an event (`/events/new`), editing one (`/events/{id}/edit`),
//! and the organiser's publish / complete / cancel buttons. The page reads numbers, times
//! and choices out of the form; every rule about an event is `app::events`', whose
//! problems come back next to their fields with what was typed kept.

mod fields;
mod status;

use crate::pages::format::{unlisted_zone, zone_groups, ZoneGroup};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render};
use crate::pages::session::{Form, FormWithLists, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::Actor;
use app::events::audience::{audiences_for, circles_to_choose, Audience};
use app::events::{self, edit, manage, view, EventView, Organising, Venue};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use domain::event::EventKind;
use fields::{EventForm, CHOSEN, EVERYONE};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/new", get(new_form).post(create))
        .route("/events/{id}/edit", get(edit_form).post(update))
        .merge(status::routes())
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
    /// A zone that is not in the list (a stored legacy alias), as (value, label), kept
    /// selected so saving the event does not lose it.
    unknown_zone: Option<(String, String)>,
}

impl FormPage {
    fn new(
        layout: Layout,
        form: FormState,
        (audiences, circles): Choices,
        venues: Vec<Venue>,
        editing: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> FormPage {
        let unknown_zone = unlisted_zone(form.value("time_zone"), now);
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
            unknown_zone,
            zone_groups: zone_groups(now),
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
        m.now,
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
        return render(FormPage::new(layout, form, audiences, venues, None, m.now));
    }
    match manage::create(&s.ctx, &m.request, &actor, &event).await {
        Ok(v) => respond::done(&format!("/events/{}", v.id), "created", ""),
        Err(e) => {
            let form = input.state().absorb(price_field(e))?;
            render(FormPage::new(layout, form, audiences, venues, None, m.now))
        }
    }
}

/// The use cases name the price `amount` (or `price_minor`, a sliding scale's
/// `price_suggested_minor` and `price_maximum_minor`); the form calls them `price`,
/// `price_suggested` and `price_maximum`.
fn price_field(e: app::Error) -> app::Error {
    let e = respond::rename_field(e, "amount", "price");
    let e = respond::rename_field(e, "price_minor", "price");
    let e = respond::rename_field(e, "price_suggested_minor", "price_suggested");
    respond::rename_field(e, "price_maximum_minor", "price_maximum")
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
        m.now,
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
            m.now,
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
                m.now,
            ))
        }
    }
}
