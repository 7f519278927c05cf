//! Granting and removing roles.

use super::{get_user, AdminError, UserDetail};
use crate::accounts::AccountNotice;
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Granted};
use crate::certification::{self};
use crate::{accounts, Context, RequestMeta, Result};
use db::main_db::user_roles;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use domain::Role;
use uuid::Uuid;
/// Grants a role. Facilitator needs a current certification. Granting a held role is a
/// no-op that still answers with the user.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn assign_role(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::ManageUsers>,
    user_id: Uuid,
    role: Role,
) -> Result<UserDetail> {
    if user_id == g.actor_id() {
        return Err(AdminError::CannotGrantSelf.into());
    }
    let user = accounts::find_user(&ctx.main, user_id).await?;
    let txn = db::begin_write(&ctx.main).await?;
    // Checked inside the write transaction, so a revocation running at the same time cannot
    // leave a Facilitator without a current certification.
    if role == Role::Facilitator
        && !certification::is_current_locked(&txn, user_id, ctx.now()).await?
    {
        return Err(AdminError::CertificationRequired.into());
    }
    let held = user_roles::Entity::find_by_id((user_id, role))
        .one(&txn)
        .await?;
    if held.is_none() {
        user_roles::ActiveModel {
            user_id: Set(user_id),
            role: Set(role),
            granted_by: Set(Some(g.actor_id())),
            granted_at: Set(ctx.now()),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            meta,
            Entry::new(Action::RoleGranted)
                .by(g.actor_id())
                .user(user.id)
                .details(serde_json::json!({ "role": role })),
        )
        .await?;
        crate::accounts::notice_in(&txn, ctx, user_id, AccountNotice::RoleGranted).await?;
    }
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(user_id)).await;
    get_user(ctx, g, user_id).await
}

/// Removes a role. Every user stays a Member, and the last Admin cannot be removed.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn remove_role(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::ManageUsers>,
    user_id: Uuid,
    role: Role,
) -> Result<UserDetail> {
    accounts::find_user(&ctx.main, user_id).await?;
    if role == Role::Member {
        return Err(AdminError::MemberRoleRequired.into());
    }
    let txn = db::begin_write(&ctx.main).await?;
    if role == Role::Admin {
        // Lock the Admin rows first (PostgreSQL; SQLite's write gate already serialises), so
        // two Admins removing each other at once cannot both see "another Admin remains".
        let admins_query =
            user_roles::Entity::find().filter(user_roles::Column::Role.eq(Role::Admin));
        let admins = if txn.get_database_backend() == DbBackend::Postgres {
            admins_query.lock_exclusive().all(&txn).await?.len() as u64
        } else {
            admins_query.count(&txn).await?
        };
        let is_admin = user_roles::Entity::find_by_id((user_id, Role::Admin))
            .one(&txn)
            .await?
            .is_some();
        if is_admin && admins <= 1 {
            return Err(AdminError::LastAdmin.into());
        }
    }
    let removed = user_roles::Entity::delete_by_id((user_id, role))
        .exec(&txn)
        .await?;
    if removed.rows_affected > 0 {
        audit::record(
            &txn,
            meta,
            Entry::new(Action::RoleRemoved)
                .by(g.actor_id())
                .user(user_id)
                .details(serde_json::json!({ "role": role })),
        )
        .await?;
    }
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(user_id)).await;
    get_user(ctx, g, user_id).await
}
