//! Migration m0007: members' answers to "are you coming?" for a circle's meetings, one row
//! per meeting and member, changed in place until the meeting starts.

use crate::schema::{fk, index, timestamp, uuid, varchar};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_meeting_rsvps"
    }
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MeetingRsvps {
    Table,
    MeetingId,
    UserId,
    Answer,
    AnsweredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MeetingRsvps::Table)
                .col(uuid(MeetingRsvps::MeetingId))
                .col(uuid(MeetingRsvps::UserId))
                .col(varchar(MeetingRsvps::Answer, 16))
                .col(timestamp(MeetingRsvps::AnsweredAt))
                // One answer per member and meeting: changing it updates the row.
                .primary_key(
                    Index::create()
                        .col(MeetingRsvps::MeetingId)
                        .col(MeetingRsvps::UserId),
                )
                .foreign_key(&mut fk(
                    (MeetingRsvps::Table, MeetingRsvps::MeetingId),
                    (Meetings::Table, Meetings::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (MeetingRsvps::Table, MeetingRsvps::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_meeting_rsvps_user",
            MeetingRsvps::Table,
            [MeetingRsvps::UserId],
        ))
        .await
    }
}
