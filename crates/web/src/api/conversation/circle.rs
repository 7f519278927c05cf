//! One circle's conversation: its state for a member's device, the roster, epochs and
//! envelopes, settings, and the member's own mute and read marker; and his list of
//! conversations.

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Meta, Path, Query};
use crate::state::AppState;
use app::conversation::epochs::{self, Epoch, NewEpoch, Shared, SharedEnvelopes};
use app::conversation::roster::{self, Roster, SignedRoster};
use app::conversation::settings::{self, Participation, Settings};
use app::conversation::view::{self, ConversationView, MyConversation};
use app::conversation::{self as conversation};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_conversations))
        .routes(routes!(state))
        .routes(routes!(sign_roster))
        .routes(routes!(start_epoch))
        .routes(routes!(share_envelopes))
        .routes(routes!(change_settings))
        .routes(routes!(mute))
        .routes(routes!(mark_read))
}

/// The conversations of the circles you are in, with unread counts.
#[utoipa::path(get, path = "/me/conversations", tag = "conversation", security(("bearer" = []), ("browser_session" = [])),
    responses((status = 200, body = Vec<MyConversation>)))]
async fn my_conversations(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<axum::Json<Vec<MyConversation>>> {
    Ok(axum::Json(view::my_conversations(&s.ctx, &actor).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeviceQuery {
    /// One of your devices: the epoch keys wrapped for it are included.
    pub device: Option<Uuid>,
}

/// The circle's conversation as one of your devices needs it: members and their device
/// keys, the signed roster, the current epoch, the keys wrapped for the device, pinned
/// messages and your read marker (its members and leaders only).
#[utoipa::path(get, path = "/circles/{id}/conversation", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path), DeviceQuery),
    responses((status = 200, body = ConversationView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn state(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<DeviceQuery>,
) -> ApiResult<axum::Json<ConversationView>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        view::conversation(&s.ctx, &conv, q.device).await?,
    ))
}

/// Sign the circle's next roster (its leaders): exactly its current members, with the
/// identity keys they registered.
#[utoipa::path(put, path = "/circles/{id}/conversation/roster", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = SignedRoster,
    responses((status = 201, body = Roster), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn sign_roster(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<SignedRoster>,
) -> ApiResult<(StatusCode, axum::Json<Roster>)> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    let signed = roster::sign_roster(&s.ctx, &meta, &conv, body).await?;
    Ok((StatusCode::CREATED, axum::Json(signed)))
}

/// Start the circle's next epoch, with its key wrapped for each device that may read it.
#[utoipa::path(post, path = "/circles/{id}/conversation/epochs", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = NewEpoch,
    responses((status = 201, body = Epoch), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn start_epoch(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewEpoch>,
) -> ApiResult<(StatusCode, axum::Json<Epoch>)> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    let epoch = epochs::start_epoch(&s.ctx, &conv, body).await?;
    Ok((StatusCode::CREATED, axum::Json(epoch)))
}

/// Share an epoch's key with devices that lack it (a new device, a new member on the
/// roster; older epochs only when the circle shares its history).
#[utoipa::path(post, path = "/circles/{id}/conversation/envelopes", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = SharedEnvelopes,
    responses((status = 201, body = Shared), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn share_envelopes(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<SharedEnvelopes>,
) -> ApiResult<(StatusCode, axum::Json<Shared>)> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    let shared = epochs::share_epoch(&s.ctx, &conv, body).await?;
    Ok((StatusCode::CREATED, axum::Json(shared)))
}

/// Change the conversation's settings (its leaders): history for new members,
/// disappearing messages.
#[utoipa::path(put, path = "/circles/{id}/conversation/settings", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = Settings,
    responses((status = 200, body = Settings), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn change_settings(
    State(s): State<AppState>,
    Meta(meta): Meta,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<Settings>,
) -> ApiResult<axum::Json<Settings>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        settings::change_settings(&s.ctx, &meta, &conv, body).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MuteBody {
    pub muted: bool,
}

/// Mute or unmute the conversation's email notices for yourself.
#[utoipa::path(put, path = "/circles/{id}/conversation/mute", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = MuteBody,
    responses((status = 200, body = Participation), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn mute(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<MuteBody>,
) -> ApiResult<axum::Json<Participation>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        settings::set_muted(&s.ctx, &conv, body.muted).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReadBody {
    /// The newest message you have read.
    pub seq: i64,
}

/// Move your read marker forward.
#[utoipa::path(put, path = "/circles/{id}/conversation/read", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = ReadBody,
    responses((status = 200, body = Participation), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn mark_read(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ReadBody>,
) -> ApiResult<axum::Json<Participation>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        settings::mark_read(&s.ctx, &conv, body.seq).await?,
    ))
}
