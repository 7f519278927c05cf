//! Migration m0012: the Stripe webhook events received, one row per Stripe event id. The
//! key is what makes a delivery count once: Stripe repeats deliveries (and sends them out
//! of order), and a repeat finds its id here and does nothing. A table, not a cache, so
//! the memory outlives restarts and any dedup window.

use crate::schema::{timestamp, varchar, varchar_null};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_stripe_events"
    }
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    ObjectId,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StripeEvents::Table)
                .col(varchar(StripeEvents::Id, 255).primary_key().to_owned())
                .col(varchar(StripeEvents::Kind, 100))
                .col(varchar_null(StripeEvents::ObjectId, 255))
                .col(timestamp(StripeEvents::ReceivedAt))
                .to_owned(),
        )
        .await
    }
}
