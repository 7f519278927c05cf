//! Safeguarding: an Admin's time-limited, announced step-in to one circle, and circle
//! leaders' answers to programme events offered to their circle. Who may act is decided by
//! `app::authz` and the use cases, never here.

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::circles::{self, step_in, StepIn};
use app::events::manage::{self, EventOffer};
use axum::extract::State;
use axum::http::StatusCode;
use domain::MultiLine;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_step_in, running_step_in))
        .routes(routes!(end_step_in))
        .routes(routes!(offers))
        .routes(routes!(accept_offer))
        .routes(routes!(decline_offer))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StepInBody {
    /// Why: every member of the circle reads it.
    #[schema(min_length = 10)]
    pub reason: MultiLine<1000>,
}

/// Step in to a circle for safeguarding (Admin). For `circles.step_in_days` the Admin
/// stands in the circle as a leader; every member is emailed at once, the circle's pages
/// show a banner, and it is audited.
#[utoipa::path(post, path = "/circles/{id}/step-in", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = StepInBody,
    responses((status = 201, body = StepIn), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn start_step_in(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<StepInBody>,
) -> ApiResult<(StatusCode, axum::Json<StepIn>)> {
    let started = step_in::start(&s.ctx, &meta, actor.require()?, id, &body.reason).await?;
    Ok((StatusCode::CREATED, axum::Json(started)))
}

/// The step-in running in the circle now, if any (for those inside the circle).
#[utoipa::path(get, path = "/circles/{id}/step-in", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Option<StepIn>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn running_step_in(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Option<StepIn>>> {
    let inside = circles::enter(&s.ctx, &actor, id).await?;
    Ok(axum::Json(step_in::running(&s.ctx, &inside).await?))
}

/// Step out of a circle before the step-in expires (the Admin who stepped in).
#[utoipa::path(post, path = "/circles/{id}/step-in/end", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn end_step_in(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    step_in::end(&s.ctx, &meta, actor.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Programme events offered to the circle that its leaders have not answered (leaders).
#[utoipa::path(get, path = "/circles/{id}/event-offers", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<EventOffer>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn offers(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<EventOffer>>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(manage::offers(&s.ctx, &lead).await?))
}

/// Accept an offered programme event: the circle's members see it from now on (leaders).
#[utoipa::path(post, path = "/circles/{id}/event-offers/{event_id}/accept", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("event_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn accept_offer(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, event_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    manage::answer_offer(&s.ctx, &meta, &lead, event_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Decline an offered programme event: the circle is taken off it (leaders).
#[utoipa::path(post, path = "/circles/{id}/event-offers/{event_id}/decline", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("event_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn decline_offer(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, event_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    manage::answer_offer(&s.ctx, &meta, &lead, event_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
