//! The signed-in user's own account: profile, photo, password, sessions, two-step
//! verification.

use crate::error::{ApiError, ApiResult, FieldProblem, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use crate::upload::{ReadError, PHOTO_BODY_LIMIT, PHOTO_TOO_LARGE};
use app::accounts::{self, Profile, ProfileChanges, SessionInfo, TotpSetup};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, update_me))
        .routes(photo_routes())
        .routes(routes!(change_password))
        .routes(routes!(sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(totp_setup))
        .routes(routes!(totp_confirm))
        .routes(routes!(totp_disable))
        .routes(routes!(recovery_codes))
}

/// My profile, roles and what they allow.
#[utoipa::path(get, path = "/me", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = Problem)))]
async fn me(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Profile>> {
    Ok(axum::Json(accounts::me(&s.ctx, &actor).await?))
}

/// Change my profile: display name, full name, phone, city, time zone, bio.
///
/// Fields left out stay as they are; an empty string clears an optional field. Nothing is
/// saved while any field is invalid, and every invalid field is named in `errors`.
#[utoipa::path(patch, path = "/me", tag = "account", security(("bearer" = [])), request_body = ProfileChanges,
    responses((status = 200, body = Profile), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn update_me(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<ProfileChanges>,
) -> ApiResult<axum::Json<Profile>> {
    Ok(axum::Json(
        accounts::update_profile(&s.ctx, &meta, &actor, &body).await?,
    ))
}

/// The photo routes have their own body limit instead of the API's small default.
fn photo_routes() -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    let (schemas, paths, router) = routes!(set_photo, remove_photo);
    (
        schemas,
        paths,
        router.layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
    )
}

/// Upload my profile photo: the raw image as the body (JPEG, PNG, WebP or GIF, up to
/// 10 MB). The server scales it to fit 512 × 512 and stores it as a JPEG without metadata.
#[utoipa::path(put, path = "/me/photo", tag = "account", security(("bearer" = [])),
    request_body(description = "The image file itself, up to 10 MB",
        content(("image/jpeg"), ("image/png"), ("image/webp"), ("image/gif"))),
    responses((status = 200, body = Profile), (status = 401, body = Problem),
        (status = 413, description = "Larger than 10 MB", body = Problem),
        (status = 415, description = "Not sent as an image/* type", body = Problem),
        (status = 422, description = "Not an image we can read", body = Problem)))]
async fn set_photo(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<Profile>> {
    let is_image = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("image/"));
    if !is_image {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the image file itself as the body, with Content-Type image/jpeg, image/png, image/webp or image/gif.",
        ));
    }
    let body = crate::upload::read_limited(body, PHOTO_BODY_LIMIT)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge => photo_too_large(),
            ReadError::Failed(detail) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("The upload could not be read ({detail}). Try again."),
            ),
        })?;
    Ok(axum::Json(
        accounts::set_photo(&s.ctx, &meta, &actor, Vec::from(body)).await?,
    ))
}

/// A 413 that says what the limit is, filed under `photo` like the other photo problems.
fn photo_too_large() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        PHOTO_TOO_LARGE,
    );
    e.0.errors.push(FieldProblem {
        field: "photo".into(),
        message: PHOTO_TOO_LARGE.into(),
    });
    e
}

/// Remove my profile photo.
#[utoipa::path(delete, path = "/me/photo", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = Problem)))]
async fn remove_photo(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Profile>> {
    Ok(axum::Json(
        accounts::remove_photo(&s.ctx, &meta, &actor).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change my password. My other sessions end.
#[utoipa::path(post, path = "/me/password", tag = "account", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    accounts::change_password(
        &s.ctx,
        &meta,
        &actor,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My signed-in sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = Problem)))]
async fn sessions(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<SessionInfo>>> {
    Ok(axum::Json(accounts::list_sessions(&s.ctx, &actor).await?))
}

/// Sign out one of my sessions.
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn revoke_session(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    accounts::revoke_session(&s.ctx, &meta, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start TOTP set-up: a secret, its otpauth URI and a QR code (SVG).
#[utoipa::path(post, path = "/me/mfa/totp", tag = "account", security(("bearer" = [])),
    responses((status = 201, body = TotpSetup), (status = 401, body = Problem), (status = 409, body = Problem)))]
async fn totp_setup(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<(StatusCode, axum::Json<TotpSetup>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(accounts::start_totp_setup(&s.ctx, &actor).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CodeBody {
    pub code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes. They are shown only now: keep them somewhere safe.
    pub recovery_codes: Vec<String>,
}

/// Confirm TOTP set-up with a code from the app; answers with recovery codes.
#[utoipa::path(post, path = "/me/mfa/totp/confirm", tag = "account", security(("bearer" = [])), request_body = CodeBody,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = Problem), (status = 409, body = Problem)))]
async fn totp_confirm(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<CodeBody>,
) -> ApiResult<axum::Json<RecoveryCodes>> {
    let recovery_codes = accounts::confirm_totp(&s.ctx, &meta, &actor, &body.code).await?;
    Ok(axum::Json(RecoveryCodes { recovery_codes }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DisableMfa {
    pub password: String,
    /// A current TOTP code or a recovery code.
    pub code: String,
}

/// Turn two-step verification off.
#[utoipa::path(post, path = "/me/mfa/totp/disable", tag = "account", security(("bearer" = [])), request_body = DisableMfa,
    responses((status = 204), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn totp_disable(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<DisableMfa>,
) -> ApiResult<StatusCode> {
    accounts::disable_totp(&s.ctx, &meta, &actor, &body.password, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace my recovery codes (needs a current TOTP code).
#[utoipa::path(post, path = "/me/mfa/recovery-codes", tag = "account", security(("bearer" = [])), request_body = CodeBody,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = Problem), (status = 409, body = Problem)))]
async fn recovery_codes(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<CodeBody>,
) -> ApiResult<axum::Json<RecoveryCodes>> {
    let recovery_codes =
        accounts::regenerate_recovery_codes(&s.ctx, &meta, &actor, &body.code).await?;
    Ok(axum::Json(RecoveryCodes { recovery_codes }))
}
