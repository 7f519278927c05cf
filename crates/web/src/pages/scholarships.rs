//! Scholarship pages: a member asks from the event page (`POST /events/{id}/scholarship`),
//! and reviewers (Program Team Members, Admins) work through the queue at `/scholarships`,
//! with the fund's balance beside it. The rules are the use cases'; a refusal shows the
//! page again with what went wrong.

use super::format::filters;
use super::layout::Layout;
use super::respond::{self, render};
use super::session::{Form, PageMeta, SignedIn};
use super::{PageError, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::{can, Actor};
use app::payments::scholarships::{
    self, FundBalance, ScholarshipAsk, ScholarshipDecline, ScholarshipGrant, ScholarshipReview,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::{Money, MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/scholarships", get(queue))
        .route("/scholarships/{id}/grant", post(grant))
        .route("/scholarships/{id}/decline", post(decline))
        .route("/events/{id}/scholarship", post(ask))
}

const NOTICES: &[(&str, &str)] = &[
    ("granted", "Granted. He is emailed what he pays now."),
    (
        "declined",
        "Declined. He is emailed that the usual price applies.",
    ),
];

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "scholarships/queue.html")]
struct QueuePage {
    layout: Layout,
    notice: Option<&'static str>,
    problem: Option<String>,
    fund: Vec<FundBalance>,
    requests: Vec<ScholarshipReview>,
}

async fn queue_page(s: &AppState, actor: &Actor, csrf: String) -> PageResult<QueuePage> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    Ok(QueuePage {
        layout: Layout::new("Scholarships", csrf, Some(actor), "/scholarships"),
        notice: None,
        problem: None,
        fund: scholarships::balance(&s.ctx, &proof).await?,
        requests: scholarships::queue(&s.ctx, &proof).await?,
    })
}

async fn queue(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = queue_page(&s, &actor, m.csrf).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

/// What went wrong, in words, for the top of the page.
fn problem_words(e: app::Error) -> Result<(StatusCode, String), PageError> {
    match e {
        app::Error::Invalid(problems) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        app::Error::Internal(e) => Err(PageError::Internal(e)),
        e @ (app::Error::Forbidden | app::Error::NotFound(_)) => Err(e.into()),
        other => Ok((StatusCode::CONFLICT, other.to_string())),
    }
}

async fn refused(s: &AppState, actor: &Actor, csrf: String, e: app::Error) -> PageResult<Response> {
    let (status, words) = problem_words(e)?;
    let mut page = queue_page(s, actor, csrf).await?;
    page.problem = Some(words);
    let mut res = render(page)?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Deserialize)]
struct GrantForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    note: MultiLine<1000>,
}

async fn grant(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<GrantForm>,
) -> PageResult<Response> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    let input = Money::parse_amount(&form.amount, &form.currency)
        .map_err(app::Error::Invalid)
        .and_then(|money| {
            let currency = SingleLine::try_from(money.currency().as_str())
                .map_err(|_| app::Error::invalid("currency", "The event has no price."))?;
            Ok(ScholarshipGrant {
                amount_minor: money.amount_minor(),
                currency,
                note: Some(form.note.clone()),
            })
        });
    let result = match input {
        Ok(input) => scholarships::grant(&s.ctx, &m.request, &proof, id, &input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => respond::done("/scholarships", "granted", ""),
        Err(e) => refused(&s, &actor, m.csrf, e).await,
    }
}

#[derive(Deserialize)]
struct DeclineForm {
    #[serde(default)]
    note: MultiLine<1000>,
}

async fn decline(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<DeclineForm>,
) -> PageResult<Response> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    let input = ScholarshipDecline {
        note: Some(form.note),
    };
    match scholarships::decline(&s.ctx, &m.request, &proof, id, &input).await {
        Ok(_) => respond::done("/scholarships", "declined", ""),
        Err(e) => refused(&s, &actor, m.csrf, e).await,
    }
}

#[derive(Deserialize)]
struct AskForm {
    registration_id: Uuid,
    #[serde(default)]
    reason: MultiLine<2000>,
}

/// A member's request from the event page; back to the event, which shows its state.
async fn ask(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<AskForm>,
) -> PageResult<Response> {
    let input = ScholarshipAsk {
        reason: Some(form.reason),
    };
    match scholarships::ask(&s.ctx, &m.request, &actor, id, form.registration_id, &input).await {
        Ok(_) => respond::done(&format!("/events/{id}"), "scholarship_asked", "scholarship"),
        Err(e) => super::events::with_problem(&s, &actor, m.csrf, id, e).await,
    }
}
