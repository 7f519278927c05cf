//! A user's identity key and his key backup: the one signing key that certifies each of
//! his devices, and his private keys encrypted under his recovery key (and passphrase),
//! which only his browser can open. Starting fresh keys revokes everything that hung on
//! the old identity.

use super::errors::ConversationError;
use super::hooks::close_open_epoch;
use super::notify_changed;
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor};
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{
    circle_memberships as memberships, conversation_devices as devices,
    conversation_envelopes as envelopes, conversation_identities as identities,
    conversation_key_archive as key_archive,
};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::circle::MembershipStatus;
use domain::conversation::{ClosedReason, PublicKey, MAX_BACKUP_CHARS};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The key backup: JSON text the browser made (`{"v":1,"recovery":…,"passphrase":…}`),
/// at most 16 KiB. The server checks only that it is a JSON object of that size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Backup(String);

impl TryFrom<String> for Backup {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text.chars().count() > MAX_BACKUP_CHARS {
            return Err(format!(
                "The backup must be at most {MAX_BACKUP_CHARS} characters of JSON text."
            ));
        }
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(_)) => Ok(Backup(text)),
            _ => Err("The backup must be the text of a JSON object.".into()),
        }
    }
}

impl From<Backup> for String {
    fn from(b: Backup) -> String {
        b.0
    }
}

impl utoipa::PartialSchema for Backup {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(MAX_BACKUP_CHARS))
            .description(Some(
                "The encrypted key backup as JSON text (a string holding a JSON object); opaque to the server.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Backup {}

/// What a user sends to set up his conversation keys.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewIdentity {
    pub identity_public: PublicKey,
    pub backup: Backup,
}

/// A user's identity key and backup, as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Identity {
    /// SPKI of the identity signing key, base64url.
    pub identity_public: String,
    /// The encrypted key backup, JSON text.
    pub backup: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<identities::Model> for Identity {
    fn from(m: identities::Model) -> Self {
        Identity {
            identity_public: m.identity_public,
            backup: m.backup,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The actor's identity key and backup (`NotFound` before he has set them up).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn my_identity(ctx: &Context, actor: &Actor) -> Result<Identity> {
    actor.require::<can::Participate>()?;
    identities::Entity::find_by_id(actor.id())
        .one(&ctx.main)
        .await?
        .map(Identity::from)
        .ok_or(Error::NotFound("conversation identity"))
}

/// Sets up the actor's identity key and backup, once (`identity_exists` after that:
/// changing the key is a reset).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn create_identity(ctx: &Context, actor: &Actor, input: NewIdentity) -> Result<Identity> {
    actor.require::<can::Participate>()?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    if identities::Entity::find_by_id(actor.id())
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ConversationError::IdentityExists.into());
    }
    let row = identities::ActiveModel {
        user_id: Set(actor.id()),
        identity_public: Set(input.identity_public.into_inner()),
        backup: Set(input.backup.into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Replaces the actor's backup (a passphrase added or changed); the key stays.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn replace_backup(ctx: &Context, actor: &Actor, backup: Backup) -> Result<Identity> {
    actor.require::<can::Participate>()?;
    let txn = db::begin_write(&ctx.main).await?;
    let current = identities::Entity::find_by_id(actor.id())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("conversation identity"))?;
    let mut row: identities::ActiveModel = current.into();
    row.backup = Set(backup.into());
    row.updated_at = Set(ctx.now());
    let row = row.update(&txn).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// What starting fresh keys did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResetReport {
    /// Devices revoked (every one he had).
    pub devices_revoked: u64,
    /// Circles whose open epoch closed: their leaders sign a roster with his new key.
    pub circles: Vec<Uuid>,
}

/// Starts fresh keys: revokes all the actor's devices, deletes his identity, backup and
/// key archive, and closes the open epoch of each of his circles. History his old keys
/// could open is gone for him unless a circle shares it again.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn reset(ctx: &Context, meta: &RequestMeta, actor: &Actor) -> Result<ResetReport> {
    actor.require::<can::Participate>()?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circles = locked_circles_of(&txn, actor.id()).await?;
    let devices_revoked = revoke_all_devices(&txn, actor.id(), now).await?;
    identities::Entity::delete_by_id(actor.id())
        .exec(&txn)
        .await?;
    key_archive::Entity::delete_many()
        .filter(key_archive::Column::UserId.eq(actor.id()))
        .exec(&txn)
        .await?;
    for circle_id in &circles {
        close_open_epoch(&txn, *circle_id, ClosedReason::IdentityReset, now).await?;
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ConversationIdentityReset)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "devices_revoked": devices_revoked })),
    )
    .await?;
    txn.commit().await?;
    for circle_id in &circles {
        notify_changed(ctx, *circle_id).await;
    }
    Ok(ResetReport {
        devices_revoked,
        circles,
    })
}

/// Revokes every device of the user not yet revoked and deletes the keys wrapped for them.
async fn revoke_all_devices(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let ids: Vec<Uuid> = devices::Entity::find()
        .filter(devices::Column::UserId.eq(user_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    envelopes::Entity::delete_many()
        .filter(envelopes::Column::RecipientDeviceId.is_in(ids))
        .exec(txn)
        .await?;
    let res = devices::Entity::update_many()
        .col_expr(devices::Column::RevokedAt, Expr::value(now))
        .col_expr(
            devices::Column::Transfer,
            Expr::value(Option::<String>::None),
        )
        .filter(devices::Column::UserId.eq(user_id))
        .filter(devices::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(res.rows_affected)
}

/// The circles the user is an active member (or leader) of.
pub(super) async fn circles_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect())
}

/// The user's circles, each locked (in id order, so two of these never deadlock) before
/// their epochs are touched: a device of another member starting an epoch at the same
/// moment waits, and so cannot wrap a key for a device this transaction revokes.
pub(super) async fn locked_circles_of(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Uuid>> {
    let mut circles = circles_of(txn, user_id).await?;
    circles.sort_unstable();
    for id in &circles {
        crate::circles::lock_circle(txn, *id).await?;
    }
    Ok(circles)
}
