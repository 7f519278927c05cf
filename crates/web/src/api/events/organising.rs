//! The organiser's side of an event: who registered (as JSON and CSV), notes, moving
//! someone to the front of the waitlist, check-in at the door and live counts.

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::events;
use app::events::{roster as organiser, Counts, RosterEntry};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Part of a name or email address (for check-in at the door).
    #[param(inline)]
    pub name: Option<SingleLine<254>>,
}

/// Everyone registered, waiting or cancelled, in arrival order (its organisers).
#[utoipa::path(get, path = "/events/{id}/registrations", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path), RosterQuery),
    responses((status = 200, body = Vec<RosterEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn roster(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Query(q): Query<RosterQuery>,
) -> ApiResult<axum::Json<Vec<RosterEntry>>> {
    Ok(axum::Json(
        organiser::roster(
            &s.ctx,
            &events::organise(&s.ctx, &actor, id).await?,
            q.name.as_deref(),
        )
        .await?,
    ))
}

/// The list as a CSV file (its organisers).
#[utoipa::path(get, path = "/events/{id}/registrations.csv", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn roster_csv(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    let csv = organiser::roster_csv(&s.ctx, &org).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        organiser::roster_file_name(&org)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    /// Empty or absent clears it.
    pub note: Option<MultiLine<500>>,
}

/// Set the organiser's note on a registration.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/note", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)), request_body = NoteBody,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn set_note(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<NoteBody>,
) -> ApiResult<StatusCode> {
    organiser::set_note(
        &s.ctx,
        &meta,
        &events::organise(&s.ctx, &actor, id).await?,
        registration_id,
        body.note.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move someone on the waitlist to its front by hand (a free seat goes to him at once).
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/move-to-front", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(super) async fn move_to_front(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    organiser::move_to_front(&s.ctx, &meta, &org, registration_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckInBody {
    /// `false` undoes a check-in.
    #[serde(default = "present")]
    pub present: bool,
}

fn present() -> bool {
    true
}

/// Check someone in at the door (its organisers); returns the live counts.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/check-in", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)), request_body = CheckInBody,
    responses((status = 200, body = Counts), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(super) async fn check_in(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<CheckInBody>,
) -> ApiResult<axum::Json<Counts>> {
    Ok(axum::Json(
        organiser::check_in(
            &s.ctx,
            &meta,
            &events::organise(&s.ctx, &actor, id).await?,
            registration_id,
            body.present,
        )
        .await?,
    ))
}

/// Live counts (registered, checked in, waitlisted, cancelled; no-shows once it ended).
#[utoipa::path(get, path = "/events/{id}/counts", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Counts), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn counts(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Counts>> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    Ok(axum::Json(organiser::counts(&s.ctx, &org).await?))
}
