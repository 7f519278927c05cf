//! Calendars: one event as an `.ics` file, and the private feed of the caller's events
//! (its secret address, renewed or revoked, is the credential calendar apps use).

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Path};
use crate::state::AppState;
use app::events::feed as calendar;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uuid::Uuid;

fn ics(body: String, file: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The event as an iCalendar (`.ics`) file.
#[utoipa::path(get, path = "/events/{id}/calendar.ics", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
pub(super) async fn event_ics(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let body = calendar::event_ics(&s.ctx, &actor, id).await?;
    Ok(ics(body, &format!("event-{id}.ics")))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedAddress {
    /// Subscribe to this address in a calendar app. Keep it private: anyone with it sees
    /// your events. It is shown only now.
    pub url: String,
}

/// Make a new secret calendar-feed address (the previous one stops working).
#[utoipa::path(post, path = "/me/calendar-feed", tag = "events", security(("bearer" = [])),
    responses((status = 201, body = FeedAddress)))]
pub(super) async fn renew_feed(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<(StatusCode, axum::Json<FeedAddress>)> {
    let url = calendar::renew_feed(&s.ctx, &actor).await?;
    Ok((StatusCode::CREATED, axum::Json(FeedAddress { url })))
}

/// Revoke the calendar-feed address.
#[utoipa::path(delete, path = "/me/calendar-feed", tag = "events", security(("bearer" = [])),
    responses((status = 204)))]
pub(super) async fn revoke_feed(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<StatusCode> {
    calendar::revoke_feed(&s.ctx, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /calendar/{token}.ics`: the feed behind a secret address.
pub(super) async fn feed(
    State(s): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> ApiResult<Response> {
    let token = file
        .strip_suffix(".ics")
        .ok_or(app::Error::NotFound("calendar"))?;
    let body = calendar::feed(&s.ctx, token).await?;
    let mut res = ics(body, "circles.ics");
    // A private calendar: no shared cache may keep it.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}
