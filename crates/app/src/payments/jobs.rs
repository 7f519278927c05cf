//! The payment work the job worker does: releasing seats whose hold for payment ran out.
//! (Payment emails are event notices, written in `events::mail`.)

use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payment jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<ExpirePaymentHold>(),
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
        Ok(super::holds::expire_hold(ctx, self.registration_id).await?)
    }
}
