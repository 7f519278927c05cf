//! Reading upload bodies (profile photos) with a limit that the client gets to hear about.
//!
//! A server that stops reading at the limit and answers at once leaves most HTTP clients,
//! browsers included, with a broken connection instead of the answer: they are still
//! sending. So a body over the limit is read on and thrown away, up to a bound, and only
//! then answered with "too large".

use axum::body::{Body, Bytes, HttpBody};
use std::pin::Pin;

/// Photo bodies may be 10 MB, plus slack so that a slightly larger file is read whole and
/// gets the photo rule's own message (and, for multipart forms, room for the framing).
pub const PHOTO_BODY_LIMIT: usize = app::accounts::MAX_PHOTO_BYTES + 1024 * 1024;

/// What a person is told when the upload is over the limit.
pub const PHOTO_TOO_LARGE: &str =
    "This file is larger than 10 MB, the most a photo can be. Try a smaller one or resize it first.";

/// Past this many bytes the rest of an oversized body is not worth reading to be polite.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Longer than the limit.
    TooLarge,
    /// The connection failed part-way.
    Failed(String),
}

/// The whole body if it has at most `limit` bytes.
#[tracing::instrument(skip_all, fields(limit))]
pub async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, ReadError> {
    if body
        .size_hint()
        .exact()
        .is_some_and(|n| n > DRAIN_LIMIT as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| ReadError::Failed(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > DRAIN_LIMIT {
            return Err(ReadError::TooLarge);
        }
        if seen <= limit {
            buf.extend_from_slice(&data);
        } else if !buf.is_empty() {
            // Over the limit: keep reading, stop keeping.
            buf = Vec::new();
        }
    }
    if seen > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(Bytes::from(buf))
}
