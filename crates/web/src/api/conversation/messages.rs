//! A circle's messages: read a page, post, delete your own, pin (leaders).

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path, Query};
use crate::state::AppState;
use app::conversation::messages::{self, Message, MessagePage, NewMessage, PageQuery};
use app::conversation::{self as conversation};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// Room for the largest ciphertext (64 KiB encoded) and the fields around it, above the
/// API's small default body limit.
const MESSAGE_BODY_LIMIT: usize = 80 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, router) = routes!(list, post);
    OpenApiRouter::new()
        .routes((
            schemas,
            paths,
            router.layer(DefaultBodyLimit::max(MESSAGE_BODY_LIMIT)),
        ))
        .routes(routes!(delete))
        .routes(routes!(pin))
}

/// A page of the messages you may read, ascending: after a sequence number, the page
/// before one, or (neither) the newest page. Deleted messages come as tombstones.
#[utoipa::path(get, path = "/circles/{id}/conversation/messages", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = MessagePage), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<MessagePage>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(messages::list(&s.ctx, &conv, q).await?))
}

/// Post a message under the open epoch from one of your devices; the same `client_id`
/// again returns the first message (200).
#[utoipa::path(post, path = "/circles/{id}/conversation/messages", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = NewMessage,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "A retry: the message first posted with this client id"),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn post(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewMessage>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    let posted = messages::post(&s.ctx, &conv, body).await?;
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(posted.message)))
}

/// Delete your own message: its ciphertext goes, a tombstone stays.
#[utoipa::path(delete, path = "/circles/{id}/conversation/messages/{seq}", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path), ("seq" = i64, Path)),
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, seq)): Path<(Uuid, i64)>,
) -> ApiResult<axum::Json<Message>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(messages::delete(&s.ctx, &conv, seq).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PinBody {
    pub pinned: bool,
}

/// Pin or unpin a message (the circle's leaders).
#[utoipa::path(put, path = "/circles/{id}/conversation/messages/{seq}/pin", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path), ("seq" = i64, Path)), request_body = PinBody,
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn pin(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, seq)): Path<(Uuid, i64)>,
    Json(body): Json<PinBody>,
) -> ApiResult<axum::Json<Message>> {
    let conv = conversation::converse(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        messages::pin(&s.ctx, &conv, seq, body.pinned).await?,
    ))
}
