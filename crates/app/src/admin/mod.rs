//! User administration: list and search users, view one, assign and remove roles, suspend
//! and reactivate accounts. Every function needs the `ManageUsers` grant.

mod first_admin;
mod roles;
mod suspension;

pub use first_admin::create_admin;
pub use roles::{assign_role, remove_role};
pub use suspension::{reactivate, suspend};

use crate::accounts::mfa_enabled;
use crate::authz::{can, roles_of, Granted};
use crate::certification::{self, Certification};
use crate::circles::escape_like;
use crate::codes::error_codes;
use crate::page::{Page, PageRequest};
use crate::{accounts, Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{user_roles, users};
use db::sea_orm::sea_query::{Expr, Func};
use db::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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
    if let Some(id) = page.cursor_as::<Uuid>()? {
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
