//! The one seam between refunds and whoever holds the money: [`send_refund`].
//!
//! Offline payments were handed over in person or by transfer, so the organisation hands
//! the money back itself: the refund is recorded as succeeded at once, by the payment's
//! method. Card payments go back to the card through Stripe (a refund of the payment's
//! PaymentIntent); without Stripe keys they are refused with a clear error and nothing is
//! recorded as refunded. When Stripe cannot be reached the refund waits as `retrying` and
//! [`crate::payments::reconciliation`] sends it again under the same idempotency key.

use super::errors::RefundError;
use crate::payments::stripe::client::StripeError;
use crate::{Context, Error, Result};
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
    /// it), `Failed` when it refused, `Retrying` when it could not be reached.
    pub status: RefundStatus,
}

/// Asks the payment's provider to give `amount` back. `idempotency_key` is the same for
/// every attempt at one refund (the refund's id), so a retried request to the provider
/// cannot refund twice.
#[tracing::instrument(skip_all, fields(payment_id = %payment.id, provider = %payment.provider), err(level = "info"))]
pub async fn send_refund(
    ctx: &Context,
    payment: &payments::Model,
    amount: Money,
    idempotency_key: &str,
) -> Result<ProviderRefund> {
    match payment.provider {
        PaymentProvider::Offline => Ok(ProviderRefund {
            reference: None,
            status: RefundStatus::Succeeded,
        }),
        PaymentProvider::Stripe => to_the_card(ctx, payment, amount, idempotency_key).await,
    }
}

/// Refunds part or all of a card payment's PaymentIntent at Stripe. Stripe's own key is
/// derived from ours, so a retried request refunds once.
async fn to_the_card(
    ctx: &Context,
    payment: &payments::Model,
    amount: Money,
    idempotency_key: &str,
) -> Result<ProviderRefund> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(RefundError::CardRefundsUnavailable)?;
    let intent = payment.provider_reference.as_deref().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "card payment {} has no PaymentIntent",
            payment.id
        ))
    })?;
    let key = format!("circles-refund-{idempotency_key}");
    match client.refund(intent, amount.amount_minor(), &key).await {
        Ok(refund) => Ok(ProviderRefund {
            status: stripe_refund_status(refund.status.as_deref()),
            reference: Some(refund.id),
        }),
        // Stripe answered and said no (already refunded there, a disputed charge): the
        // refund failed and frees its amount again.
        Err(StripeError::Refused { .. } | StripeError::Declined { .. }) => Ok(ProviderRefund {
            reference: None,
            status: RefundStatus::Failed,
        }),
        // Stripe could not be reached (or failed on its side): nothing is known to have
        // gone back, so the refund waits for reconciliation to ask again with the same key.
        Err(StripeError::Unreachable(why)) => {
            tracing::warn!(%why, payment_id = %payment.id, "refund not sent: Stripe unreachable, will retry");
            Ok(ProviderRefund {
                reference: None,
                status: RefundStatus::Retrying,
            })
        }
    }
}

/// A Stripe refund's `status` as ours: `succeeded`, `failed`/`canceled`, or anything else
/// (`pending`, `requires_action`) still on its way.
fn stripe_refund_status(status: Option<&str>) -> RefundStatus {
    match status {
        Some("succeeded") => RefundStatus::Succeeded,
        Some("failed") | Some("canceled") => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_refund_statuses_map_to_ours() {
        assert_eq!(
            stripe_refund_status(Some("succeeded")),
            RefundStatus::Succeeded
        );
        assert_eq!(stripe_refund_status(Some("failed")), RefundStatus::Failed);
        assert_eq!(stripe_refund_status(Some("canceled")), RefundStatus::Failed);
        assert_eq!(stripe_refund_status(Some("pending")), RefundStatus::Pending);
        assert_eq!(stripe_refund_status(None), RefundStatus::Pending);
    }
}
