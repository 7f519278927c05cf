//! The refund work the job worker does: emailing the member about each refund, refunding
//! a member who cancelled within the event's policy, and refunding everyone when an event
//! is cancelled. The email text is in [`super::mail`].

use super::{cancelled_events, mail, policy};
use crate::accounts::jobs::mail_person;
use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use db::main_db::{payments, refunds};
use db::sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The refund jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<SendRefundNotice>(),
        Registration::of::<RefundCancelledRegistration>(),
        Registration::of::<RefundCancelledEvent>(),
    ]
}

/// Tell the member that (part of) his payment was refunded, with his refund receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRefundNotice {
    pub refund_id: Uuid,
}

impl Job for SendRefundNotice {
    const KIND: &'static str = "send_refund_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        let Some(r) = refunds::Entity::find_by_id(self.refund_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        let Some(p) = payments::Entity::find_by_id(r.payment_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        mail_person(ctx, run, p.user_id, |user| async move {
            mail::refunded(ctx, &user, &p, &r).await
        })
        .await
    }
}

/// A member cancelled his paid registration: refund what the event's policy stated at the
/// moment he cancelled (`amount_minor`, worked out then, so a late run gives the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundCancelledRegistration {
    pub payment_id: Uuid,
    pub registration_id: Uuid,
    pub amount_minor: i64,
}

impl Job for RefundCancelledRegistration {
    const KIND: &'static str = "refund_cancelled_registration";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        Ok(policy::refund_cancelled(ctx, &self).await?)
    }
}

/// An event was cancelled: refund every payment for it in full, each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundCancelledEvent {
    pub event_id: Uuid,
}

impl Job for RefundCancelledEvent {
    const KIND: &'static str = "refund_cancelled_event";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        Ok(cancelled_events::refund_everyone(ctx, self.event_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    /// The stored form of each payload: queued rows must read the same after a release.
    #[test]
    fn payloads_are_stored_as_written() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_reads_as_before(
            &format!(r#"{{"kind":"send_refund_notice","refund_id":"{a}"}}"#),
            SendRefundNotice { refund_id: a },
        );
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"refund_cancelled_registration","payment_id":"{a}","registration_id":"{b}","amount_minor":2500}}"#
            ),
            RefundCancelledRegistration {
                payment_id: a,
                registration_id: b,
                amount_minor: 2500,
            },
        );
        assert_reads_as_before(
            &format!(r#"{{"kind":"refund_cancelled_event","event_id":"{a}"}}"#),
            RefundCancelledEvent { event_id: a },
        );
    }
}
