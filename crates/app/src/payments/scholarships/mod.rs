//! Scholarships: a member whose seat is held for payment asks privately for a reduced (or
//! zero) price, with an optional reason; a Program Team Member or Admin grants an amount to
//! pay below the price, or declines; the scholarship fund covers the difference.
//!
//! - **Privacy.** The reason and the reviewer's note are stored encrypted with the field
//!   key ([`sealed`]). Only reviewers ([`crate::authz::ReviewingScholarships`]) and the
//!   member himself read a request; audit entries name no person and carry no words, and
//!   the fund's ledger rows name no person either, so Leadership sees totals only.
//! - **The hold.** While a request is open the seat stays held until the event starts (the
//!   member cannot be expected to pay before he knows what he owes); a decision that still
//!   asks for money gives a fresh hold of `payments.hold_minutes` from then.
//! - **What he owes.** [`crate::payments::amount_due`] is the price, or once granted the
//!   granted amount: offline recording and card payments both ask for it.
//! - **The fund.** When a seat paid with a scholarship is confirmed, one `scholarship`
//!   ledger row takes the covered part out of the fund ([`fund`]). A grant larger than the
//!   fund holds is allowed with a warning: the organisation decides, the balance shows it.

mod asking;
mod errors;
mod fund;
pub mod jobs;
mod mail;
mod reviewing;
mod sealed;

pub use asking::{ask, for_registration};
pub use errors::ScholarshipError;
pub use fund::{balance, FundBalance};
pub(crate) use fund::{draw_for_seat, restore_for_seat};
pub use reviewing::{decline, grant, queue, review_one, GrantOutcome};

use db::main_db::{events, scholarship_requests as requests};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use domain::scholarship::ScholarshipStatus;
use domain::{Money, MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A member asking for a scholarship.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ScholarshipAsk {
    /// Why, if he wants to say: read by the reviewers only, stored encrypted.
    pub reason: Option<MultiLine<2000>>,
}

/// A reviewer granting a scholarship: what the member pays from now on.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ScholarshipGrant {
    /// What he pays, in minor units: from 0 (a free seat, confirmed at once) to below the
    /// price (a sliding scale's minimum).
    #[schema(minimum = 0, maximum = 10000000)]
    pub amount_minor: i64,
    /// ISO 4217 code: the event's currency.
    pub currency: SingleLine<3>,
    /// A note to the member, in his email and on his request (stored encrypted).
    pub note: Option<MultiLine<1000>>,
}

/// A reviewer declining a scholarship: the full price applies.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ScholarshipDecline {
    /// A note to the member, in his email and on his request (stored encrypted).
    pub note: Option<MultiLine<1000>>,
}

/// A request as the member who made it sees it (his reason is his own: he is shown it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScholarshipView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub registration_id: Uuid,
    /// `open`, `granted` or `declined`.
    #[schema(value_type = String)]
    pub status: ScholarshipStatus,
    pub reason: Option<String>,
    /// Once granted: what he pays (0 for a free seat).
    pub amount_due_minor: Option<i64>,
    pub currency: String,
    /// "EUR 40.00", once granted.
    pub amount_due_label: Option<String>,
    /// The reviewer's note to him.
    pub decision_note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A request as a reviewer sees it: who asked, for what, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScholarshipReview {
    pub request: ScholarshipView,
    pub event_title: String,
    pub event_starts_at: chrono::DateTime<chrono::Utc>,
    /// The event's price, e.g. "EUR 120.00".
    pub price_label: String,
    /// The least the price asks, which a grant must stay below.
    pub price_minimum_minor: i64,
    pub requester_id: Uuid,
    pub requester_name: String,
    /// The registration's status now (`payment_required` while it can still be granted).
    pub registration_status: String,
    /// Once granted: what the fund covers.
    pub covered_minor: Option<i64>,
}

/// "EUR 40.00" (or "EUR -80.00" for a fund that is overdrawn) for stored minor units, or
/// the raw figures should they not parse.
pub(crate) fn label(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    Money::parse(amount_minor.saturating_abs(), currency).map_or_else(
        |_| format!("{currency} {amount_minor}"),
        |m| format!("{} {sign}{}", m.currency(), m.amount_text()),
    )
}

/// The granted request of a registration, if it has one.
pub(crate) async fn granted_for(
    db: &impl ConnectionTrait,
    registration_id: Uuid,
) -> crate::Result<Option<requests::Model>> {
    Ok(requests::Entity::find()
        .filter(requests::Column::RegistrationId.eq(registration_id))
        .filter(requests::Column::Status.eq(ScholarshipStatus::Granted))
        .one(db)
        .await?)
}

/// Whether members may ask for a scholarship on `e`: a programme event (a circle's own
/// event is paid to and settled within the circle, whose leaders alone see who comes).
pub(crate) fn offered_on(e: &events::Model) -> bool {
    e.circle_id.is_none()
}
