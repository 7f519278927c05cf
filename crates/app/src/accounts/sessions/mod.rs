//! Sessions: a short-lived JWT access token plus an opaque refresh token that rotates on
//! every use. Presenting a rotated refresh token again revokes its whole session, since
//! only a thief or a replay would hold it.

mod cache;
mod devices;
mod tokens;

pub use cache::{announce, Changed, SessionCache, TTL_ALONE, TTL_SHARED};

pub use devices::{
    list_sessions, logout, revoke_all_sessions, revoke_other_sessions, revoke_session, SessionInfo,
};
pub(crate) use tokens::{sign, verify_claims, Claims};

use crate::audit::{self, Action, Entry};
use crate::authz::{roles_of, Actor};
use crate::{token, Context, Error, RequestMeta, Result};
use cache::Remembered;
use chrono::{DateTime, Duration, Utc};
use db::credentials::{refresh_tokens, sessions};
use db::main_db::users;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use devices::revoke_where;
use serde::Serialize;
use tokens::{access_token, new_refresh_row};
use uuid::Uuid;

/// Tokens handed to a client after sign-in or refresh.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; usable once.
    pub refresh_token: String,
    pub session_id: Uuid,
}

fn clip(s: &Option<String>, n: usize) -> Option<String> {
    s.as_ref().map(|s| s.chars().take(n).collect())
}

/// Opens a session for a user who has proven who they are.
pub(crate) async fn start_session(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
) -> Result<TokenPair> {
    let now = ctx.now();
    let session_id = Uuid::now_v7();
    let (refresh, refresh_row) = new_refresh_row(session_id, now);
    let txn = db::begin_write(&ctx.creds).await?;
    sessions::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + Duration::days(ctx.settings.auth.refresh_token_ttl_days as i64)),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        user_agent: Set(clip(&meta.user_agent, 256)),
        ip: Set(clip(&meta.ip, 64)),
        cookie_token_hash: Set(None),
    }
    .insert(&txn)
    .await?;
    refresh_row.insert(&txn).await?;
    txn.commit().await?;
    let (access_token, expires_in) = access_token(ctx, user_id, session_id)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: refresh,
        session_id,
    })
}

/// A signed-in browser: the session cookie's value is a random token whose hash the
/// session row keeps.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub session_id: Uuid,
    pub cookie_token: String,
    /// Seconds the cookie may live.
    pub max_age_secs: u64,
}

/// Opens a browser session (pages) for a user who has proven who they are.
pub(crate) async fn start_browser_session(
    ctx: &Context,
    meta: &RequestMeta,
    user_id: Uuid,
) -> Result<BrowserSession> {
    let now = ctx.now();
    let ttl = Duration::days(ctx.settings.auth.refresh_token_ttl_days as i64);
    let raw = token::new_token();
    let session_id = Uuid::now_v7();
    sessions::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + ttl),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        user_agent: Set(clip(&meta.user_agent, 256)),
        ip: Set(clip(&meta.ip, 64)),
        cookie_token_hash: Set(Some(token::hash(&raw))),
    }
    .insert(&ctx.creds)
    .await?;
    Ok(BrowserSession {
        session_id,
        cookie_token: raw,
        max_age_secs: ttl.num_seconds() as u64,
    })
}

/// The actor behind an access token: the token must be valid, its session live and its
/// user active. A session read recently is trusted from memory (see [`cache`]).
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn authenticate(ctx: &Context, access_token: &str) -> Result<Actor> {
    let claims = verify_claims(ctx, access_token, "access").ok_or(Error::Unauthenticated)?;
    let now = ctx.now();
    if let Some(hit) = ctx.sessions.session(claims.sid, now) {
        if hit.actor.id() == claims.sub && hit.live_at(now, idle_limit(ctx)) {
            return Ok(hit.actor);
        }
    }
    let generation = ctx.sessions.generation();
    let session = sessions::Entity::find_by_id(claims.sid)
        .one(&ctx.creds)
        .await?
        .ok_or(Error::SessionRevoked)?;
    if session.user_id != claims.sub {
        return Err(Error::SessionRevoked);
    }
    let actor = actor_for(ctx, &session).await?;
    ctx.sessions
        .remember(generation, Remembered::new(actor.clone(), &session, now));
    Ok(actor)
}

