//! Two-step verification with TOTP (RFC 6238) and ten single-use recovery codes. The TOTP
//! secret is encrypted at rest; recovery codes are stored as hashes.

use super::errors::AccountError;
use super::password;
use super::recovery::notice;
use super::AccountNotice;
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::{token, Context, Error, RequestMeta, Result};
use db::credentials::{mfa_secrets, password_credentials, recovery_codes};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use qrcode::render::svg;
use qrcode::QrCode;
use serde::Serialize;
use totp_rs::{Algorithm, TOTP};
use uuid::Uuid;

const STEP_SECS: u64 = 30;
const RECOVERY_CODES: usize = 10;

/// What an authenticator app needs to be set up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The shared secret in base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

fn totp(ctx: &Context, secret: Vec<u8>, account: &str) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret,
        Some(ctx.settings.auth.mfa_issuer.clone()),
        account.replace(':', ""),
    )
}

async fn secret_row(ctx: &Context, user_id: Uuid) -> Result<Option<mfa_secrets::Model>> {
    Ok(mfa_secrets::Entity::find_by_id(user_id)
        .one(&ctx.creds)
        .await?)
}

#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn mfa_enabled(ctx: &Context, user_id: Uuid) -> Result<bool> {
    Ok(secret_row(ctx, user_id)
        .await?
        .is_some_and(|r| r.confirmed_at.is_some()))
}

/// Starts enrolment: a new secret, unconfirmed until [`confirm_totp`] sees a valid code.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn start_totp_setup(ctx: &Context, actor: &Actor) -> Result<TotpSetup> {
    let existing = secret_row(ctx, actor.id()).await?;
    if existing.as_ref().is_some_and(|r| r.confirmed_at.is_some()) {
        return Err(Error::MfaAlreadyEnabled);
    }
    let secret = crate::keys::random_bytes(20);
    let (ciphertext, version) = ctx.keys.fields.encrypt(&secret, actor.id().as_bytes());
    let row = mfa_secrets::ActiveModel {
        user_id: Set(actor.id()),
        secret_ciphertext: Set(ciphertext),
        key_version: Set(version),
        last_used_step: Set(None),
        confirmed_at: Set(None),
        created_at: Set(ctx.now()),
    };
    if existing.is_some() {
        row.update(&ctx.creds).await?;
    } else {
        row.insert(&ctx.creds).await?;
    }
    setup_for(ctx, secret, &actor.user.email)
}

/// What the authenticator app needs for `secret`: the base32 text, the URI and its QR code.
fn setup_for(ctx: &Context, secret: Vec<u8>, email: &str) -> Result<TotpSetup> {
    let t = totp(ctx, secret, email);
    let uri = t.get_url();
    let qr_svg = QrCode::new(uri.as_bytes())
        .map_err(|e| Error::Internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(TotpSetup {
        secret: t.get_secret_base32(),
        otpauth_uri: uri,
        qr_svg,
    })
}

/// The set-up started with [`start_totp_setup`] and not yet confirmed, if any: the pages
/// show it again (after a reload or a mistyped code) instead of issuing a new secret the
/// authenticator app does not know.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn pending_totp_setup(ctx: &Context, actor: &Actor) -> Result<Option<TotpSetup>> {
    let Some(row) = secret_row(ctx, actor.id())
        .await?
        .filter(|r| r.confirmed_at.is_none())
    else {
        return Ok(None);
    };
    let secret = ctx
        .keys
        .fields
        .decrypt(
            &row.secret_ciphertext,
            row.key_version,
            row.user_id.as_bytes(),
        )
        .map_err(Error::Internal)?;
    setup_for(ctx, secret, &actor.user.email).map(Some)
}

/// Abandons an unconfirmed set-up; two-step verification stays off.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn cancel_totp_setup(ctx: &Context, meta: &RequestMeta, actor: &Actor) -> Result<()> {
    // Only an unconfirmed secret may go: a confirmed one is removed by `disable_totp`, which
    // asks for the password and a code.
    let removed = mfa_secrets::Entity::delete_many()
        .filter(mfa_secrets::Column::UserId.eq(actor.id()))
        .filter(mfa_secrets::Column::ConfirmedAt.is_null())
        .exec(&ctx.creds)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AccountError::NoMfaSetupToCancel.into());
    }
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::MfaSetupCancelled)
            .by(actor.id())
            .user(actor.id()),
    )
    .await
}

/// Finishes enrolment with a code from the app; returns the recovery codes, shown once.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn confirm_totp(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>> {
    let row = secret_row(ctx, actor.id()).await?;
    let Some(row) = row.filter(|r| r.confirmed_at.is_none()) else {
        return Err(match mfa_enabled(ctx, actor.id()).await? {
            true => Error::MfaAlreadyEnabled,
            false => Error::from(AccountError::MfaSetupNotStarted),
        });
    };
    let Some(step) = matching_step(ctx, &row, &actor.user.email, code)? else {
        return Err(Error::InvalidMfaCode);
    };
    mfa_secrets::ActiveModel {
        user_id: Set(actor.id()),
        confirmed_at: Set(Some(ctx.now())),
        last_used_step: Set(Some(step)),
        ..Default::default()
    }
    .update(&ctx.creds)
    .await?;
    let codes = replace_recovery_codes(ctx, actor.id()).await?;
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::MfaEnabled)
            .by(actor.id())
            .user(actor.id()),
    )
    .await?;
    notice(&txn, ctx, actor.id(), AccountNotice::MfaEnabled).await?;
    txn.commit().await?;
    Ok(codes)
}

