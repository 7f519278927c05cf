//! The one seam between refunds and whoever holds the money: [`send_refund`].
//!
//! Offline payments were handed over in person or by transfer, so the organisation hands
//! the money back itself: the refund is recorded as succeeded at once, by the payment's
//! method. Card payments go back through Stripe, which this seam reaches once the Stripe
//! client is wired in (`payments::stripe`); until then they are refused with a clear
//! error and nothing is recorded as refunded.

use super::errors::RefundError;
use crate::{Context, Result};
use db::main_db::payments;
use domain::payment::PaymentProvider;
use domain::refund::RefundStatus;
use domain::Money;

/// What the provider made of a refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    /// The provider's id for the refund (a Stripe `re_…`); none for offline refunds.
    pub reference: Option<String>,
    /// `Succeeded` when the money is on its way back, `Pending` when the provider will
    /// confirm later (then `record_provider_refund` with the same reference finishes
    /// it), `Failed` when it refused.
    pub status: RefundStatus,
}

/// Asks the payment's provider to give `amount` back. `idempotency_key` is the same for
/// every attempt at one refund (the refund's id), so a retried request to the provider
/// cannot refund twice.
#[tracing::instrument(skip_all, fields(payment_id = %payment.id, provider = %payment.provider), err(level = "info"))]
pub async fn send_refund(
    _ctx: &Context,
    payment: &payments::Model,
    _amount: Money,
    _idempotency_key: &str,
) -> Result<ProviderRefund> {
    match payment.provider {
        PaymentProvider::Offline => Ok(ProviderRefund {
            reference: None,
            status: RefundStatus::Succeeded,
        }),
        PaymentProvider::Stripe => Err(RefundError::CardRefundsUnavailable.into()),
    }
}
