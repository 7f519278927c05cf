//! m0002: browser sessions, whose session cookie's token is stored as a hash.

use crate::schema::{unique_index, varchar_null};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_cookie_sessions"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    CookieTokenHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(varchar_null(Sessions::CookieTokenHash, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_sessions_cookie_token_hash",
            Sessions::Table,
            [Sessions::CookieTokenHash],
        ))
        .await
    }
}
