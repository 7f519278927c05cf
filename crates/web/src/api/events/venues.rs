//! Venues: the Program Team and Admins add and change them; organisers list them.

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::events::manage;
use app::events::{NewVenue, Venue};
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

/// Add a venue (Program Team, Admins).
#[utoipa::path(post, path = "/venues", tag = "events", security(("bearer" = [])), request_body = NewVenue,
    responses((status = 201, body = Venue), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn create_venue(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<NewVenue>,
) -> ApiResult<(StatusCode, axum::Json<Venue>)> {
    let venue = manage::create_venue(&s.ctx, &meta, &actor, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(venue)))
}

/// Every venue (those who create events).
#[utoipa::path(get, path = "/venues", tag = "events", security(("bearer" = [])),
    responses((status = 200, body = Vec<Venue>), (status = 403, body = Problem)))]
pub(super) async fn list_venues(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<Venue>>> {
    Ok(axum::Json(manage::venues(&s.ctx, &actor).await?))
}

/// Change a venue's name, address and capacity (Program Team, Admins).
#[utoipa::path(put, path = "/venues/{id}", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = NewVenue,
    responses((status = 200, body = Venue), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_venue(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<NewVenue>,
) -> ApiResult<axum::Json<Venue>> {
    Ok(axum::Json(
        app::events::venues::update_venue(&s.ctx, &meta, &actor, id, &body).await?,
    ))
}
