//! Creating events and venues, publishing, cancelling and completing events, viewing and
//! browsing them.

mod creating;
mod input;
mod new_venues;
mod offers;
mod status;

pub use creating::create;
pub use input::check;
pub use new_venues::{create_venue, venues};
pub use offers::{answer_offer, offers, EventOffer};
pub use status::set_status;

pub(super) use creating::{check_venue, clashes_with_own_meetings};
pub(super) use input::{validate, Valid};
pub(super) use new_venues::checked_venue;
pub(super) use status::{schedule_reminder, tell_everyone};

use chrono::{DateTime, Utc};
use db::main_db::venues;
use domain::event::EventKind;
use domain::{MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most seats an event may have.
pub const MAX_CAPACITY: i64 = 1000;
/// The longest a freed seat may be held for someone on the waitlist.
pub const MAX_OFFER_HOURS: i64 = 168;

/// An event as its organiser describes it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EventInput {
    #[schema(value_type = crate::api_schema::EventKind)]
    pub kind: EventKind,
    #[schema(min_length = 3, max_length = 120)]
    pub title: String,
    #[serde(default)]
    pub description: MultiLine<5000>,
    /// Local start, `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub starts_at: String,
    /// Local end, `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub ends_at: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub venue_id: Option<Uuid>,
    /// Where it happens, when not at a venue.
    pub location: Option<SingleLine<500>>,
    /// An `https://` link for online events (shown to those registered).
    pub online_url: Option<SingleLine<500>>,
    /// Seats (no more than the venue holds).
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: i64,
    /// Price in minor units (cents), or a sliding scale's minimum; 0 or absent is free.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub price_minor: i64,
    /// ISO 4217 code, required when there is a price.
    pub currency: Option<SingleLine<3>>,
    /// A sliding scale's suggested amount in minor units; with `price_maximum_minor` it
    /// makes the price a sliding scale whose minimum is `price_minor`
    /// (`0 < minimum ≤ suggested ≤ maximum`).
    #[schema(minimum = 0)]
    pub price_suggested_minor: Option<i64>,
    /// A sliding scale's maximum in minor units.
    #[schema(minimum = 0)]
    pub price_maximum_minor: Option<i64>,
    /// When full, people join a waitlist (default) or are turned away.
    #[serde(default = "yes")]
    pub waitlist_enabled: bool,
    /// On paid events: hours a freed seat is offered to the head of the waitlist (1–168)
    /// before it passes on; absent gives the seat at once.
    #[schema(minimum = 1, maximum = 168)]
    pub offer_hours: Option<i64>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub cancellation_policy: Option<MultiLine<2000>>,
    /// On paid events, the refund a member gets when he cancels his own paid seat: the
    /// full amount until this many days before the start (0–365)…
    #[schema(minimum = 0, maximum = 365)]
    pub refund_full_days_before: Option<i64>,
    /// …then this percentage of what he paid until the start (0–100; absent is 0). Without
    /// `refund_full_days_before` there is no policy: nothing is refunded automatically.
    #[schema(minimum = 0, maximum = 100)]
    pub refund_later_percent: Option<i64>,
    /// For a facilitator's event for his own circle (only its members may register).
    pub circle_id: Option<Uuid>,
    /// For a programme event: the circles it is open to; empty is everyone.
    #[serde(default)]
    pub circle_ids: Vec<Uuid>,
}

fn yes() -> bool {
    true
}

/// A venue.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewVenue {
    #[schema(min_length = 2, max_length = 120)]
    pub name: SingleLine<120>,
    pub address: Option<SingleLine<500>>,
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Venue {
    pub id: Uuid,
    pub name: String,
    pub address: Option<String>,
    pub capacity: i32,
}

impl From<venues::Model> for Venue {
    fn from(v: venues::Model) -> Self {
        Venue {
            id: v.id,
            name: v.name,
            address: v.address,
            capacity: v.capacity,
        }
    }
}

/// A warning the organiser should see, though nothing was refused.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// `overlaps_circle_meeting` or `overlaps_registration`.
    pub code: &'static str,
    pub message: String,
}
