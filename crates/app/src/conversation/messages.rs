//! Messages: ciphertext in the circle's order. A device posts under the open epoch it holds
//! the key of; a retry with the same client id gets the first message back; each member
//! reads the messages of the epochs his devices hold keys for (and, unless the circle
//! shares its history, only from when he joined). Deleting leaves a tombstone.

use super::epochs::holds_key;
use super::errors::ConversationError;
use super::reading::readable;
use super::{lock_for_write, notify_changed, open_epoch, usable_device};
use crate::authz::circle::Conversing;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::conversation_messages as messages;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use domain::conversation::{Ciphertext, Signature};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most messages one page holds.
pub const MAX_PAGE: u64 = 500;
/// A page's size when none is asked for.
pub const DEFAULT_PAGE: u64 = 100;

/// A message as members receive it; a deleted or expired one has no ciphertext.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub seq: i64,
    pub epoch: i32,
    pub sender_device_id: Uuid,
    pub sender_user_id: Uuid,
    pub device_seq: i64,
    pub ciphertext: Option<String>,
    pub signature: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub deleted: bool,
    pub pinned: bool,
}

impl From<messages::Model> for Message {
    fn from(m: messages::Model) -> Self {
        Message {
            seq: m.seq,
            epoch: m.epoch,
            sender_device_id: m.sender_device_id,
            sender_user_id: m.sender_user_id,
            device_seq: m.device_seq,
            deleted: m.ciphertext.is_none(),
            ciphertext: m.ciphertext,
            signature: m.signature,
            sent_at: m.sent_at,
            pinned: m.pinned,
        }
    }
}

/// A page of messages, ascending, and the circle's newest sequence number.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub last_seq: i64,
}

/// What a device sends.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewMessage {
    /// The sender's own id for the message: the same id again returns the first message.
    pub client_id: Uuid,
    pub epoch: i32,
    pub sender_device_id: Uuid,
    /// The device's own counter within the epoch, from 1.
    pub device_seq: i64,
    pub ciphertext: Ciphertext,
    pub signature: Signature,
}

/// Which page to read: after a sequence number (ascending), the page before one, or
/// (neither) the newest page.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub after: Option<i64>,
    pub before: Option<i64>,
    /// At most 500; 100 when not given.
    pub limit: Option<u64>,
}

/// A posted message, and whether this request created it (`false`: a retry).
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: Message,
    pub created: bool,
}

/// Posts a message under the open epoch from one of the actor's devices.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn post(ctx: &Context, conv: &Conversing, input: NewMessage) -> Result<Posted> {
    if input.device_seq < 1 {
        return Err(Error::invalid("device_seq", "Count from 1."));
    }
    let circle_id = conv.circle_id();
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    if let Some(first) = by_client_id(&txn, circle_id, input.client_id).await? {
        if first.sender_user_id != conv.actor_id() {
            return Err(ConversationError::ClientIdReused.into());
        }
        return Ok(Posted {
            message: first.into(),
            created: false,
        });
    }
    usable_device(&txn, conv.actor_id(), input.sender_device_id).await?;
    let open = open_epoch(&txn, circle_id).await?;
    if open.is_none_or(|e| e.number != input.epoch)
        || !holds_key(&txn, circle_id, input.epoch, input.sender_device_id).await?
    {
        return Err(ConversationError::EpochClosed.into());
    }
    if sequence_taken(&txn, circle_id, &input).await? {
        return Err(ConversationError::DuplicateSequence.into());
    }
    let seq = last_seq(&txn, circle_id).await? + 1;
    let row = messages::ActiveModel {
        circle_id: Set(circle_id),
        seq: Set(seq),
        epoch: Set(input.epoch),
        sender_device_id: Set(input.sender_device_id),
        sender_user_id: Set(conv.actor_id()),
        device_seq: Set(input.device_seq),
        ciphertext: Set(Some(input.ciphertext.into_inner())),
        signature: Set(Some(input.signature.into_inner())),
        sent_at: Set(now),
        deleted_at: Set(None),
        pinned: Set(false),
        client_id: Set(input.client_id),
    }
    .insert(&txn)
    .await?;
    // The sender has read what he wrote.
    super::settings::set_last_read(&txn, circle_id, conv.actor_id(), seq).await?;
    // Members who are away hear of it by email (at most hourly, never its content).
    super::jobs::message_posted(&txn, ctx, circle_id).await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(Posted {
        message: row.into(),
        created: true,
    })
}

