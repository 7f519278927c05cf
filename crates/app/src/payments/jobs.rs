//! The payment work the job worker does: releasing seats whose hold for payment ran out,
//! acting on Stripe's webhook events, refunding card payments that came too late, and the
//! hourly reconciliation.
//! (Payment emails are event notices, written in `events::mail`.)

use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payment jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<ExpirePaymentHold>(),
        Registration::of::<HandleStripeEvent>(),
        Registration::of::<RefundLatePayment>(),
        Registration::recurring::<ReconcilePayments>(Duration::hours(1)),
        Registration::of::<super::scholarships::jobs::SendScholarshipNotice>(),
        Registration::of::<super::donations::jobs::SendDonationThanks>(),
    ]
}

/// A seat held for payment was not paid for in time: pass it on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpirePaymentHold {
    pub registration_id: Uuid,
}

impl Job for ExpirePaymentHold {
    const KIND: &'static str = "expire_payment_hold";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        super::holds::expire_hold(ctx, self.registration_id).await?;
        Ok(())
    }
}

/// A Stripe webhook event was received (and recorded once): act on what it names, read
/// back from Stripe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandleStripeEvent {
    /// Stripe's event id (`evt_…`).
    pub event_id: String,
    /// Its type, e.g. `payment_intent.succeeded`.
    pub event_type: String,
    /// The object it is about (`pi_…`), when it names one.
    pub object_id: Option<String>,
}

impl Job for HandleStripeEvent {
    const KIND: &'static str = "handle_stripe_event";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        Ok(super::stripe::webhooks::handle(ctx, &self).await?)
    }
}

/// A card payment succeeded after its seat was gone, with no seat free: refund it in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLatePayment {
    pub payment_id: Uuid,
}

impl Job for RefundLatePayment {
    const KIND: &'static str = "refund_late_payment";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        Ok(super::stripe::late::refund_late_payment(ctx, run, self.payment_id).await?)
    }
}

/// Recurring, hourly: bring card payments, refunds and held seats in line with what
/// happened (see [`super::reconciliation`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilePayments {}

impl Job for ReconcilePayments {
    const KIND: &'static str = "reconcile_payments";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        // What could not be checked is logged by the run and tried again next hour.
        super::reconciliation::reconcile(ctx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    #[test]
    fn payloads_read_as_written() {
        let payment_id = Uuid::nil();
        assert_reads_as_before(
            &format!(r#"{{"kind":"refund_late_payment","payment_id":"{payment_id}"}}"#),
            RefundLatePayment { payment_id },
        );
        assert_reads_as_before(r#"{"kind":"reconcile_payments"}"#, ReconcilePayments {});
        assert_reads_as_before(
            r#"{"kind":"handle_stripe_event","event_id":"evt_1","event_type":"payment_intent.succeeded","object_id":"pi_1"}"#,
            HandleStripeEvent {
                event_id: "evt_1".into(),
                event_type: "payment_intent.succeeded".into(),
                object_id: Some("pi_1".into()),
            },
        );
    }
}
