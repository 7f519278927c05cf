//! "Are you coming?" for circle meetings, the leaders' view of the answers, the signed-in
//! member's next meetings, and "mark all present". Who may act is decided by
//! `app::circles::{enter, lead}` and the use cases, never here.

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::authz::can;
use app::circles::meetings;
use app::circles::rsvp::{self, NextMeeting, Rsvp, RsvpLine};
use app::circles::{self};
use axum::extract::State;
use domain::meeting::RsvpAnswer;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(answer))
        .routes(routes!(answers))
        .routes(routes!(next_meetings))
        .routes(routes!(mark_all_present))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RsvpBody {
    /// `coming` or `not_coming`.
    pub answer: String,
}

/// Say whether you are coming to a meeting of your circle (its members and leaders),
/// until the meeting starts; answering again changes the answer.
#[utoipa::path(put, path = "/meetings/{id}/rsvp", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RsvpBody,
    responses((status = 200, body = Rsvp), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn answer(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<RsvpBody>,
) -> ApiResult<axum::Json<Rsvp>> {
    let answer = RsvpAnswer::parse_input(&body.answer).map_err(app::Error::from)?;
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let inside = circles::enter(&s.ctx, &actor, circle_id).await?;
    Ok(axum::Json(
        rsvp::answer(&s.ctx, &meta, &inside, id, answer).await?,
    ))
}

/// Who said they are coming to a meeting, and who has not answered (the circle's leaders).
#[utoipa::path(get, path = "/meetings/{id}/rsvps", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<RsvpLine>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn answers(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<RsvpLine>>> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    Ok(axum::Json(rsvp::answers(&s.ctx, &lead, id).await?))
}

/// The next meeting of each of your circles, soonest first, with your answer.
#[utoipa::path(get, path = "/me/next-meetings", tag = "meetings", security(("bearer" = [])),
    responses((status = 200, body = Vec<NextMeeting>), (status = 401, body = Problem)))]
async fn next_meetings(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<NextMeeting>>> {
    actor.require::<can::Participate>()?;
    Ok(axum::Json(rsvp::next_meetings(&s.ctx, &actor).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MarkedPresent {
    /// How many members were marked present (those already marked are left as they were).
    pub marked: usize,
}

/// Mark every member not yet marked as present at a meeting that has started (the
/// circle's leaders).
#[utoipa::path(post, path = "/meetings/{id}/attendance/all-present", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MarkedPresent), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn mark_all_present(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<MarkedPresent>> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    Ok(axum::Json(MarkedPresent {
        marked: rsvp::mark_all_present(&s.ctx, &meta, &lead, id).await?,
    }))
}
