//! Migration m0011: paid events. A sliding-scale price on events, the time a held seat
//! waits for payment, payments (offline today, a provider such as Stripe later) and the
//! append-only ledger every movement of money is written to.

use crate::schema::{
    bigint, bigint_null, fk, index, text_null, timestamp, timestamp_null, unique_index, uuid,
    uuid_null, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_payments"
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    PriceSuggestedMinor,
    PriceMaximumMinor,
}

#[derive(DeriveIden)]
enum EventRegistrations {
    Table,
    Id,
    HoldExpiresAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    UserId,
    EventId,
    RegistrationId,
    AmountMinor,
    Currency,
    Method,
    Provider,
    ProviderReference,
    Status,
    Note,
    RecordedBy,
    CreatedAt,
    SucceededAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    Kind,
    PaymentId,
    UserId,
    EventId,
    AmountMinor,
    Currency,
    Method,
    Provider,
    ProviderReference,
    RecordedBy,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A sliding scale: `price_minor` is its minimum (or the fixed price); both new
        // columns are set for a sliding scale and empty otherwise.
        for col in [Events::PriceSuggestedMinor, Events::PriceMaximumMinor] {
            m.alter_table(
                Table::alter()
                    .table(Events::Table)
                    .add_column(bigint_null(col))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(EventRegistrations::Table)
                .add_column(timestamp_null(EventRegistrations::HoldExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_table(payments()).await?;
        m.create_index(index(
            "ix_payments_user",
            Payments::Table,
            [Payments::UserId],
        ))
        .await?;
        m.create_index(index(
            "ix_payments_registration",
            Payments::Table,
            [Payments::RegistrationId],
        ))
        .await?;
        // A provider's payment is recorded once, however often it is reported.
        m.create_index(unique_index(
            "ux_payments_provider_reference",
            Payments::Table,
            [Payments::Provider, Payments::ProviderReference],
        ))
        .await?;
        m.create_table(ledger()).await?;
        m.create_index(index(
            "ix_ledger_entries_created",
            LedgerEntries::Table,
            [LedgerEntries::CreatedAt],
        ))
        .await?;
        m.create_index(index(
            "ix_ledger_entries_payment",
            LedgerEntries::Table,
            [LedgerEntries::PaymentId],
        ))
        .await?;
        forbid_ledger_changes(m).await
    }
}

// Money records outlive the accounts and registrations they mention: the person and the
// event are kept as plain ids (no foreign key that a deletion could cascade through).
fn payments() -> TableCreateStatement {
    use Payments as P;
    Table::create()
        .table(P::Table)
        .col(uuid_pk(P::Id))
        .col(uuid(P::UserId))
        .col(uuid_null(P::EventId))
        .col(uuid_null(P::RegistrationId))
        .col(bigint(P::AmountMinor))
        .col(varchar(P::Currency, 3))
        .col(varchar(P::Method, 16))
        .col(varchar(P::Provider, 16))
        .col(varchar_null(P::ProviderReference, 255))
        .col(varchar(P::Status, 16))
        .col(text_null(P::Note))
        .col(uuid_null(P::RecordedBy))
        .col(timestamp(P::CreatedAt))
        .col(timestamp_null(P::SucceededAt))
        .foreign_key(&mut fk(
            (P::Table, P::RegistrationId),
            (EventRegistrations::Table, EventRegistrations::Id),
            ForeignKeyAction::SetNull,
        ))
        .foreign_key(&mut fk(
            (P::Table, P::EventId),
            (Events::Table, Events::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}

fn ledger() -> TableCreateStatement {
    use LedgerEntries as L;
    Table::create()
        .table(L::Table)
        .col(uuid_pk(L::Id))
        .col(varchar(L::Kind, 24))
        .col(uuid_null(L::PaymentId))
        .col(uuid_null(L::UserId))
        .col(uuid_null(L::EventId))
        // Signed: money in is positive, money out (refunds) negative.
        .col(bigint(L::AmountMinor))
        .col(varchar(L::Currency, 3))
        .col(varchar(L::Method, 16))
        .col(varchar(L::Provider, 16))
        .col(varchar_null(L::ProviderReference, 255))
        .col(uuid_null(L::RecordedBy))
        .col(text_null(L::Reason))
        .col(timestamp(L::CreatedAt))
        .foreign_key(&mut fk(
            (L::Table, L::PaymentId),
            (Payments::Table, Payments::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}

/// The ledger is append-only: the database itself refuses updates and deletes, as for
/// the audit log.
async fn forbid_ledger_changes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN RAISE EXCEPTION 'ledger_entries is append-only'; END $$;",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE \
                 ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();",
            )
            .await?;
        }
        _ => {
            for op in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER ledger_entries_no_{op} BEFORE {op} ON ledger_entries \
                     BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;"
                ))
                .await?;
            }
        }
    }
    Ok(())
}
