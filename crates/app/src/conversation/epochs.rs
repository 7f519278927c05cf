//! Epochs and envelopes: each epoch of a circle's conversation has its own random key,
//! which a member's device wraps for every device that may read it. A new epoch may start
//! when the last one closed (someone left, a device was revoked), grew old, or predates the
//! newest roster; a device that lacks the current key can be given it later.

use super::errors::ConversationError;
use super::roster::RosterBody;
use super::{
    active_members, latest_epoch, latest_roster, lock_for_write, notify_changed, settings_of,
    usable_device,
};
use crate::authz::circle::Conversing;
use crate::{Context, Error, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{
    conversation_devices as devices, conversation_envelopes as envelopes,
    conversation_epochs as epochs,
};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Set,
};
use domain::conversation::{ClosedReason, Signature, WrappedKey, EPOCH_MAX_AGE_DAYS};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

/// The most envelopes one request may carry: ten members and their leaders with several
/// devices each fit easily.
const MAX_ENVELOPES: usize = 200;

/// An epoch as members see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Epoch {
    pub number: i32,
    /// The roster version whose members' devices the key was wrapped for.
    pub roster_version: i32,
    pub started_at: DateTime<Utc>,
    pub closed: bool,
    /// Why it closed (`member_left`, `member_removed`, `device_revoked`, `identity_reset`,
    /// `rotated`, `circle_archived`).
    #[schema(value_type = Option<String>)]
    pub closed_reason: Option<ClosedReason>,
    pub created_by_device: Uuid,
}

impl From<epochs::Model> for Epoch {
    fn from(e: epochs::Model) -> Self {
        Epoch {
            number: e.number,
            roster_version: e.roster_version,
            started_at: e.started_at,
            closed: e.closed_at.is_some(),
            closed_reason: e.closed_reason,
            created_by_device: e.created_by_device,
        }
    }
}

/// The epoch key wrapped for one device.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewEnvelope {
    pub recipient_device_id: Uuid,
    pub wrapped: WrappedKey,
    pub signature: Signature,
}

/// A device starts the next epoch, with the new key wrapped for every device that may
/// read it (its own included).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewEpoch {
    /// The latest epoch's number plus one (1 for the first).
    pub number: i32,
    pub creator_device_id: Uuid,
    pub envelopes: Vec<NewEnvelope>,
}

/// A device that holds an epoch's key shares it with devices that lack it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SharedEnvelopes {
    pub epoch: i32,
    pub sender_device_id: Uuid,
    pub envelopes: Vec<NewEnvelope>,
}

/// How many keys were shared.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Shared {
    pub epoch: i32,
    pub envelopes: usize,
}

/// Starts the circle's next epoch, closing the open one if it was due for replacement.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn start_epoch(ctx: &Context, conv: &Conversing, input: NewEpoch) -> Result<Epoch> {
    let circle_id = conv.circle_id();
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    usable_device(&txn, conv.actor_id(), input.creator_device_id).await?;
    let roster = latest_roster(&txn, circle_id)
        .await?
        .ok_or(ConversationError::RosterRequired)?;
    let latest = latest_epoch(&txn, circle_id).await?;
    if input.number != latest.as_ref().map_or(0, |e| e.number) + 1 {
        return Err(ConversationError::EpochOutOfDate.into());
    }
    if let Some(current) = latest.filter(|e| e.is_open()) {
        if !is_due(&current, roster.version, now) {
            return Err(ConversationError::EpochNotDue.into());
        }
        let mut row: epochs::ActiveModel = current.into();
        row.closed_at = Set(Some(now));
        row.closed_reason = Set(Some(ClosedReason::Rotated));
        row.update(&txn).await?;
    }
    if !input
        .envelopes
        .iter()
        .any(|e| e.recipient_device_id == input.creator_device_id)
    {
        return Err(ConversationError::OwnEnvelopeMissing.into());
    }
    check_recipients(&txn, circle_id, &input.envelopes).await?;
    let epoch = epochs::ActiveModel {
        circle_id: Set(circle_id),
        number: Set(input.number),
        roster_version: Set(roster.version),
        created_by_device: Set(input.creator_device_id),
        started_at: Set(now),
        closed_at: Set(None),
        closed_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    store(
        &txn,
        circle_id,
        input.number,
        input.creator_device_id,
        input.envelopes,
        now,
    )
    .await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(epoch.into())
}

/// An open epoch may be replaced once it is 30 days old or a newer roster was signed.
fn is_due(current: &epochs::Model, latest_roster: i32, now: DateTime<Utc>) -> bool {
    current.started_at <= now - Duration::days(EPOCH_MAX_AGE_DAYS)
        || current.roster_version < latest_roster
}

