//! The audit log (needs `ReadAuditLog`).

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Query};
use crate::state::AppState;
use app::audit::{self, AuditFilter, AuditRecord, ChainReport};
use app::authz::can;
use app::page::{Page, PageRequest};
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(verify))
}

/// Audit records, newest first, filtered.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditFilter, PageRequest),
    responses((status = 200, body = Page<AuditRecord>), (status = 403, body = Problem)))]
async fn list(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(filter): Query<AuditFilter>,
    Query(page): Query<PageRequest>,
) -> ApiResult<axum::Json<Page<AuditRecord>>> {
    let g = actor.require::<can::ReadAuditLog>()?;
    Ok(axum::Json(
        audit::list(&s.ctx.main, g, &filter, &page).await?,
    ))
}

/// Walk the hash chain and report whether the log is intact.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = ChainReport), (status = 403, body = Problem)))]
async fn verify(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<ChainReport>> {
    actor.require::<can::ReadAuditLog>()?;
    Ok(axum::Json(audit::verify(&s.ctx.main).await?))
}
