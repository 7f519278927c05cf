//! Migration m0005: confidentiality as a boundary. Admins' safeguarding step-ins, circle
//! leaders' acceptance of programme events restricted to their circle, the "needs a
//! facilitator" mark, and audit entries that carry a classification and chain over a digest
//! of their personal details (so those details can later be erased without breaking the
//! chain; docs/architecture.md).

use crate::schema::{
    fk, index, text, timestamp, timestamp_null, uuid, uuid_null, uuid_pk, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_confidentiality"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Circles {
    Table,
    Id,
    NeedsFacilitatorSince,
}

#[derive(DeriveIden)]
enum CircleStepIns {
    Table,
    Id,
    CircleId,
    AdminId,
    Reason,
    StartedAt,
    ExpiresAt,
    EndedAt,
    EndedBy,
}

#[derive(DeriveIden)]
enum EventCircles {
    Table,
    CircleId,
    AcceptedAt,
    AcceptedBy,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Classification,
    Format,
    Salt,
    SubjectDigest,
    ErasedAt,
    Seq,
}

/// Audit actions that were about one person's place in a circle, classified `circle`.
const CIRCLE_ACTIONS: &[&str] = &[
    "circle_join_requested",
    "circle_request_declined",
    "circle_member_approved",
    "circle_member_removed",
    "circle_left",
    "circle_request_withdrawn",
    "circle_invitation_sent",
    "circle_invitation_revoked",
    "circle_invitation_accepted",
    "attendance_recorded",
];

