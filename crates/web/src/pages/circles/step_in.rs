//! Safeguarding from a circle's page: an Admin's step-in (a confirmation that says who will
//! be told and for how long, then `app::circles::step_in`), stepping out early, and a
//! leader's answer to a programme event offered to the circle.

use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, Empty};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::{self, step_in, CircleView};
use app::events::manage as event_cases;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/step-in", get(confirm).post(start))
        .route("/circles/{id}/step-in/end", post(end))
        .route("/circles/{id}/offers/{event_id}/accept", post(accept))
        .route("/circles/{id}/offers/{event_id}/decline", post(decline))
}

#[derive(Template)]
#[template(path = "circles/step_in.html")]
struct StepInPage {
    layout: Layout,
    circle: CircleView,
    days: u32,
    form: FormState,
}

impl StepInPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, id: Uuid) -> PageResult<Self> {
        actor.require::<can::StepInToCircles>()?;
        let circle = circles::manage::get(&s.ctx, actor, id).await?;
        Ok(StepInPage {
            layout: Layout::new(
                format!("Step in to {}", circle.name),
                csrf,
                Some(actor),
                &format!("/circles/{id}"),
            ),
            circle,
            days: s.ctx.settings.circles.step_in_days,
            form: FormState::default(),
        })
    }
}

async fn confirm(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    render(StepInPage::load(&s, &actor, m.csrf, id).await?)
}

#[derive(Deserialize)]
struct StepInInput {
    #[serde(default)]
    reason: respond::FormText,
}

async fn start(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<StepInInput>,
) -> PageResult<Response> {
    let g = actor.require::<can::StepInToCircles>()?;
    match step_in::start(&s.ctx, &m.request, g, id, &input.reason).await {
        Ok(_) => respond::done(&format!("/circles/{id}"), "stepped_in", ""),
        Err(e) => {
            let mut page = StepInPage::load(&s, &actor, m.csrf, id).await?;
            page.form = FormState::default()
                .with("reason", &input.reason)
                .absorb(e)?;
            render(page)
        }
    }
}

async fn end(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    step_in::end(&s.ctx, &m.request, actor.require()?, id).await?;
    respond::done(&format!("/circles/{id}"), "stepped_out", "")
}

async fn answer(
    s: &AppState,
    actor: &Actor,
    m: &PageMeta,
    (id, event_id): (Uuid, Uuid),
    accept: bool,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, actor, id).await?;
    event_cases::answer_offer(&s.ctx, &m.request, &lead, event_id, accept).await?;
    let done = if accept {
        "offer_accepted"
    } else {
        "offer_declined"
    };
    respond::done(&format!("/circles/{id}"), done, "offers")
}

async fn accept(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(ids): Path<(Uuid, Uuid)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    answer(&s, &actor, &m, ids, true).await
}

async fn decline(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(ids): Path<(Uuid, Uuid)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    answer(&s, &actor, &m, ids, false).await
}
