//! `Idempotency-Key`: a client that retries a request with the same key gets the first
//! answer again instead of acting twice (a registration sent twice over a flaky network).
//!
//! Keys belong to one user; a key sent again with a different request is refused, so a
//! client bug cannot silently return the answer to another request. Only successful
//! answers are kept: after a refusal, a retry is judged afresh.

use crate::codes::error_codes;
use crate::{Context, Error, Result};
use db::main_db::idempotency_keys as keys;
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

error_codes! {
    /// Why an `Idempotency-Key` cannot be honoured.
    pub enum IdempotencyError in "Common" {
        KeyReused = Conflict("idempotency_key_reused", "This Idempotency-Key was already used for a different request."),
    }
}

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub body: String,
}

/// A checked key with the fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct Key {
    user_id: Uuid,
    key: String,
    request_hash: String,
}

impl Key {
    /// Checks the header value (1–200 visible ASCII characters) and fingerprints the
    /// request (method, path and body).
    pub fn new(user_id: Uuid, raw: &str, method: &str, path: &str, body: &[u8]) -> Result<Key> {
        let ok = (1..=200).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Error::invalid(
                "Idempotency-Key",
                "An Idempotency-Key is 1 to 200 visible ASCII characters, such as a UUID.",
            ));
        }
        let mut request = format!("{method} {path}\n").into_bytes();
        request.extend_from_slice(body);
        Ok(Key {
            user_id,
            key: raw.to_owned(),
            request_hash: crate::token::hash(&String::from_utf8_lossy(&request)),
        })
    }
}

/// The answer kept for this key, if any; `idempotency_key_reused` when the key came with
/// another request.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn replay(ctx: &Context, key: &Key) -> Result<Option<Stored>> {
    let Some(row) = keys::Entity::find_by_id((key.user_id, key.key.clone()))
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    if row.request_hash != key.request_hash {
        return Err(IdempotencyError::KeyReused.into());
    }
    Ok(Some(Stored {
        status: row.status as u16,
        body: row.body,
    }))
}

/// Keeps `answer` for the key. If a concurrent retry kept one first, that one is returned
/// so both callers give the same answer.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn keep(ctx: &Context, key: &Key, answer: Stored) -> Result<Stored> {
    let row = keys::ActiveModel {
        user_id: Set(key.user_id),
        key: Set(key.key.clone()),
        request_hash: Set(key.request_hash.clone()),
        status: Set(i32::from(answer.status)),
        body: Set(answer.body.clone()),
        created_at: Set(ctx.now()),
    };
    match row.insert(&ctx.main).await {
        Ok(_) => Ok(answer),
        Err(e) if db::is_unique_violation(&e) => Ok(replay(ctx, key).await?.unwrap_or(answer)),
        Err(e) => Err(e.into()),
    }
}
