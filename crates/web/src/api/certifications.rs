//! Facilitator certifications (needs `CertifyFacilitators`).

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::authz::can;
use app::certification::directory::{self, FacilitatorEntry};
use app::certification::{self, Certification, NewCertification};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(certify))
        .routes(routes!(list))
        .routes(routes!(revoke))
        .routes(routes!(facilitators))
}

/// Record that a person is a certified facilitator.
#[utoipa::path(post, path = "/certifications", tag = "certifications", security(("bearer" = [])), request_body = NewCertification,
    responses((status = 201, body = Certification), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn certify(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<NewCertification>,
) -> ApiResult<(StatusCode, axum::Json<Certification>)> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    Ok((
        StatusCode::CREATED,
        axum::Json(certification::certify(&s.ctx, &meta, g, &body).await?),
    ))
}

/// A person's certifications, newest first.
#[utoipa::path(get, path = "/users/{id}/certifications", tag = "certifications", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Certification>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<Certification>>> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    Ok(axum::Json(certification::list(&s.ctx, g, id).await?))
}

/// Revoke a certification; the Facilitator role goes when no current one remains.
#[utoipa::path(post, path = "/certifications/{id}/revoke", tag = "certifications", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Certification), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn revoke(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Certification>> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    Ok(axum::Json(
        certification::revoke(&s.ctx, &meta, g, id).await?,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacilitatorsQuery {
    /// `true`: only those whose certification runs out within 60 days.
    pub expiring: Option<bool>,
}

/// Every certified facilitator with the names of the circles he leads and when his
/// certification runs out (Program Team, Admins).
#[utoipa::path(get, path = "/facilitators", tag = "certifications", security(("bearer" = [])), params(FacilitatorsQuery),
    responses((status = 200, body = Vec<FacilitatorEntry>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn facilitators(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<FacilitatorsQuery>,
) -> ApiResult<axum::Json<Vec<FacilitatorEntry>>> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    Ok(axum::Json(
        directory::facilitators(&s.ctx, g, q.expiring.unwrap_or(false)).await?,
    ))
}
