//! m0001: people and their roles, facilitator certifications, the append-only audit log,
//! the job queue and the write gate.

use crate::schema::{
    bigint, create_write_gate, fk, index, int, text, text_null, timestamp, timestamp_null, uuid,
    uuid_null, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(users()).await?;
        m.create_index(index(
            "ix_users_display_name",
            Users::Table,
            [Users::DisplayName],
        ))
        .await?;

        m.create_table(user_roles()).await?;

        m.create_table(facilitator_certifications()).await?;
        m.create_index(index(
            "ix_facilitator_certifications_user",
            FacilitatorCertifications::Table,
            [FacilitatorCertifications::UserId],
        ))
        .await?;

        m.create_table(audit_log()).await?;
        for (name, col) in [
            ("ix_audit_log_action", AuditLog::Action),
            ("ix_audit_log_actor", AuditLog::ActorId),
            ("ix_audit_log_target", AuditLog::TargetId),
        ] {
            m.create_index(index(name, AuditLog::Table, [col])).await?;
        }

        m.create_table(jobs()).await?;
        m.create_index(index(
            "ix_jobs_due",
            Jobs::Table,
            [Jobs::Status, Jobs::RunAt],
        ))
        .await?;

        forbid_audit_changes(m).await?;
        create_write_gate(m).await
    }
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(uuid_pk(Users::Id))
        .col(varchar(Users::Email, 254).unique_key())
        .col(varchar(Users::DisplayName, 64))
        .col(varchar(Users::Status, 16))
        .col(timestamp_null(Users::EmailVerifiedAt))
        .col(timestamp_null(Users::LastLoginAt))
        .col(timestamp_null(Users::SuspendedAt))
        .col(text_null(Users::SuspendedReason))
        .col(timestamp(Users::CreatedAt))
        .col(timestamp(Users::UpdatedAt))
        .to_owned()
}

fn user_roles() -> TableCreateStatement {
    Table::create()
        .table(UserRoles::Table)
        .col(uuid(UserRoles::UserId))
        .col(varchar(UserRoles::Role, 32))
        .col(uuid_null(UserRoles::GrantedBy))
        .col(timestamp(UserRoles::GrantedAt))
        .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::Role))
        .foreign_key(&mut fk(
            (UserRoles::Table, UserRoles::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn facilitator_certifications() -> TableCreateStatement {
    use FacilitatorCertifications as Fc;
    Table::create()
        .table(Fc::Table)
        .col(uuid_pk(Fc::Id))
        .col(uuid(Fc::UserId))
        .col(uuid_null(Fc::CertifiedBy))
        .col(timestamp(Fc::CertifiedAt))
        .col(timestamp_null(Fc::ExpiresAt))
        .col(timestamp_null(Fc::RevokedAt))
        .col(uuid_null(Fc::RevokedBy))
        .col(text_null(Fc::Note))
        .foreign_key(&mut fk(
            (Fc::Table, Fc::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn audit_log() -> TableCreateStatement {
    Table::create()
        .table(AuditLog::Table)
        .col(uuid_pk(AuditLog::Id))
        .col(bigint(AuditLog::Seq).unique_key())
        .col(timestamp(AuditLog::OccurredAt))
        .col(uuid_null(AuditLog::ActorId))
        .col(varchar(AuditLog::Action, 64))
        .col(varchar_null(AuditLog::TargetType, 32))
        .col(varchar_null(AuditLog::TargetId, 64))
        .col(varchar_null(AuditLog::Ip, 64))
        .col(varchar_null(AuditLog::RequestId, 64))
        .col(text(AuditLog::Details))
        .col(varchar(AuditLog::PrevHash, 64))
        .col(varchar(AuditLog::Hash, 64))
        .to_owned()
}

fn jobs() -> TableCreateStatement {
    Table::create()
        .table(Jobs::Table)
        .col(uuid_pk(Jobs::Id))
        .col(varchar(Jobs::Kind, 64))
        .col(text(Jobs::Payload))
        .col(varchar(Jobs::Status, 16))
        .col(int(Jobs::Attempts))
        .col(int(Jobs::MaxAttempts))
        .col(timestamp(Jobs::RunAt))
        .col(timestamp_null(Jobs::LockedUntil))
        .col(text_null(Jobs::LastError))
        .col(timestamp(Jobs::CreatedAt))
        .col(timestamp(Jobs::UpdatedAt))
        .to_owned()
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