async fn by_client_id(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    client_id: Uuid,
) -> Result<Option<messages::Model>> {
    Ok(messages::Entity::find()
        .filter(messages::Column::CircleId.eq(circle_id))
        .filter(messages::Column::ClientId.eq(client_id))
        .one(db)
        .await?)
}

async fn sequence_taken(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    input: &NewMessage,
) -> Result<bool> {
    Ok(messages::Entity::find()
        .filter(messages::Column::CircleId.eq(circle_id))
        .filter(messages::Column::Epoch.eq(input.epoch))
        .filter(messages::Column::SenderDeviceId.eq(input.sender_device_id))
        .filter(messages::Column::DeviceSeq.eq(input.device_seq))
        .one(db)
        .await?
        .is_some())
}

/// The circle's newest sequence number (0 before the first message).
pub(crate) async fn last_seq(db: &impl ConnectionTrait, circle_id: Uuid) -> Result<i64> {
    let max: Option<Option<i64>> = messages::Entity::find()
        .select_only()
        .column_as(messages::Column::Seq.max(), "max_seq")
        .filter(messages::Column::CircleId.eq(circle_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// A page of the messages the actor may read.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn list(ctx: &Context, conv: &Conversing, page: PageQuery) -> Result<MessagePage> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("Ask for 1 to {MAX_PAGE} messages."),
        ));
    }
    let circle_id = conv.circle_id();
    let can_read = readable(&ctx.main, circle_id, conv.actor_id()).await?;
    let q = messages::Entity::find()
        .filter(messages::Column::CircleId.eq(circle_id))
        .filter(can_read.condition())
        .limit(limit);
    let mut rows = match (page.after, page.before) {
        (Some(after), _) => {
            q.filter(messages::Column::Seq.gt(after))
                .order_by_asc(messages::Column::Seq)
                .all(&ctx.main)
                .await?
        }
        (None, before) => {
            let q = match before {
                Some(b) => q.filter(messages::Column::Seq.lt(b)),
                None => q,
            };
            let mut rows = q
                .order_by_desc(messages::Column::Seq)
                .all(&ctx.main)
                .await?;
            rows.reverse();
            rows
        }
    };
    rows.sort_by_key(|m| m.seq);
    Ok(MessagePage {
        messages: rows.into_iter().map(Message::from).collect(),
        last_seq: last_seq(&ctx.main, circle_id).await?,
    })
}

/// Deletes the actor's own message: its ciphertext and signature go, a tombstone stays.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id(), seq), err(level = "info"))]
pub async fn delete(ctx: &Context, conv: &Conversing, seq: i64) -> Result<Message> {
    let circle_id = conv.circle_id();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    let m = find(&txn, circle_id, seq).await?;
    if m.sender_user_id != conv.actor_id() {
        return Err(ConversationError::NotYourMessage.into());
    }
    if m.deleted_at.is_some() || m.ciphertext.is_none() {
        return Ok(m.into());
    }
    let mut row: messages::ActiveModel = m.into();
    row.ciphertext = Set(None);
    row.signature = Set(None);
    row.deleted_at = Set(Some(ctx.now()));
    row.pinned = Set(false);
    let row = row.update(&txn).await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(row.into())
}

/// Pins or unpins a message (leaders).
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id(), seq), err(level = "info"))]
pub async fn pin(ctx: &Context, conv: &Conversing, seq: i64, pinned: bool) -> Result<Message> {
    if !conv.leads() {
        return Err(ConversationError::LeadersOnly.into());
    }
    let circle_id = conv.circle_id();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    let m = find(&txn, circle_id, seq).await?;
    if m.ciphertext.is_none() {
        return Err(ConversationError::MessageDeleted.into());
    }
    let mut row: messages::ActiveModel = m.into();
    row.pinned = Set(pinned);
    let row = row.update(&txn).await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(row.into())
}

async fn find(db: &impl ConnectionTrait, circle_id: Uuid, seq: i64) -> Result<messages::Model> {
    messages::Entity::find_by_id((circle_id, seq))
        .one(db)
        .await?
        .ok_or(Error::NotFound("message"))
}
