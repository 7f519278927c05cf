//! The circle form: creating a circle (`/circles/new`) and editing one
//! (`/circles/{id}/edit`). The page only reads numbers and choices out of the form; every
//! rule about a circle is `manage::create` / `manage::update`'s, whose problems come back
//! next to their fields with what was typed kept.

use super::WEEKDAYS;
use crate::pages::format::{unlisted_zone, zone_groups, ZoneGroup};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::{self, manage, CircleInput, CirclePatch, CircleView};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use domain::cadence::Frequency;
use domain::circle::{CircleStatus, Visibility};
use domain::{MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

/// The circle form's pages: `/circles/new` and `/circles/{id}/edit`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/new", get(new_form).post(create))
        .route("/circles/{id}/edit", get(edit_form).post(update))
}

/// The statuses the form offers; archiving is a step of its own, never a form choice.
const STATUSES: [(CircleStatus, &str); 3] = [
    (CircleStatus::Forming, "Forming — gathering members"),
    (CircleStatus::Active, "Active — meeting"),
    (
        CircleStatus::Closed,
        "Closed — no longer meeting or taking members",
    ),
];

/// Who may join, as the form offers it.
const VISIBILITIES: [(Visibility, &str); 2] = [
    (
        Visibility::Open,
        "Open to requests — anyone may ask, you decide",
    ),
    (Visibility::InvitationOnly, "Invitation only"),
];

const FREQUENCIES: [(Frequency, &str); 3] = [
    (Frequency::Weekly, "Every week"),
    (Frequency::EveryTwoWeeks, "Every two weeks"),
    (Frequency::Monthly, "Once a month"),
];

/// What the form sends: every field as typed.
#[derive(Deserialize, Default)]
struct CircleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: MultiLine<2000>,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    weekday: String,
    #[serde(default)]
    meeting_time: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    anchor_date: String,
    #[serde(default)]
    city: SingleLine<100>,
    #[serde(default)]
    location: SingleLine<500>,
    #[serde(default)]
    online_url: SingleLine<500>,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    status: String,
}

/// The form's values once the page has read its numbers and choices.
struct Read {
    capacity: i64,
    duration_minutes: i64,
    visibility: Visibility,
}

impl CircleForm {
    /// A new circle's starting values: the common case, in the creator's time zone.
    fn blank(actor: &Actor) -> CircleForm {
        CircleForm {
            capacity: "8".into(),
            frequency: Frequency::Weekly.as_str().into(),
            meeting_time: "19:30".into(),
            duration_minutes: "120".into(),
            time_zone: actor.user.time_zone.clone().unwrap_or_default(),
            visibility: Visibility::Open.as_str().into(),
            ..CircleForm::default()
        }
    }

    fn of(v: &CircleView) -> CircleForm {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        CircleForm {
            name: v.name.clone(),
            description: MultiLine::from_stored(&v.description),
            capacity: v.capacity.to_string(),
            frequency: v.frequency.as_str().into(),
            weekday: v.weekday.clone(),
            meeting_time: v.meeting_time.clone(),
            duration_minutes: v.duration_minutes.to_string(),
            time_zone: v.time_zone.clone(),
            anchor_date: v.anchor_date.format("%Y-%m-%d").to_string(),
            city: SingleLine::from_stored(&opt(&v.city)),
            location: SingleLine::from_stored(&opt(&v.location)),
            // Leaders see the link (the view only hides it from outsiders).
            online_url: SingleLine::from_stored(&opt(&v.online_url)),
            visibility: v.visibility.as_str().into(),
            status: v.status.as_str().into(),
        }
    }

    fn state(&self) -> FormState {
        FormState::default()
            .with("name", &self.name)
            .with("description", &self.description)
            .with("capacity", &self.capacity)
            .with("frequency", &self.frequency)
            .with("weekday", &self.weekday)
            .with("meeting_time", &self.meeting_time)
            .with("duration_minutes", &self.duration_minutes)
            .with("time_zone", &self.time_zone)
            .with("anchor_date", &self.anchor_date)
            .with("city", &self.city)
            .with("location", &self.location)
            .with("online_url", &self.online_url)
            .with("visibility", &self.visibility)
            .with("status", &self.status)
    }

    /// Reads the numbers and the choice of visibility, or the form with a message next to
    /// each that is not one.
    ///
    /// With problems, the `Read` holds stand-ins for what could not be read, so that the
    /// use case can still check the rest and every problem shows at once.
    fn read(&self) -> (Read, Option<FormState>) {
        let mut state = self.state();
        let capacity = self.capacity.trim().parse::<i64>();
        if capacity.is_err() {
            state = state.field_error("capacity", "Enter the number of seats, from 2 to 10.");
        }
        let duration = self.duration_minutes.trim().parse::<i64>();
        if duration.is_err() {
            state = state.field_error(
                "duration_minutes",
                "Enter how long a meeting lasts in minutes, for example 120.",
            );
        }
        let visibility = Visibility::parse(self.visibility.trim());
        if visibility.is_none() {
            state = state.field_error("visibility", "Choose who may join.");
        }
        let problems =
            (capacity.is_err() || duration.is_err() || visibility.is_none()).then_some(state);
        let read = Read {
            capacity: capacity.unwrap_or(8),
            duration_minutes: duration.unwrap_or(120),
            visibility: visibility.unwrap_or(Visibility::Open),
        };
        (read, problems)
    }

