//! An event: a circle meeting, movie night, workshop, day retreat or multi-day retreat.

use domain::event::{EventKind, EventStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub status: EventStatus,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// IANA time zone the event is shown in.
    pub time_zone: String,
    pub venue_id: Option<Uuid>,
    pub location: Option<String>,
    pub online_url: Option<String>,
    pub capacity: i32,
    /// Integer minor units (cents); 0 is free.
    pub price_minor: i64,
    pub currency: Option<String>,
    /// A sliding scale's suggested amount (then `price_minor` is its minimum).
    pub price_suggested_minor: Option<i64>,
    /// A sliding scale's maximum; set exactly when the price is a sliding scale.
    pub price_maximum_minor: Option<i64>,
    pub waitlist_enabled: bool,
    /// Hours a freed seat is held for the head of the waitlist on paid events; `None`
    /// gives the seat at once.
    pub offer_hours: Option<i32>,
    pub registration_opens_at: Option<DateTimeUtc>,
    pub registration_closes_at: Option<DateTimeUtc>,
    pub cancellation_policy: Option<String>,
    /// The refund policy: a full refund until this many days before the start…
    pub refund_full_days_before: Option<i32>,
    /// …then this percentage of what was paid until the start. Both set, or neither.
    pub refund_later_percent: Option<i32>,
    /// The organiser's circle, for events a facilitator holds for it.
    pub circle_id: Option<Uuid>,
    /// Open to everyone, or only to the circles in `event_circles`.
    pub open_to_all: bool,
    pub organiser_id: Uuid,
    /// Confirmed (and offered) seats; only changed by conditional updates.
    pub confirmed_count: i32,
    /// The last arrival position handed out (waitlist order).
    pub last_position: i64,
    /// iCalendar SEQUENCE: bumped on changes calendar clients must pick up.
    pub sequence: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
