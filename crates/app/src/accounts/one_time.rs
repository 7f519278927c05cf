//! Single-use, expiring tokens sent in email links. Only their hashes are stored, in the
//! credentials database.

use crate::token;
use crate::{Context, Error, Result};
use chrono::Duration;
use db::credentials::one_time_tokens;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    fn lifetime(self, ctx: &Context) -> Duration {
        match self {
            Purpose::VerifyEmail => {
                Duration::hours(ctx.settings.auth.verification_ttl_hours as i64)
            }
            Purpose::ResetPassword => Duration::minutes(ctx.settings.auth.reset_ttl_minutes as i64),
        }
    }
}

/// Creates a token for `user_id` and returns it in the clear (to be emailed, never stored).
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn issue(ctx: &Context, user_id: Uuid, purpose: Purpose) -> Result<String> {
    let raw = token::new_token();
    let now = ctx.now();
    one_time_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token::hash(&raw)),
        expires_at: Set(now + purpose.lifetime(ctx)),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&ctx.creds)
    .await?;
    Ok(raw)
}

/// The user a still-valid token belongs to, without using it up.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn peek(ctx: &Context, raw: &str, purpose: Purpose) -> Result<Uuid> {
    one_time_tokens::Entity::find()
        .filter(one_time_tokens::Column::TokenHash.eq(token::hash(raw)))
        .filter(one_time_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .filter(one_time_tokens::Column::ExpiresAt.gt(ctx.now()))
        .one(&ctx.creds)
        .await?
        .map(|t| t.user_id)
        .ok_or(Error::InvalidToken)
}

/// Uses the token up. Exactly one caller succeeds, however many race.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn consume(ctx: &Context, raw: &str, purpose: Purpose) -> Result<Uuid> {
    let user_id = peek(ctx, raw, purpose).await?;
    let now = ctx.now();
    let used = one_time_tokens::Entity::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::value(now))
        .filter(one_time_tokens::Column::TokenHash.eq(token::hash(raw)))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .filter(one_time_tokens::Column::ExpiresAt.gt(now))
        .exec(&ctx.creds)
        .await?;
    if used.rows_affected == 1 {
        Ok(user_id)
    } else {
        Err(Error::InvalidToken)
    }
}

/// Voids every unused token of one purpose (e.g. after a successful password reset).
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn void_all(ctx: &Context, user_id: Uuid, purpose: Purpose) -> Result<()> {
    one_time_tokens::Entity::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::value(ctx.now()))
        .filter(one_time_tokens::Column::UserId.eq(user_id))
        .filter(one_time_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(&ctx.creds)
        .await?;
    Ok(())
}
