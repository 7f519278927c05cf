//! Signing in: password, then a TOTP or recovery code when MFA is on. Unknown addresses
//! and wrong passwords get the same answer, in the same time. The API receives tokens, a
//! browser a session cookie; the rules are the same.

use super::lockout::{self, login_key, mfa_key, Attempt};
use super::register::limit;
use super::sessions::{
    sign, start_browser_session, start_session, verify_claims, BrowserSession, Claims, TokenPair,
};
use super::{find_user, find_user_by_email, mfa, password};
use crate::audit::{self, Action, Entry};
use crate::{Context, Error, RequestMeta, Result};
use db::credentials::password_credentials;
use db::main_db::users;
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::Email;
use serde::Serialize;
use uuid::Uuid;

/// Seconds an MFA challenge stays valid.
const MFA_CHALLENGE_SECS: i64 = 300;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginOutcome {
    /// Signed in.
    SignedIn(TokenPair),
    /// The password was right; now send a code with this token to `/api/v1/auth/login/mfa`.
    MfaRequired { mfa_token: String, expires_in: u64 },
}

/// The browser's version of [`LoginOutcome`].
#[derive(Debug, Clone)]
pub enum BrowserLogin {
    SignedIn(BrowserSession),
    MfaRequired { mfa_token: String },
}

/// What the password step decided.
enum PasswordStep {
    /// No second step: sign the user in.
    Accepted(Uuid),
    /// Two-step verification is on: answer with a challenge.
    Challenge(String),
}

#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn login(
    ctx: &Context,
    meta: &RequestMeta,
    email: &str,
    password: &str,
) -> Result<LoginOutcome> {
    Ok(match password_step(ctx, meta, email, password).await? {
        PasswordStep::Accepted(user_id) => {
            LoginOutcome::SignedIn(finish_api(ctx, meta, user_id, "password").await?)
        }
        PasswordStep::Challenge(mfa_token) => LoginOutcome::MfaRequired {
            mfa_token,
            expires_in: MFA_CHALLENGE_SECS as u64,
        },
    })
}

#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn login_browser(
    ctx: &Context,
    meta: &RequestMeta,
    email: &str,
    password: &str,
) -> Result<BrowserLogin> {
    Ok(match password_step(ctx, meta, email, password).await? {
        PasswordStep::Accepted(user_id) => {
            BrowserLogin::SignedIn(finish_browser(ctx, meta, user_id, "password").await?)
        }
        PasswordStep::Challenge(mfa_token) => BrowserLogin::MfaRequired { mfa_token },
    })
}

async fn password_step(
    ctx: &Context,
    meta: &RequestMeta,
    raw_email: &str,
    password: &str,
) -> Result<PasswordStep> {
    let ip_limit = limit(ctx, "login_ip", ctx.settings.rate_limit.login_per_ip);
    ctx.limiter.hit(ip_limit, meta.ip_or_unknown()).await?;
    let email = Email::parse(raw_email).map_err(|_| Error::InvalidCredentials)?;
    let key = login_key(email.as_str());
    let attempt = lockout::reserve(ctx, &key).await?;
    let Some(user) = check_password(ctx, email.as_str(), password).await? else {
        return Err(failed_login(ctx, meta, &attempt, email.as_str()).await);
    };
    // The right password is no guess: it counts against neither the account nor the address.
    lockout::clear(ctx, &key).await?;
    ctx.limiter.refund(ip_limit, meta.ip_or_unknown()).await?;
    if user.status.is_suspended() {
        audit::record_alone(
            &ctx.main,
            meta,
            Entry::new(Action::LoginRefusedSuspended)
                .by(user.id)
                .user(user.id),
        )
        .await?;
        return Err(Error::AccountSuspended);
    }
    if user.email_verified_at.is_none() {
        return Err(Error::EmailNotVerified);
    }
    if !mfa::mfa_enabled(ctx, user.id).await? {
        return Ok(PasswordStep::Accepted(user.id));
    }
    let now = ctx.now().timestamp();
    let claims = Claims {
        sub: user.id,
        sid: Uuid::nil(),
        typ: "mfa".into(),
        iat: now,
        exp: now + MFA_CHALLENGE_SECS,
    };
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::LoginMfaChallenged)
            .by(user.id)
            .user(user.id),
    )
    .await?;
    Ok(PasswordStep::Challenge(sign(ctx, &claims)?))
}

