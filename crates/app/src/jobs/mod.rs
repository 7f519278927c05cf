//! Background work through a transactional outbox (DESIGN.md §8): a use case writes a job
//! row in the same transaction as its change; a worker claims due jobs, runs them with
//! retries and backoff, and marks them done. Jobs run at least once, so handlers are
//! idempotent.

mod circle_mail;
mod event_mail;
mod handlers;
mod queue;

pub use queue::{
    enqueue, enqueue_at, ensure_recurring, queue_depth, run_due_jobs, run_worker, JobStats,
    QueueDepth,
};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything the worker knows how to do. Payloads hold ids, never secrets: the main
/// database must not carry a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Issue a fresh verification link and email it.
    SendVerificationEmail { user_id: Uuid },
    /// Someone tried to register with an address that already has an account.
    SendAlreadyRegisteredEmail { user_id: Uuid },
    /// Issue a password-reset link and email it.
    SendPasswordResetEmail { user_id: Uuid },
    /// Tell the user something changed on their account (password, MFA, suspension …).
    SendAccountNotice {
        user_id: Uuid,
        notice: AccountNotice,
    },
    /// Tell someone about a step in a circle (a request, a decision, a departure …).
    SendCircleNotice {
        user_id: Uuid,
        circle_id: Uuid,
        notice: CircleNotice,
    },
    /// Issue a fresh link for a circle invitation and email it to the invited address.
    SendCircleInvitation { invitation_id: Uuid },
    /// Tell someone about his registration for an event, or the event's move or cancellation.
    SendEventNotice {
        user_id: Uuid,
        event_id: Uuid,
        notice: EventNotice,
    },
    /// Remind everyone holding a seat, a day before; `starts_at` is the start the reminder
    /// was planned for (a moved event plans a new one, and this one does nothing).
    SendEventReminders {
        event_id: Uuid,
        starts_at: chrono::DateTime<chrono::Utc>,
    },
    /// A seat offered from the waitlist was not taken in time: pass it on.
    ExpireSeatOffer { registration_id: Uuid },
    /// Tell a member of a circle that one of its meetings moved or was cancelled.
    SendMeetingNotice {
        user_id: Uuid,
        meeting_id: Uuid,
        notice: MeetingNotice,
    },
    /// Recurring, hourly: people whose last certification expired stop being
    /// Facilitators, and circles left without a certified leader are marked and told.
    LapseExpiredCertifications,
}

/// What an event email tells its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventNotice {
    Confirmed,
    /// A seat is held on a paid event until payment.
    PaymentRequired,
    Waitlisted,
    /// A freed seat went to him from the waitlist.
    PromotedFromWaitlist,
    /// A freed seat is held for him until the offer expires.
    SeatOffered,
    OfferExpired,
    EventCancelled,
    /// The event moved: it gives the new start and end in the event's zone, and where.
    EventChanged,
    /// The event starts in about a day.
    Reminder,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountNotice {
    PasswordChanged,
    MfaEnabled,
    MfaDisabled,
    MfaResetBySupport,
    UnlockedBySupport,
    Suspended,
    Reactivated,
    RoleGranted,
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

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::SendVerificationEmail { .. } => "send_verification_email",
            Job::SendAlreadyRegisteredEmail { .. } => "send_already_registered_email",
            Job::SendPasswordResetEmail { .. } => "send_password_reset_email",
            Job::SendAccountNotice { .. } => "send_account_notice",
            Job::SendCircleNotice { .. } => "send_circle_notice",
            Job::SendCircleInvitation { .. } => "send_circle_invitation",
            Job::SendMeetingNotice { .. } => "send_meeting_notice",
            Job::SendEventNotice { .. } => "send_event_notice",
            Job::SendEventReminders { .. } => "send_event_reminders",
            Job::ExpireSeatOffer { .. } => "expire_seat_offer",
            Job::LapseExpiredCertifications => "lapse_expired_certifications",
        }
    }
}
