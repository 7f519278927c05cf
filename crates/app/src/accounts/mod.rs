//! Accounts: registration and email verification, login with optional TOTP step,
//! sessions with rotating refresh tokens, password change and reset, MFA enrolment.

pub mod device;
pub mod errors;
pub mod jobs;
mod lockout;
mod login;
mod mfa;
mod one_time;
mod password;
mod photo;
mod profile;
mod recovery;
mod register;
mod sessions;
mod shared;

pub use jobs::AccountNotice;
pub use lockout::{clear_lockouts, lockout_status, LockoutStatus};
pub use login::{login, login_browser, login_mfa, login_mfa_browser, BrowserLogin, LoginOutcome};
pub use mfa::{
    cancel_totp_setup, confirm_totp, disable_totp, mfa_enabled, pending_totp_setup,
    regenerate_recovery_codes, remove_mfa, start_totp_setup, TotpSetup,
};
pub use one_time::Purpose;
pub use password::{hash_password, verify_password};
pub use photo::{
    photo, process_photo, remove_photo, set_photo, Photo, IMAGE_WORKERS, MAX_PHOTO_BYTES,
    MAX_SOURCE_PIXELS, PHOTO_CONTENT_TYPE, PHOTO_MAX_SIDE,
};
pub use profile::{me, photo_url, update_profile, Profile, ProfileChanges};
pub use recovery::{change_password, notice as notice_in, request_password_reset, reset_password};
pub use register::{
    queue_verification_by, register, register_then, resend_verification, verify_email, Registration,
};
pub use sessions::{announce, Changed, SessionCache, TTL_ALONE, TTL_SHARED};
pub use sessions::{
    authenticate, authenticate_browser, list_sessions, logout, refresh, revoke_all_sessions,
    revoke_other_sessions, revoke_session, BrowserSession, SessionInfo, TokenPair,
};
pub use shared::SharedProfile;

use crate::{Error, Result};
use db::main_db::users;
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

pub(crate) async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> Result<users::Model> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("user"))
}

pub(crate) async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// Issues a one-time token for an email link (used by the job worker).
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn issue_token(ctx: &crate::Context, user_id: Uuid, purpose: Purpose) -> Result<String> {
    one_time::issue(ctx, user_id, purpose).await
}

/// The display names of these people, by id (only the names: no other column is read).
pub(crate) async fn display_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>> {
    use db::sea_orm::QuerySelect;
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::DisplayName)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
