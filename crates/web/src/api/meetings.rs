//! Meetings and attendance: generating a circle's meetings from its cadence, listing,
//! adding, moving and cancelling them, and recording attendance. Who may act is decided
//! by `app::circles::lead` / `standing`, never here.

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::authz::can;
use app::circles::meetings::{self, Generated, Meeting, MyAttendance};
use app::circles::{self};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use domain::meeting::AttendanceStatus;
use domain::DomainError;
use domain::MultiLine;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(generate))
        .routes(routes!(list, add))
        .routes(routes!(move_meeting))
        .routes(routes!(cancel))
        .routes(routes!(record_attendance))
        .routes(routes!(my_attendance))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct GenerateBody {
    /// Generate up to this instant (default and maximum: 26 weeks ahead).
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub until: Option<DateTime<Utc>>,
}

/// Generate the circle's meetings from its cadence (its leaders); idempotent.
#[utoipa::path(post, path = "/circles/{id}/meetings/generate", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = GenerateBody,
    responses((status = 200, body = Generated), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn generate(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<GenerateBody>,
) -> ApiResult<axum::Json<Generated>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let until = body
        .until
        .unwrap_or_else(|| s.ctx.now() + Duration::weeks(meetings::MAX_AHEAD_WEEKS));
    Ok(axum::Json(
        meetings::generate_meetings(&s.ctx, &meta, &lead, until).await?,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Meetings starting at or after this instant.
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub from: Option<DateTime<Utc>>,
    /// Meetings starting before this instant.
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub until: Option<DateTime<Utc>>,
}

/// The circle's meetings, earliest first (its members and leaders). The pages' scripts
/// read it too (with the session cookie and CSRF token), to open and seal notes.
#[utoipa::path(get, path = "/circles/{id}/meetings", tag = "meetings", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path), RangeQuery),
    responses((status = 200, body = Vec<Meeting>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<axum::Json<Vec<Meeting>>> {
    Ok(axum::Json(
        meetings::list_meetings(
            &s.ctx,
            &circles::enter(&s.ctx, &actor, id).await?,
            q.from,
            q.until,
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddMeetingBody {
    #[serde(deserialize_with = "domain::dates::de_instant")]
    pub starts_at: DateTime<Utc>,
    /// 30–480 minutes; the circle's usual length when left out.
    pub duration_minutes: Option<i32>,
    pub note: Option<MultiLine<500>>,
}

/// Add a one-off meeting (its leaders).
#[utoipa::path(post, path = "/circles/{id}/meetings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AddMeetingBody,
    responses((status = 201, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<AddMeetingBody>,
) -> ApiResult<(StatusCode, axum::Json<Meeting>)> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let m = meetings::add_meeting(
        &s.ctx,
        &meta,
        &lead,
        body.starts_at,
        body.duration_minutes,
        body.note.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MoveBody {
    #[serde(deserialize_with = "domain::dates::de_instant")]
    pub starts_at: DateTime<Utc>,
}

/// Move a meeting to a new start (the circle's leaders).
#[utoipa::path(post, path = "/meetings/{id}/move", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = MoveBody,
    responses((status = 200, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn move_meeting(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<MoveBody>,
) -> ApiResult<axum::Json<Meeting>> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    Ok(axum::Json(
        meetings::move_meeting(&s.ctx, &meta, &lead, id, body.starts_at).await?,
    ))
}

/// Cancel a meeting (the circle's leaders).
#[utoipa::path(post, path = "/meetings/{id}/cancel", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Meeting>> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    Ok(axum::Json(
        meetings::cancel_meeting(&s.ctx, &meta, &lead, id).await?,
    ))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct AttendanceEntry {
    pub user_id: Uuid,
    /// `present`, `absent` or `excused`.
    pub status: String,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct AttendanceBody {
    pub entries: Vec<AttendanceEntry>,
}

/// Record attendance for a meeting that has started (the circle's leaders).
#[utoipa::path(put, path = "/meetings/{id}/attendance", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AttendanceBody,
    responses((status = 200, body = AttendanceBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn record_attendance(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<AttendanceBody>,
) -> ApiResult<axum::Json<AttendanceBody>> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    let entries = body
        .entries
        .into_iter()
        .map(|e| Ok((e.user_id, AttendanceStatus::parse_input(&e.status)?)))
        .collect::<Result<Vec<_>, DomainError>>()
        .map_err(app::Error::from)?;
    let saved = meetings::record_attendance(&s.ctx, &meta, &lead, id, entries).await?;
    Ok(axum::Json(AttendanceBody {
        entries: saved
            .into_iter()
            .map(|(user_id, status)| AttendanceEntry {
                user_id,
                status: status.as_str().to_owned(),
            })
            .collect(),
    }))
}

/// The signed-in user's own attendance, newest first.
#[utoipa::path(get, path = "/me/attendance", tag = "meetings", security(("bearer" = [])),
    responses((status = 200, body = Vec<MyAttendance>), (status = 401, body = Problem)))]
async fn my_attendance(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<MyAttendance>>> {
    actor.require::<can::Participate>()?;
    Ok(axum::Json(meetings::my_attendance(&s.ctx, &actor).await?))
}
