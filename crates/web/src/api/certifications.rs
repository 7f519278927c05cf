//! Facilitator certifications (needs `CertifyFacilitators`).

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::authz::can;
use app::certification::{self, Certification, NewCertification};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(certify))
        .routes(routes!(list))
        .routes(routes!(revoke))
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
