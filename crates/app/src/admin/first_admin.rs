//! The first Admin, made from the terminal.

use crate::audit::{self, Action, Entry};
use crate::{accounts, Context, Error, RequestMeta, Result};
use db::main_db::{user_roles, users};
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::Role;
use uuid::Uuid;

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
    crate::accounts::announce(ctx, crate::accounts::Changed::User(user_id)).await;
    Ok(user_id)
}
