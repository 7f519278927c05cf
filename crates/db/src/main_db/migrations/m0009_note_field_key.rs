//! Migration m0009: a meeting note waiting to be sealed by a leader's browser is kept
//! encrypted with the server's field key (AES-256-GCM, bound to its circle and meeting),
//! never in plain text. A migration cannot read that key, so the notes already stored in
//! the plain `note` column are encrypted by the application when it starts
//! (`app::circles::meetings::encrypt_plain_notes`), which also empties that column.

use crate::schema::{int_null, text_null};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_note_field_key"
    }
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    NoteAtRest,
    NoteKeyVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// SQLite adds one column per statement.
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Meetings::Table)
                .add_column(text_null(Meetings::NoteAtRest))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Meetings::Table)
                .add_column(int_null(Meetings::NoteKeyVersion))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}
