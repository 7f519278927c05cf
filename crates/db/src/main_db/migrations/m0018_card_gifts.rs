//! Migration m0018: gifts to the scholarship fund paid by card. A gift is a PaymentIntent
//! a member starts on his own (not for a seat); this row keeps it while it is pending, so
//! the return page, the webhook and reconciliation can find it, and points at the
//! `donations` row its success wrote (the donation's own unique PaymentIntent reference
//! keeps it to one).

use crate::schema::{bigint, index, timestamp, unique_index, uuid, uuid_null, uuid_pk, varchar};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_card_gifts"
    }
}

#[derive(DeriveIden)]
enum CardGifts {
    Table,
    Id,
    UserId,
    AmountMinor,
    Currency,
    PaymentIntentId,
    Status,
    DonationId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(gifts()).await?;
        m.create_index(unique_index(
            "ux_card_gifts_payment_intent",
            CardGifts::Table,
            [CardGifts::PaymentIntentId],
        ))
        .await?;
        // Reconciliation reads the pending ones; a donor reads his own.
        m.create_index(index(
            "ix_card_gifts_status",
            CardGifts::Table,
            [CardGifts::Status, CardGifts::CreatedAt],
        ))
        .await?;
        m.create_index(index(
            "ix_card_gifts_user",
            CardGifts::Table,
            [CardGifts::UserId],
        ))
        .await
    }
}

// The donor is a plain id, as for his other money records.
fn gifts() -> TableCreateStatement {
    use CardGifts as G;
    Table::create()
        .table(G::Table)
        .col(uuid_pk(G::Id))
        .col(uuid(G::UserId))
        .col(bigint(G::AmountMinor))
        .col(varchar(G::Currency, 3))
        .col(varchar(G::PaymentIntentId, 255))
        .col(varchar(G::Status, 16))
        .col(uuid_null(G::DonationId))
        .col(timestamp(G::CreatedAt))
        .col(timestamp(G::UpdatedAt))
        .to_owned()
}
