//! Migration m0014: scholarships and donations. A member's request for a reduced price on
//! one registration (its reason and the reviewer's note encrypted with the field key), and
//! donations to the scholarship fund, each pointing at its row in the ledger.

use crate::schema::{
    bigint, bigint_null, fk, index, int_null, text_null, timestamp, timestamp_null, unique_index,
    uuid, uuid_null, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_scholarships"
    }
}

#[derive(DeriveIden)]
enum EventRegistrations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ScholarshipRequests {
    Table,
    Id,
    RegistrationId,
    EventId,
    UserId,
    Status,
    ReasonAtRest,
    ReasonKeyVersion,
    AmountDueMinor,
    CoveredMinor,
    Currency,
    DecisionNoteAtRest,
    DecisionNoteKeyVersion,
    DecidedBy,
    DecidedAt,
    LedgerEntryId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Donations {
    Table,
    Id,
    UserId,
    AmountMinor,
    Currency,
    Method,
    Provider,
    ProviderReference,
    PaymentId,
    Note,
    RecordedBy,
    LedgerEntryId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(scholarship_requests()).await?;
        // One request per registration: a decision is final.
        m.create_index(unique_index(
            "ux_scholarship_requests_registration",
            ScholarshipRequests::Table,
            [ScholarshipRequests::RegistrationId],
        ))
        .await?;
        // The reviewers' queue reads open requests oldest first.
        m.create_index(index(
            "ix_scholarship_requests_status",
            ScholarshipRequests::Table,
            [ScholarshipRequests::Status, ScholarshipRequests::CreatedAt],
        ))
        .await?;
        m.create_table(donations()).await?;
        m.create_index(index(
            "ix_donations_user",
            Donations::Table,
            [Donations::UserId],
        ))
        .await?;
        m.create_index(index(
            "ix_donations_payment",
            Donations::Table,
            [Donations::PaymentId],
        ))
        .await?;
        // A provider's donation (a card payment) is recorded once, however often reported.
        m.create_index(unique_index(
            "ux_donations_provider_reference",
            Donations::Table,
            [Donations::Provider, Donations::ProviderReference],
        ))
        .await
    }
}

// The person and event are plain ids, as for payments: money records outlive accounts.
fn scholarship_requests() -> TableCreateStatement {
    use ScholarshipRequests as S;
    Table::create()
        .table(S::Table)
        .col(uuid_pk(S::Id))
        .col(uuid(S::RegistrationId))
        .col(uuid(S::EventId))
        .col(uuid(S::UserId))
        .col(varchar(S::Status, 16))
        // AES-GCM under the field key, bound to the request; never in clear.
        .col(text_null(S::ReasonAtRest))
        .col(int_null(S::ReasonKeyVersion))
        // Set when granted: what he pays, and what the fund covers.
        .col(bigint_null(S::AmountDueMinor))
        .col(bigint_null(S::CoveredMinor))
        .col(varchar(S::Currency, 3))
        .col(text_null(S::DecisionNoteAtRest))
        .col(int_null(S::DecisionNoteKeyVersion))
        .col(uuid_null(S::DecidedBy))
        .col(timestamp_null(S::DecidedAt))
        // The fund's `scholarship` ledger row, once the seat it pays for is confirmed.
        .col(uuid_null(S::LedgerEntryId))
        .col(timestamp(S::CreatedAt))
        .col(timestamp(S::UpdatedAt))
        .foreign_key(&mut fk(
            (S::Table, S::RegistrationId),
            (EventRegistrations::Table, EventRegistrations::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            (S::Table, S::LedgerEntryId),
            (LedgerEntries::Table, LedgerEntries::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}

fn donations() -> TableCreateStatement {
    use Donations as D;
    Table::create()
        .table(D::Table)
        .col(uuid_pk(D::Id))
        // The donor, when known: an anonymous gift has none.
        .col(uuid_null(D::UserId))
        .col(bigint(D::AmountMinor))
        .col(varchar(D::Currency, 3))
        .col(varchar(D::Method, 16))
        .col(varchar(D::Provider, 16))
        .col(varchar_null(D::ProviderReference, 255))
        // The payment it was given with (paying it forward), if any.
        .col(uuid_null(D::PaymentId))
        .col(text_null(D::Note))
        .col(uuid_null(D::RecordedBy))
        .col(uuid(D::LedgerEntryId))
        .col(timestamp(D::CreatedAt))
        .foreign_key(&mut fk(
            (D::Table, D::PaymentId),
            (Payments::Table, Payments::Id),
            ForeignKeyAction::Restrict,
        ))
        .foreign_key(&mut fk(
            (D::Table, D::LedgerEntryId),
            (LedgerEntries::Table, LedgerEntries::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}
