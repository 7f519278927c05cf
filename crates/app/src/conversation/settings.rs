//! A circle's conversation settings (its leaders decide) and each member's own: muted or
//! not, and how far he has read.

use super::errors::ConversationError;
use super::messages::last_seq;
use super::{lock_for_write, notify_changed, settings_of};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Conversing;
use crate::{Context, RequestMeta, Result};
use db::main_db::{conversation_participants as participants, conversation_settings as rows};
use db::sea_orm::sea_query::{Expr, OnConflict};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::conversation::DisappearAfter;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a circle's conversation keeps its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// Whether new members may be given the keys of the history before they joined.
    pub share_history: bool,
    /// Messages disappear after 30, 90 or 365 days; none keeps them.
    #[schema(value_type = Option<i64>)]
    pub disappearing_days: Option<DisappearAfter>,
}

impl Settings {
    pub(super) fn from_row(row: &rows::Model) -> Self {
        Settings {
            share_history: row.share_history,
            disappearing_days: row
                .disappearing_days
                .and_then(|d| DisappearAfter::from_days(i64::from(d)).ok()),
        }
    }
}

/// One member's own state in a conversation.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Participation {
    pub last_read_seq: i64,
    pub muted: bool,
}

/// The circle's settings now.
pub async fn settings(ctx: &Context, conv: &Conversing) -> Result<Settings> {
    Ok(Settings::from_row(
        &settings_of(&ctx.main, conv.circle_id()).await?,
    ))
}

/// Changes the circle's conversation settings (leaders).
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn change_settings(
    ctx: &Context,
    meta: &RequestMeta,
    conv: &Conversing,
    input: Settings,
) -> Result<Settings> {
    if !conv.leads() {
        return Err(ConversationError::LeadersOnly.into());
    }
    let circle_id = conv.circle_id();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    let days = input.disappearing_days.map(|d| d.days() as i32);
    rows::Entity::insert(rows::ActiveModel {
        circle_id: Set(circle_id),
        share_history: Set(input.share_history),
        disappearing_days: Set(days),
    })
    .on_conflict(
        OnConflict::column(rows::Column::CircleId)
            .update_columns([rows::Column::ShareHistory, rows::Column::DisappearingDays])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ConversationSettingsChanged)
            .on("circle", circle_id)
            .details(serde_json::json!({
                "share_history": u8::from(input.share_history),
                "disappearing_days": days.unwrap_or(0),
            })),
    )
    .await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(input)
}

/// Mutes or unmutes the conversation's notices for the actor.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn set_muted(ctx: &Context, conv: &Conversing, muted: bool) -> Result<Participation> {
    let (circle_id, user_id) = (conv.circle_id(), conv.actor_id());
    ensure_participant(&ctx.main, circle_id, user_id).await?;
    participants::Entity::update_many()
        .col_expr(participants::Column::Muted, Expr::value(muted))
        .filter(participants::Column::CircleId.eq(circle_id))
        .filter(participants::Column::UserId.eq(user_id))
        .exec(&ctx.main)
        .await?;
    participation(&ctx.main, circle_id, user_id).await
}

/// Moves the actor's read marker forward to `seq` (never back, never past the newest).
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn mark_read(ctx: &Context, conv: &Conversing, seq: i64) -> Result<Participation> {
    let (circle_id, user_id) = (conv.circle_id(), conv.actor_id());
    let seq = seq.min(last_seq(&ctx.main, circle_id).await?);
    set_last_read(&ctx.main, circle_id, user_id, seq).await?;
    participation(&ctx.main, circle_id, user_id).await
}

/// Sets the read marker to `seq` when that is further than where it is.
pub(crate) async fn set_last_read(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
    seq: i64,
) -> Result<()> {
    ensure_participant(db, circle_id, user_id).await?;
    participants::Entity::update_many()
        .col_expr(participants::Column::LastReadSeq, Expr::value(seq))
        .filter(participants::Column::CircleId.eq(circle_id))
        .filter(participants::Column::UserId.eq(user_id))
        .filter(participants::Column::LastReadSeq.lt(seq))
        .exec(db)
        .await?;
    Ok(())
}

/// The member's own state (the defaults before he has any).
pub(crate) async fn participation(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
) -> Result<Participation> {
    let row = participants::Entity::find_by_id((circle_id, user_id))
        .one(db)
        .await?;
    Ok(Participation {
        last_read_seq: row.as_ref().map_or(0, |p| p.last_read_seq),
        muted: row.is_some_and(|p| p.muted),
    })
}

/// Keeps the participant's row in step: creates it on first use.
pub(super) async fn ensure_participant(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
) -> Result<()> {
    participants::Entity::insert(participants::ActiveModel {
        circle_id: Set(circle_id),
        user_id: Set(user_id),
        last_read_seq: Set(0),
        muted: Set(false),
        last_notified_at: Set(None),
        online_until: Set(None),
    })
    .on_conflict(
        OnConflict::columns([participants::Column::CircleId, participants::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    Ok(())
}
