//! The membership work the job worker does: the hourly sweep that lapses memberships not
//! renewed in time, and the emails (receipt of a recorded membership, notice of a lapse),
//! whose text is in [`super::mail`].

use crate::accounts::jobs::mail_person;
use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The membership jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::recurring::<LapseMemberships>(Duration::hours(1)),
        Registration::of::<SendMembershipNotice>(),
    ]
}

/// Recurring, hourly: periods over with their grace period are closed, and members whose
/// membership lapsed are told (once).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LapseMemberships {}

impl Job for LapseMemberships {
    const KIND: &'static str = "lapse_memberships";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        super::lapse::lapse_ended(ctx).await?;
        Ok(())
    }
}

/// Email a member about one of his membership periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMembershipNotice {
    pub user_id: Uuid,
    pub membership_id: Uuid,
    pub notice: MembershipNotice,
}

/// What a membership email tells its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipNotice {
    /// An Admin recorded his payment: the receipt.
    Recorded,
    /// His last period and its grace period are over.
    Lapsed,
    /// His card was declined for a renewal (told once per invoice).
    RenewalFailed,
}

impl Job for SendMembershipNotice {
    const KIND: &'static str = "send_membership_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            super::mail::notice(ctx, &user, self.membership_id, self.notice).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    #[test]
    fn payloads_read_as_written() {
        assert_reads_as_before(r#"{"kind":"lapse_memberships"}"#, LapseMemberships {});
        let (u, m) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_membership_notice","user_id":"{u}","membership_id":"{m}","notice":"lapsed"}}"#
            ),
            SendMembershipNotice {
                user_id: u,
                membership_id: m,
                notice: MembershipNotice::Lapsed,
            },
        );
    }
}
