//! Meeting notes inside the circle's boundary: a leader's browser seals a meeting's note
//! under the circle's epoch key, and the plain note (written before notes were sealed, or
//! by a client without the keys) is deleted in the same step.

use super::errors::ConversationError;
use super::{lock_for_write, notify_changed};
use crate::authz::circle::Conversing;
use crate::circles::meetings::Meeting;
use crate::{Context, Error, Result};
use db::main_db::{conversation_epochs as epochs, meetings};
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::conversation::SealedNote;
use serde::Deserialize;
use uuid::Uuid;

/// A note sealed by a leader's browser. The client seals the note's UTF-8 text with
/// AES-256-GCM under epoch `epoch`'s key, AAD `circles/note/v1|<circle>|<meeting>|<epoch>`,
/// and sends IV ‖ output.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewSealedNote {
    pub note_sealed: SealedNote,
    pub epoch: i32,
}

/// Stores a meeting's sealed note and deletes its pending one, plain or field-encrypted
/// (leaders).
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn seal_note(
    ctx: &Context,
    conv: &Conversing,
    meeting_id: Uuid,
    input: NewSealedNote,
) -> Result<Meeting> {
    if !conv.leads() {
        return Err(ConversationError::LeadersOnly.into());
    }
    let circle_id = conv.circle_id();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    let meeting = meetings::Entity::find_by_id(meeting_id)
        .one(&txn)
        .await?
        .filter(|m| m.circle_id == circle_id)
        .ok_or(Error::NotFound("meeting"))?;
    epochs::Entity::find_by_id((circle_id, input.epoch))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("epoch"))?;
    let mut row: meetings::ActiveModel = meeting.into();
    row.note_sealed = Set(Some(input.note_sealed.into_inner()));
    row.note_epoch = Set(Some(input.epoch));
    row.note = Set(None);
    row.note_at_rest = Set(None);
    row.note_key_version = Set(None);
    row.updated_at = Set(ctx.now());
    let row = row.update(&txn).await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Meeting::read(ctx, row)
}
