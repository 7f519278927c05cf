//! The circle emails the job worker sends: notices about requests, decisions, departures
//! and the circle itself, invitation links, and moved or cancelled meetings. Their text is
//! in [`super::mail`].

use super::mail;
use crate::accounts::jobs::mail_person;
use crate::jobs::{Job, JobRun, Registration};
use crate::{token, Context};
use db::credentials::invitation_tokens;
use db::main_db::{circle_invitations, circles};
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The circle jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<SendCircleNotice>(),
        Registration::of::<SendCircleInvitation>(),
        Registration::of::<SendMeetingNotice>(),
    ]
}

/// Tell someone about a step in a circle (a request, a decision, a departure …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendCircleNotice {
    pub user_id: Uuid,
    pub circle_id: Uuid,
    pub notice: CircleNotice,
}

/// What a circle notice tells its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircleNotice {
    /// To the person who asked to join: the request reached the facilitators.
    JoinRequestReceived,
    /// To each leader: someone asked to join.
    NewJoinRequest,
    RequestApproved,
    /// The reason, if any, is read from the membership.
    RequestDeclined,
    /// The reason is read from the membership.
    Removed,
    /// To each leader: a member left.
    MemberLeft,
    /// To each leader: someone accepted an invitation and joined.
    InvitationAccepted,
    CoFacilitatorAdded,
    CoFacilitatorRemoved,
    /// To each member and leader, and to those still waiting: the circle was archived.
    Archived,
    /// To each member and leader but the new one: `user_id` now co-facilitates the circle.
    NewCoFacilitator {
        user_id: Uuid,
    },
    /// To each member and leader: an Admin stepped in to the circle for safeguarding.
    StepInStarted {
        step_in_id: Uuid,
    },
    /// To each member and leader: no certified facilitator leads the circle any more.
    NeedsFacilitator,
    /// To each Program Team Member: a circle needs a certified facilitator.
    NeedsFacilitatorAlert,
    /// To each leader: the organiser of `event_id` asks to offer it to the circle.
    EventOffered {
        event_id: Uuid,
    },
}

impl Job for SendCircleNotice {
    const KIND: &'static str = "send_circle_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            mail::notice(ctx, &user, self.circle_id, self.notice).await
        })
        .await
    }
}

/// Issue a fresh link for a circle invitation and email it to the invited address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendCircleInvitation {
    pub invitation_id: Uuid,
}

impl Job for SendCircleInvitation {
    const KIND: &'static str = "send_circle_invitation";

    /// Issues a fresh link for a pending invitation (replacing any earlier one, so only
    /// the newest link works) and emails it. An invitation no longer pending gets nothing.
    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        let Some(inv) = circle_invitations::Entity::find_by_id(self.invitation_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        if inv.accepted_at.is_some() || inv.revoked_at.is_some() || inv.expires_at <= ctx.now() {
            return Ok(());
        }
        let Some(circle) = circles::Entity::find_by_id(inv.circle_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        // The link is issued inside the effect: a repeat must not void the one mailed.
        let mail = async {
            let raw = issue_link(ctx, &inv).await?;
            let email = mail::invitation(ctx, &inv, &circle, &raw).await?;
            ctx.mailer.send(run.id(), &email).await
        };
        run.once(ctx, "email", mail).await
    }
}

/// Replaces the invitation's link with a new one; the raw token for the email.
async fn issue_link(ctx: &Context, inv: &circle_invitations::Model) -> anyhow::Result<String> {
    let raw = token::new_token();
    invitation_tokens::Entity::delete_by_id(inv.id)
        .exec(&ctx.creds)
        .await?;
    invitation_tokens::ActiveModel {
        invitation_id: Set(inv.id),
        token_hash: Set(token::hash(&raw)),
        expires_at: Set(inv.expires_at),
        used_at: Set(None),
    }
    .insert(&ctx.creds)
    .await?;
    Ok(raw)
}

/// Tell a member of a circle that one of its meetings moved or was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMeetingNotice {
    pub user_id: Uuid,
    pub meeting_id: Uuid,
    pub notice: MeetingNotice,
}

/// What changed about a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum MeetingNotice {
    /// The meeting now starts at its current time instead of `from`.
    Moved {
        from: chrono::DateTime<chrono::Utc>,
    },
    Cancelled,
}

impl Job for SendMeetingNotice {
    const KIND: &'static str = "send_meeting_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            mail::meeting_notice(ctx, &user, self.meeting_id, self.notice).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    /// Payloads exactly as the release before jobs moved into features wrote them.
    #[test]
    fn payloads_queued_by_the_previous_release_still_read() {
        let (user_id, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (a, b) = (user_id, other);
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_circle_notice","user_id":"{a}","circle_id":"{b}","notice":"removed"}}"#
            ),
            SendCircleNotice {
                user_id,
                circle_id: other,
                notice: CircleNotice::Removed,
            },
        );
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_circle_notice","user_id":"{a}","circle_id":"{b}","notice":{{"new_co_facilitator":{{"user_id":"{b}"}}}}}}"#
            ),
            SendCircleNotice {
                user_id,
                circle_id: other,
                notice: CircleNotice::NewCoFacilitator { user_id: other },
            },
        );
        assert_reads_as_before(
            &format!(r#"{{"kind":"send_circle_invitation","invitation_id":"{a}"}}"#),
            SendCircleInvitation {
                invitation_id: user_id,
            },
        );
        let from = "2026-03-03T18:30:00Z";
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_meeting_notice","user_id":"{a}","meeting_id":"{b}","notice":{{"change":"moved","from":"{from}"}}}}"#
            ),
            SendMeetingNotice {
                user_id,
                meeting_id: other,
                notice: MeetingNotice::Moved {
                    from: from.parse().unwrap(),
                },
            },
        );
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_meeting_notice","user_id":"{a}","meeting_id":"{b}","notice":{{"change":"cancelled"}}}}"#
            ),
            SendMeetingNotice {
                user_id,
                meeting_id: other,
                notice: MeetingNotice::Cancelled,
            },
        );
    }
}
