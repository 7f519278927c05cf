//! Migration m0017: indexes shaped like the event list's reads (issue 14).
//!
//! The published list filters on status and start and orders by `(starts_at, id)`: with
//! `id` in the index the rows come out in order, where `(status, starts_at)` left SQLite a
//! temporary B-tree and PostgreSQL an incremental sort for the tie-break. The list's
//! grouped count of waitlists and the viewer's own status reads `event_id`, `status` and
//! `user_id` of the registrations: with `user_id` added the index covers that query, so
//! no registration row is looked up (about 900 per page at demo scale). Each new index
//! starts with the columns of the one it replaces, which therefore goes.

use crate::schema::index;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_list_indexes"
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Status,
    StartsAt,
}

#[derive(DeriveIden)]
enum EventRegistrations {
    Table,
    EventId,
    Status,
    Position,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "ix_events_status_start_id",
            Events::Table,
            [Events::Status, Events::StartsAt, Events::Id],
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_events_status_start")
                .table(Events::Table)
                .to_owned(),
        )
        .await?;
        type Er = EventRegistrations;
        m.create_index(index(
            "ix_registrations_event_status_position_user",
            Er::Table,
            [Er::EventId, Er::Status, Er::Position, Er::UserId],
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_registrations_event_status_position")
                .table(Er::Table)
                .to_owned(),
        )
        .await
    }
}