    fn input(&self, r: &Read) -> CircleInput {
        CircleInput {
            name: self.name.clone(),
            description: self.description.clone(),
            capacity: r.capacity,
            visibility: r.visibility,
            frequency: self.frequency.clone(),
            weekday: self.weekday.clone(),
            meeting_time: self.meeting_time.clone(),
            duration_minutes: r.duration_minutes,
            time_zone: self.time_zone.clone(),
            anchor_date: self.anchor_date.clone(),
            // Blank optional fields are cleared by the use case.
            city: Some(self.city.clone()),
            location: Some(self.location.clone()),
            online_url: Some(self.online_url.clone()),
        }
    }

    /// Every field, as the form always sends them all.
    fn patch(&self, r: &Read, status: CircleStatus) -> CirclePatch {
        let i = self.input(r);
        CirclePatch {
            name: Some(i.name),
            description: Some(i.description),
            capacity: Some(i.capacity),
            visibility: Some(i.visibility),
            frequency: Some(i.frequency),
            weekday: Some(i.weekday),
            meeting_time: Some(i.meeting_time),
            duration_minutes: Some(i.duration_minutes),
            time_zone: Some(i.time_zone),
            anchor_date: Some(i.anchor_date),
            city: i.city,
            location: i.location,
            online_url: i.online_url,
            status: Some(status),
        }
    }
}

#[derive(Template)]
#[template(path = "circles/form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    submit: &'static str,
    /// Where "Cancel" goes.
    back: String,
    form: FormState,
    /// Editing: the status select is shown.
    editing: bool,
    visibilities: [(Visibility, &'static str); 2],
    frequencies: [(Frequency, &'static str); 3],
    weekdays: [(&'static str, &'static str); 7],
    statuses: [(CircleStatus, &'static str); 3],
    zone_groups: Vec<ZoneGroup>,
    /// A zone that is not in the list (a stored legacy alias, or what was typed), as
    /// (value, label), kept selected so the person sees what they have.
    unknown_zone: Option<(String, String)>,
}

impl FormPage {
    /// `now` is the request's time, for the offsets in the time-zone list.
    fn new(layout: Layout, form: FormState, editing: Option<Uuid>, now: DateTime<Utc>) -> FormPage {
        let unknown_zone = unlisted_zone(form.value("time_zone"), now);
        let (heading, action, submit, back) = match editing {
            None => (
                "Create a circle".to_owned(),
                "/circles/new".to_owned(),
                "Create circle",
                "/circles".to_owned(),
            ),
            Some(id) => (
                layout.title.clone(),
                format!("/circles/{id}/edit"),
                "Save changes",
                format!("/circles/{id}"),
            ),
        };
        FormPage {
            layout,
            heading,
            action,
            submit,
            back,
            form,
            editing: editing.is_some(),
            visibilities: VISIBILITIES,
            frequencies: FREQUENCIES,
            weekdays: WEEKDAYS,
            statuses: STATUSES,
            zone_groups: zone_groups(now),
            unknown_zone,
        }
    }
}

async fn new_form(SignedIn(actor): SignedIn, m: PageMeta) -> PageResult<Response> {
    actor.require::<can::CreateCircles>()?;
    let layout = Layout::new("Create a circle", m.csrf, Some(&actor), &m.path);
    render(FormPage::new(
        layout,
        CircleForm::blank(&actor).state(),
        None,
        m.now,
    ))
}

async fn create(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<CircleForm>,
) -> PageResult<Response> {
    let g = actor.require::<can::CreateCircles>()?;
    let layout = Layout::new("Create a circle", m.csrf, Some(&actor), &m.path);
    let (read, problems) = input.read();
    if let Some(form) = problems {
        let form = form.also(manage::check(&input.input(&read)))?;
        return render(FormPage::new(layout, form, None, m.now));
    }
    match manage::create(&s.ctx, &m.request, &actor, g, &input.input(&read)).await {
        Ok(c) => respond::done(&format!("/circles/{}", c.id), "created", ""),
        Err(e) => render(FormPage::new(layout, input.state().absorb(e)?, None, m.now)),
    }
}

async fn edit_form(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    circles::lead(&s.ctx, &actor, id).await?;
    let view = manage::get(&s.ctx, &actor, id).await?;
    let title = format!("Edit {}", view.name);
    let layout = Layout::new(title, m.csrf, Some(&actor), &m.path);
    render(FormPage::new(
        layout,
        CircleForm::of(&view).state(),
        Some(id),
        m.now,
    ))
}

async fn update(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<CircleForm>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let title = format!("Edit {}", lead.circle().name);
    let layout = Layout::new(title, m.csrf, Some(&actor), &m.path);
    let status = CircleStatus::parse(input.status.trim()).filter(|s| !s.is_read_only());
    let (read, problems) = input.read();
    let read = match (problems, status) {
        (None, Some(status)) => (read, status),
        (problems, status) => {
            let mut form = problems.unwrap_or_else(|| input.state());
            if status.is_none() {
                form = form.field_error("status", "Choose the circle's status.");
            }
            let form = form.also(manage::check(&input.input(&read)))?;
            return render(FormPage::new(layout, form, Some(id), m.now));
        }
    };
    let patch = input.patch(&read.0, read.1);
    match manage::update(&s.ctx, &m.request, &actor, &lead, &patch).await {
        Ok(_) => respond::done(&format!("/circles/{id}"), "saved", ""),
        Err(e) => render(FormPage::new(
            layout,
            input.state().absorb(e)?,
            Some(id),
            m.now,
        )),
    }
}