/// Shares an epoch's key with devices that lack it: the open epoch with any device that
/// may read it, an older one only when the circle shares its history.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn share_epoch(
    ctx: &Context,
    conv: &Conversing,
    input: SharedEnvelopes,
) -> Result<Shared> {
    let circle_id = conv.circle_id();
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    usable_device(&txn, conv.actor_id(), input.sender_device_id).await?;
    let epoch = epochs::Entity::find_by_id((circle_id, input.epoch))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("epoch"))?;
    if !holds_key(&txn, circle_id, input.epoch, input.sender_device_id).await?
        && !person_holds_key(&txn, circle_id, input.epoch, conv.actor_id()).await?
    {
        return Err(ConversationError::EpochClosed.into());
    }
    if !epoch.is_open() && !settings_of(&txn, circle_id).await?.share_history {
        return Err(ConversationError::HistoryNotShared.into());
    }
    check_recipients(&txn, circle_id, &input.envelopes).await?;
    for e in &input.envelopes {
        if holds_key(&txn, circle_id, input.epoch, e.recipient_device_id).await? {
            return Err(ConversationError::EnvelopeExists.into());
        }
    }
    let count = input.envelopes.len();
    store(
        &txn,
        circle_id,
        input.epoch,
        input.sender_device_id,
        input.envelopes,
        now,
    )
    .await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(Shared {
        epoch: input.epoch,
        envelopes: count,
    })
}

/// Whether `device` holds an envelope for the epoch.
pub(super) async fn holds_key(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    epoch: i32,
    device: Uuid,
) -> Result<bool> {
    Ok(envelopes::Entity::find_by_id((circle_id, epoch, device))
        .one(db)
        .await?
        .is_some())
}

/// Whether any device of `user` holds an envelope for the epoch. A device he added later
/// (approved from another, or unlocked with his recovery key) has the key from his own key
/// archive but no envelope yet; it may then give itself and others one, as the device that
/// received it could.
async fn person_holds_key(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    epoch: i32,
    user: Uuid,
) -> Result<bool> {
    let his_devices = devices::Entity::find()
        .select_only()
        .column(devices::Column::Id)
        .filter(devices::Column::UserId.eq(user))
        .into_query();
    Ok(envelopes::Entity::find()
        .filter(envelopes::Column::CircleId.eq(circle_id))
        .filter(envelopes::Column::Epoch.eq(epoch))
        .filter(envelopes::Column::RecipientDeviceId.in_subquery(his_devices))
        .one(db)
        .await?
        .is_some())
}

/// Each recipient, once, is an approved, unrevoked device of a current member whose
/// identity key is on the newest roster: the server may leave a reader out, never add one.
async fn check_recipients(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    list: &[NewEnvelope],
) -> Result<()> {
    if list.is_empty() || list.len() > MAX_ENVELOPES {
        return Err(Error::invalid(
            "envelopes",
            format!("Send 1 to {MAX_ENVELOPES} envelopes."),
        ));
    }
    let members: HashSet<Uuid> = active_members(txn, circle_id)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let on_roster: HashSet<Uuid> = latest_roster(txn, circle_id)
        .await?
        .and_then(|r| RosterBody::parse(&r.body))
        .map(|b| b.keyed_members().collect())
        .unwrap_or_default();
    let ids: Vec<Uuid> = list.iter().map(|e| e.recipient_device_id).collect();
    if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        return Err(Error::invalid("envelopes", "One envelope per device."));
    }
    let found = devices::Entity::find()
        .filter(devices::Column::Id.is_in(ids.clone()))
        .all(txn)
        .await?;
    for id in ids {
        let allowed = found.iter().find(|d| d.id == id).is_some_and(|d| {
            d.is_usable() && members.contains(&d.user_id) && on_roster.contains(&d.user_id)
        });
        if !allowed {
            return Err(ConversationError::RecipientNotAllowed.with(format!(
                "Device {id} may not receive this circle's keys: keys are wrapped only for approved, unrevoked devices of current members on the signed roster."
            )));
        }
    }
    Ok(())
}

async fn store(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    epoch: i32,
    sender: Uuid,
    list: Vec<NewEnvelope>,
    now: DateTime<Utc>,
) -> Result<()> {
    let rows = list.into_iter().map(|e| envelopes::ActiveModel {
        circle_id: Set(circle_id),
        epoch: Set(epoch),
        recipient_device_id: Set(e.recipient_device_id),
        sender_device_id: Set(sender),
        wrapped: Set(e.wrapped.into_inner()),
        signature: Set(e.signature.into_inner()),
        created_at: Set(now),
    });
    envelopes::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}
