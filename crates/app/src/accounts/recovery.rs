//! Changing a password (signed in) and resetting a forgotten one (by email link).

use super::jobs::{AccountNotice, SendAccountNotice, SendPasswordResetEmail};
use super::lockout::{self, login_key};
use super::one_time::{self, Purpose};
use super::register::limit;
use super::sessions::revoke_all_sessions;
use super::{find_user, find_user_by_email, password};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::jobs::Job;
use crate::{token, Context, Error, RequestMeta, Result};
use db::credentials::{calendar_feeds, password_credentials};
use db::main_db::users;
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::{Email, NewPassword};
use uuid::Uuid;

/// Checks a new password against the policy, reporting problems under `new_password`,
/// the name the change and reset forms use.
fn parse_new_password(new: &str, user: &users::Model) -> Result<NewPassword> {
    NewPassword::parse(new, &[user.email.as_str(), user.display_name.as_str()]).map_err(|mut e| {
        e.field = "new_password";
        e.into()
    })
}

async fn store_hash(ctx: &Context, user_id: Uuid, new_password: &NewPassword) -> Result<()> {
    let hash = password::hash_password(new_password.expose()).await?;
    let row = password_credentials::ActiveModel {
        user_id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(ctx.now()),
    };
    match password_credentials::Entity::find_by_id(user_id)
        .one(&ctx.creds)
        .await?
    {
        Some(_) => row.update(&ctx.creds).await.map(|_| ())?,
        None => row.insert(&ctx.creds).await.map(|_| ())?,
    }
    Ok(())
}

/// Changes the signed-in user's password and ends their other sessions.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn change_password(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<()> {
    let user = &actor.user;
    let new_password = parse_new_password(new, user)?;
    let stored = password_credentials::Entity::find_by_id(user.id)
        .one(&ctx.creds)
        .await?
        .map(|c| c.password_hash);
    if !password::verify_password(current, stored).await? {
        audit::record_alone(
            &ctx.main,
            meta,
            Entry::new(Action::PasswordChangeFailed)
                .by(user.id)
                .user(user.id),
        )
        .await?;
        return Err(Error::invalid(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    store_hash(ctx, user.id, &new_password).await?;
    let ended =
        revoke_all_sessions(ctx, user.id, Some(actor.session_id), "password_changed").await?;
    revoke_calendar_feed(ctx, user.id).await?;
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::PasswordChanged)
            .by(user.id)
            .user(user.id)
            .details(serde_json::json!({ "other_sessions_ended": ended })),
    )
    .await?;
    notice(&txn, ctx, user.id, AccountNotice::PasswordChanged).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends the person's calendar-feed address: it names their circles, times and places, and
/// whoever changed or reset the password may be shutting out someone who copied it.
async fn revoke_calendar_feed(ctx: &Context, user_id: Uuid) -> Result<()> {
    calendar_feeds::Entity::delete_by_id(user_id)
        .exec(&ctx.creds)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn notice(
    txn: &impl db::sea_orm::ConnectionTrait,
    ctx: &Context,
    user_id: Uuid,
    notice: AccountNotice,
) -> Result<()> {
    SendAccountNotice { user_id, notice }
        .enqueue(txn, ctx)
        .await?;
    Ok(())
}

/// Emails a reset link when the address has an active account; answers the same either way.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn request_password_reset(
    ctx: &Context,
    meta: &RequestMeta,
    raw_email: &str,
) -> Result<()> {
    ctx.limiter
        .hit(
            limit(ctx, "reset_ip", ctx.settings.rate_limit.reset_per_ip),
            meta.ip_or_unknown(),
        )
        .await?;
    let email = Email::parse(raw_email)?;
    let account_key = token::keyed_hash("reset", email.as_str());
    ctx.limiter
        .hit(
            limit(
                ctx,
                "reset_account",
                ctx.settings.rate_limit.reset_per_account,
            ),
            &account_key,
        )
        .await?;
    let user = find_user_by_email(&ctx.main, email.as_str())
        .await?
        .filter(|u| u.status.may_sign_in());
    // Both branches write one audit record, so they take about as long.
    let txn = db::begin_write(&ctx.main).await?;
    match user {
        Some(user) => {
            audit::record(
                &txn,
                meta,
                Entry::new(Action::PasswordResetRequested).user(user.id),
            )
            .await?;
            SendPasswordResetEmail { user_id: user.id }
                .enqueue(&txn, ctx)
                .await?;
        }
        None => {
            let details = serde_json::json!({ "email": email.as_str() });
            audit::record(
                &txn,
                meta,
                Entry::new(Action::PasswordResetRequestedUnknown).details(details),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Sets a new password with the token from the reset email. Every session ends, lockouts
/// lift, and — since the link proves it — the address counts as verified.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn reset_password(
    ctx: &Context,
    meta: &RequestMeta,
    raw_token: &str,
    new: &str,
) -> Result<()> {
    let user_id = one_time::peek(ctx, raw_token, Purpose::ResetPassword).await?;
    let user = find_user(&ctx.main, user_id)
        .await
        .map_err(|_| Error::InvalidToken)?;
    // Check the password before using the token up, so a weak choice can be corrected.
    let new_password = parse_new_password(new, &user)?;
    one_time::consume(ctx, raw_token, Purpose::ResetPassword).await?;
    store_hash(ctx, user.id, &new_password).await?;
    revoke_all_sessions(ctx, user.id, None, "password_reset").await?;
    revoke_calendar_feed(ctx, user.id).await?;
    lockout::clear(ctx, &login_key(&user.email)).await?;
    one_time::void_all(ctx, user.id, Purpose::ResetPassword).await?;
    let txn = db::begin_write(&ctx.main).await?;
    if user.email_verified_at.is_none() {
        let now = ctx.now();
        users::ActiveModel {
            id: Set(user.id),
            email_verified_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::PasswordResetCompleted)
            .by(user.id)
            .user(user.id),
    )
    .await?;
    notice(&txn, ctx, user.id, AccountNotice::PasswordChanged).await?;
    txn.commit().await?;
    Ok(())
}
