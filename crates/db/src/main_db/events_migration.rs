//! Migration m0004: venues, events, the circles an event is open to, registrations and
//! idempotency keys.

use crate::columns::{ts, ts_null};
use sea_orm_migration::prelude::*;

/// Events and registration.
pub struct M0004Events;

impl MigrationName for M0004Events {
    fn name(&self) -> &str {
        "m0004_events"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Circles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Venues {
    Table,
    Id,
    Name,
    Address,
    Capacity,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    Title,
    Description,
    Status,
    StartsAt,
    EndsAt,
    TimeZone,
    VenueId,
    Location,
    OnlineUrl,
    Capacity,
    PriceMinor,
    Currency,
    WaitlistEnabled,
    OfferHours,
    RegistrationOpensAt,
    RegistrationClosesAt,
    CancellationPolicy,
    CircleId,
    OpenToAll,
    OrganiserId,
    ConfirmedCount,
    LastPosition,
    Sequence,
    CreatedAt,
    UpdatedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum EventCircles {
    Table,
    EventId,
    CircleId,
}

#[derive(DeriveIden)]
enum EventRegistrations {
    Table,
    Id,
    EventId,
    UserId,
    Status,
    Position,
    Note,
    OfferExpiresAt,
    CheckedInAt,
    CheckedInBy,
    RegisteredAt,
    ConfirmedAt,
    CancelledAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn int(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Events {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Venues::Table)
                .col(ColumnDef::new(Venues::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Venues::Name).string_len(120).not_null())
                .col(ColumnDef::new(Venues::Address).text().null())
                .col(int(Venues::Capacity))
                .col(ColumnDef::new(Venues::CreatedBy).uuid().null())
                .col(ts(Venues::CreatedAt))
                .col(ts(Venues::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(events_table()).await?;
        for (name, cols) in [
            ("ix_events_start", vec![Events::StartsAt]),
            (
                "ix_events_venue_start",
                vec![Events::VenueId, Events::StartsAt],
            ),
            (
                "ix_events_status_start",
                vec![Events::Status, Events::StartsAt],
            ),
        ] {
            let mut ix = Index::create().name(name).table(Events::Table).to_owned();
            for c in cols {
                ix.col(c);
            }
            m.create_index(ix).await?;
        }
        m.create_table(
            Table::create()
                .table(EventCircles::Table)
                .col(ColumnDef::new(EventCircles::EventId).uuid().not_null())
                .col(ColumnDef::new(EventCircles::CircleId).uuid().not_null())
                .primary_key(
                    Index::create()
                        .col(EventCircles::EventId)
                        .col(EventCircles::CircleId),
                )
                .foreign_key(&mut fk(
                    (EventCircles::Table, EventCircles::EventId),
                    (Events::Table, Events::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (EventCircles::Table, EventCircles::CircleId),
                    (Circles::Table, Circles::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(registrations_table()).await?;
        m.create_index(
            Index::create()
                .name("ux_registrations_event_user")
                .table(EventRegistrations::Table)
                .col(EventRegistrations::EventId)
                .col(EventRegistrations::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_registrations_event_status_position")
                .table(EventRegistrations::Table)
                .col(EventRegistrations::EventId)
                .col(EventRegistrations::Status)
                .col(EventRegistrations::Position)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_registrations_user")
                .table(EventRegistrations::Table)
                .col(EventRegistrations::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(ColumnDef::new(IdempotencyKeys::UserId).uuid().not_null())
                .col(
                    ColumnDef::new(IdempotencyKeys::Key)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IdempotencyKeys::RequestHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(int(IdempotencyKeys::Status))
                .col(ColumnDef::new(IdempotencyKeys::Body).text().not_null())
                .col(ts(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::UserId)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await
    }
}

fn events_table() -> TableCreateStatement {
    Table::create()
        .table(Events::Table)
        .col(ColumnDef::new(Events::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Events::Kind).string_len(24).not_null())
        .col(ColumnDef::new(Events::Title).string_len(120).not_null())
        .col(ColumnDef::new(Events::Description).text().not_null())
        .col(ColumnDef::new(Events::Status).string_len(16).not_null())
        .col(ts(Events::StartsAt))
        .col(ts(Events::EndsAt))
        .col(ColumnDef::new(Events::TimeZone).string_len(64).not_null())
        .col(ColumnDef::new(Events::VenueId).uuid().null())
        .col(ColumnDef::new(Events::Location).text().null())
        .col(ColumnDef::new(Events::OnlineUrl).text().null())
        .col(int(Events::Capacity))
        .col(ColumnDef::new(Events::PriceMinor).big_integer().not_null())
        .col(ColumnDef::new(Events::Currency).string_len(3).null())
        .col(ColumnDef::new(Events::WaitlistEnabled).boolean().not_null())
        // Hours a freed seat is held for the head of the waitlist when the event needs
        // payment; none means the seat is given at once.
        .col(ColumnDef::new(Events::OfferHours).integer().null())
        .col(ts_null(Events::RegistrationOpensAt))
        .col(ts_null(Events::RegistrationClosesAt))
        .col(ColumnDef::new(Events::CancellationPolicy).text().null())
        .col(ColumnDef::new(Events::CircleId).uuid().null())
        .col(ColumnDef::new(Events::OpenToAll).boolean().not_null())
        .col(ColumnDef::new(Events::OrganiserId).uuid().not_null())
        // The capacity invariant, like circles.active_members: only a conditional update
        // takes a seat.
        .col(int(Events::ConfirmedCount))
        // Arrival order of registrations (the waitlist order), bumped under the event's lock.
        .col(
            ColumnDef::new(Events::LastPosition)
                .big_integer()
                .not_null(),
        )
        // Bumped on every change calendar clients must pick up (iCalendar SEQUENCE).
        .col(int(Events::Sequence))
        .col(ts(Events::CreatedAt))
        .col(ts(Events::UpdatedAt))
        .col(ts_null(Events::CancelledAt))
        .foreign_key(&mut fk(
            (Events::Table, Events::VenueId),
            (Venues::Table, Venues::Id),
            ForeignKeyAction::Restrict,
        ))
        .foreign_key(&mut fk(
            (Events::Table, Events::CircleId),
            (Circles::Table, Circles::Id),
            ForeignKeyAction::SetNull,
        ))
        .foreign_key(&mut fk(
            (Events::Table, Events::OrganiserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Restrict,
        ))
        .to_owned()
}

fn registrations_table() -> TableCreateStatement {
    Table::create()
        .table(EventRegistrations::Table)
        .col(
            ColumnDef::new(EventRegistrations::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(EventRegistrations::EventId)
                .uuid()
                .not_null(),
        )
        .col(ColumnDef::new(EventRegistrations::UserId).uuid().not_null())
        .col(
            ColumnDef::new(EventRegistrations::Status)
                .string_len(20)
                .not_null(),
        )
        .col(
            ColumnDef::new(EventRegistrations::Position)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(EventRegistrations::Note).text().null())
        .col(ts_null(EventRegistrations::OfferExpiresAt))
        .col(ts_null(EventRegistrations::CheckedInAt))
        .col(
            ColumnDef::new(EventRegistrations::CheckedInBy)
                .uuid()
                .null(),
        )
        .col(ts(EventRegistrations::RegisteredAt))
        .col(ts_null(EventRegistrations::ConfirmedAt))
        .col(ts_null(EventRegistrations::CancelledAt))
        .col(ts(EventRegistrations::UpdatedAt))
        .foreign_key(&mut fk(
            (EventRegistrations::Table, EventRegistrations::EventId),
            (Events::Table, Events::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            (EventRegistrations::Table, EventRegistrations::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}
