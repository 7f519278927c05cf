//! The tokens a session hands out: signed access tokens (JWT) and opaque refresh tokens.

use crate::{token, Context, Error, Result};
use chrono::{DateTime, Utc};
use db::credentials::refresh_tokens;
use db::sea_orm::Set;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub sub: Uuid,
    /// Session id for access tokens; unused for MFA challenges.
    pub sid: Uuid,
    /// `access` or `mfa`.
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
}

pub(crate) fn sign(ctx: &Context, claims: &Claims) -> Result<String> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&ctx.keys.token_signing),
    )
    .map_err(|e| Error::Internal(e.into()))
}

pub(crate) fn verify_claims(ctx: &Context, jwt: &str, typ: &str) -> Option<Claims> {
    const LEEWAY_SECS: i64 = 5;
    let mut v = Validation::new(Algorithm::HS256);
    // Expiry is checked against the context's clock below, the one that set `exp`: the
    // library would read the machine's.
    v.validate_exp = false;
    let data =
        decode::<Claims>(jwt, &DecodingKey::from_secret(&ctx.keys.token_signing), &v).ok()?;
    let live = data.claims.exp + LEEWAY_SECS > ctx.now().timestamp();
    (live && data.claims.typ == typ).then_some(data.claims)
}

pub(super) fn access_token(
    ctx: &Context,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<(String, u64)> {
    let ttl = ctx.settings.auth.access_token_ttl_secs;
    let now = ctx.now().timestamp();
    let claims = Claims {
        sub: user_id,
        sid: session_id,
        typ: "access".into(),
        iat: now,
        exp: now + ttl as i64,
    };
    Ok((sign(ctx, &claims)?, ttl))
}

pub(super) fn new_refresh_row(
    session_id: Uuid,
    now: DateTime<Utc>,
) -> (String, refresh_tokens::ActiveModel) {
    let raw = token::new_token();
    let row = refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(token::hash(&raw)),
        created_at: Set(now),
        rotated_at: Set(None),
    };
    (raw, row)
}
