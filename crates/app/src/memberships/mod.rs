//! Paid memberships of the organisation: plans an Admin defines (an amount every month or
//! year), membership periods an Admin records when a member paid offline (a payment, its
//! ledger row, an email receipt and an audit record, together), each member's standing
//! (active, in grace, lapsed) and history, the sweep that lapses memberships not renewed
//! within the grace period, and what a lapse blocks at registration.
//!
//! Memberships paid by card are Stripe subscriptions ([`stripe`]): each paid invoice adds
//! a period with the invoice as its `provider_reference` on the same tables, so standing,
//! lapsing and reports treat them like any other.

pub mod errors;
pub mod jobs;
pub mod lapse;
mod mail;
pub mod plans;
pub mod recording;
pub mod standing;
pub mod stripe;

pub use errors::MembershipError;
pub use plans::{PlanInput, PlanView};
pub use recording::MembershipInput;
pub use standing::{
    refuse_if_lapsed, MembershipFilter, MembershipLine, MembershipView, MyMembership, StandingView,
};
