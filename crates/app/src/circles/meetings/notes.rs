//! A meeting's note while it waits to be sealed. A note written without the circle's keys
//! (the page form without JavaScript, the API) is "pending sealing": the server keeps it
//! encrypted with its field key (`ctx.keys.fields`), bound to the circle and meeting so a
//! ciphertext copied onto another meeting does not open, until the first leader device
//! that opens the meetings page seals it under the circle's epoch key
//! (`conversation::notes::seal_note`), which deletes it. Plain notes stored before m0009
//! are encrypted the same way when the application starts.

use crate::{Context, Error, Result};
use db::main_db::meetings;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// What the field key's AES-GCM binds a pending note to.
fn bound_to(circle_id: Uuid, meeting_id: Uuid) -> Vec<u8> {
    format!("circles/note-at-rest/v1|{circle_id}|{meeting_id}").into_bytes()
}

/// Encrypts a pending note for meeting `meeting_id` of `circle_id`: (ciphertext, key version).
pub(crate) fn seal_at_rest(
    ctx: &Context,
    circle_id: Uuid,
    meeting_id: Uuid,
    text: &str,
) -> (String, i32) {
    ctx.keys
        .fields
        .encrypt(text.as_bytes(), &bound_to(circle_id, meeting_id))
}

/// The meeting's pending note in clear, if it has one. A plain note that start-up has not
/// encrypted yet (written by an older instance during an upgrade) is read as it is.
pub(super) fn open_at_rest(ctx: &Context, m: &meetings::Model) -> Result<Option<String>> {
    let (Some(sealed), Some(version)) = (&m.note_at_rest, m.note_key_version) else {
        return Ok(m.note.clone());
    };
    let plain = ctx
        .keys
        .fields
        .decrypt(sealed, version, &bound_to(m.circle_id, m.id))
        .map_err(Error::Internal)?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|e| Error::Internal(e.into()))
}

/// The same meeting row with its plain note (if any) moved into the field-encrypted one:
/// demo data is written this way.
pub fn protect_note(ctx: &Context, mut m: meetings::Model) -> meetings::Model {
    if let Some(text) = m.note.take() {
        let (sealed, version) = seal_at_rest(ctx, m.circle_id, m.id, &text);
        m.note_at_rest = Some(sealed);
        m.note_key_version = Some(version);
    }
    m
}

/// Encrypts every plain meeting note still in the database with the field key and empties
/// the plain column; returns how many it changed. Idempotent and safe to run from several
/// instances at once: each row is changed only while it still holds the plain text read,
/// so a note sealed meanwhile by a leader's browser is left alone. On SQLite the file is
/// vacuumed afterwards so the plain text does not linger in free pages.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn encrypt_plain_notes(ctx: &Context) -> Result<u64> {
    let plain: Vec<(Uuid, Uuid, String)> = meetings::Entity::find()
        .select_only()
        .columns([
            meetings::Column::Id,
            meetings::Column::CircleId,
            meetings::Column::Note,
        ])
        .filter(meetings::Column::Note.is_not_null())
        .into_tuple()
        .all(&ctx.main)
        .await?;
    let mut changed = 0;
    for (id, circle_id, text) in plain {
        let (sealed, version) = seal_at_rest(ctx, circle_id, id, &text);
        changed += meetings::Entity::update_many()
            .col_expr(meetings::Column::NoteAtRest, Expr::value(sealed))
            .col_expr(meetings::Column::NoteKeyVersion, Expr::value(version))
            .col_expr(meetings::Column::Note, Expr::value(Option::<String>::None))
            .filter(meetings::Column::Id.eq(id))
            .filter(meetings::Column::Note.eq(text))
            .filter(meetings::Column::NoteSealed.is_null())
            .exec(&ctx.main)
            .await?
            .rows_affected;
    }
    // A plain note next to a sealed one (none should exist) is simply deleted.
    changed += meetings::Entity::update_many()
        .col_expr(meetings::Column::Note, Expr::value(Option::<String>::None))
        .filter(meetings::Column::Note.is_not_null())
        .filter(meetings::Column::NoteSealed.is_not_null())
        .exec(&ctx.main)
        .await?
        .rows_affected;
    if changed > 0 {
        tracing::info!(notes = changed, "encrypted the plain meeting notes at rest");
        scrub_sqlite(ctx).await;
    }
    Ok(changed)
}

/// Rewrites a SQLite file so deleted plain text is not left in its free pages or its
/// write-ahead log. A failure only leaves those bytes until SQLite reuses the pages.
async fn scrub_sqlite(ctx: &Context) {
    if ctx.main.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    for pragma in ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"] {
        if let Err(e) = ctx.main.execute_unprepared(pragma).await {
            tracing::warn!(error = %e, "{pragma} after encrypting meeting notes failed");
        }
    }
}
