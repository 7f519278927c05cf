//! Memberships paid by card: a Stripe subscription per member on one of our plans.
//!
//! He saves a card through a SetupIntent (Stripe.js confirms it in his browser; the card
//! never reaches us), then [`confirm`] subscribes his Stripe Customer to a Stripe Plan for
//! our plan's price. Every paid invoice of the subscription becomes one membership period
//! with its payment, ledger row, emailed receipt and audit record, keyed by the invoice's
//! id so it is recorded once ([`syncing`]). Webhooks, the confirm call and
//! [`reconcile_subscriptions`] all read the objects back from Stripe and share that code:
//! duplicates and out-of-order deliveries change nothing.
//!
//! A declined renewal emails him once per invoice; the period he paid for runs on, then
//! the grace period, and the existing lapse sweep lapses it when nothing was paid by then.

mod carding;
mod starting;
mod syncing;
mod view;

pub use carding::{after_authentication, subscribe_with_card, CardSetup};
pub use starting::{
    cancel, confirm, start, ConfirmSubscription, StartSubscription, SubscriptionStart,
};
pub use syncing::{apply_invoice, apply_subscription, handle_event, reconcile_subscriptions};
pub(crate) use view::latest_of;
pub use view::SubscriptionView;

use super::errors::MembershipError;
use crate::payments::stripe::Client;
use crate::{Context, Result};

/// Stripe's statuses of a subscription that will not charge again.
const ENDED: [&str; 2] = ["canceled", "incomplete_expired"];

/// Stripe's statuses of a subscription that pays (or is still trying to) for his membership.
const LIVE: [&str; 4] = ["active", "trialing", "past_due", "unpaid"];

/// Whether a webhook event of `kind` is about subscriptions or their invoices.
pub(crate) fn is_billing_event(kind: &str) -> bool {
    kind.starts_with("invoice.") || kind.starts_with("customer.subscription.")
}

fn client(ctx: &Context) -> Result<&Client> {
    ctx.stripe
        .as_ref()
        .ok_or_else(|| MembershipError::CardSubscriptionsUnavailable.into())
}
