//! The `Idempotency-Key` header on POSTs that create registrations or payments: read once
//! here, honoured by `app::idempotency::once`, and the kept answer sent back as it was.

use app::idempotency::{Key, Stored};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uuid::Uuid;

/// The request's key, fingerprinted with its method (POST), path and body; `None` without
/// the header. A header that is not visible ASCII is refused like any bad key.
pub(crate) fn key(
    headers: &HeaderMap,
    user_id: Uuid,
    path: &str,
    body: &[u8],
) -> app::Result<Option<Key>> {
    match headers.get("idempotency-key") {
        Some(raw) => {
            let raw = raw.to_str().unwrap_or("\u{0}");
            Ok(Some(Key::new(user_id, raw, "POST", path, body)?))
        }
        None => Ok(None),
    }
}

/// An answer in the form that is kept: its status and JSON body.
pub(crate) fn answer<T: Serialize>(status: StatusCode, body: &T) -> app::Result<Stored> {
    Ok(Stored {
        status: status.as_u16(),
        body: serde_json::to_string(body).map_err(|e| app::Error::Internal(e.into()))?,
    })
}

/// A kept (or fresh) answer as the response.
pub(crate) fn respond(kept: Stored) -> Response {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        kept.body,
    )
        .into_response()
}
