//! Progressive lockout per account, counted in the credentials database so every instance
//! sees the same counts. Keys hash the normalised email, so an address without an account
//! locks exactly like one with an account.

use crate::{Context, Error, Result};
use chrono::{DateTime, Duration, Utc};
use db::credentials::attempt_counters;
use db::sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Statement};
use domain::lockout::LockoutPolicy;

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

/// Refuses while the key is locked.
pub(crate) async fn ensure_unlocked(ctx: &Context, key: &str) -> Result<()> {
    let row = attempt_counters::Entity::find_by_id(key.to_owned())
        .one(&ctx.creds)
        .await?;
    if let Some(until) = row.and_then(|r| r.locked_until) {
        let left = until - Utc::now();
        if left > Duration::zero() {
            return Err(Error::TooManyAttempts {
                retry_after_secs: left.num_seconds().max(1) as u64,
            });
        }
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct Failures {
    failures: i32,
}

/// Counts a failure; returns when the key is now locked until, if this failure locked it.
pub(crate) async fn record_failure(ctx: &Context, key: &str) -> Result<Option<DateTime<Utc>>> {
    let now = Utc::now();
    let backend = ctx.creds.get_database_backend();
    let upsert = Statement::from_sql_and_values(
        backend,
        "INSERT INTO attempt_counters (key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2) \
         ON CONFLICT (key) DO UPDATE SET failures = attempt_counters.failures + 1, updated_at = $2 \
         RETURNING failures",
        [key.into(), now.into()],
    );
    let failures = Failures::find_by_statement(upsert)
        .one(&ctx.creds)
        .await?
        .map(|f| f.failures)
        .unwrap_or(1);
    let Some(until) = policy(ctx).locked_until(failures.max(0) as u32, now) else {
        return Ok(None);
    };
    ctx.creds
        .execute(Statement::from_sql_and_values(
            backend,
            "UPDATE attempt_counters SET locked_until = $1 WHERE key = $2",
            [until.into(), key.into()],
        ))
        .await?;
    Ok(Some(until))
}

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
    let now = Utc::now();
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
pub async fn clear_lockouts(ctx: &Context, email: &str, user_id: uuid::Uuid) -> Result<()> {
    clear(ctx, &login_key(email)).await?;
    clear(ctx, &mfa_key(user_id)).await
}
