//! The co-facilitators page of a circle (its leaders): who leads it, adding a certified
//! facilitator as co-facilitator and ending a co-facilitator's role. The rules (nobody
//! adds himself, only certified facilitators, the people concerned are told) are in
//! `app::circles::membership`.

use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, DoneQuery, Empty};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::authz::Actor;
use app::certification::directory;
use app::circles::{self, manage, membership, Leading};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::circle::CircleRole;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/co-facilitators", get(page).post(add))
        .route(
            "/circles/{id}/co-facilitators/{user_id}/remove",
            post(remove),
        )
}

const NOTICES: &[(&str, &str)] = &[
    ("added", "The co-facilitator is added and told by email."),
    (
        "removed",
        "The co-facilitator no longer leads the circle and is told by email.",
    ),
];

struct LeaderLine {
    user_id: Uuid,
    name: String,
    role: &'static str,
    removable: bool,
}

#[derive(Template)]
#[template(path = "circles/co_facilitators.html")]
struct CoFacilitatorsPage {
    layout: Layout,
    notice: Option<&'static str>,
    problem: Option<String>,
    circle_id: Uuid,
    circle_name: String,
    leaders: Vec<LeaderLine>,
    /// Certified facilitators who could be added, as (id, name).
    choices: Vec<(Uuid, String)>,
}

impl CoFacilitatorsPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, lead: &Leading) -> PageResult<Self> {
        let id = lead.circle_id();
        let leaders = manage::members(&s.ctx, &lead.in_circle())
            .await?
            .into_iter()
            .filter(|p| p.role.leads())
            .map(|p| LeaderLine {
                removable: p.role == CircleRole::CoFacilitator,
                role: super::role_words(p.role),
                user_id: p.user_id,
                name: p.display_name,
            })
            .collect();
        Ok(CoFacilitatorsPage {
            layout: Layout::new(
                format!("Co-facilitators · {}", lead.circle().name),
                csrf,
                Some(actor),
                &format!("/circles/{id}/co-facilitators"),
            ),
            notice: None,
            problem: None,
            circle_id: id,
            circle_name: lead.circle().name.clone(),
            leaders,
            choices: directory::co_facilitator_choices(&s.ctx, lead).await?,
        })
    }
}

async fn page(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let mut page = CoFacilitatorsPage::load(&s, &actor, m.csrf, &lead).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

#[derive(Deserialize)]
struct AddInput {
    #[serde(default)]
    user_id: String,
}

/// The page again with the use case's refusal on it.
async fn refused(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    lead: &Leading,
    e: app::Error,
) -> PageResult<Response> {
    let form = crate::pages::FormState::default().absorb(e)?;
    let summary = form
        .summary
        .clone()
        .or_else(|| form.error("user_id").map(str::to_owned));
    let mut page = CoFacilitatorsPage::load(s, actor, csrf, lead).await?;
    page.problem = summary;
    render(page)
}

async fn add(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<AddInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let Ok(user_id) = input.user_id.trim().parse::<Uuid>() else {
        let e = app::Error::invalid("user_id", "Choose a facilitator from the list.");
        return refused(&s, &actor, m.csrf, &lead, e).await;
    };
    match membership::add_co_facilitator(&s.ctx, &m.request, &lead, user_id).await {
        Ok(_) => respond::done(&format!("/circles/{id}/co-facilitators"), "added", ""),
        Err(e) => refused(&s, &actor, m.csrf, &lead, e).await,
    }
}

async fn remove(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    match membership::remove_co_facilitator(&s.ctx, &m.request, &lead, user_id).await {
        Ok(_) => respond::done(&format!("/circles/{id}/co-facilitators"), "removed", ""),
        Err(e) => refused(&s, &actor, m.csrf, &lead, e).await,
    }
}
