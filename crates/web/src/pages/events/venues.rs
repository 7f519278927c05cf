//! Venue pages (Program Team and Admins, as the API allows): the list, adding one and
//! changing one. The rules are in `app::events::manage` / `app::events::venues`.

use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, DoneQuery};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::{can, Actor};
use app::events::manage::{self, NewVenue, Venue};
use app::events::venues;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use domain::SingleLine;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/venues", get(list).post(create))
        .route("/venues/{id}/edit", get(edit_page).post(save))
}

const NOTICES: &[(&str, &str)] = &[
    ("created", "The venue is added."),
    ("saved", "The venue is saved."),
];

#[derive(Template)]
#[template(path = "events/venues.html")]
struct VenuesPage {
    layout: Layout,
    notice: Option<&'static str>,
    venues: Vec<Venue>,
    form: FormState,
}

#[derive(Template)]
#[template(path = "events/venue_edit.html")]
struct EditPage {
    layout: Layout,
    venue_id: Uuid,
    form: FormState,
}

/// The venue form as typed; the capacity stays text until the use case reads it.
#[derive(Deserialize)]
struct VenueInput {
    #[serde(default)]
    name: SingleLine<120>,
    #[serde(default)]
    address: SingleLine<500>,
    #[serde(default)]
    capacity: String,
}

impl VenueInput {
    fn state(&self) -> FormState {
        FormState::default()
            .with("name", &self.name)
            .with("address", &self.address)
            .with("capacity", &self.capacity)
    }

    /// The use case's input; a capacity that is not a number is 0, which the use case
    /// refuses with every other problem of the form.
    fn venue(&self) -> NewVenue {
        NewVenue {
            name: self.name.clone(),
            address: Some(self.address.clone()),
            capacity: self.capacity.trim().parse().unwrap_or(0),
        }
    }
}

async fn list_page(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    notice: Option<&'static str>,
    form: FormState,
) -> PageResult<Response> {
    actor.require::<can::CreateProgrammeEvents>()?;
    render(VenuesPage {
        layout: Layout::new("Venues", csrf, Some(actor), "/venues"),
        notice,
        venues: manage::venues(&s.ctx, actor).await?,
        form,
    })
}

async fn list(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let notice = respond::notice(q.done.as_deref(), NOTICES);
    list_page(&s, &actor, m.csrf, notice, FormState::default()).await
}

async fn create(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<VenueInput>,
) -> PageResult<Response> {
    match manage::create_venue(&s.ctx, &m.request, &actor, &input.venue()).await {
        Ok(_) => respond::done("/venues", "created", ""),
        Err(e) => list_page(&s, &actor, m.csrf, None, input.state().absorb(e)?).await,
    }
}

async fn edit_page(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let v = venues::venue(&s.ctx, &actor, id).await?;
    render(EditPage {
        layout: Layout::new(format!("Edit {}", v.name), m.csrf, Some(&actor), "/venues"),
        venue_id: id,
        form: FormState::default()
            .with("name", &v.name)
            .with("address", v.address.as_deref().unwrap_or(""))
            .with("capacity", &v.capacity.to_string()),
    })
}

async fn save(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<VenueInput>,
) -> PageResult<Response> {
    let form = match venues::update_venue(&s.ctx, &m.request, &actor, id, &input.venue()).await {
        Ok(_) => return respond::done("/venues", "saved", ""),
        Err(e) => input.state().absorb(e)?,
    };
    actor.require::<can::CreateProgrammeEvents>()?;
    render(EditPage {
        layout: Layout::new("Edit venue", m.csrf, Some(&actor), "/venues"),
        venue_id: id,
        form,
    })
}
