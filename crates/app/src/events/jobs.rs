//! The event work the job worker does: emails about registrations, a new time or a
//! cancellation, the day-before reminders, and passing on a seat offer not taken in time.
//! The email text is in [`super::mail`].

use super::mail;
use crate::accounts::jobs::mail_person;
use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::event::{EventStatus, RegistrationStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The event jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<SendEventNotice>(),
        Registration::of::<SendEventReminders>(),
        Registration::of::<ExpireSeatOffer>(),
    ]
}

/// Tell someone about his registration for an event, or the event's move or cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEventNotice {
    pub user_id: Uuid,
    pub event_id: Uuid,
    pub notice: EventNotice,
}

/// What an event email tells its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventNotice {
    Confirmed,
    /// A seat is held on a paid event until payment.
    PaymentRequired,
    /// The held seat was not paid for in time and passed on.
    HoldExpired,
    /// A payment was recorded and the seat is confirmed.
    PaymentReceived,
    /// A card payment arrived after the held seat was gone and no seat was free: it is
    /// refunded in full.
    LatePaymentRefunded,
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

impl Job for SendEventNotice {
    const KIND: &'static str = "send_event_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            mail::notice(ctx, &user, self.event_id, self.notice).await
        })
        .await
    }
}

/// Remind everyone holding a seat, a day before; `starts_at` is the start the reminder was
/// planned for (a moved event plans a new one, and this one does nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEventReminders {
    pub event_id: Uuid,
    pub starts_at: DateTime<Utc>,
}

impl Job for SendEventReminders {
    const KIND: &'static str = "send_event_reminders";

    /// Queues a reminder to everyone holding a seat, once, for the start it was planned for.
    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        let Some(e) = events::Entity::find_by_id(self.event_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        if e.status != EventStatus::Published
            || e.starts_at != self.starts_at
            || e.starts_at <= ctx.now()
        {
            return Ok(());
        }
        let people = regs::Entity::find()
            .filter(regs::Column::EventId.eq(self.event_id))
            .filter(regs::Column::Status.is_in(RegistrationStatus::seat_holders()))
            .all(&ctx.main)
            .await?;
        // One email job per person, queued together with the note that they were: a
        // retry of this job neither half-sends nor sends twice.
        let txn = db::begin_write(&ctx.main).await?;
        if !run.note(&txn, "reminders_queued", ctx.now()).await? {
            return Ok(());
        }
        for r in people {
            let notice = SendEventNotice {
                user_id: r.user_id,
                event_id: self.event_id,
                notice: EventNotice::Reminder,
            };
            notice.enqueue(&txn, ctx).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// A seat offered from the waitlist was not taken in time: pass it on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireSeatOffer {
    pub registration_id: Uuid,
}

impl Job for ExpireSeatOffer {
    const KIND: &'static str = "expire_seat_offer";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        Ok(super::registration::expire_offer(ctx, self.registration_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    /// Payloads exactly as the release before jobs moved into features wrote them.
    #[test]
    fn payloads_queued_by_the_previous_release_still_read() {
        let (user_id, event_id) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (a, b) = (user_id, event_id);
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_event_notice","user_id":"{a}","event_id":"{b}","notice":"promoted_from_waitlist"}}"#
            ),
            SendEventNotice {
                user_id,
                event_id,
                notice: EventNotice::PromotedFromWaitlist,
            },
        );
        let starts = "2026-06-06T08:00:00Z";
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_event_reminders","event_id":"{b}","starts_at":"{starts}"}}"#
            ),
            SendEventReminders {
                event_id,
                starts_at: starts.parse().unwrap(),
            },
        );
        assert_reads_as_before(
            &format!(r#"{{"kind":"expire_seat_offer","registration_id":"{a}"}}"#),
            ExpireSeatOffer {
                registration_id: user_id,
            },
        );
    }
}
