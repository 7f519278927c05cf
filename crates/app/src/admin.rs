//! User administration: list and search users, view one, assign and remove roles, suspend
//! and reactivate accounts. Every function needs the `ManageUsers` grant.

use crate::accounts::AccountNotice;
use crate::accounts::{mfa_enabled, revoke_all_sessions};
use crate::audit::{self, Action, Entry};
use crate::authz::{can, roles_of, Granted};
use crate::certification::{self, Certification};
use crate::codes::error_codes;
use crate::page::{Page, PageRequest};
use crate::{accounts, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{user_roles, users};
use db::sea_orm::sea_query::{Expr, Func};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use domain::SingleLine;
use domain::{Role, UserStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

error_codes! {
    /// The administration feature's refusals, with their stable codes.
    pub enum AdminError in "Administration" {
        CannotGrantSelf = Forbidden("cannot_grant_self", "Nobody gives himself a role: ask another Admin."),
        CertificationRequired = Conflict("certification_required", "Only a certified facilitator can hold the Facilitator role; record a certification first."),
        MemberRoleRequired = Conflict("member_role_required", "Every account is a Member; this role cannot be removed."),
        LastAdmin = Conflict("last_admin", "This is the only Admin; grant the role to someone else first."),
        LastActiveAdmin = Conflict("last_admin", "This is the only active Admin; the platform would have nobody to administer it."),
        CannotSuspendSelf = Conflict("cannot_suspend_self", "You cannot suspend your own account."),
    }
}

/// A user as administrators see them (never a credential).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `active` or `suspended`.
    #[schema(value_type = String)]
    pub status: UserStatus,
    pub email_verified: bool,
    #[schema(value_type = Vec<crate::api_schema::Role>)]
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub summary: UserSummary,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_reason: Option<String>,
    pub mfa_enabled: bool,
    pub certifications: Vec<Certification>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Part of an email address or display name.
    #[param(inline)]
    pub q: Option<SingleLine<254>>,
    #[param(value_type = Option<crate::api_schema::Role>)]
    pub role: Option<Role>,
    /// `active` or `suspended`.
    #[param(inline)]
    pub status: Option<SingleLine<16>>,
}

pub(crate) async fn summary(ctx: &Context, u: users::Model) -> Result<UserSummary> {
    let roles = roles_of(&ctx.main, u.id).await?;
    Ok(summary_with(u, roles))
}

fn summary_with(u: users::Model, roles: Vec<Role>) -> UserSummary {
    UserSummary {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        status: u.status,
        email_verified: u.email_verified_at.is_some(),
        roles,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
    }
}

/// The roles of every user on a page, in one query instead of one per user.
async fn roles_of_many(
    ctx: &Context,
    ids: Vec<Uuid>,
) -> Result<std::collections::HashMap<Uuid, Vec<Role>>> {
    let rows = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.is_in(ids))
        .all(&ctx.main)
        .await?;
    let mut by_user: std::collections::HashMap<Uuid, Vec<Role>> = std::collections::HashMap::new();
    for r in rows {
        by_user.entry(r.user_id).or_default().push(r.role);
    }
    by_user.values_mut().for_each(|roles| roles.sort());
    Ok(by_user)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Newest accounts first, filtered; cursor pagination by id (UUIDv7 is time-ordered).
#[tracing::instrument(skip_all, fields(actor_id = %_g.actor_id()), err(level = "info"))]
pub async fn list_users(
    ctx: &Context,
    _g: Granted<can::ManageUsers>,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<Page<UserSummary>> {
    let limit = page.limit()?;
    let mut q = users::Entity::find().order_by_desc(users::Column::Id);
    if let Some(cursor) = &page.cursor {
        let id: Uuid = cursor.parse().map_err(|_| {
            Error::invalid(
                "cursor",
                "This cursor is not valid; start from the first page.",
            )
        })?;
        q = q.filter(users::Column::Id.lt(id));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > 254 {
            return Err(Error::invalid("q", "Search for at most 254 characters."));
        }
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let name = Expr::expr(Func::lower(Expr::col((
            users::Entity,
            users::Column::DisplayName,
        ))));
        q = q.filter(
            Condition::any()
                .add(
                    Expr::col((users::Entity, users::Column::Email))
                        .like(db::sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(name.like(db::sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))),
        );
    }
    if let Some(status) = &filter.status {
        let status = UserStatus::parse(status)
            .ok_or_else(|| Error::invalid("status", "Status is either active or suspended."))?;
        q = q.filter(users::Column::Status.eq(status));
    }
    if let Some(role) = filter.role {
        q = q.filter(
            users::Column::Id.in_subquery(
                db::sea_orm::sea_query::Query::select()
                    .column(user_roles::Column::UserId)
                    .from(user_roles::Entity)
                    .and_where(Expr::col(user_roles::Column::Role).eq(role))
                    .to_owned(),
            ),
        );
    }
    let rows = q.limit(limit + 1).all(&ctx.main).await?;
    let page = Page::from_rows(rows, limit, |u| u.id.to_string());
    let mut roles = roles_of_many(ctx, page.items.iter().map(|u| u.id).collect()).await?;
    let items = page
        .items
        .into_iter()
        .map(|u| {
            let held = roles.remove(&u.id).unwrap_or_default();
            summary_with(u, held)
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

#[tracing::instrument(skip_all, fields(actor_id = %_g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn get_user(
    ctx: &Context,
    _g: Granted<can::ManageUsers>,
    user_id: Uuid,
) -> Result<UserDetail> {
    let u = accounts::find_user(&ctx.main, user_id).await?;
    let (suspended_at, suspended_reason) = (u.suspended_at, u.suspended_reason.clone());
    Ok(UserDetail {
        summary: summary(ctx, u).await?,
        suspended_at,
        suspended_reason,
        mfa_enabled: mfa_enabled(ctx, user_id).await?,
        certifications: certification::of_user(ctx, user_id).await?,
    })
}

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
    get_user(ctx, g, user_id).await
}

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
    }
    get_user(ctx, g, user_id).await
}

/// Creates an active, verified Admin from the terminal (`circles admin create`), or grants
/// Admin to an existing account with that address.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn create_admin(
    ctx: &Context,
    email: &str,
    display_name: &str,
    password: &str,
) -> Result<Uuid> {
    let meta = RequestMeta::system();
    let email = domain::Email::parse(email)?;
    let name = domain::DisplayName::parse(display_name)?;
    let new_password = domain::NewPassword::parse(password, &[email.as_str(), name.as_str()])?;
    let user_id = match accounts::find_user_by_email(&ctx.main, email.as_str()).await? {
        Some(u) => u.id,
        None => {
            accounts::register(
                ctx,
                &meta,
                &accounts::Registration {
                    email: email.as_str().to_owned(),
                    password: new_password.expose().to_owned(),
                    display_name: name.as_str().to_owned(),
                },
            )
            .await?;
            accounts::find_user_by_email(&ctx.main, email.as_str())
                .await?
                .ok_or(Error::NotFound("user"))?
                .id
        }
    };
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if user.email_verified_at.is_none() {
        users::ActiveModel {
            id: Set(user_id),
            email_verified_at: Set(Some(now)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    if user_roles::Entity::find_by_id((user_id, Role::Admin))
        .one(&txn)
        .await?
        .is_none()
    {
        user_roles::ActiveModel {
            user_id: Set(user_id),
            role: Set(Role::Admin),
            granted_by: Set(None),
            granted_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        &meta,
        Entry::new(Action::AdminCreatedFromTerminal).user(user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(user_id)
}
