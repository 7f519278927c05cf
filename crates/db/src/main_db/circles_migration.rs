//! Migration m0003: circles, memberships, invitations, meetings and attendance.

use crate::columns::{ts, ts_null};
use sea_orm_migration::prelude::*;

/// Circles and everything that happens in them.
pub struct M0003Circles;

impl MigrationName for M0003Circles {
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

fn cascade(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Circles {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Circles::Table)
                .col(ColumnDef::new(Circles::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Circles::Name).string_len(80).not_null())
                .col(ColumnDef::new(Circles::Description).text().not_null())
                .col(ColumnDef::new(Circles::Capacity).integer().not_null())
                .col(
                    ColumnDef::new(Circles::Visibility)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(Circles::Status).string_len(16).not_null())
                .col(ColumnDef::new(Circles::Frequency).string_len(16).not_null())
                .col(ColumnDef::new(Circles::Weekday).string_len(3).not_null())
                .col(
                    ColumnDef::new(Circles::MeetingTime)
                        .string_len(5)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Circles::DurationMinutes)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Circles::TimeZone).string_len(64).not_null())
                .col(ColumnDef::new(Circles::AnchorDate).date().not_null())
                .col(ColumnDef::new(Circles::City).string_len(100).null())
                .col(ColumnDef::new(Circles::Location).text().null())
                .col(ColumnDef::new(Circles::OnlineUrl).text().null())
                // Counted with a conditional update, so capacity holds under concurrency.
                .col(ColumnDef::new(Circles::ActiveMembers).integer().not_null())
                .col(ColumnDef::new(Circles::CreatedBy).uuid().null())
                .col(ts(Circles::CreatedAt))
                .col(ts(Circles::UpdatedAt))
                .col(ts_null(Circles::ArchivedAt))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_circles_status", Circles::Status),
            ("ix_circles_city", Circles::City),
            ("ix_circles_weekday", Circles::Weekday),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Circles::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(CircleMemberships::Table)
                .col(
                    ColumnDef::new(CircleMemberships::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CircleMemberships::CircleId)
                        .uuid()
                        .not_null(),
                )
                .col(ColumnDef::new(CircleMemberships::UserId).uuid().not_null())
                .col(
                    ColumnDef::new(CircleMemberships::Role)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CircleMemberships::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(CircleMemberships::Message).text().null())
                .col(ColumnDef::new(CircleMemberships::Reason).text().null())
                .col(ts(CircleMemberships::RequestedAt))
                .col(ts_null(CircleMemberships::DecidedAt))
                .col(ColumnDef::new(CircleMemberships::DecidedBy).uuid().null())
                .col(ts_null(CircleMemberships::JoinedAt))
                .col(ts_null(CircleMemberships::EndedAt))
                .foreign_key(&mut cascade(
                    (CircleMemberships::Table, CircleMemberships::CircleId),
                    (Circles::Table, Circles::Id),
                ))
                .foreign_key(&mut cascade(
                    (CircleMemberships::Table, CircleMemberships::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_circle_memberships_circle_user")
                .table(CircleMemberships::Table)
                .col(CircleMemberships::CircleId)
                .col(CircleMemberships::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_circle_memberships_user")
                .table(CircleMemberships::Table)
                .col(CircleMemberships::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CircleInvitations::Table)
                .col(
                    ColumnDef::new(CircleInvitations::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CircleInvitations::CircleId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CircleInvitations::Email)
                        .string_len(254)
                        .not_null(),
                )
                .col(ColumnDef::new(CircleInvitations::InvitedBy).uuid().null())
                .col(ts(CircleInvitations::CreatedAt))
                .col(ts(CircleInvitations::ExpiresAt))
                .col(ts_null(CircleInvitations::AcceptedAt))
                .col(ColumnDef::new(CircleInvitations::AcceptedBy).uuid().null())
                .col(ts_null(CircleInvitations::RevokedAt))
                .foreign_key(&mut cascade(
                    (CircleInvitations::Table, CircleInvitations::CircleId),
                    (Circles::Table, Circles::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_circle_invitations_circle")
                .table(CircleInvitations::Table)
                .col(CircleInvitations::CircleId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Meetings::Table)
                .col(ColumnDef::new(Meetings::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Meetings::CircleId).uuid().not_null())
                .col(ts(Meetings::StartsAt))
                .col(
                    ColumnDef::new(Meetings::DurationMinutes)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Meetings::Status).string_len(16).not_null())
                // The cadence occurrence a generated meeting came from (moving it keeps this),
                // so generating twice never duplicates a meeting.
                .col(ts_null(Meetings::OriginAt))
                .col(ColumnDef::new(Meetings::Location).text().null())
                .col(ColumnDef::new(Meetings::Note).text().null())
                // Set when the circle is archived: the per-person attendance is deleted and
                // only these counts stay, for reports.
                .col(ColumnDef::new(Meetings::PresentCount).integer().null())
                .col(ColumnDef::new(Meetings::AbsentCount).integer().null())
                .col(ColumnDef::new(Meetings::ExcusedCount).integer().null())
                .col(ts(Meetings::CreatedAt))
                .col(ts(Meetings::UpdatedAt))
                .foreign_key(&mut cascade(
                    (Meetings::Table, Meetings::CircleId),
                    (Circles::Table, Circles::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_meetings_circle_start")
                .table(Meetings::Table)
                .col(Meetings::CircleId)
                .col(Meetings::StartsAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_meetings_circle_origin")
                .table(Meetings::Table)
                .col(Meetings::CircleId)
                .col(Meetings::OriginAt)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Attendance::Table)
                .col(ColumnDef::new(Attendance::MeetingId).uuid().not_null())
                .col(ColumnDef::new(Attendance::UserId).uuid().not_null())
                .col(ColumnDef::new(Attendance::Status).string_len(16).not_null())
                .col(ColumnDef::new(Attendance::RecordedBy).uuid().null())
                .col(ts(Attendance::RecordedAt))
                .primary_key(
                    Index::create()
                        .col(Attendance::MeetingId)
                        .col(Attendance::UserId),
                )
                .foreign_key(&mut cascade(
                    (Attendance::Table, Attendance::MeetingId),
                    (Meetings::Table, Meetings::Id),
                ))
                .foreign_key(&mut cascade(
                    (Attendance::Table, Attendance::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_attendance_user")
                .table(Attendance::Table)
                .col(Attendance::UserId)
                .to_owned(),
        )
        .await
    }
}
