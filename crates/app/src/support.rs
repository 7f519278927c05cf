//! Account assistance for Support staff (and Admins): look up an account's state, resend
//! the verification email, lift a lockout, reset MFA. Support never sees messages or
//! credentials, and helps only ordinary accounts (`authz::assist`). Every function takes
//! the proof of that, is audited, and tells the account's owner what was done.

use crate::accounts::AccountNotice;
use crate::accounts::{self, clear_lockouts, lockout_status, mfa_enabled, LockoutStatus};
use crate::audit::{self, Action, Entry};
use crate::authz::{assist, can, roles_of, Actor, Assisting, Granted};
use crate::codes::error_codes;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::credentials::sessions;
use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use domain::{Email, Role, UserStatus};
use serde::Serialize;
use uuid::Uuid;

error_codes! {
    /// The support feature's refusals, with their stable codes.
    pub enum SupportError in "Support" {
        AlreadyVerified = Conflict("already_verified", "This address is already verified."),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountStatus {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `active` or `suspended`.
    #[schema(value_type = String)]
    pub status: UserStatus,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    #[schema(value_type = Vec<crate::api_schema::Role>)]
    pub roles: Vec<Role>,
    pub active_sessions: u64,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub lockout: LockoutStatus,
}

#[tracing::instrument(skip_all, fields(actor_id = %help.actor_id(), user_id = %help.subject_id()), err(level = "info"))]
pub async fn account_status(
    ctx: &Context,
    help: &Assisting,
    meta: &RequestMeta,
) -> Result<AccountStatus> {
    let user_id = help.subject_id();
    let u = accounts::find_user(&ctx.main, user_id).await?;
    let active_sessions = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(ctx.now()))
        .count(&ctx.creds)
        .await?;
    let status = AccountStatus {
        user_id,
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        status: u.status,
        email_verified: u.email_verified_at.is_some(),
        mfa_enabled: mfa_enabled(ctx, user_id).await?,
        roles: roles_of(&ctx.main, user_id).await?,
        active_sessions,
        last_login_at: u.last_login_at,
        created_at: u.created_at,
        lockout: lockout_status(ctx, &u.email, user_id).await?,
    };
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::SupportViewedAccount)
            .by(help.actor_id())
            .user(user_id),
    )
    .await?;
    Ok(status)
}

/// Finds an account by its exact address (support works from what a caller tells them).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn find_by_email(
    ctx: &Context,
    actor: &Actor,
    g: Granted<can::AssistAccounts>,
    meta: &RequestMeta,
    raw_email: &str,
) -> Result<AccountStatus> {
    let email = Email::parse(raw_email)?;
    let user = accounts::find_user_by_email(&ctx.main, email.as_str())
        .await?
        .ok_or(Error::NotFound("account"))?;
    let help = assist(&ctx.main, actor, g, user.id).await?;
    account_status(ctx, &help, meta).await
}

#[tracing::instrument(skip_all, fields(actor_id = %help.actor_id(), user_id = %help.subject_id()), err(level = "info"))]
pub async fn resend_verification(
    ctx: &Context,
    help: &Assisting,
    meta: &RequestMeta,
) -> Result<()> {
    let user_id = help.subject_id();
    let u = accounts::find_user(&ctx.main, user_id).await?;
    if u.email_verified_at.is_some() {
        return Err(SupportError::AlreadyVerified.into());
    }
    accounts::queue_verification_by(ctx, meta, user_id, help.actor_id()).await
}

/// Lifts the lockout that failed sign-ins put on the account, and tells its owner.
#[tracing::instrument(skip_all, fields(actor_id = %help.actor_id(), user_id = %help.subject_id()), err(level = "info"))]
pub async fn unlock(ctx: &Context, help: &Assisting, meta: &RequestMeta) -> Result<()> {
    let user_id = help.subject_id();
    let u = accounts::find_user(&ctx.main, user_id).await?;
    clear_lockouts(ctx, &u.email, user_id).await?;
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::SupportUnlockedAccount)
            .by(help.actor_id())
            .user(user_id),
    )
    .await?;
    accounts::notice_in(&txn, ctx, user_id, AccountNotice::UnlockedBySupport).await?;
    txn.commit().await?;
    Ok(())
}

/// Turns two-step verification off for someone who lost his device, and tells him.
#[tracing::instrument(skip_all, fields(actor_id = %help.actor_id(), user_id = %help.subject_id()), err(level = "info"))]
pub async fn reset_mfa(ctx: &Context, help: &Assisting, meta: &RequestMeta) -> Result<()> {
    let user_id = help.subject_id();
    accounts::find_user(&ctx.main, user_id).await?;
    if !accounts::remove_mfa(ctx, user_id).await? {
        return Err(Error::MfaNotEnabled);
    }
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::SupportResetMfa)
            .by(help.actor_id())
            .user(user_id),
    )
    .await?;
    accounts::notice_in(&txn, ctx, user_id, AccountNotice::MfaResetBySupport).await?;
    txn.commit().await?;
    Ok(())
}
