//! m0004: venues, events, the circles an event is open to, registrations and idempotency
//! keys.

use crate::schema::{
    bigint, boolean, fk, index, int, int_null, text, text_null, timestamp, timestamp_null,
    unique_index, uuid, uuid_null, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use EventRegistrations as Er;
        m.create_table(venues()).await?;

        m.create_table(events()).await?;
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
            m.create_index(index(name, Events::Table, cols)).await?;
        }

        m.create_table(event_circles()).await?;

        m.create_table(registrations()).await?;
        m.create_index(unique_index(
            "ux_registrations_event_user",
            Er::Table,
            [Er::EventId, Er::UserId],
        ))
        .await?;
        m.create_index(index(
            "ix_registrations_event_status_position",
            Er::Table,
            [Er::EventId, Er::Status, Er::Position],
        ))
        .await?;
        m.create_index(index("ix_registrations_user", Er::Table, [Er::UserId]))
            .await?;

        m.create_table(idempotency_keys()).await
    }
}

fn venues() -> TableCreateStatement {
    Table::create()
        .table(Venues::Table)
        .col(uuid_pk(Venues::Id))
        .col(varchar(Venues::Name, 120))
        .col(text_null(Venues::Address))
        .col(int(Venues::Capacity))
        .col(uuid_null(Venues::CreatedBy))
        .col(timestamp(Venues::CreatedAt))
        .col(timestamp(Venues::UpdatedAt))
        .to_owned()
}

fn events() -> TableCreateStatement {
    Table::create()
        .table(Events::Table)
        .col(uuid_pk(Events::Id))
        .col(varchar(Events::Kind, 24))
        .col(varchar(Events::Title, 120))
        .col(text(Events::Description))
        .col(varchar(Events::Status, 16))
        .col(timestamp(Events::StartsAt))
        .col(timestamp(Events::EndsAt))
        .col(varchar(Events::TimeZone, 64))
        .col(uuid_null(Events::VenueId))
        .col(text_null(Events::Location))
        .col(text_null(Events::OnlineUrl))
        .col(int(Events::Capacity))
        .col(bigint(Events::PriceMinor))
        .col(varchar_null(Events::Currency, 3))
        .col(boolean(Events::WaitlistEnabled))
        // Hours a freed seat is held for the head of the waitlist when the event needs
        // payment; none means the seat is given at once.
        .col(int_null(Events::OfferHours))
        .col(timestamp_null(Events::RegistrationOpensAt))
        .col(timestamp_null(Events::RegistrationClosesAt))
        .col(text_null(Events::CancellationPolicy))
        .col(uuid_null(Events::CircleId))
        .col(boolean(Events::OpenToAll))
        .col(uuid(Events::OrganiserId))
        // The capacity invariant, like circles.active_members: only a conditional update
        // takes a seat.
        .col(int(Events::ConfirmedCount))
        // Arrival order of registrations (the waitlist order), bumped under the event's lock.
        .col(bigint(Events::LastPosition))
        // Bumped on every change calendar clients must pick up (iCalendar SEQUENCE).
        .col(int(Events::Sequence))
        .col(timestamp(Events::CreatedAt))
        .col(timestamp(Events::UpdatedAt))
        .col(timestamp_null(Events::CancelledAt))
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

fn event_circles() -> TableCreateStatement {
    Table::create()
        .table(EventCircles::Table)
        .col(uuid(EventCircles::EventId))
        .col(uuid(EventCircles::CircleId))
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
        .to_owned()
}

fn registrations() -> TableCreateStatement {
    use EventRegistrations as Er;
    Table::create()
        .table(Er::Table)
        .col(uuid_pk(Er::Id))
        .col(uuid(Er::EventId))
        .col(uuid(Er::UserId))
        .col(varchar(Er::Status, 20))
        .col(bigint(Er::Position))
        .col(text_null(Er::Note))
        .col(timestamp_null(Er::OfferExpiresAt))
        .col(timestamp_null(Er::CheckedInAt))
        .col(uuid_null(Er::CheckedInBy))
        .col(timestamp(Er::RegisteredAt))
        .col(timestamp_null(Er::ConfirmedAt))
        .col(timestamp_null(Er::CancelledAt))
        .col(timestamp(Er::UpdatedAt))
        .foreign_key(&mut fk(
            (Er::Table, Er::EventId),
            (Events::Table, Events::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            (Er::Table, Er::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn idempotency_keys() -> TableCreateStatement {
    use IdempotencyKeys as Ik;
    Table::create()
        .table(Ik::Table)
        .col(uuid(Ik::UserId))
        .col(varchar(Ik::Key, 200))
        .col(varchar(Ik::RequestHash, 64))
        .col(int(Ik::Status))
        .col(text(Ik::Body))
        .col(timestamp(Ik::CreatedAt))
        .primary_key(Index::create().col(Ik::UserId).col(Ik::Key))
        .to_owned()
}
