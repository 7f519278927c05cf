//! Migration m0015: paid memberships. Plans an Admin defines (an amount every month or
//! year), the periods each member has paid for (recorded offline today; a provider such
//! as Stripe later, through `provider` and `provider_reference`), and the plan a payment
//! and its ledger row were for, so reports can total money by plan.

use crate::schema::{
    bigint, fk, index, text_null, timestamp, timestamp_null, unique_index, uuid, uuid_null,
    uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_memberships"
    }
}

#[derive(DeriveIden)]
enum MembershipPlans {
    Table,
    Id,
    Name,
    AmountMinor,
    Currency,
    Interval,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    PlanId,
    PeriodStart,
    PeriodEnd,
    AmountMinor,
    Currency,
    PaymentId,
    Provider,
    ProviderReference,
    Status,
    Note,
    RecordedBy,
    CreatedAt,
    LapsedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    PlanId,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    PlanId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(plans()).await?;
        m.create_table(memberships()).await?;
        m.create_index(index(
            "ix_memberships_user",
            Memberships::Table,
            [Memberships::UserId, Memberships::PeriodEnd],
        ))
        .await?;
        // The lapse sweep looks for active periods that ended.
        m.create_index(index(
            "ix_memberships_status_end",
            Memberships::Table,
            [Memberships::Status, Memberships::PeriodEnd],
        ))
        .await?;
        // A provider's subscription period is recorded once, however often it is reported.
        m.create_index(unique_index(
            "ux_memberships_provider_reference",
            Memberships::Table,
            [Memberships::Provider, Memberships::ProviderReference],
        ))
        .await?;
        // Plain ids, as for the event: money records outlive what they mention.
        m.alter_table(
            Table::alter()
                .table(Payments::Table)
                .add_column(uuid_null(Payments::PlanId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(LedgerEntries::Table)
                .add_column(uuid_null(LedgerEntries::PlanId))
                .to_owned(),
        )
        .await
    }
}

fn plans() -> TableCreateStatement {
    use MembershipPlans as P;
    Table::create()
        .table(P::Table)
        .col(uuid_pk(P::Id))
        .col(varchar(P::Name, 80))
        .col(bigint(P::AmountMinor))
        .col(varchar(P::Currency, 3))
        .col(varchar(P::Interval, 16))
        .col(timestamp_null(P::ArchivedAt))
        .col(timestamp(P::CreatedAt))
        .col(timestamp(P::UpdatedAt))
        .to_owned()
}

// The person is a plain id (his money records outlive his account); the plan cannot be
// deleted while a membership names it, and the payment row is kept with it.
fn memberships() -> TableCreateStatement {
    use Memberships as M;
    Table::create()
        .table(M::Table)
        .col(uuid_pk(M::Id))
        .col(uuid(M::UserId))
        .col(uuid(M::PlanId))
        .col(timestamp(M::PeriodStart))
        .col(timestamp(M::PeriodEnd))
        .col(bigint(M::AmountMinor))
        .col(varchar(M::Currency, 3))
        .col(uuid_null(M::PaymentId))
        .col(varchar(M::Provider, 16))
        .col(varchar_null(M::ProviderReference, 255))
        .col(varchar(M::Status, 16))
        .col(text_null(M::Note))
        .col(uuid_null(M::RecordedBy))
        .col(timestamp(M::CreatedAt))
        .col(timestamp_null(M::LapsedAt))
        .foreign_key(&mut fk(
            (M::Table, M::PlanId),
            (MembershipPlans::Table, MembershipPlans::Id),
            ForeignKeyAction::Restrict,
        ))
        .foreign_key(&mut fk(
            (M::Table, M::PaymentId),
            (Payments::Table, Payments::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}
