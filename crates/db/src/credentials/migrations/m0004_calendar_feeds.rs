//! m0004: the hash of each person's secret calendar-feed address.

use crate::schema::{timestamp, uuid_pk, varchar};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
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
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CalendarFeeds::Table)
                .col(uuid_pk(CalendarFeeds::UserId))
                .col(varchar(CalendarFeeds::TokenHash, 64).unique_key())
                .col(timestamp(CalendarFeeds::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
