//! A person's signed-in devices: listing them, signing one out, or all of them.

use super::idle_limit;
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::credentials::sessions;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

/// Revokes sessions of `user_id`: one (`only`), or all but one (`except`), or all.
pub(super) async fn revoke_where(
    ctx: &Context,
    user_id: Uuid,
    only: Option<Uuid>,
    except: Option<Uuid>,
    reason: &str,
) -> Result<u64> {
    let mut q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(ctx.now()))
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(id) = only {
        q = q.filter(sessions::Column::Id.eq(id));
    }
    if let Some(id) = except {
        q = q.filter(sessions::Column::Id.ne(id));
    }
    let ended = q.exec(&ctx.creds).await?.rows_affected;
    if ended > 0 {
        // Live connections opened with these sessions (on any instance) close now rather
        // than at their next check.
        ctx.bus
            .ring(crate::bus::Channel::Sessions, user_id.to_string())
            .await;
    }
    Ok(ended)
}

/// Ends every session of a user except `keep` (password change keeps the current one).
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn revoke_all_sessions(
    ctx: &Context,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<u64> {
    revoke_where(ctx, user_id, None, keep, reason).await
}

#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn logout(ctx: &Context, meta: &RequestMeta, actor: &Actor) -> Result<()> {
    revoke_where(ctx, actor.id(), Some(actor.session_id), None, "logout").await?;
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::Logout).by(actor.id()).user(actor.id()),
    )
    .await
}

/// A live session, as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The session this request belongs to.
    pub current: bool,
}

#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn list_sessions(ctx: &Context, actor: &Actor) -> Result<Vec<SessionInfo>> {
    let rows = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(actor.id()))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(ctx.now()))
        .filter(sessions::Column::LastUsedAt.gt(ctx.now() - idle_limit(ctx)))
        .order_by_desc(sessions::Column::LastUsedAt)
        .all(&ctx.creds)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == actor.session_id,
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), session_id = %session_id), err(level = "info"))]
pub async fn revoke_session(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    session_id: Uuid,
) -> Result<()> {
    if revoke_where(ctx, actor.id(), Some(session_id), None, "revoked").await? == 0 {
        return Err(Error::NotFound("session"));
    }
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::SessionRevoked)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "session_id": session_id })),
    )
    .await
}

/// Ends every session of the actor except the one making the request ("sign out
/// everywhere else"); answers how many ended.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn revoke_other_sessions(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
) -> Result<u64> {
    let ended = revoke_where(ctx, actor.id(), None, Some(actor.session_id), "revoked").await?;
    audit::record_alone(
        &ctx.main,
        meta,
        Entry::new(Action::OtherSessionsRevoked)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    Ok(ended)
}
