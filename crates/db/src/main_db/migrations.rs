//! Forward-only migrations of the `main` database. Never edit one that has landed.

use crate::columns::{ts, ts_null};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Accounts),
            Box::new(M0002Profiles),
            Box::new(super::circles_migration::M0003Circles),
            Box::new(super::events_migration::M0004Events),
            Box::new(super::confidentiality_migration::M0005Confidentiality),
        ]
    }
}

/// Migration names are written out: they are stored in the database and must never change
/// (a derived name would follow the file name).
struct M0001Accounts;

impl MigrationName for M0001Accounts {
    fn name(&self) -> &str {
        "m0001_accounts"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    Status,
    EmailVerifiedAt,
    LastLoginAt,
    SuspendedAt,
    SuspendedReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    UserId,
    Role,
    GrantedBy,
    GrantedAt,
}

#[derive(DeriveIden)]
enum FacilitatorCertifications {
    Table,
    Id,
    UserId,
    CertifiedBy,
    CertifiedAt,
    ExpiresAt,
    RevokedAt,
    RevokedBy,
    Note,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Seq,
    OccurredAt,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Ip,
    RequestId,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WriteGate {
    Table,
    Id,
    Turns,
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Accounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                .col(
                    ColumnDef::new(Users::Email)
                        .string_len(254)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Users::DisplayName).string_len(64).not_null())
                .col(ColumnDef::new(Users::Status).string_len(16).not_null())
                .col(ts_null(Users::EmailVerifiedAt))
                .col(ts_null(Users::LastLoginAt))
                .col(ts_null(Users::SuspendedAt))
                .col(ColumnDef::new(Users::SuspendedReason).text().null())
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_users_display_name")
                .table(Users::Table)
                .col(Users::DisplayName)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserRoles::Table)
                .col(ColumnDef::new(UserRoles::UserId).uuid().not_null())
                .col(ColumnDef::new(UserRoles::Role).string_len(32).not_null())
                .col(ColumnDef::new(UserRoles::GrantedBy).uuid().null())
                .col(ts(UserRoles::GrantedAt))
                .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::Role))
                .foreign_key(
                    ForeignKey::create()
                        .from(UserRoles::Table, UserRoles::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FacilitatorCertifications::Table)
                .col(
                    ColumnDef::new(FacilitatorCertifications::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(FacilitatorCertifications::UserId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(FacilitatorCertifications::CertifiedBy)
                        .uuid()
                        .null(),
                )
                .col(ts(FacilitatorCertifications::CertifiedAt))
                .col(ts_null(FacilitatorCertifications::ExpiresAt))
                .col(ts_null(FacilitatorCertifications::RevokedAt))
                .col(
                    ColumnDef::new(FacilitatorCertifications::RevokedBy)
                        .uuid()
                        .null(),
                )
                .col(
                    ColumnDef::new(FacilitatorCertifications::Note)
                        .text()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            FacilitatorCertifications::Table,
                            FacilitatorCertifications::UserId,
                        )
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_facilitator_certifications_user")
                .table(FacilitatorCertifications::Table)
                .col(FacilitatorCertifications::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(ColumnDef::new(AuditLog::Id).uuid().not_null().primary_key())
                .col(
                    ColumnDef::new(AuditLog::Seq)
                        .big_integer()
                        .not_null()
                        .unique_key(),
                )
                .col(ts(AuditLog::OccurredAt))
                .col(ColumnDef::new(AuditLog::ActorId).uuid().null())
                .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::TargetType).string_len(32).null())
                .col(ColumnDef::new(AuditLog::TargetId).string_len(64).null())
                .col(ColumnDef::new(AuditLog::Ip).string_len(64).null())
                .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                .col(ColumnDef::new(AuditLog::Details).text().not_null())
                .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_audit_log_action", AuditLog::Action),
            ("ix_audit_log_actor", AuditLog::ActorId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(AuditLog::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_audit_log_target")
                .table(AuditLog::Table)
                .col(AuditLog::TargetId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(ColumnDef::new(Jobs::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Jobs::Kind).string_len(64).not_null())
                .col(ColumnDef::new(Jobs::Payload).text().not_null())
                .col(ColumnDef::new(Jobs::Status).string_len(16).not_null())
                .col(ColumnDef::new(Jobs::Attempts).integer().not_null())
                .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                .col(ts(Jobs::RunAt))
                .col(ts_null(Jobs::LockedUntil))
                .col(ColumnDef::new(Jobs::LastError).text().null())
                .col(ts(Jobs::CreatedAt))
                .col(ts(Jobs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_jobs_due")
                .table(Jobs::Table)
                .col(Jobs::Status)
                .col(Jobs::RunAt)
                .to_owned(),
        )
        .await?;

        forbid_audit_changes(m).await?;
        create_write_gate(m).await
    }
}

/// The audit log is append-only: the database itself refuses updates and deletes.
async fn forbid_audit_changes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();",
            )
            .await?;
        }
        _ => {
            for op in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_log_no_{op} BEFORE {op} ON audit_log \
                     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// One-row table whose update takes SQLite's write lock at the start of a write
/// transaction (see `connect::begin_write`).
pub(crate) async fn create_write_gate(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(WriteGate::Table)
            .col(
                ColumnDef::new(WriteGate::Id)
                    .integer()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(WriteGate::Turns).big_integer().not_null())
            .to_owned(),
    )
    .await?;
    m.exec_stmt(
        Query::insert()
            .into_table(WriteGate::Table)
            .columns([WriteGate::Id, WriteGate::Turns])
            .values_panic([1.into(), 0.into()])
            .to_owned(),
    )
    .await
}

/// Profile details people add themselves, and their photo (resized, stored in the
/// database so every instance serves it).
struct M0002Profiles;

impl MigrationName for M0002Profiles {
    fn name(&self) -> &str {
        "m0002_profiles"
    }
}

#[derive(DeriveIden)]
enum UsersV2 {
    #[sea_orm(iden = "users")]
    Table,
    FullName,
    Phone,
    City,
    TimeZone,
    Bio,
    PhotoVersion,
}

#[derive(DeriveIden)]
enum UserPhotos {
    Table,
    UserId,
    ContentType,
    Bytes,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Profiles {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            ColumnDef::new(UsersV2::FullName)
                .string_len(128)
                .null()
                .to_owned(),
            ColumnDef::new(UsersV2::Phone)
                .string_len(32)
                .null()
                .to_owned(),
            ColumnDef::new(UsersV2::City)
                .string_len(96)
                .null()
                .to_owned(),
            ColumnDef::new(UsersV2::TimeZone)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(UsersV2::Bio).text().null().to_owned(),
            ColumnDef::new(UsersV2::PhotoVersion)
                .big_integer()
                .null()
                .to_owned(),
        ];
        for mut col in columns {
            m.alter_table(
                Table::alter()
                    .table(UsersV2::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(UserPhotos::Table)
                .col(
                    ColumnDef::new(UserPhotos::UserId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(UserPhotos::ContentType)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(UserPhotos::Bytes).binary().not_null())
                .col(ts(UserPhotos::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(UserPhotos::Table, UserPhotos::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}
