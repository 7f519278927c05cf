//! m0001: password hashes, MFA secrets, recovery codes, sessions and their refresh
//! tokens, one-time tokens, attempt counters and the write gate.

use crate::schema::{
    bigint_null, create_write_gate, fk, index, int, text, timestamp, timestamp_null, uuid, uuid_pk,
    varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(password_credentials()).await?;
        m.create_table(mfa_secrets()).await?;

        m.create_table(recovery_codes()).await?;
        m.create_index(index(
            "ix_recovery_codes_user",
            RecoveryCodes::Table,
            [RecoveryCodes::UserId],
        ))
        .await?;

        m.create_table(sessions()).await?;
        m.create_index(index(
            "ix_sessions_user",
            Sessions::Table,
            [Sessions::UserId],
        ))
        .await?;

        m.create_table(refresh_tokens()).await?;
        m.create_index(index(
            "ix_refresh_tokens_session",
            RefreshTokens::Table,
            [RefreshTokens::SessionId],
        ))
        .await?;

        m.create_table(one_time_tokens()).await?;
        m.create_index(index(
            "ix_one_time_tokens_user",
            OneTimeTokens::Table,
            [OneTimeTokens::UserId],
        ))
        .await?;

        m.create_table(attempt_counters()).await?;

        create_write_gate(m).await
    }
}

fn password_credentials() -> TableCreateStatement {
    Table::create()
        .table(PasswordCredentials::Table)
        .col(uuid_pk(PasswordCredentials::UserId))
        .col(varchar(PasswordCredentials::PasswordHash, 255))
        .col(timestamp(PasswordCredentials::UpdatedAt))
        .to_owned()
}

fn mfa_secrets() -> TableCreateStatement {
    Table::create()
        .table(MfaSecrets::Table)
        .col(uuid_pk(MfaSecrets::UserId))
        .col(text(MfaSecrets::SecretCiphertext))
        .col(int(MfaSecrets::KeyVersion))
        .col(bigint_null(MfaSecrets::LastUsedStep))
        .col(timestamp_null(MfaSecrets::ConfirmedAt))
        .col(timestamp(MfaSecrets::CreatedAt))
        .to_owned()
}

fn recovery_codes() -> TableCreateStatement {
    Table::create()
        .table(RecoveryCodes::Table)
        .col(uuid_pk(RecoveryCodes::Id))
        .col(uuid(RecoveryCodes::UserId))
        .col(varchar(RecoveryCodes::CodeHash, 64))
        .col(timestamp_null(RecoveryCodes::UsedAt))
        .col(timestamp(RecoveryCodes::CreatedAt))
        .to_owned()
}

fn sessions() -> TableCreateStatement {
    Table::create()
        .table(Sessions::Table)
        .col(uuid_pk(Sessions::Id))
        .col(uuid(Sessions::UserId))
        .col(timestamp(Sessions::CreatedAt))
        .col(timestamp(Sessions::LastUsedAt))
        .col(timestamp(Sessions::ExpiresAt))
        .col(timestamp_null(Sessions::RevokedAt))
        .col(varchar_null(Sessions::RevokedReason, 32))
        .col(varchar_null(Sessions::UserAgent, 256))
        .col(varchar_null(Sessions::Ip, 64))
        .to_owned()
}

fn refresh_tokens() -> TableCreateStatement {
    Table::create()
        .table(RefreshTokens::Table)
        .col(uuid_pk(RefreshTokens::Id))
        .col(uuid(RefreshTokens::SessionId))
        .col(varchar(RefreshTokens::TokenHash, 64).unique_key())
        .col(timestamp(RefreshTokens::CreatedAt))
        .col(timestamp_null(RefreshTokens::RotatedAt))
        .foreign_key(&mut fk(
            (RefreshTokens::Table, RefreshTokens::SessionId),
            (Sessions::Table, Sessions::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn one_time_tokens() -> TableCreateStatement {
    Table::create()
        .table(OneTimeTokens::Table)
        .col(uuid_pk(OneTimeTokens::Id))
        .col(uuid(OneTimeTokens::UserId))
        .col(varchar(OneTimeTokens::Purpose, 32))
        .col(varchar(OneTimeTokens::TokenHash, 64).unique_key())
        .col(timestamp(OneTimeTokens::ExpiresAt))
        .col(timestamp_null(OneTimeTokens::UsedAt))
        .col(timestamp(OneTimeTokens::CreatedAt))
        .to_owned()
}

fn attempt_counters() -> TableCreateStatement {
    Table::create()
        .table(AttemptCounters::Table)
        .col(varchar(AttemptCounters::Key, 128).primary_key())
        .col(int(AttemptCounters::Failures))
        .col(timestamp_null(AttemptCounters::LockedUntil))
        .col(timestamp(AttemptCounters::UpdatedAt))
        .to_owned()
}
