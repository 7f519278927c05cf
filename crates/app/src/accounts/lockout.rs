//! Progressive lockout per account, counted in the credentials database so every instance
//! sees the same counts. Keys hash the normalised email, so an address without an account
//! locks exactly like one with an account.
//!
//! An attempt is reserved (counted) before its secret is checked, with a compare-and-set
//! on the counter row: of many simultaneous guesses, only as many as the policy allows
//! are ever checked. A success clears the counter.

use crate::{Context, Error, Result};
use chrono::{DateTime, Duration, Utc};
use db::credentials::attempt_counters;
use db::sea_orm::sea_query::{Expr, OnConflict};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::lockout::{AttemptCount, LockoutPolicy, Reservation};

/// Compare-and-set rounds one reservation may lose before giving up. Each lost round means
/// another attempt was counted, and the policy locks after a handful, so this is ample.
const MAX_ROUNDS: usize = 32;

pub(crate) fn login_key(email: &str) -> String {
    format!("login:{}", crate::token::keyed_hash("login", email))
}

pub(crate) fn mfa_key(user_id: uuid::Uuid) -> String {
    format!("mfa:{user_id}")
}

fn policy(ctx: &Context) -> LockoutPolicy {
    let r = &ctx.settings.rate_limit;
    LockoutPolicy {
        free_attempts: r.lockout_free_attempts,
        base_lock: Duration::seconds(r.lockout_base_secs as i64),
        max_lock: Duration::seconds(r.lockout_max_secs as i64),
    }
}

/// A counted attempt, to be checked now.
pub(crate) struct Attempt {
    /// The lock this attempt imposes should it fail.
    pub locks_until: Option<DateTime<Utc>>,
}

fn count_of(row: &attempt_counters::Model) -> AttemptCount {
    AttemptCount {
        failures: row.failures.max(0) as u32,
        locked_until: row.locked_until,
    }
}

/// Counts one attempt for `key` before it is checked, or refuses while the key is locked.
pub(crate) async fn reserve(ctx: &Context, key: &str) -> Result<Attempt> {
    let policy = policy(ctx);
    for _ in 0..MAX_ROUNDS {
        let row = attempt_counters::Entity::find_by_id(key.to_owned())
            .one(&ctx.creds)
            .await?;
        let now = ctx.now();
        let next = match policy.reserve(row.as_ref().map(count_of), now) {
            Reservation::Refused { retry_after } => {
                return Err(Error::TooManyAttempts {
                    retry_after_secs: retry_after.num_seconds().max(1) as u64,
                })
            }
            Reservation::Granted { next } => next,
        };
        let won = match &row {
            None => insert_first(ctx, key, next, now).await?,
            Some(current) => swap(ctx, key, current.failures, next, now).await?,
        };
        if won {
            return Ok(Attempt {
                locks_until: next.locked_until,
            });
        }
    }
    // Only a flood of simultaneous attempts on one key loses this many rounds.
    Err(Error::TooManyAttempts {
        retry_after_secs: 1,
    })
}

/// Creates the counter unless another attempt just did; true when this one did.
async fn insert_first(
    ctx: &Context,
    key: &str,
    next: AttemptCount,
    now: DateTime<Utc>,
) -> Result<bool> {
    let inserted = attempt_counters::Entity::insert(attempt_counters::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(next.failures as i32),
        locked_until: Set(next.locked_until),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(attempt_counters::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&ctx.creds)
    .await?;
    Ok(inserted == 1)
}

/// Stores `next` only if the counter still holds `seen` failures; true when it did.
async fn swap(
    ctx: &Context,
    key: &str,
    seen: i32,
    next: AttemptCount,
    now: DateTime<Utc>,
) -> Result<bool> {
    let updated = attempt_counters::Entity::update_many()
        .col_expr(
            attempt_counters::Column::Failures,
            Expr::value(next.failures as i32),
        )
        .col_expr(
            attempt_counters::Column::LockedUntil,
            Expr::value(next.locked_until),
        )
        .col_expr(attempt_counters::Column::UpdatedAt, Expr::value(now))
        .filter(attempt_counters::Column::Key.eq(key))
        .filter(attempt_counters::Column::Failures.eq(seen))
        .exec(&ctx.creds)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Claims the one notice `key` may send per `period`: true when none was sent within it
/// (and this call records that one is now). Of simultaneous claims, one wins.
pub(crate) async fn claim_notice(ctx: &Context, key: &str, period: Duration) -> Result<bool> {
    let row = attempt_counters::Entity::find_by_id(key.to_owned())
        .one(&ctx.creds)
        .await?;
    let now = ctx.now();
    let sent = |failures: i32| AttemptCount {
        failures: failures.max(0) as u32 + 1,
        locked_until: None,
    };
    match row {
        None => insert_first(ctx, key, sent(0), now).await,
        Some(r) if now - r.updated_at < period => Ok(false),
        Some(r) => swap(ctx, key, r.failures, sent(r.failures), now).await,
    }
}

/// Forgets the key's attempts and lifts its lock (after a success, or by support).
pub(crate) async fn clear(ctx: &Context, key: &str) -> Result<()> {
    attempt_counters::Entity::delete_by_id(key.to_owned())
        .exec(&ctx.creds)
        .await?;
    Ok(())
}

/// Lockout state of an account, for support staff.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LockoutStatus {
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub failed_mfa_codes: i32,
    pub mfa_locked_until: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn lockout_status(
    ctx: &Context,
    email: &str,
    user_id: uuid::Uuid,
) -> Result<LockoutStatus> {
    let get = |key: String| async move {
        attempt_counters::Entity::find_by_id(key)
            .one(&ctx.creds)
            .await
    };
    let login = get(login_key(email)).await?;
    let mfa = get(mfa_key(user_id)).await?;
    let now = ctx.now();
    let active = |r: &Option<attempt_counters::Model>| {
        r.as_ref().and_then(|r| r.locked_until).filter(|t| *t > now)
    };
    Ok(LockoutStatus {
        failed_logins: login.as_ref().map_or(0, |r| r.failures),
        locked_until: active(&login),
        failed_mfa_codes: mfa.as_ref().map_or(0, |r| r.failures),
        mfa_locked_until: active(&mfa),
    })
}

/// Lifts login and MFA lockouts of an account.
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn clear_lockouts(ctx: &Context, email: &str, user_id: uuid::Uuid) -> Result<()> {
    clear(ctx, &login_key(email)).await?;
    clear(ctx, &mfa_key(user_id)).await
}
