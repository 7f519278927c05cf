//! Account assistance (needs `AssistAccounts`).

use super::Message;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Meta, Path, Query};
use crate::state::AppState;
use app::authz::{self, Actor, Assisting};
use app::support::{self, AccountStatus};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find_account))
        .routes(routes!(account_status))
        .routes(routes!(resend_verification))
        .routes(routes!(unlock))
        .routes(routes!(reset_mfa))
}

/// The proof that `actor` may help the account `id` (Support: ordinary accounts only).
async fn helping(s: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Assisting> {
    Ok(authz::assist(&s.ctx.main, actor, actor.require()?, id).await?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// The account's exact email address.
    pub email: String,
}

/// Find an account by its email address.
#[utoipa::path(get, path = "/support/accounts", tag = "support", security(("bearer" = [])), params(EmailQuery),
    responses((status = 200, body = AccountStatus), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn find_account(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<EmailQuery>,
) -> ApiResult<axum::Json<AccountStatus>> {
    let g = actor.require()?;
    Ok(axum::Json(
        support::find_by_email(&s.ctx, &actor, g, &meta, &q.email).await?,
    ))
}

/// An account's state: verification, suspension, lockout, MFA, sessions.
#[utoipa::path(get, path = "/support/accounts/{id}", tag = "support", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountStatus), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn account_status(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<AccountStatus>> {
    let help = helping(&s, &actor, id).await?;
    Ok(axum::Json(
        support::account_status(&s.ctx, &help, &meta).await?,
    ))
}

/// Send the account a new verification email.
#[utoipa::path(post, path = "/support/accounts/{id}/resend-verification", tag = "support", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 202, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn resend_verification(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    let help = helping(&s, &actor, id).await?;
    support::resend_verification(&s.ctx, &help, &meta).await?;
    Ok((
        StatusCode::ACCEPTED,
        Message::new("A new verification email is on its way."),
    ))
}

/// Lift login and MFA lockouts.
#[utoipa::path(post, path = "/support/accounts/{id}/unlock", tag = "support", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unlock(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let help = helping(&s, &actor, id).await?;
    support::unlock(&s.ctx, &help, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the account's two-step verification, so its owner can set it up again.
#[utoipa::path(post, path = "/support/accounts/{id}/reset-mfa", tag = "support", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reset_mfa(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let help = helping(&s, &actor, id).await?;
    support::reset_mfa(&s.ctx, &help, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
