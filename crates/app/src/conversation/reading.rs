//! What one member may read of a circle's conversation: the messages of the epochs his
//! devices hold keys for (or his key archive does), and — unless the circle shares its
//! history — only those sent since he joined.

use super::messages::Message;
use super::settings_of;
use crate::authz::circle::active_membership;
use crate::Result;
use chrono::{DateTime, Utc};
use db::main_db::{
    conversation_devices as devices, conversation_envelopes as envelopes,
    conversation_key_archive as key_archive, conversation_messages as messages,
};
use db::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

/// What of the circle's conversation one member may read: the epochs his devices hold
/// keys for (or his key archive does), and from when.
#[derive(Debug, Clone)]
pub(crate) struct Readable {
    pub epochs: Vec<i32>,
    /// Messages sent before this are not his (`None`: the circle shares its history).
    pub since: Option<DateTime<Utc>>,
}

impl Readable {
    pub(crate) fn condition(&self) -> Condition {
        let mut c = Condition::all().add(messages::Column::Epoch.is_in(self.epochs.clone()));
        if let Some(since) = self.since {
            c = c.add(messages::Column::SentAt.gte(since));
        }
        c
    }
}

/// What `user_id` may read of the circle's conversation now.
pub(crate) async fn readable(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
) -> Result<Readable> {
    let his_devices = devices::Entity::find()
        .select_only()
        .column(devices::Column::Id)
        .filter(devices::Column::UserId.eq(user_id))
        .into_query();
    let mut epochs: Vec<i32> = envelopes::Entity::find()
        .select_only()
        .column(envelopes::Column::Epoch)
        .filter(envelopes::Column::CircleId.eq(circle_id))
        .filter(envelopes::Column::RecipientDeviceId.in_subquery(his_devices))
        .into_tuple()
        .all(db)
        .await?;
    let archived: Vec<i32> = key_archive::Entity::find()
        .select_only()
        .column(key_archive::Column::Epoch)
        .filter(key_archive::Column::CircleId.eq(circle_id))
        .filter(key_archive::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    epochs.extend(archived);
    epochs.sort_unstable();
    epochs.dedup();
    let since = if settings_of(db, circle_id).await?.share_history {
        None
    } else {
        active_membership(db, circle_id, user_id)
            .await?
            .map(|m| m.joined_at.unwrap_or(m.requested_at))
    };
    Ok(Readable { epochs, since })
}

/// The pinned messages the actor may read, oldest first.
pub(crate) async fn pinned(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    can_read: &Readable,
) -> Result<Vec<Message>> {
    Ok(messages::Entity::find()
        .filter(messages::Column::CircleId.eq(circle_id))
        .filter(messages::Column::Pinned.eq(true))
        .filter(can_read.condition())
        .order_by_asc(messages::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(Message::from)
        .collect())
}