/// Turns MFA off; needs the password and a current code (or a recovery code).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn disable_totp(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    password_input: &str,
    code: &str,
) -> Result<()> {
    if !mfa_enabled(ctx, actor.id()).await? {
        return Err(Error::MfaNotEnabled);
    }
    let stored = password_credentials::Entity::find_by_id(actor.id())
        .one(&ctx.creds)
        .await?
        .map(|c| c.password_hash);
    if !password::verify_password(password_input, stored).await? {
        return Err(Error::invalid("password", "Your password is not correct."));
    }
    if check_code(ctx, actor.id(), code).await?.is_none() {
        return Err(Error::InvalidMfaCode);
    }
    remove_secrets(ctx, actor.id()).await?;
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::MfaDisabled)
            .by(actor.id())
            .user(actor.id()),
    )
    .await?;
    notice(&txn, ctx, actor.id(), AccountNotice::MfaDisabled).await?;
    txn.commit().await?;
    Ok(())
}

/// Support's MFA reset: removes the secret and codes without the user's involvement.
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn remove_mfa(ctx: &Context, user_id: Uuid) -> Result<bool> {
    let had = secret_row(ctx, user_id).await?.is_some();
    remove_secrets(ctx, user_id).await?;
    Ok(had)
}

async fn remove_secrets(ctx: &Context, user_id: Uuid) -> Result<()> {
    mfa_secrets::Entity::delete_by_id(user_id)
        .exec(&ctx.creds)
        .await?;
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(&ctx.creds)
        .await?;
    Ok(())
}

/// New recovery codes (the old ones stop working); needs a current TOTP code.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn regenerate_recovery_codes(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>> {
    if !mfa_enabled(ctx, actor.id()).await? {
        return Err(Error::MfaNotEnabled);
    }
    // Only an authenticator code will do; refusing other input here keeps a recovery code
    // typed by mistake from being used up.
    if !looks_like_totp(code) || check_code(ctx, actor.id(), code).await? != Some("totp") {
        return Err(Error::InvalidMfaCode);
    }
    let codes = replace_recovery_codes(ctx, actor.id()).await?;
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::RecoveryCodesRegenerated)
            .by(actor.id())
            .user(actor.id()),
    )
    .await?;
    Ok(codes)
}

async fn replace_recovery_codes(ctx: &Context, user_id: Uuid) -> Result<Vec<String>> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(&ctx.creds)
        .await?;
    let now = ctx.now();
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let rows = codes.iter().map(|c| recovery_codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        code_hash: Set(token::hash(&normalise_recovery_code(c))),
        used_at: Set(None),
        created_at: Set(now),
    });
    recovery_codes::Entity::insert_many(rows)
        .exec(&ctx.creds)
        .await?;
    Ok(codes)
}

/// `xxxxx-xxxxx` from an unambiguous alphabet: 50 bits, easy to read out and type.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = crate::keys::random_bytes(10);
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn looks_like_totp(code: &str) -> bool {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())
}

/// Checks a TOTP code (refusing one already used) or a recovery code (using it up).
/// Returns which kind matched.
pub(crate) async fn check_code(
    ctx: &Context,
    user_id: Uuid,
    code: &str,
) -> Result<Option<&'static str>> {
    let Some(row) = secret_row(ctx, user_id)
        .await?
        .filter(|r| r.confirmed_at.is_some())
    else {
        return Ok(None);
    };
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        let email = super::find_user(&ctx.main, user_id).await?.email;
        let Some(step) = matching_step(ctx, &row, &email, &digits)? else {
            return Ok(None);
        };
        // Conditional update: the same code cannot be accepted twice, even concurrently.
        let fresh = mfa_secrets::Entity::update_many()
            .col_expr(mfa_secrets::Column::LastUsedStep, Expr::value(step))
            .filter(mfa_secrets::Column::UserId.eq(user_id))
            .filter(
                mfa_secrets::Column::LastUsedStep
                    .is_null()
                    .or(mfa_secrets::Column::LastUsedStep.lt(step)),
            )
            .exec(&ctx.creds)
            .await?;
        return Ok((fresh.rows_affected == 1).then_some("totp"));
    }
    let used = recovery_codes::Entity::update_many()
        .col_expr(recovery_codes::Column::UsedAt, Expr::value(ctx.now()))
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::CodeHash.eq(token::hash(&normalise_recovery_code(code))))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .exec(&ctx.creds)
        .await?;
    Ok((used.rows_affected == 1).then_some("recovery_code"))
}

/// The time step (±1 for clock drift) whose code equals `code`.
fn matching_step(
    ctx: &Context,
    row: &mfa_secrets::Model,
    email: &str,
    code: &str,
) -> Result<Option<i64>> {
    let secret = ctx
        .keys
        .fields
        .decrypt(
            &row.secret_ciphertext,
            row.key_version,
            row.user_id.as_bytes(),
        )
        .map_err(Error::Internal)?;
    let t = totp(ctx, secret, email);
    let now = ctx.now().timestamp().max(0) as u64;
    let code = code.trim();
    for offset in [0i64, -1, 1] {
        let time = (now as i64 + offset * STEP_SECS as i64).max(0) as u64;
        if subtle::ConstantTimeEq::ct_eq(t.generate(time).as_bytes(), code.as_bytes()).into() {
            return Ok(Some((time / STEP_SECS) as i64));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_readable_and_forgiving_to_type() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(&c[5..6], "-");
        assert_eq!(normalise_recovery_code(" ABCDE-fghjk "), "abcdefghjk");
    }
}
