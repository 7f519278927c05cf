//! Event emails: registration steps, offers, a new time, cancellations and the day-before
//! reminder.

use super::handlers::to;
use super::{EventNotice, Job};
use crate::email::OutgoingEmail;
use crate::Context;
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events, users, venues};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use domain::event::{EventStatus, RegistrationStatus};
use uuid::Uuid;

/// "Saturday 6 June 2026, 10:00 (Europe/Berlin)".
fn local(at: DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => format!(
            "{} ({zone})",
            at.with_timezone(&tz).format("%A %-d %B %Y, %H:%M")
        ),
        Err(_) => format!("{} (UTC)", at.format("%A %-d %B %Y, %H:%M")),
    }
}

/// Where the event happens: its venue (and address), its location, or online.
async fn place(ctx: &Context, e: &events::Model) -> anyhow::Result<Option<String>> {
    if let Some(id) = e.venue_id {
        if let Some(v) = venues::Entity::find_by_id(id).one(&ctx.main).await? {
            return Ok(Some(match v.address {
                Some(a) => format!("{}, {a}", v.name),
                None => v.name,
            }));
        }
    }
    Ok(e.location
        .clone()
        .or_else(|| e.online_url.as_ref().map(|_| "online".to_owned())))
}

/// The email for `user` about `event_id`; `None` when the event no longer exists.
pub(super) async fn notice(
    ctx: &Context,
    user: &users::Model,
    event_id: Uuid,
    notice: EventNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(e) = events::Entity::find_by_id(event_id).one(&ctx.main).await? else {
        return Ok(None);
    };
    let title = &e.title;
    let when = local(e.starts_at, &e.time_zone);
    let page = format!(
        "{}/events/{}",
        ctx.settings.server.public_url.trim_end_matches('/'),
        e.id
    );
    let (subject, what) = match notice {
        EventNotice::Confirmed => (
            format!("You are registered: {title}"),
            format!("Your place at \"{title}\" on {when} is confirmed. Details: {page}"),
        ),
        EventNotice::PaymentRequired => (
            format!("Your seat at {title} is held"),
            format!("A seat at \"{title}\" on {when} is held for you until you pay. Details: {page}"),
        ),
        EventNotice::Waitlisted => (
            format!("On the waitlist: {title}"),
            format!("\"{title}\" on {when} is full, so you are on its waitlist. If a seat frees up, it goes to the first in line and we email you. See your place: {page}"),
        ),
        EventNotice::PromotedFromWaitlist => (
            format!("A seat opened up: {title}"),
            format!("A seat at \"{title}\" on {when} freed up and it is yours now. Details: {page}"),
        ),
        EventNotice::SeatOffered => (
            format!("A seat is offered to you: {title}"),
            format!("A seat at \"{title}\" on {when} freed up and is held for you for a limited time. Accept it at {page} before the offer runs out."),
        ),
        EventNotice::OfferExpired => (
            format!("Your seat offer ran out: {title}"),
            format!("The seat offered to you at \"{title}\" was not taken in time and has passed to the next person waiting."),
        ),
        EventNotice::EventCancelled => (
            format!("Cancelled: {title}"),
            format!("We are sorry: \"{title}\" on {when} is cancelled."),
        ),
        EventNotice::EventChanged => {
            let until = local(e.ends_at, &e.time_zone);
            let place = match place(ctx, &e).await? {
                Some(p) => format!(", at {p}"),
                None => String::new(),
            };
            (
                format!("New time: {title}"),
                format!("\"{title}\" has a new time. It now runs from {when} to {until}{place}. If you can no longer come, please cancel your registration so someone waiting gets the seat: {page}"),
            )
        }
        EventNotice::Reminder => (
            format!("Tomorrow: {title}"),
            format!("A reminder that \"{title}\" starts on {when}. Details: {page}"),
        ),
    };
    Ok(Some(to(
        user,
        &subject,
        format!("Hello {},\n\n{what}\n", user.display_name),
    )))
}

/// Queues a reminder to everyone holding a seat, once, for the start it was planned for.
pub(super) async fn reminders(
    ctx: &Context,
    _job_id: Uuid,
    event_id: Uuid,
    starts_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(e) = events::Entity::find_by_id(event_id).one(&ctx.main).await? else {
        return Ok(());
    };
    if e.status != EventStatus::Published || e.starts_at != starts_at || e.starts_at <= Utc::now() {
        return Ok(());
    }
    let people = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::Status.is_in(RegistrationStatus::seat_holders()))
        .all(&ctx.main)
        .await?;
    // One email job per person, queued together: a retry of this job cannot half-send.
    let txn = ctx.main.begin().await?;
    for r in people {
        let job = Job::SendEventNotice {
            user_id: r.user_id,
            event_id,
            notice: EventNotice::Reminder,
        };
        super::enqueue(&txn, ctx.settings.jobs.max_attempts, &job).await?;
    }
    txn.commit().await?;
    Ok(())
}
