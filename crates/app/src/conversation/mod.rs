//! A circle's conversation, end-to-end encrypted (issue 12; docs/architecture.md).
//!
//! The server never sees a word: browsers encrypt every message under the circle's
//! current *epoch* key, wrap that key for each member device, and sign what they send. What
//! the server keeps and checks is the shape around it — who may take part (the circle's
//! current members and leaders, never a global role, not even a stepped-in Admin: see
//! [`Conversing`]), which devices may receive keys, which epoch is open, the order of
//! messages — so that it can *remove* a reader (a member who leaves, a revoked device) but
//! never add one.
//!
//! Every write runs in one write transaction under the circle's lock and, after its
//! commit, rings the circle's bell ([`notify_changed`]) so live connections re-read.

pub mod devices;
pub mod epochs;
pub mod errors;
mod hooks;
pub mod identity;
pub mod jobs;
pub mod key_archive;
pub mod live;
pub mod messages;
pub mod notes;
pub mod presence;
mod reading;
pub mod roster;
pub mod settings;
pub mod view;

pub use crate::authz::circle::{converse, Conversing};
pub use errors::ConversationError;
pub(crate) use hooks::{circle_archived, membership_ended};

use crate::circles::{lock_circle, refuse_if_archived};
use crate::{Context, Result};
use db::main_db::circles;
use db::main_db::{
    circle_memberships as memberships, conversation_devices as device_rows,
    conversation_epochs as epoch_rows, conversation_rosters as rosters,
    conversation_settings as settings_rows,
};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::circle::MembershipStatus;
use uuid::Uuid;

/// Tells every live connection to the circle's conversation, on every instance, that
/// something changed, so it re-reads from the database (the source of truth). Rung after
/// each commit that changes a conversation; the signal is the circle's id and nothing else.
pub(crate) async fn notify_changed(ctx: &Context, circle_id: Uuid) {
    ctx.bus
        .ring(crate::bus::Channel::Conversation, circle_id.to_string())
        .await;
}

/// Locks the circle for a conversation write; archived circles take none.
async fn lock_for_write(txn: &impl ConnectionTrait, circle_id: Uuid) -> Result<circles::Model> {
    let circle = lock_circle(txn, circle_id).await?;
    refuse_if_archived(&circle)?;
    Ok(circle)
}

/// One of `user_id`'s devices that may receive keys and post: his, approved, not revoked.
async fn usable_device(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    device_id: Uuid,
) -> Result<device_rows::Model> {
    let device = device_rows::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .filter(|d| d.user_id == user_id)
        .ok_or(ConversationError::NotYourDevice)?;
    if device.revoked_at.is_some() {
        return Err(ConversationError::DeviceRevoked.into());
    }
    if device.certificate.is_none() {
        return Err(ConversationError::DeviceNotApproved.into());
    }
    Ok(device)
}

/// The circle's newest epoch, open or closed.
async fn latest_epoch(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
) -> Result<Option<epoch_rows::Model>> {
    Ok(epoch_rows::Entity::find()
        .filter(epoch_rows::Column::CircleId.eq(circle_id))
        .order_by_desc(epoch_rows::Column::Number)
        .one(db)
        .await?)
}

/// The circle's open epoch, if any (there is at most one: the newest).
async fn open_epoch(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
) -> Result<Option<epoch_rows::Model>> {
    Ok(latest_epoch(db, circle_id).await?.filter(|e| e.is_open()))
}

/// The circle's newest signed roster.
async fn latest_roster(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
) -> Result<Option<rosters::Model>> {
    Ok(rosters::Entity::find()
        .filter(rosters::Column::CircleId.eq(circle_id))
        .order_by_desc(rosters::Column::Version)
        .one(db)
        .await?)
}

/// The circle's conversation settings (the defaults when none were saved).
async fn settings_of(db: &impl ConnectionTrait, circle_id: Uuid) -> Result<settings_rows::Model> {
    Ok(settings_rows::Entity::find_by_id(circle_id)
        .one(db)
        .await?
        .unwrap_or(settings_rows::Model {
            circle_id,
            share_history: false,
            disappearing_days: None,
        }))
}

/// The circle's active memberships, leaders included.
async fn active_members(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
) -> Result<Vec<memberships::Model>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .order_by_asc(memberships::Column::UserId)
        .all(db)
        .await?)
}
