//! Circle health: one circle's figures (its leaders, and roles that see organisation
//! reports) and the organisation-wide overview (aggregates only).

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Path};
use crate::state::AppState;
use app::circles::{self, CircleHealth, OrgOverview};
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(circle_health))
        .routes(routes!(overview))
}

/// A circle's health: attendance per meeting, members per month, retention, open seats,
/// days since the last meeting, requests waiting. No names.
#[utoipa::path(get, path = "/circles/{id}/health", tag = "circle health", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CircleHealth), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn circle_health(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<CircleHealth>> {
    Ok(axum::Json(
        circles::circle_health(&s.ctx, &actor, id).await?,
    ))
}

/// Every circle's figures and the organisation's totals (Program Team, Leadership, Admin).
#[utoipa::path(get, path = "/reports/circles", tag = "circle health", security(("bearer" = [])),
    responses((status = 200, body = OrgOverview), (status = 403, body = Problem)))]
async fn overview(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<OrgOverview>> {
    Ok(axum::Json(circles::org_overview(&s.ctx, &actor).await?))
}
