//! Registration and email verification. Answers never reveal whether an address already
//! has an account: an existing owner gets an email instead.

use super::jobs::{SendAlreadyRegisteredEmail, SendVerificationEmail};
use super::one_time::{self, Purpose};
use super::{find_user, find_user_by_email, password};
use crate::audit::{self, Action, Entry};
use crate::jobs::Job;
use crate::rate_limit::Limit;
use crate::{token, Checks, Context, RequestMeta, Result};
use db::credentials::password_credentials;
use db::main_db::{user_roles, users};
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::local_path::LocalPath;
use domain::{DisplayName, Email, NewPassword, Role, UserStatus};
use serde::Deserialize;
use std::time::Duration;
use uuid::Uuid;

/// What a person signs up with. Named `SignUp` in the API document, apart from an
/// event's registrations.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = SignUp)]
pub struct Registration {
    #[schema(max_length = 254, format = "email")]
    pub email: String,
    /// 12–256 characters; not the email address or display name, not easy to guess.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    #[schema(min_length = 1, max_length = 64)]
    pub display_name: String,
}

pub(crate) fn limit(ctx: &Context, name: &'static str, max: u32) -> Limit {
    Limit {
        name,
        max,
        window: Duration::from_secs(ctx.settings.rate_limit.window_secs),
    }
}

/// Registers a new Member and queues the verification email. Succeeds the same way when
/// the address is taken (and tells its owner by email).
pub async fn register(ctx: &Context, meta: &RequestMeta, input: &Registration) -> Result<()> {
    register_then(ctx, meta, input, None).await
}

/// Like [`register`], for someone who came from a page of this site (an invitation): the
/// verification link leads back to `next` through sign-in.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn register_then(
    ctx: &Context,
    meta: &RequestMeta,
    input: &Registration,
    next: Option<&LocalPath>,
) -> Result<()> {
    ctx.limiter
        .hit(
            limit(ctx, "register_ip", ctx.settings.rate_limit.register_per_ip),
            meta.ip_or_unknown(),
        )
        .await?;
    let mut checks = Checks::default();
    let email = checks.check(Email::parse(&input.email));
    let name = checks.check(DisplayName::parse(&input.display_name));
    let context = [input.email.as_str(), input.display_name.as_str()];
    let new_password = checks.check(NewPassword::parse(&input.password, &context));
    let (Some(email), Some(name), Some(new_password)) = (email, name, new_password) else {
        return Err(checks.into_error());
    };

    // Hash before looking the address up, so both answers take as long.
    let hash = password::hash_password(new_password.expose()).await?;
    if let Some(existing) = find_user_by_email(&ctx.main, email.as_str()).await? {
        return notify_existing(ctx, meta, existing.id).await;
    }
    let user_id = Uuid::now_v7();
    // Credentials first: a crash before the user row leaves only an unreachable hash,
    // which the compensating delete below (or a later registration) replaces.
    let now = ctx.now();
    password_credentials::ActiveModel {
        user_id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(now),
    }
    .insert(&ctx.creds)
    .await?;
    match create_user(ctx, meta, user_id, &email, &name, next).await {
        Ok(()) => Ok(()),
        Err(e) => {
            password_credentials::Entity::delete_by_id(user_id)
                .exec(&ctx.creds)
                .await?;
            match e {
                // Someone registered the same address a moment ago.
                CreateError::Taken => match find_user_by_email(&ctx.main, email.as_str()).await? {
                    Some(existing) => notify_existing(ctx, meta, existing.id).await,
                    None => Ok(()),
                },
                CreateError::Other(e) => Err(e),
            }
        }
    }
}

enum CreateError {
    Taken,
    Other(crate::Error),
}

