//! Registration, verification, sign-in, token refresh, sign-out and password reset.

use super::Message;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta};
use crate::state::AppState;
use app::accounts::{self, LoginOutcome, Registration, TokenPair};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(login))
        .routes(routes!(login_mfa))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
}

const CHECK_EMAIL: &str =
    "If the address can be used, we have sent an email to it. Follow the link in it to continue.";

/// Create an account. The answer is the same whether or not the address is taken.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = Registration,
    responses((status = 202, body = Message), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn register(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<Registration>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    accounts::register(&s.ctx, &meta, &body).await?;
    Ok((StatusCode::ACCEPTED, Message::new(CHECK_EMAIL)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenBody {
    /// The token from the emailed link.
    pub token: String,
}

/// Confirm an email address with the token from the verification email.
#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = Message), (status = 400, body = Problem)))]
async fn verify_email(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<TokenBody>,
) -> ApiResult<axum::Json<Message>> {
    accounts::verify_email(&s.ctx, &meta, &body.token).await?;
    Ok(Message::new(
        "Your email address is confirmed. You can sign in now.",
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EmailBody {
    pub email: String,
}

/// Send a new verification link (when the address has an unverified account).
#[utoipa::path(post, path = "/auth/resend-verification", tag = "auth", request_body = EmailBody,
    responses((status = 202, body = Message), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn resend_verification(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<EmailBody>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    accounts::resend_verification(&s.ctx, &meta, &body.email).await?;
    Ok((StatusCode::ACCEPTED, Message::new(CHECK_EMAIL)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

/// Sign in. Answers with tokens, or with an MFA challenge when two-step verification is on.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = LoginOutcome), (status = 401, body = Problem), (status = 403, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<LoginBody>,
) -> ApiResult<axum::Json<LoginOutcome>> {
    Ok(axum::Json(
        accounts::login(&s.ctx, &meta, &body.email, &body.password).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MfaBody {
    pub mfa_token: String,
    /// A 6-digit code from the authenticator app, or a recovery code.
    pub code: String,
}

/// Finish signing in with a TOTP code or a recovery code.
#[utoipa::path(post, path = "/auth/login/mfa", tag = "auth", request_body = MfaBody,
    responses((status = 200, body = TokenPair), (status = 400, body = Problem), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login_mfa(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<MfaBody>,
) -> ApiResult<axum::Json<TokenPair>> {
    Ok(axum::Json(
        accounts::login_mfa(&s.ctx, &meta, &body.mfa_token, &body.code).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshBody {
    pub refresh_token: String,
}

/// Exchange a refresh token for a new pair. Reusing an old refresh token ends the session.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
async fn refresh(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<RefreshBody>,
) -> ApiResult<axum::Json<TokenPair>> {
    Ok(axum::Json(
        accounts::refresh(&s.ctx, &meta, &body.refresh_token).await?,
    ))
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<StatusCode> {
    accounts::logout(&s.ctx, &meta, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password-reset link. The answer is the same whether or not the address exists.
#[utoipa::path(post, path = "/auth/password/forgot", tag = "auth", request_body = EmailBody,
    responses((status = 202, body = Message), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn forgot_password(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<EmailBody>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    accounts::request_password_reset(&s.ctx, &meta, &body.email).await?;
    Ok((StatusCode::ACCEPTED, Message::new(CHECK_EMAIL)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetBody {
    pub token: String,
    pub new_password: String,
}

/// Set a new password with the token from the reset email. Ends every session.
#[utoipa::path(post, path = "/auth/password/reset", tag = "auth", request_body = ResetBody,
    responses((status = 200, body = Message), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn reset_password(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Json(body): Json<ResetBody>,
) -> ApiResult<axum::Json<Message>> {
    accounts::reset_password(&s.ctx, &meta, &body.token, &body.new_password).await?;
    Ok(Message::new(
        "Your password is changed. Sign in with the new one.",
    ))
}