/// The actor behind a session cookie.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn authenticate_browser(ctx: &Context, cookie_token: &str) -> Result<Actor> {
    let hash = token::hash(cookie_token);
    let now = ctx.now();
    let (actor, last_used) = match ctx
        .sessions
        .cookie(&hash, now)
        .filter(|hit| hit.live_at(now, idle_limit(ctx)))
    {
        Some(hit) => (hit.actor, hit.last_used_at),
        None => {
            let generation = ctx.sessions.generation();
            let session = sessions::Entity::find()
                .filter(sessions::Column::CookieTokenHash.eq(hash))
                .one(&ctx.creds)
                .await?
                .ok_or(Error::Unauthenticated)?;
            let actor = actor_for(ctx, &session).await?;
            ctx.sessions
                .remember(generation, Remembered::new(actor.clone(), &session, now));
            (actor, session.last_used_at)
        }
    };
    // Note activity at most every few minutes, not on every page.
    if now - last_used > Duration::minutes(5) {
        sessions::ActiveModel {
            id: Set(actor.session_id),
            last_used_at: Set(now),
            ..Default::default()
        }
        .update(&ctx.creds)
        .await?;
        ctx.sessions.touched(actor.session_id, now);
    }
    Ok(actor)
}

async fn actor_for(ctx: &Context, session: &sessions::Model) -> Result<Actor> {
    let user = users::Entity::find_by_id(session.user_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::Unauthenticated)?;
    // Suspension also ends every session; the holder is told why rather than to sign in
    // again (which would fail anyway).
    if user.status.is_suspended() {
        return Err(Error::AccountSuspended);
    }
    if session.revoked_at.is_some() || session.expires_at <= ctx.now() {
        return Err(Error::SessionRevoked);
    }
    end_if_idle(ctx, session, ctx.now()).await?;
    let roles = roles_of(&ctx.main, user.id).await?;
    Ok(Actor {
        user,
        roles,
        session_id: session.id,
    })
}

fn idle_limit(ctx: &Context) -> Duration {
    Duration::minutes(ctx.settings.auth.session_idle_minutes as i64)
}

/// Refuses, and revokes, a session nobody has used for `auth.session_idle_minutes`: a
/// device left signed in somewhere should not stay a way in for the whole lifetime.
async fn end_if_idle(ctx: &Context, session: &sessions::Model, now: DateTime<Utc>) -> Result<()> {
    if now - session.last_used_at <= idle_limit(ctx) {
        return Ok(());
    }
    revoke_where(ctx, session.user_id, Some(session.id), None, "idle").await?;
    Err(Error::SessionRevoked)
}

/// Exchanges a refresh token for a new pair.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn refresh(ctx: &Context, meta: &RequestMeta, raw: &str) -> Result<TokenPair> {
    let hash = token::hash(raw);
    let presented = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash.as_str()))
        .one(&ctx.creds)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let now = ctx.now();
    let rotated = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(presented.id))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(&ctx.creds)
        .await?;
    let session = sessions::Entity::find_by_id(presented.session_id)
        .one(&ctx.creds)
        .await?
        .ok_or(Error::SessionRevoked)?;
    if rotated.rows_affected == 0 {
        return Err(reuse_detected(ctx, meta, &session).await);
    }
    let user = crate::accounts::find_user(&ctx.main, session.user_id)
        .await
        .map_err(|_| Error::SessionRevoked)?;
    // As in `authenticate`: a suspended holder learns why, not just that the session ended.
    if user.status.is_suspended() {
        return Err(Error::AccountSuspended);
    }
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(Error::SessionRevoked);
    }
    end_if_idle(ctx, &session, now).await?;
    let (refresh, row) = new_refresh_row(session.id, now);
    let txn = db::begin_write(&ctx.creds).await?;
    row.insert(&txn).await?;
    sessions::ActiveModel {
        id: Set(session.id),
        last_used_at: Set(now),
        ip: Set(clip(&meta.ip, 64)),
        user_agent: Set(clip(&meta.user_agent, 256).or(session.user_agent.clone())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    let (access_token, expires_in) = access_token(ctx, user.id, session.id)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: refresh,
        session_id: session.id,
    })
}

async fn reuse_detected(ctx: &Context, meta: &RequestMeta, session: &sessions::Model) -> Error {
    let revoked = revoke_where(ctx, session.user_id, Some(session.id), None, "token_reuse").await;
    let audited = audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::RefreshTokenReused)
            .user(session.user_id)
            .details(serde_json::json!({ "session_id": session.id })),
    )
    .await;
    if let Err(e) = revoked.and(audited) {
        return e;
    }
    tracing::warn!(session = %session.id, "refresh token reused; session revoked");
    Error::SessionRevoked
}
