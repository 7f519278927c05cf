//! Migration m0013: refunds. One row per refund of a payment (offline, or at a provider
//! whose reference is kept once), the ledger row each succeeded refund writes, and the
//! refund policy an event may state for members who cancel.

use crate::schema::{
    bigint, fk, index, int_null, text, timestamp, timestamp_null, unique_index, uuid, uuid_null,
    uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_refunds"
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    RefundFullDaysBefore,
    RefundLaterPercent,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    RefundId,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    PaymentId,
    AmountMinor,
    Currency,
    Reason,
    Status,
    Kind,
    Provider,
    ProviderReference,
    CauseKey,
    RequestedBy,
    CreatedAt,
    SucceededAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The policy: a full refund until this many days before the start, then this
        // percentage until the start. Both set, or neither (no policy).
        for col in [Events::RefundFullDaysBefore, Events::RefundLaterPercent] {
            m.alter_table(
                Table::alter()
                    .table(Events::Table)
                    .add_column(int_null(col))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(refunds()).await?;
        m.create_index(index(
            "ix_refunds_payment",
            Refunds::Table,
            [Refunds::PaymentId],
        ))
        .await?;
        // A provider's refund is recorded once, however often it is reported.
        m.create_index(unique_index(
            "ux_refunds_provider_reference",
            Refunds::Table,
            [Refunds::Provider, Refunds::ProviderReference],
        ))
        .await?;
        // A refund the platform makes by itself is made once per cause (a job that runs
        // twice, or two workers at once, cannot refund the same thing twice).
        m.create_index(unique_index(
            "ux_refunds_cause_key",
            Refunds::Table,
            [Refunds::CauseKey],
        ))
        .await?;
        // The refund a ledger row records (plain id: the ledger outlives everything).
        m.alter_table(
            Table::alter()
                .table(LedgerEntries::Table)
                .add_column(uuid_null(LedgerEntries::RefundId))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

fn refunds() -> TableCreateStatement {
    use Refunds as R;
    Table::create()
        .table(R::Table)
        .col(uuid_pk(R::Id))
        .col(uuid(R::PaymentId))
        // Positive: how much goes back (the ledger row carries it negative).
        .col(bigint(R::AmountMinor))
        .col(varchar(R::Currency, 3))
        .col(text(R::Reason))
        .col(varchar(R::Status, 16))
        .col(varchar(R::Kind, 24))
        .col(varchar(R::Provider, 16))
        .col(varchar_null(R::ProviderReference, 255))
        .col(varchar_null(R::CauseKey, 120))
        // None for refunds the platform or the provider made by itself.
        .col(uuid_null(R::RequestedBy))
        .col(timestamp(R::CreatedAt))
        .col(timestamp_null(R::SucceededAt))
        .foreign_key(&mut fk(
            (R::Table, R::PaymentId),
            (Payments::Table, Payments::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}
