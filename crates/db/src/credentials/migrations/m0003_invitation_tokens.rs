//! m0003: circle invitation links, as the token's hash for the invitation row in `main`.

use crate::schema::{timestamp, timestamp_null, uuid_pk, varchar};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_invitation_tokens"
    }
}

#[derive(DeriveIden)]
enum InvitationTokens {
    Table,
    InvitationId,
    TokenHash,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InvitationTokens::Table)
                .col(uuid_pk(InvitationTokens::InvitationId))
                .col(varchar(InvitationTokens::TokenHash, 64).unique_key())
                .col(timestamp(InvitationTokens::ExpiresAt))
                .col(timestamp_null(InvitationTokens::UsedAt))
                .to_owned(),
        )
        .await
    }
}
