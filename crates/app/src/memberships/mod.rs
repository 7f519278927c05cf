//! Paid memberships of the organisation: plans an Admin defines (an amount every month or
//! year), membership periods an Admin records when a member paid offline (a payment, its
//! ledger row, an email receipt and an audit record, together), each member's standing
//! (active, in grace, lapsed) and history, the sweep that lapses memberships not renewed
//! within the grace period, and what a lapse blocks at registration.
//!
//! Card subscriptions through Stripe will add periods with a `provider_reference` on the
//! same tables; standing, lapsing and reports stay as they are.

pub mod errors;
pub mod jobs;
pub mod lapse;
mod mail;
pub mod plans;
pub mod recording;
pub mod standing;

pub use errors::MembershipError;
pub use plans::{PlanInput, PlanView};
pub use recording::MembershipInput;
pub use standing::{
    refuse_if_lapsed, MembershipFilter, MembershipLine, MembershipView, MyMembership, StandingView,
};
