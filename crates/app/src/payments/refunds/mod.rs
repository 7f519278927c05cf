//! Refunds: money given back on a payment, in full or in part, by an Admin with a reason,
//! by the event's refund policy when a member cancels, or to everyone when a paid event is
//! cancelled; and refunds made at the provider itself, recorded once.
//!
//! The refunds of one payment add up and never exceed what was paid: every refund is
//! checked under the payment's row lock, counting refunds still pending at the provider
//! (see [`issuing`]). Each succeeded refund is one negative `refund` row in the ledger,
//! written with it, audited, and emailed to the member, who finds a printable refund
//! receipt on his Payments page.
//!
//! The provider is reached through one function, [`provider::send_refund`]; refunds that
//! happened at the provider come in through [`recording::record_provider_refund`].

pub mod admin;
pub mod cancelled_events;
pub mod errors;
pub mod issuing;
pub mod jobs;
mod mail;
pub mod policy;
pub mod provider;
pub mod recording;
pub mod view;

pub use admin::{AdminPayment, RefundRequest};
pub use errors::RefundError;
pub use issuing::{refund, Requester};
pub use policy::CancellationRefund;
pub use provider::{send_refund, ProviderRefund};
pub use recording::record_provider_refund;
pub use view::RefundView;
