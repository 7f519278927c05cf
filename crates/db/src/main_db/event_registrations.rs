//! One person's registration for an event, through its lifecycle (confirmed, waitlisted,
//! offered a freed seat, cancelled).

use domain::event::RegistrationStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_registrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub status: RegistrationStatus,
    /// Arrival order within the event; the waitlist is served in this order.
    pub position: i64,
    /// The organiser's note about this person (never shown to other registrants).
    pub note: Option<String>,
    pub offer_expires_at: Option<DateTimeUtc>,
    /// Until when a seat awaiting payment is held; then it passes to the waitlist.
    pub hold_expires_at: Option<DateTimeUtc>,
    pub checked_in_at: Option<DateTimeUtc>,
    pub checked_in_by: Option<Uuid>,
    pub registered_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
