//! `Idempotency-Key`: a client that retries a request with the same key gets the first
//! answer again instead of acting twice (a registration sent twice over a flaky network).
//!
//! Keys belong to one user; a key sent again with a different request is refused, so a
//! client bug cannot silently return the answer to another request. Only successful
//! answers are kept: after a refusal, a retry is judged afresh.
//!
//! The key is reserved *before* the work: a row without an answer is inserted under the
//! table's primary key (user, key), which both SQLite and PostgreSQL enforce atomically, so
//! exactly one of many simultaneous requests does the work. The others wait up to
//! [`WAIT_FOR_FIRST`] for its answer and return it; if it is still running they are told
//! `in_progress` (409) and may retry. A first attempt that fails gives the key back.

use crate::codes::error_codes;
use crate::{Context, Error, Result};
use db::main_db::idempotency_keys as keys;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

error_codes! {
    /// Why an `Idempotency-Key` cannot be honoured.
    pub enum IdempotencyError in "Common" {
        KeyReused = Conflict("idempotency_key_reused", "This Idempotency-Key was already used for a different request."),
        InProgress = Conflict("in_progress", "A request with this Idempotency-Key is still being handled; retry in a moment to get its answer."),
    }
}

/// How long a duplicate waits for the first request's answer before `in_progress`.
pub const WAIT_FOR_FIRST: Duration = Duration::from_secs(5);

/// How often a waiting duplicate looks for the answer.
const POLL: Duration = Duration::from_millis(20);

/// A reservation older than this whose request never answered (the server stopped, or
/// the client went away mid-request) is abandoned and may be taken over by a retry.
const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// `status` of a reserved key whose first request has not answered yet (never an HTTP
/// status, so it cannot be mistaken for a kept answer).
const PENDING: i32 = 0;

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

/// Runs `work` once per key: the first request with `key` does the work and its
/// successful answer is kept; a later or simultaneous one with the same key gets that
/// answer. Without a key the work simply runs.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn once<F, Fut>(ctx: &Context, key: Option<&Key>, work: F) -> Result<Stored>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Stored>>,
{
    let Some(key) = key else {
        return work().await;
    };
    if let Some(kept) = reserve(ctx, key).await? {
        return Ok(kept);
    }
    match work().await {
        Ok(answer) => keep(ctx, key, answer).await,
        Err(e) => {
            // A refusal is not kept: give the key back so a retry is judged afresh. If
            // giving it back fails too, the reservation is abandoned and expires.
            if let Err(release_error) = release(ctx, key).await {
                tracing::warn!(error = %release_error, "could not release an idempotency key");
            }
            Err(e)
        }
    }
}

/// Reserves `key` for this request (`None`), or returns the answer the first request with
/// it gave, waiting for it briefly while that request is still running.
async fn reserve(ctx: &Context, key: &Key) -> Result<Option<Stored>> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        if try_insert(ctx, key).await? {
            return Ok(None);
        }
        let Some(row) = find(ctx, key).await? else {
            // The first attempt failed and gave the key back: try to reserve it again.
            continue;
        };
        if row.request_hash != key.request_hash {
            return Err(IdempotencyError::KeyReused.into());
        }
        if row.status != PENDING {
            return Ok(Some(Stored {
                status: u16::try_from(row.status).unwrap_or(500),
                body: row.body,
            }));
        }
        if row.created_at + ABANDONED_AFTER <= ctx.now() {
            take_over_abandoned(ctx, &row).await?;
            continue;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(IdempotencyError::InProgress.into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Inserts the reservation; `false` when a row for the key already exists.
async fn try_insert(ctx: &Context, key: &Key) -> Result<bool> {
    let row = keys::ActiveModel {
        user_id: Set(key.user_id),
        key: Set(key.key.clone()),
        request_hash: Set(key.request_hash.clone()),
        status: Set(PENDING),
        body: Set(String::new()),
        created_at: Set(ctx.now()),
    };
    match row.insert(&ctx.main).await {
        Ok(_) => Ok(true),
        Err(e) if db::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn find(ctx: &Context, key: &Key) -> Result<Option<keys::Model>> {
    Ok(keys::Entity::find_by_id((key.user_id, key.key.clone()))
        .one(&ctx.main)
        .await?)
}

/// Deletes an abandoned reservation, only if it is still that same unanswered one.
async fn take_over_abandoned(ctx: &Context, row: &keys::Model) -> Result<()> {
    keys::Entity::delete_many()
        .filter(keys::Column::UserId.eq(row.user_id))
        .filter(keys::Column::Key.eq(row.key.clone()))
        .filter(keys::Column::Status.eq(PENDING))
        .filter(keys::Column::CreatedAt.eq(row.created_at))
        .exec(&ctx.main)
        .await?;
    Ok(())
}

/// Stores the answer on the reservation this request holds.
async fn keep(ctx: &Context, key: &Key, answer: Stored) -> Result<Stored> {
    keys::Entity::update_many()
        .col_expr(
            keys::Column::Status,
            db::sea_orm::sea_query::Expr::value(i32::from(answer.status)),
        )
        .col_expr(
            keys::Column::Body,
            db::sea_orm::sea_query::Expr::value(answer.body.clone()),
        )
        .filter(keys::Column::UserId.eq(key.user_id))
        .filter(keys::Column::Key.eq(key.key.clone()))
        .filter(keys::Column::Status.eq(PENDING))
        .exec(&ctx.main)
        .await?;
    Ok(answer)
}

/// Gives back a reservation whose request failed.
async fn release(ctx: &Context, key: &Key) -> Result<()> {
    keys::Entity::delete_many()
        .filter(keys::Column::UserId.eq(key.user_id))
        .filter(keys::Column::Key.eq(key.key.clone()))
        .filter(keys::Column::Status.eq(PENDING))
        .exec(&ctx.main)
        .await?;
    Ok(())
}
