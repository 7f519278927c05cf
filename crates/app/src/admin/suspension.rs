//! Suspending and reactivating accounts; the last active Admin stays.

use super::{get_user, AdminError, UserDetail};
use crate::accounts::revoke_all_sessions;
use crate::accounts::AccountNotice;
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Granted};
use crate::{accounts, Context, Error, RequestMeta, Result};
use db::main_db::{user_roles, users};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use domain::{Role, UserStatus};
use uuid::Uuid;
/// Suspends an account: it cannot sign in and its sessions end at once.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn suspend(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::ManageUsers>,
    user_id: Uuid,
    reason: &str,
) -> Result<UserDetail> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid(
            "reason",
            "Give a reason of 1–500 characters; the user and other admins will see it.",
        ));
    }
    if user_id == g.actor_id() {
        return Err(AdminError::CannotSuspendSelf.into());
    }
    let user = accounts::find_user(&ctx.main, user_id).await?;
    if !user.status.is_suspended() {
        let now = ctx.now();
        let txn = db::begin_write(&ctx.main).await?;
        if is_last_active_admin(&txn, user_id).await? {
            return Err(AdminError::LastActiveAdmin.into());
        }
        users::ActiveModel {
            id: Set(user_id),
            status: Set(UserStatus::Suspended),
            suspended_at: Set(Some(now)),
            suspended_reason: Set(Some(reason.to_owned())),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        audit::record(
            &txn,
            meta,
            Entry::new(Action::UserSuspended)
                .by(g.actor_id())
                .user(user_id)
                .details(serde_json::json!({ "reason": reason })),
        )
        .await?;
        crate::accounts::notice_in(&txn, ctx, user_id, AccountNotice::Suspended).await?;
        txn.commit().await?;
        revoke_all_sessions(ctx, user_id, None, "suspended").await?;
    }
    get_user(ctx, g, user_id).await
}

/// Whether `user_id` is the only active Admin. Locks the Admins' rows on PostgreSQL so two
/// Admins suspending each other at once cannot both succeed (SQLite's write gate already
/// serialises).
async fn is_last_active_admin(
    txn: &db::sea_orm::DatabaseTransaction,
    user_id: Uuid,
) -> Result<bool> {
    let admin_ids = db::sea_orm::sea_query::Query::select()
        .column(user_roles::Column::UserId)
        .from(user_roles::Entity)
        .and_where(Expr::col(user_roles::Column::Role).eq(Role::Admin))
        .to_owned();
    let query = users::Entity::find().filter(users::Column::Id.in_subquery(admin_ids));
    let admins = if txn.get_database_backend() == DbBackend::Postgres {
        query.lock_exclusive().all(txn).await?
    } else {
        query.all(txn).await?
    };
    let active: Vec<_> = admins.iter().filter(|u| u.status.may_sign_in()).collect();
    Ok(active.len() <= 1 && active.iter().any(|u| u.id == user_id))
}

#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn reactivate(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::ManageUsers>,
    user_id: Uuid,
) -> Result<UserDetail> {
    let user = accounts::find_user(&ctx.main, user_id).await?;
    if user.status.is_suspended() {
        let txn = db::begin_write(&ctx.main).await?;
        users::ActiveModel {
            id: Set(user_id),
            status: Set(UserStatus::Active),
            suspended_at: Set(None),
            suspended_reason: Set(None),
            updated_at: Set(ctx.now()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        audit::record(
            &txn,
            meta,
            Entry::new(Action::UserReactivated)
                .by(g.actor_id())
                .user(user_id),
        )
        .await?;
        crate::accounts::notice_in(&txn, ctx, user_id, AccountNotice::Reactivated).await?;
        txn.commit().await?;
        crate::accounts::announce(ctx, crate::accounts::Changed::User(user_id)).await;
    }
    get_user(ctx, g, user_id).await
}
