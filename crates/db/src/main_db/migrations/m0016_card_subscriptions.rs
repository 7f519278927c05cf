//! Migration m0016: memberships paid by card through Stripe subscriptions. Each member's
//! Stripe Customer (made once, reused for every subscription) and each subscription he
//! started, with what Stripe last said about it. The periods it pays for are ordinary
//! `memberships` rows, one per paid invoice under the invoice's id (unique already).

use crate::schema::{
    boolean, fk, index, timestamp, unique_index, uuid, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_card_subscriptions"
    }
}

#[derive(DeriveIden)]
enum StripeCustomers {
    Table,
    UserId,
    CustomerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MembershipSubscriptions {
    Table,
    Id,
    UserId,
    PlanId,
    CustomerId,
    SetupIntentId,
    SubscriptionId,
    Status,
    CancelAtPeriodEnd,
    FailedInvoiceId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MembershipPlans {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(customers()).await?;
        m.create_index(unique_index(
            "ux_stripe_customers_customer",
            StripeCustomers::Table,
            [StripeCustomers::CustomerId],
        ))
        .await?;
        m.create_table(subscriptions()).await?;
        // A subscription is recorded once, however often its setup is confirmed.
        m.create_index(unique_index(
            "ux_membership_subscriptions_subscription",
            MembershipSubscriptions::Table,
            [MembershipSubscriptions::SubscriptionId],
        ))
        .await?;
        m.create_index(unique_index(
            "ux_membership_subscriptions_setup_intent",
            MembershipSubscriptions::Table,
            [MembershipSubscriptions::SetupIntentId],
        ))
        .await?;
        m.create_index(index(
            "ix_membership_subscriptions_user",
            MembershipSubscriptions::Table,
            [MembershipSubscriptions::UserId],
        ))
        .await
    }
}

// The person is a plain id, as for his money records.
fn customers() -> TableCreateStatement {
    use StripeCustomers as C;
    Table::create()
        .table(C::Table)
        .col(uuid(C::UserId).primary_key().to_owned())
        .col(varchar(C::CustomerId, 255))
        .col(timestamp(C::CreatedAt))
        .to_owned()
}

fn subscriptions() -> TableCreateStatement {
    use MembershipSubscriptions as S;
    Table::create()
        .table(S::Table)
        .col(uuid_pk(S::Id))
        .col(uuid(S::UserId))
        .col(uuid(S::PlanId))
        .col(varchar(S::CustomerId, 255))
        .col(varchar(S::SetupIntentId, 255))
        .col(varchar(S::SubscriptionId, 255))
        .col(varchar(S::Status, 32))
        .col(boolean(S::CancelAtPeriodEnd))
        .col(varchar_null(S::FailedInvoiceId, 255))
        .col(timestamp(S::CreatedAt))
        .col(timestamp(S::UpdatedAt))
        .foreign_key(&mut fk(
            (S::Table, S::PlanId),
            (MembershipPlans::Table, MembershipPlans::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}
