//! User administration (needs `ManageUsers`).

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::admin::{self, UserDetail, UserFilter, UserSummary};
use app::authz::can;
use app::page::{Page, PageRequest};
use axum::extract::State;
use domain::MultiLine;
use domain::Role;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user))
        .routes(routes!(assign_role, remove_role))
        .routes(routes!(suspend))
        .routes(routes!(reactivate))
}

/// Users, newest first, searchable by email or name and filterable by role and status.
#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])), params(UserFilter, PageRequest),
    responses((status = 200, body = Page<UserSummary>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_users(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(filter): Query<UserFilter>,
    Query(page): Query<PageRequest>,
) -> ApiResult<axum::Json<Page<UserSummary>>> {
    let g = actor.require::<can::ManageUsers>()?;
    Ok(axum::Json(
        admin::list_users(&s.ctx, g, &filter, &page).await?,
    ))
}

/// One user with roles, certifications and account state.
#[utoipa::path(get, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_user(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<UserDetail>> {
    let g = actor.require::<can::ManageUsers>()?;
    Ok(axum::Json(admin::get_user(&s.ctx, g, id).await?))
}

/// Grant a role (Facilitator needs a current certification).
#[utoipa::path(put, path = "/admin/users/{id}/roles/{role}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("role" = app::api_schema::Role, Path)),
    responses((status = 200, body = UserDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn assign_role(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, role)): Path<(Uuid, Role)>,
) -> ApiResult<axum::Json<UserDetail>> {
    let g = actor.require::<can::ManageUsers>()?;
    Ok(axum::Json(
        admin::assign_role(&s.ctx, &meta, g, id, role).await?,
    ))
}

/// Remove a role (not Member, and not the last Admin).
#[utoipa::path(delete, path = "/admin/users/{id}/roles/{role}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("role" = app::api_schema::Role, Path)),
    responses((status = 200, body = UserDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn remove_role(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, role)): Path<(Uuid, Role)>,
) -> ApiResult<axum::Json<UserDetail>> {
    let g = actor.require::<can::ManageUsers>()?;
    Ok(axum::Json(
        admin::remove_role(&s.ctx, &meta, g, id, role).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SuspendBody {
    /// Why; shown to other admins and recorded in the audit log.
    pub reason: MultiLine<500>,
}

/// Suspend an account: sign-in is refused and every session ends.
#[utoipa::path(post, path = "/admin/users/{id}/suspend", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = SuspendBody,
    responses((status = 200, body = UserDetail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn suspend(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<SuspendBody>,
) -> ApiResult<axum::Json<UserDetail>> {
    let g = actor.require::<can::ManageUsers>()?;
    Ok(axum::Json(
        admin::suspend(&s.ctx, &meta, g, id, &body.reason).await?,
    ))
}

/// Reactivate a suspended account.
#[utoipa::path(post, path = "/admin/users/{id}/reactivate", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn reactivate(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<UserDetail>> {
    let g = actor.require::<can::ManageUsers>()?;
    Ok(axum::Json(admin::reactivate(&s.ctx, &meta, g, id).await?))
}
