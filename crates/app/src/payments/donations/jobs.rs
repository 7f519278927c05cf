//! The thank-you email for a donation to the scholarship fund.

use crate::accounts::jobs::mail_person;
use crate::email::{site_url, OutgoingEmail};
use crate::jobs::{Job, JobRun};
use crate::payments::scholarships::label;
use crate::Context;
use db::main_db::donations;
use db::sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Thank a donor whose gift was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendDonationThanks {
    pub donation_id: Uuid,
}

impl Job for SendDonationThanks {
    const KIND: &'static str = "send_donation_thanks";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        let Some(d) = donations::Entity::find_by_id(self.donation_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        let Some(donor) = d.user_id else {
            return Ok(());
        };
        mail_person(ctx, run, donor, |user| async move {
            let amount = label(d.amount_minor, &d.currency);
            let body = format!(
                "Hello {},\n\nThank you for your gift of {amount} to the scholarship fund. It helps someone who could not otherwise afford it to take part. Your receipt is on your Payments page: {}/payments\n",
                user.display_name,
                site_url(ctx)
            );
            Ok(Some(OutgoingEmail::to_user(
                &user,
                "Thank you for your donation",
                body,
            )))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    #[test]
    fn the_payload_reads_as_queued() {
        let donation_id = Uuid::from_u128(9);
        assert_reads_as_before(
            &format!(r#"{{"kind":"send_donation_thanks","donation_id":"{donation_id}"}}"#),
            SendDonationThanks { donation_id },
        );
    }
}
