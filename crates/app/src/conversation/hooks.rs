//! What the rest of the product tells the conversation, inside its own transactions: a
//! member left or was removed, a circle was archived. Each closes the circle's open epoch
//! at once, so that nothing more is posted under a key the departed holds.

use super::open_epoch;
use crate::Result;
use chrono::{DateTime, Utc};
use db::main_db::{
    conversation_devices as devices, conversation_envelopes as envelopes,
    conversation_epochs as epochs, conversation_key_archive as key_archive,
};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::conversation::ClosedReason;
use uuid::Uuid;

/// Closes the circle's open epoch, if there is one, for `reason`.
pub(super) async fn close_open_epoch(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    reason: ClosedReason,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(open) = open_epoch(txn, circle_id).await? {
        let mut row: epochs::ActiveModel = open.into();
        row.closed_at = Set(Some(now));
        row.closed_reason = Set(Some(reason));
        row.update(txn).await?;
    }
    Ok(())
}

/// `user_id` is no longer in the circle (he left, or was removed): the open epoch closes,
/// and the keys wrapped for his devices and sealed in his archive for this circle go —
/// the server hands nothing of the circle to him any more, and keeps nothing he cannot use.
pub(crate) async fn membership_ended(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
    reason: ClosedReason,
    now: DateTime<Utc>,
) -> Result<()> {
    close_open_epoch(txn, circle_id, reason, now).await?;
    let his_devices: Vec<Uuid> = devices::Entity::find()
        .filter(devices::Column::UserId.eq(user_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    envelopes::Entity::delete_many()
        .filter(envelopes::Column::CircleId.eq(circle_id))
        .filter(envelopes::Column::RecipientDeviceId.is_in(his_devices))
        .exec(txn)
        .await?;
    key_archive::Entity::delete_many()
        .filter(key_archive::Column::CircleId.eq(circle_id))
        .filter(key_archive::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The circle was archived: its epoch closes and every wrapped key is deleted, so no
/// device can be given the circle's keys by the server again. The ciphertext itself goes
/// after the archive retention (a job of the live-delivery work).
pub(crate) async fn circle_archived(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    close_open_epoch(txn, circle_id, ClosedReason::CircleArchived, now).await?;
    Ok(envelopes::Entity::delete_many()
        .filter(envelopes::Column::CircleId.eq(circle_id))
        .exec(txn)
        .await?
        .rows_affected)
}