/// The account, when `password` is its password. Unknown addresses are checked against a
/// dummy hash, so both answers take as long.
async fn check_password(
    ctx: &Context,
    email: &str,
    password: &str,
) -> Result<Option<users::Model>> {
    let user = find_user_by_email(&ctx.main, email).await?;
    let stored = match &user {
        Some(u) => password_credentials::Entity::find_by_id(u.id)
            .one(&ctx.creds)
            .await?
            .map(|c| c.password_hash),
        None => None,
    };
    let ok = password::verify_password(password, stored).await?;
    Ok(user.filter(|_| ok))
}

/// Audits a wrong password (already counted when its attempt was reserved).
async fn failed_login(ctx: &Context, meta: &RequestMeta, attempt: &Attempt, email: &str) -> Error {
    let run = async {
        let txn = db::begin_write(&ctx.main).await?;
        audit::record(
            &txn,
            meta,
            Entry::new(Action::LoginFailed).details(serde_json::json!({ "email": email })),
        )
        .await?;
        if let Some(until) = attempt.locks_until {
            let details = serde_json::json!({ "email": email, "until": until });
            audit::record(
                &txn,
                meta,
                Entry::new(Action::AccountLocked).details(details),
            )
            .await?;
        }
        txn.commit().await?;
        Ok::<_, Error>(())
    };
    match run.await {
        Ok(()) => Error::InvalidCredentials,
        Err(e) => e,
    }
}

/// Second step: a TOTP code or a recovery code for the challenge from [`login`].
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn login_mfa(
    ctx: &Context,
    meta: &RequestMeta,
    mfa_token: &str,
    code: &str,
) -> Result<TokenPair> {
    let (user_id, method) = mfa_step(ctx, meta, mfa_token, code).await?;
    finish_api(ctx, meta, user_id, method).await
}

#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn login_mfa_browser(
    ctx: &Context,
    meta: &RequestMeta,
    mfa_token: &str,
    code: &str,
) -> Result<BrowserSession> {
    let (user_id, method) = mfa_step(ctx, meta, mfa_token, code).await?;
    finish_browser(ctx, meta, user_id, method).await
}

async fn mfa_step(
    ctx: &Context,
    meta: &RequestMeta,
    mfa_token: &str,
    code: &str,
) -> Result<(Uuid, &'static str)> {
    let ip_limit = limit(ctx, "mfa_ip", ctx.settings.rate_limit.mfa_per_ip);
    ctx.limiter.hit(ip_limit, meta.ip_or_unknown()).await?;
    let claims = verify_claims(ctx, mfa_token, "mfa").ok_or(Error::InvalidToken)?;
    let user = find_user(&ctx.main, claims.sub).await?;
    if user.status.is_suspended() {
        return Err(Error::AccountSuspended);
    }
    // TOTP and recovery codes share one counter: a guess is a guess.
    let key = mfa_key(user.id);
    let attempt = lockout::reserve(ctx, &key).await?;
    if let Some(method) = mfa::check_code(ctx, user.id, code).await? {
        lockout::clear(ctx, &key).await?;
        ctx.limiter.refund(ip_limit, meta.ip_or_unknown()).await?;
        return Ok((user.id, method));
    }
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(&txn, meta, Entry::new(Action::MfaFailed).user(user.id)).await?;
    if attempt.locks_until.is_some() {
        audit::record(&txn, meta, Entry::new(Action::MfaLocked).user(user.id)).await?;
    }
    txn.commit().await?;
    Err(Error::InvalidMfaCode)
}

async fn finish_api(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
    method: &str,
) -> Result<TokenPair> {
    let pair = start_session(ctx, meta, user_id).await?;
    record_login(ctx, meta, user_id, method, pair.session_id).await?;
    Ok(pair)
}

async fn finish_browser(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
    method: &str,
) -> Result<BrowserSession> {
    let session = start_browser_session(ctx, meta, user_id).await?;
    record_login(ctx, meta, user_id, method, session.session_id).await?;
    Ok(session)
}

async fn record_login(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
    method: &str,
    session_id: Uuid,
) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    users::ActiveModel {
        id: Set(user_id),
        last_login_at: Set(Some(ctx.now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let details = serde_json::json!({ "method": method, "session_id": session_id });
    audit::record(
        &txn,
        meta,
        Entry::new(Action::LoginSucceeded)
            .by(user_id)
            .user(user_id)
            .details(details),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