/// Audit actions about signing in and account safety, classified `security`.
const SECURITY_ACTIONS: &[&str] = &[
    "login_succeeded",
    "login_failed",
    "login_refused_suspended",
    "login_mfa_challenged",
    "mfa_failed",
    "mfa_locked",
    "mfa_enabled",
    "mfa_disabled",
    "mfa_setup_cancelled",
    "recovery_codes_regenerated",
    "account_locked",
    "logout",
    "session_revoked",
    "other_sessions_revoked",
    "refresh_token_reused",
    "password_changed",
    "password_change_failed",
    "password_reset_requested",
    "password_reset_requested_unknown",
    "password_reset_completed",
    "registration_for_existing_email",
    "verification_email_requested",
    "email_verified",
    "support_viewed_account",
    "support_unlocked_account",
    "support_reset_mfa",
    "admin_created_from_terminal",
    "role_granted",
    "role_removed",
    "user_suspended",
    "user_reactivated",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        step_ins(m).await?;
        event_acceptance(m).await?;
        m.alter_table(
            Table::alter()
                .table(Circles::Table)
                .add_column(timestamp_null(Circles::NeedsFacilitatorSince))
                .to_owned(),
        )
        .await?;
        audit_columns(m).await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

async fn step_ins(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(CircleStepIns::Table)
            .col(uuid_pk(CircleStepIns::Id))
            .col(uuid(CircleStepIns::CircleId))
            .col(uuid(CircleStepIns::AdminId))
            .col(text(CircleStepIns::Reason))
            .col(timestamp(CircleStepIns::StartedAt))
            .col(timestamp(CircleStepIns::ExpiresAt))
            .col(timestamp_null(CircleStepIns::EndedAt))
            .col(uuid_null(CircleStepIns::EndedBy))
            .foreign_key(&mut fk(
                (CircleStepIns::Table, CircleStepIns::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                (CircleStepIns::Table, CircleStepIns::AdminId),
                (Users::Table, Users::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(index(
        "ix_circle_step_ins_circle_expires",
        CircleStepIns::Table,
        [CircleStepIns::CircleId, CircleStepIns::ExpiresAt],
    ))
    .await
}

async fn event_acceptance(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(EventCircles::Table)
            .add_column(timestamp_null(EventCircles::AcceptedAt))
            .to_owned(),
    )
    .await?;
    m.alter_table(
        Table::alter()
            .table(EventCircles::Table)
            .add_column(uuid_null(EventCircles::AcceptedBy))
            .to_owned(),
    )
    .await?;
    // Events already open to chosen circles stay as they were: accepted when created.
    m.get_connection()
        .execute_unprepared(
            "UPDATE event_circles SET accepted_at = \
             (SELECT created_at FROM events WHERE events.id = event_circles.event_id)",
        )
        .await?;
    m.create_index(index(
        "ix_event_circles_circle",
        EventCircles::Table,
        [EventCircles::CircleId],
    ))
    .await
}

async fn audit_columns(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let columns = [
        ColumnDef::new(AuditLog::Classification)
            .string_len(16)
            .not_null()
            .default("administration")
            .to_owned(),
        // 1: the chain hashes the details themselves (rows written before this migration);
        // 2: it hashes a salted digest of them, so they can be erased.
        ColumnDef::new(AuditLog::Format)
            .small_integer()
            .not_null()
            .default(1)
            .to_owned(),
        varchar_null(AuditLog::Salt, 32),
        varchar_null(AuditLog::SubjectDigest, 64),
        timestamp_null(AuditLog::ErasedAt),
    ];
    for mut col in columns {
        m.alter_table(
            Table::alter()
                .table(AuditLog::Table)
                .add_column(&mut col)
                .to_owned(),
        )
        .await?;
    }
    // The append-only guard is lifted for the one-time classification of old rows, then
    // comes back allowing exactly one kind of change: erasing a row's personal details.
    let db = m.get_connection();
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let mut steps = vec![if postgres {
        "DROP TRIGGER audit_log_append_only ON audit_log".to_owned()
    } else {
        "DROP TRIGGER audit_log_no_UPDATE".to_owned()
    }];
    for (class, actions) in [("circle", CIRCLE_ACTIONS), ("security", SECURITY_ACTIONS)] {
        let list = actions
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        steps.push(format!(
            "UPDATE audit_log SET classification = '{class}' WHERE action IN ({list})"
        ));
    }
    steps.extend(guard_audit_log(postgres));
    if postgres {
        // Migrations run in one transaction on PostgreSQL.
        for step in steps {
            db.execute_unprepared(&step).await?;
        }
    } else {
        // One batch on one connection of the pool, in one transaction: the guard is never
        // seen missing, and no other connection can hold an older view of the schema.
        db.execute_unprepared(&format!("BEGIN; {}; COMMIT;", steps.join("; ")))
            .await?;
    }
    m.create_index(index(
        "ix_audit_log_classification_seq",
        AuditLog::Table,
        [AuditLog::Classification, AuditLog::Seq],
    ))
    .await
}

/// What an erasure may do to a row: blank its personal details (who, whom, from where,
/// what was said) once, on rows whose chain covers a digest of those details (format 2).
/// Everything the chain hashes directly stays as it was.
const ERASURE_ONLY: &str =
    "OLD.format = 2 AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL \
     AND NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.occurred_at = OLD.occurred_at \
     AND NEW.action = OLD.action AND NEW.classification = OLD.classification \
     AND NEW.format = OLD.format AND NEW.subject_digest = OLD.subject_digest \
     AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash \
     AND NEW.actor_id IS NULL AND NEW.target_id IS NULL AND NEW.ip IS NULL \
     AND NEW.request_id IS NULL AND NEW.salt IS NULL AND NEW.details = '{}'";

/// The statements that put the append-only guard back, allowing [`ERASURE_ONLY`].
fn guard_audit_log(postgres: bool) -> Vec<String> {
    if postgres {
        vec![
            format!(
                "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 IF TG_OP = 'UPDATE' AND {ERASURE_ONLY} THEN RETURN NEW; END IF; \
                 RAISE EXCEPTION 'audit_log is append-only'; END $$"
            ),
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
                .to_owned(),
        ]
    } else {
        vec![format!(
            "CREATE TRIGGER audit_log_no_UPDATE BEFORE UPDATE ON audit_log \
             WHEN NOT ({ERASURE_ONLY}) \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )]
    }
}
