//! m0003: circles, memberships, invitations, meetings and attendance.

use crate::schema::{
    fk, index, int, int_null, text, text_null, timestamp, timestamp_null, unique_index, uuid,
    uuid_null, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_circles"
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
    Name,
    Description,
    Capacity,
    Visibility,
    Status,
    Frequency,
    Weekday,
    MeetingTime,
    DurationMinutes,
    TimeZone,
    AnchorDate,
    City,
    Location,
    OnlineUrl,
    ActiveMembers,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum CircleMemberships {
    Table,
    Id,
    CircleId,
    UserId,
    Role,
    Status,
    Message,
    Reason,
    RequestedAt,
    DecidedAt,
    DecidedBy,
    JoinedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum CircleInvitations {
    Table,
    Id,
    CircleId,
    Email,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    CircleId,
    StartsAt,
    DurationMinutes,
    Status,
    OriginAt,
    Location,
    Note,
    PresentCount,
    AbsentCount,
    ExcusedCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Attendance {
    Table,
    MeetingId,
    UserId,
    Status,
    RecordedBy,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CircleMemberships as Cm;
        m.create_table(circles()).await?;
        for (name, col) in [
            ("ix_circles_status", Circles::Status),
            ("ix_circles_city", Circles::City),
            ("ix_circles_weekday", Circles::Weekday),
        ] {
            m.create_index(index(name, Circles::Table, [col])).await?;
        }

        m.create_table(circle_memberships()).await?;
        m.create_index(unique_index(
            "ux_circle_memberships_circle_user",
            Cm::Table,
            [Cm::CircleId, Cm::UserId],
        ))
        .await?;
        m.create_index(index("ix_circle_memberships_user", Cm::Table, [Cm::UserId]))
            .await?;

        m.create_table(circle_invitations()).await?;
        m.create_index(index(
            "ix_circle_invitations_circle",
            CircleInvitations::Table,
            [CircleInvitations::CircleId],
        ))
        .await?;

        m.create_table(meetings()).await?;
        m.create_index(index(
            "ix_meetings_circle_start",
            Meetings::Table,
            [Meetings::CircleId, Meetings::StartsAt],
        ))
        .await?;
        m.create_index(unique_index(
            "ux_meetings_circle_origin",
            Meetings::Table,
            [Meetings::CircleId, Meetings::OriginAt],
        ))
        .await?;

        m.create_table(attendance()).await?;
        m.create_index(index(
            "ix_attendance_user",
            Attendance::Table,
            [Attendance::UserId],
        ))
        .await
    }
}

fn circles() -> TableCreateStatement {
    Table::create()
        .table(Circles::Table)
        .col(uuid_pk(Circles::Id))
        .col(varchar(Circles::Name, 80))
        .col(text(Circles::Description))
        .col(int(Circles::Capacity))
        .col(varchar(Circles::Visibility, 16))
        .col(varchar(Circles::Status, 16))
        .col(varchar(Circles::Frequency, 16))
        .col(varchar(Circles::Weekday, 3))
        .col(varchar(Circles::MeetingTime, 5))
        .col(int(Circles::DurationMinutes))
        .col(varchar(Circles::TimeZone, 64))
        .col(ColumnDef::new(Circles::AnchorDate).date().not_null())
        .col(varchar_null(Circles::City, 100))
        .col(text_null(Circles::Location))
        .col(text_null(Circles::OnlineUrl))
        // Counted with a conditional update, so capacity holds under concurrency.
        .col(int(Circles::ActiveMembers))
        .col(uuid_null(Circles::CreatedBy))
        .col(timestamp(Circles::CreatedAt))
        .col(timestamp(Circles::UpdatedAt))
        .col(timestamp_null(Circles::ArchivedAt))
        .to_owned()
}

fn circle_memberships() -> TableCreateStatement {
    use CircleMemberships as Cm;
    Table::create()
        .table(Cm::Table)
        .col(uuid_pk(Cm::Id))
        .col(uuid(Cm::CircleId))
        .col(uuid(Cm::UserId))
        .col(varchar(Cm::Role, 16))
        .col(varchar(Cm::Status, 16))
        .col(text_null(Cm::Message))
        .col(text_null(Cm::Reason))
        .col(timestamp(Cm::RequestedAt))
        .col(timestamp_null(Cm::DecidedAt))
        .col(uuid_null(Cm::DecidedBy))
        .col(timestamp_null(Cm::JoinedAt))
        .col(timestamp_null(Cm::EndedAt))
        .foreign_key(&mut fk(
            (Cm::Table, Cm::CircleId),
            (Circles::Table, Circles::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            (Cm::Table, Cm::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn circle_invitations() -> TableCreateStatement {
    use CircleInvitations as Ci;
    Table::create()
        .table(Ci::Table)
        .col(uuid_pk(Ci::Id))
        .col(uuid(Ci::CircleId))
        .col(varchar(Ci::Email, 254))
        .col(uuid_null(Ci::InvitedBy))
        .col(timestamp(Ci::CreatedAt))
        .col(timestamp(Ci::ExpiresAt))
        .col(timestamp_null(Ci::AcceptedAt))
        .col(uuid_null(Ci::AcceptedBy))
        .col(timestamp_null(Ci::RevokedAt))
        .foreign_key(&mut fk(
            (Ci::Table, Ci::CircleId),
            (Circles::Table, Circles::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn meetings() -> TableCreateStatement {
    Table::create()
        .table(Meetings::Table)
        .col(uuid_pk(Meetings::Id))
        .col(uuid(Meetings::CircleId))
        .col(timestamp(Meetings::StartsAt))
        .col(int(Meetings::DurationMinutes))
        .col(varchar(Meetings::Status, 16))
        // The cadence occurrence a generated meeting came from (moving it keeps this),
        // so generating twice never duplicates a meeting.
        .col(timestamp_null(Meetings::OriginAt))
        .col(text_null(Meetings::Location))
        .col(text_null(Meetings::Note))
        // Set when the circle is archived: the per-person attendance is deleted and
        // only these counts stay, for reports.
        .col(int_null(Meetings::PresentCount))
        .col(int_null(Meetings::AbsentCount))
        .col(int_null(Meetings::ExcusedCount))
        .col(timestamp(Meetings::CreatedAt))
        .col(timestamp(Meetings::UpdatedAt))
        .foreign_key(&mut fk(
            (Meetings::Table, Meetings::CircleId),
            (Circles::Table, Circles::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn attendance() -> TableCreateStatement {
    Table::create()
        .table(Attendance::Table)
        .col(uuid(Attendance::MeetingId))
        .col(uuid(Attendance::UserId))
        .col(varchar(Attendance::Status, 16))
        .col(uuid_null(Attendance::RecordedBy))
        .col(timestamp(Attendance::RecordedAt))
        .primary_key(
            Index::create()
                .col(Attendance::MeetingId)
                .col(Attendance::UserId),
        )
        .foreign_key(&mut fk(
            (Attendance::Table, Attendance::MeetingId),
            (Meetings::Table, Meetings::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            (Attendance::Table, Attendance::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}
