//! The browsers a user talks from. Each registers its public keys under a name he can
//! recognise; it receives circle keys only once certified by his identity key (signed by
//! itself after a recovery, or approved from another of his devices) and never again once
//! he revokes it.

use super::errors::ConversationError;
use super::hooks::close_open_epoch;
use super::identity::locked_circles_of;
use super::notify_changed;
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor};
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{
    conversation_devices as devices, conversation_envelopes as envelopes,
    conversation_identities as identities,
};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use domain::conversation::{ClosedReason, PublicKey, Signature, Transfer, MAX_DEVICE_NAME_CHARS};
use domain::SingleLine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A device as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub ecdh_public: String,
    pub signing_public: String,
    /// The identity key's signature over the device's keys; none while pending.
    pub certificate: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Waiting to be approved (no certificate yet).
    pub pending: bool,
}

impl From<devices::Model> for Device {
    fn from(d: devices::Model) -> Self {
        Device {
            pending: d.certificate.is_none(),
            id: d.id,
            name: d.name,
            ecdh_public: d.ecdh_public,
            signing_public: d.signing_public,
            certificate: d.certificate,
            created_at: d.created_at,
            last_seen_at: d.last_seen_at,
            revoked_at: d.revoked_at,
        }
    }
}

/// A browser registering itself.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewDevice {
    /// A UUID v4 the browser chose (it is part of what the certificate signs).
    pub id: Uuid,
    /// What the user calls it ("Laptop, Firefox"): 1–60 characters.
    #[schema(value_type = String, max_length = 60)]
    pub name: SingleLine<MAX_DEVICE_NAME_CHARS>,
    pub ecdh_public: PublicKey,
    pub signing_public: PublicKey,
    /// Present when the browser holds the identity key (his first device, or one unlocked
    /// with the recovery key or passphrase); absent while it waits for approval.
    pub certificate: Option<Signature>,
}

/// A device's certificate, and the backup's plaintext encrypted to it, from another of
/// the user's devices (or from itself after a recovery, without `transfer`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewApproval {
    pub certificate: Signature,
    pub transfer: Option<Transfer>,
}

/// What a pending device picks up once approved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Approval {
    pub certificate: String,
    pub transfer: Option<String>,
}

/// The actor's devices, newest first, revoked ones included.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn my_devices(ctx: &Context, actor: &Actor) -> Result<Vec<Device>> {
    actor.require::<can::Participate>()?;
    Ok(devices::Entity::find()
        .filter(devices::Column::UserId.eq(actor.id()))
        .order_by_desc(devices::Column::CreatedAt)
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(Device::from)
        .collect())
}

/// Registers a device of the actor's (after his identity key exists).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn register(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    input: NewDevice,
) -> Result<Device> {
    actor.require::<can::Participate>()?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            "name",
            "Give the device a name you will recognise.",
        ));
    }
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    if identities::Entity::find_by_id(actor.id())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(ConversationError::IdentityMissing.into());
    }
    if devices::Entity::find_by_id(input.id)
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ConversationError::DeviceExists.into());
    }
    let row = devices::ActiveModel {
        id: Set(input.id),
        user_id: Set(actor.id()),
        name: Set(name.to_owned()),
        ecdh_public: Set(input.ecdh_public.into_inner()),
        signing_public: Set(input.signing_public.into_inner()),
        certificate: Set(input.certificate.map(Signature::into_inner)),
        transfer: Set(None),
        created_at: Set(now),
        last_seen_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ConversationDeviceRegistered)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "device_id": row.id, "name": row.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Approves a pending device of the actor's: stores its certificate and the transfer.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), device_id = %id), err(level = "info"))]
pub async fn approve(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    id: Uuid,
    input: NewApproval,
) -> Result<Device> {
    actor.require::<can::Participate>()?;
    let txn = db::begin_write(&ctx.main).await?;
    let device = own_device(&txn, actor, id).await?;
    if device.revoked_at.is_some() {
        return Err(ConversationError::DeviceRevoked.into());
    }
    if device.certificate.is_some() {
        return Err(ConversationError::DeviceAlreadyApproved.into());
    }
    let mut row: devices::ActiveModel = device.into();
    row.certificate = Set(Some(input.certificate.into_inner()));
    row.transfer = Set(input.transfer.map(Transfer::into_inner));
    let row = row.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ConversationDeviceApproved)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "device_id": row.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// The certificate and transfer of an approved device (`NotFound` while it is pending).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), device_id = %id), err(level = "info"))]
pub async fn approval(ctx: &Context, actor: &Actor, id: Uuid) -> Result<Approval> {
    actor.require::<can::Participate>()?;
    let device = own_device(&ctx.main, actor, id).await?;
    if device.revoked_at.is_some() {
        return Err(ConversationError::DeviceRevoked.into());
    }
    let certificate = device.certificate.ok_or(Error::NotFound("approval"))?;
    Ok(Approval {
        certificate,
        transfer: device.transfer,
    })
}

/// Revokes one of the actor's devices: it gets no more keys, cannot post, and the keys
/// wrapped for it are deleted. An approved device held circle keys, so the open epoch of
/// each of his circles closes.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), device_id = %id), err(level = "info"))]
pub async fn revoke(ctx: &Context, meta: &RequestMeta, actor: &Actor, id: Uuid) -> Result<Device> {
    actor.require::<can::Participate>()?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let device = own_device(&txn, actor, id).await?;
    if device.revoked_at.is_some() {
        return Ok(device.into());
    }
    // An approved device held circle keys: the epochs it could read close.
    let circles = if device.certificate.is_some() {
        locked_circles_of(&txn, actor.id()).await?
    } else {
        Vec::new()
    };
    envelopes::Entity::delete_many()
        .filter(envelopes::Column::RecipientDeviceId.eq(id))
        .exec(&txn)
        .await?;
    let mut row: devices::ActiveModel = device.into();
    row.revoked_at = Set(Some(now));
    row.transfer = Set(None);
    let row = row.update(&txn).await?;
    for circle_id in &circles {
        close_open_epoch(&txn, *circle_id, ClosedReason::DeviceRevoked, now).await?;
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ConversationDeviceRevoked)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "device_id": id })),
    )
    .await?;
    txn.commit().await?;
    for circle_id in &circles {
        notify_changed(ctx, *circle_id).await;
    }
    Ok(row.into())
}

/// Revokes the browser's device as its user signs out there: signing out erases the
/// browser's storage, keys included, so the device could never read again, and envelopes
/// must stop going to it (the open epochs of his circles close, as for any revocation).
/// `None` when `id` names no device of his (nothing to revoke; the sign-out goes on).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), device_id = %id), err(level = "info"))]
pub async fn revoke_at_sign_out(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<Device>> {
    match revoke(ctx, meta, actor, id).await {
        Ok(device) => Ok(Some(device)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One of the actor's own devices (another's is `NotFound`, saying nothing about it).
async fn own_device(
    db: &impl db::sea_orm::ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<devices::Model> {
    devices::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|d| d.user_id == actor.id())
        .ok_or(Error::NotFound("device"))
}
