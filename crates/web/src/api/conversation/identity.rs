//! The signed-in user's conversation keys: identity and backup, devices and their
//! approval, and his key archive.

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Meta, Path, Query};
use crate::state::AppState;
use app::conversation::devices::{self, Approval, Device, NewApproval, NewDevice};
use app::conversation::identity::{self, Backup, Identity, NewIdentity, ResetReport};
use app::conversation::key_archive::{self, ArchiveEntry};
use app::conversation::{self as conversation};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_identity, create_identity))
        .routes(routes!(replace_backup))
        .routes(routes!(reset))
        .routes(routes!(my_devices, register_device))
        .routes(routes!(approve_device, device_approval))
        .routes(routes!(revoke_device))
        .routes(routes!(key_archive_entries, put_key_archive_entry))
}

/// Your identity key and encrypted key backup (404 before you set them up).
#[utoipa::path(get, path = "/me/conversation-identity", tag = "conversation", security(("bearer" = []), ("browser_session" = [])),
    responses((status = 200, body = Identity), (status = 404, body = Problem)))]
async fn my_identity(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<axum::Json<Identity>> {
    Ok(axum::Json(identity::my_identity(&s.ctx, &actor).await?))
}

/// Set up your identity key and key backup, once (`identity_exists` afterwards).
#[utoipa::path(put, path = "/me/conversation-identity", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), request_body = NewIdentity,
    responses((status = 201, body = Identity), (status = 409, body = Problem)))]
async fn create_identity(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Json(body): Json<NewIdentity>,
) -> ApiResult<(StatusCode, axum::Json<Identity>)> {
    let created = identity::create_identity(&s.ctx, &actor, body).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BackupBody {
    pub backup: Backup,
}

/// Replace your key backup (a passphrase added or changed).
#[utoipa::path(put, path = "/me/conversation-identity/backup", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), request_body = BackupBody,
    responses((status = 200, body = Identity), (status = 404, body = Problem)))]
async fn replace_backup(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Json(body): Json<BackupBody>,
) -> ApiResult<axum::Json<Identity>> {
    Ok(axum::Json(
        identity::replace_backup(&s.ctx, &actor, body.backup).await?,
    ))
}

/// Start fresh keys: every device of yours is revoked, your identity, backup and key
/// archive are deleted, and the open epoch of each of your circles closes.
#[utoipa::path(post, path = "/me/conversation-identity/reset", tag = "conversation", security(("bearer" = []), ("browser_session" = [])),
    responses((status = 200, body = ResetReport)))]
async fn reset(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Caller(actor): Caller,
) -> ApiResult<axum::Json<ResetReport>> {
    Ok(axum::Json(identity::reset(&s.ctx, &meta, &actor).await?))
}

/// Your devices, newest first (revoked ones included).
#[utoipa::path(get, path = "/me/devices", tag = "conversation", security(("bearer" = []), ("browser_session" = [])),
    responses((status = 200, body = Vec<Device>)))]
async fn my_devices(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<axum::Json<Vec<Device>>> {
    Ok(axum::Json(devices::my_devices(&s.ctx, &actor).await?))
}

/// Register this browser as one of your devices (certified at once when it holds your
/// identity key, else pending until approved).
#[utoipa::path(post, path = "/me/devices", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), request_body = NewDevice,
    responses((status = 201, body = Device), (status = 409, body = Problem)))]
async fn register_device(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Caller(actor): Caller,
    Json(body): Json<NewDevice>,
) -> ApiResult<(StatusCode, axum::Json<Device>)> {
    let device = devices::register(&s.ctx, &meta, &actor, body).await?;
    Ok((StatusCode::CREATED, axum::Json(device)))
}

/// Approve a pending device of yours: its certificate and, from the approving device, the
/// backup's plaintext encrypted to it.
#[utoipa::path(put, path = "/me/devices/{id}/approval", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = NewApproval,
    responses((status = 200, body = Device), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve_device(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewApproval>,
) -> ApiResult<axum::Json<Device>> {
    Ok(axum::Json(
        devices::approve(&s.ctx, &meta, &actor, id, body).await?,
    ))
}

/// A device's approval: its certificate and transfer (404 while it is pending).
#[utoipa::path(get, path = "/me/devices/{id}/approval", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Approval), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn device_approval(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Approval>> {
    Ok(axum::Json(devices::approval(&s.ctx, &actor, id).await?))
}

/// Revoke one of your devices: it gets no more keys and cannot post; the open epoch of
/// each of your circles closes.
#[utoipa::path(delete, path = "/me/devices/{id}", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Device), (status = 404, body = Problem)))]
async fn revoke_device(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Device>> {
    Ok(axum::Json(
        devices::revoke(&s.ctx, &meta, &actor, id).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ArchiveQuery {
    /// Only this circle's entries (one you are in); all your circles' when absent.
    pub circle: Option<Uuid>,
}

/// Your sealed epoch keys, for a circle you are in or for all of them.
#[utoipa::path(get, path = "/me/key-archive", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(ArchiveQuery),
    responses((status = 200, body = Vec<ArchiveEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn key_archive_entries(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Query(q): Query<ArchiveQuery>,
) -> ApiResult<axum::Json<Vec<ArchiveEntry>>> {
    let conv = match q.circle {
        Some(id) => Some(conversation::converse(&s.ctx, &actor, id).await?),
        None => None,
    };
    Ok(axum::Json(
        key_archive::entries(&s.ctx, &actor, conv.as_ref()).await?,
    ))
}

/// Store one sealed epoch key (again: it is replaced).
#[utoipa::path(put, path = "/me/key-archive", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), request_body = ArchiveEntry,
    responses((status = 200, body = ArchiveEntry), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn put_key_archive_entry(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Json(body): Json<ArchiveEntry>,
) -> ApiResult<axum::Json<ArchiveEntry>> {
    let conv = conversation::converse(&s.ctx, &actor, body.circle_id).await?;
    Ok(axum::Json(
        key_archive::put_entry(&s.ctx, &conv, body).await?,
    ))
}
