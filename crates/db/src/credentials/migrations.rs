//! Forward-only migrations of the `credentials` database. Never edit one that has landed.

use crate::columns::{ts, ts_null};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Credentials),
            Box::new(M0002CookieSessions),
            Box::new(M0003InvitationTokens),
            Box::new(M0004CalendarFeeds),
        ]
    }

    // Its own table, so that both databases may share one PostgreSQL database in a pinch.
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_credentials").into_iden()
    }
}

/// Migration names are written out: they are stored in the database and must never change
/// (a derived name would follow the file name).
struct M0001Credentials;

impl MigrationName for M0001Credentials {
    fn name(&self) -> &str {
        "m0001_credentials"
    }
}

#[derive(DeriveIden)]
enum PasswordCredentials {
    Table,
    UserId,
    PasswordHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MfaSecrets {
    Table,
    UserId,
    SecretCiphertext,
    KeyVersion,
    LastUsedStep,
    ConfirmedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
    UserAgent,
    Ip,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    RotatedAt,
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AttemptCounters {
    Table,
    Key,
    Failures,
    LockedUntil,
    UpdatedAt,
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(col).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Credentials {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PasswordCredentials::Table)
                .col(
                    ColumnDef::new(PasswordCredentials::UserId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PasswordCredentials::PasswordHash)
                        .string_len(255)
                        .not_null(),
                )
                .col(ts(PasswordCredentials::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MfaSecrets::Table)
                .col(
                    ColumnDef::new(MfaSecrets::UserId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(MfaSecrets::SecretCiphertext)
                        .text()
                        .not_null(),
                )
                .col(ColumnDef::new(MfaSecrets::KeyVersion).integer().not_null())
                .col(
                    ColumnDef::new(MfaSecrets::LastUsedStep)
                        .big_integer()
                        .null(),
                )
                .col(ts_null(MfaSecrets::ConfirmedAt))
                .col(ts(MfaSecrets::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(
                    ColumnDef::new(RecoveryCodes::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RecoveryCodes::UserId).uuid().not_null())
                .col(
                    ColumnDef::new(RecoveryCodes::CodeHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ts_null(RecoveryCodes::UsedAt))
                .col(ts(RecoveryCodes::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_recovery_codes_user",
            RecoveryCodes::Table,
            RecoveryCodes::UserId,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(ColumnDef::new(Sessions::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                .col(ts(Sessions::CreatedAt))
                .col(ts(Sessions::LastUsedAt))
                .col(ts(Sessions::ExpiresAt))
                .col(ts_null(Sessions::RevokedAt))
                .col(
                    ColumnDef::new(Sessions::RevokedReason)
                        .string_len(32)
                        .null(),
                )
                .col(ColumnDef::new(Sessions::UserAgent).string_len(256).null())
                .col(ColumnDef::new(Sessions::Ip).string_len(64).null())
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sessions_user", Sessions::Table, Sessions::UserId))
            .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(
                    ColumnDef::new(RefreshTokens::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RefreshTokens::SessionId).uuid().not_null())
                .col(
                    ColumnDef::new(RefreshTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ts(RefreshTokens::CreatedAt))
                .col(ts_null(RefreshTokens::RotatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_refresh_tokens_session",
            RefreshTokens::Table,
            RefreshTokens::SessionId,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(OneTimeTokens::Table)
                .col(
                    ColumnDef::new(OneTimeTokens::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(OneTimeTokens::UserId).uuid().not_null())
                .col(
                    ColumnDef::new(OneTimeTokens::Purpose)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OneTimeTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ts(OneTimeTokens::ExpiresAt))
                .col(ts_null(OneTimeTokens::UsedAt))
                .col(ts(OneTimeTokens::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_one_time_tokens_user",
            OneTimeTokens::Table,
            OneTimeTokens::UserId,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AttemptCounters::Table)
                .col(
                    ColumnDef::new(AttemptCounters::Key)
                        .string_len(128)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AttemptCounters::Failures)
                        .integer()
                        .not_null(),
                )
                .col(ts_null(AttemptCounters::LockedUntil))
                .col(ts(AttemptCounters::UpdatedAt))
                .to_owned(),
        )
        .await?;

        crate::main_db::create_write_gate_pub(m).await
    }
}

/// Browser sessions: the session cookie's token, stored as a hash.
struct M0002CookieSessions;

impl MigrationName for M0002CookieSessions {
    fn name(&self) -> &str {
        "m0002_cookie_sessions"
    }
}

#[derive(DeriveIden)]
enum SessionsV2 {
    #[sea_orm(iden = "sessions")]
    Table,
    CookieTokenHash,
}

#[async_trait::async_trait]
impl MigrationTrait for M0002CookieSessions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SessionsV2::Table)
                .add_column(
                    ColumnDef::new(SessionsV2::CookieTokenHash)
                        .string_len(64)
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sessions_cookie_token_hash")
                .table(SessionsV2::Table)
                .col(SessionsV2::CookieTokenHash)
                .unique()
                .to_owned(),
        )
        .await
    }
}

/// Circle invitation links: the token's hash, for the invitation row in `main`.
struct M0003InvitationTokens;

impl MigrationName for M0003InvitationTokens {
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
impl MigrationTrait for M0003InvitationTokens {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InvitationTokens::Table)
                .col(
                    ColumnDef::new(InvitationTokens::InvitationId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(InvitationTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ts(InvitationTokens::ExpiresAt))
                .col(ts_null(InvitationTokens::UsedAt))
                .to_owned(),
        )
        .await
    }
}

struct M0004CalendarFeeds;

impl MigrationName for M0004CalendarFeeds {
    fn name(&self) -> &str {
        "m0004_calendar_feeds"
    }
}

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    UserId,
    TokenHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for M0004CalendarFeeds {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CalendarFeeds::Table)
                .col(
                    ColumnDef::new(CalendarFeeds::UserId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CalendarFeeds::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ts(CalendarFeeds::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