async fn create_user(
    ctx: &Context,
    meta: &RequestMeta,
    id: Uuid,
    email: &Email,
    name: &DisplayName,
    next: Option<&LocalPath>,
) -> Result<(), CreateError> {
    let run = async {
        let now = ctx.now();
        let txn = db::begin_write(&ctx.main).await?;
        users::ActiveModel {
            id: Set(id),
            email: Set(email.as_str().to_owned()),
            display_name: Set(name.as_str().to_owned()),
            status: Set(UserStatus::Active),
            email_verified_at: Set(None),
            last_login_at: Set(None),
            suspended_at: Set(None),
            suspended_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        user_roles::ActiveModel {
            user_id: Set(id),
            role: Set(Role::Member),
            granted_by: Set(None),
            granted_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            meta,
            Entry::new(Action::UserRegistered).by(id).user(id),
        )
        .await?;
        SendVerificationEmail {
            user_id: id,
            next: next.map(|n| n.as_str().to_owned()),
        }
        .enqueue(&txn, ctx)
        .await?;
        txn.commit().await?;
        Ok::<(), db::sea_orm::DbErr>(())
    };
    run.await.map_err(|e| {
        if db::is_unique_violation(&e) {
            CreateError::Taken
        } else {
            CreateError::Other(e.into())
        }
    })
}

/// The owner of a taken address hears of attempts to register it at most this often, so
/// registering someone's address over and over cannot flood their inbox.
const TAKEN_NOTICE_EVERY: chrono::Duration = chrono::Duration::hours(1);

async fn notify_existing(ctx: &Context, meta: &RequestMeta, user_id: Uuid) -> Result<()> {
    let key = format!("taken_notice:{user_id}");
    let due = super::lockout::claim_notice(ctx, &key, TAKEN_NOTICE_EVERY).await?;
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::RegistrationForExistingEmail)
            .user(user_id)
            .details(serde_json::json!({ "owner_told": due })),
    )
    .await?;
    if due {
        SendAlreadyRegisteredEmail { user_id }
            .enqueue(&txn, ctx)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Confirms an address with the token from the verification email.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn verify_email(ctx: &Context, meta: &RequestMeta, raw_token: &str) -> Result<()> {
    let user_id = one_time::consume(ctx, raw_token, Purpose::VerifyEmail).await?;
    let user = find_user(&ctx.main, user_id).await?;
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let txn = db::begin_write(&ctx.main).await?;
    let now = ctx.now();
    users::ActiveModel {
        id: Set(user_id),
        email_verified_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EmailVerified).by(user_id).user(user_id),
    )
    .await?;
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(user_id)).await;
    one_time::void_all(ctx, user_id, Purpose::VerifyEmail).await
}

/// Sends a new verification link if the address has an unverified account; answers the
/// same either way.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn resend_verification(ctx: &Context, meta: &RequestMeta, raw_email: &str) -> Result<()> {
    ctx.limiter
        .hit(
            limit(ctx, "verification_ip", ctx.settings.rate_limit.reset_per_ip),
            meta.ip_or_unknown(),
        )
        .await?;
    let email = Email::parse(raw_email)?;
    let account_key = token::keyed_hash("verify", email.as_str());
    ctx.limiter
        .hit(
            limit(
                ctx,
                "verification_account",
                ctx.settings.rate_limit.verification_per_account,
            ),
            &account_key,
        )
        .await?;
    if let Some(user) = find_user_by_email(&ctx.main, email.as_str()).await? {
        if user.email_verified_at.is_none() {
            queue_verification(ctx, meta, user.id, None).await?;
        }
    }
    Ok(())
}

/// Queues a verification email (also used by support staff, who are then the actor).
pub(crate) async fn queue_verification(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
    actor: Option<Uuid>,
) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    let mut entry = Entry::new(Action::VerificationEmailRequested).user(user_id);
    entry.actor = actor;
    audit::record(&txn, meta, entry).await?;
    SendVerificationEmail {
        user_id,
        next: None,
    }
    .enqueue(&txn, ctx)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Support staff asking for a new verification email on someone's behalf.
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn queue_verification_by(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
    actor: Uuid,
) -> Result<()> {
    queue_verification(ctx, meta, user_id, Some(actor)).await
}
