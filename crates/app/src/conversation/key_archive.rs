//! A user's key archive: the epoch keys he holds, sealed under his own archive key (which
//! only his devices and his backup know), so a new device of his reads his history.

use super::epochs::holds_key;
use super::identity::circles_of;
use super::settings_of;
use crate::authz::circle::Conversing;
use crate::authz::{can, Actor};
use crate::{Context, Error, Result};
use db::main_db::{
    conversation_devices as devices, conversation_epochs as epochs,
    conversation_key_archive as key_archive,
};
use db::sea_orm::sea_query::OnConflict;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use domain::conversation::SealedKey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::errors::ConversationError;

/// One sealed epoch key.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArchiveEntry {
    pub circle_id: Uuid,
    pub epoch: i32,
    pub sealed: SealedKey,
}

impl From<key_archive::Model> for ArchiveEntry {
    fn from(k: key_archive::Model) -> Self {
        ArchiveEntry {
            circle_id: k.circle_id,
            epoch: k.epoch,
            sealed: SealedKey::from_stored(k.sealed),
        }
    }
}

/// The actor's sealed keys for one circle he is in (`conv`), or for all his circles.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn entries(
    ctx: &Context,
    actor: &Actor,
    conv: Option<&Conversing>,
) -> Result<Vec<ArchiveEntry>> {
    actor.require::<can::Participate>()?;
    let circles = match conv {
        Some(c) => vec![c.circle_id()],
        None => circles_of(&ctx.main, actor.id()).await?,
    };
    Ok(key_archive::Entity::find()
        .filter(key_archive::Column::UserId.eq(actor.id()))
        .filter(key_archive::Column::CircleId.is_in(circles))
        .order_by_asc(key_archive::Column::CircleId)
        .order_by_asc(key_archive::Column::Epoch)
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(ArchiveEntry::from)
        .collect())
}

/// Stores (or replaces) one sealed key: of an epoch one of his devices holds the key of,
/// or any epoch of a circle that shares its history.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn put_entry(
    ctx: &Context,
    conv: &Conversing,
    entry: ArchiveEntry,
) -> Result<ArchiveEntry> {
    let circle_id = conv.circle_id();
    if entry.circle_id != circle_id {
        return Err(Error::invalid(
            "circle_id",
            "The entry is for another circle.",
        ));
    }
    let txn = db::begin_write(&ctx.main).await?;
    epochs::Entity::find_by_id((circle_id, entry.epoch))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("epoch"))?;
    if !may_archive(&txn, conv, entry.epoch).await? {
        return Err(ConversationError::HistoryNotShared.into());
    }
    key_archive::Entity::insert(key_archive::ActiveModel {
        user_id: Set(conv.actor_id()),
        circle_id: Set(circle_id),
        epoch: Set(entry.epoch),
        sealed: Set(entry.sealed.as_str().to_owned()),
    })
    .on_conflict(
        OnConflict::columns([
            key_archive::Column::UserId,
            key_archive::Column::CircleId,
            key_archive::Column::Epoch,
        ])
        .update_column(key_archive::Column::Sealed)
        .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(entry)
}

async fn may_archive(
    txn: &impl db::sea_orm::ConnectionTrait,
    conv: &Conversing,
    epoch: i32,
) -> Result<bool> {
    if settings_of(txn, conv.circle_id()).await?.share_history {
        return Ok(true);
    }
    let his = devices::Entity::find()
        .filter(devices::Column::UserId.eq(conv.actor_id()))
        .all(txn)
        .await?;
    for d in his {
        if holds_key(txn, conv.circle_id(), epoch, d.id).await? {
            return Ok(true);
        }
    }
    let already = key_archive::Entity::find_by_id((conv.actor_id(), conv.circle_id(), epoch))
        .one(txn)
        .await?;
    Ok(already.is_some())
}
