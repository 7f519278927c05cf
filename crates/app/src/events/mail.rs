//! The text of event emails: registration steps, offers, a new time, cancellations and
//! the day-before reminder (sent by [`super::jobs`]).

use super::jobs::EventNotice;
use crate::email::{local_time, site_url, OutgoingEmail};
use crate::Context;
use db::main_db::{event_registrations, events, users, venues};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

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

/// Until when `user`'s seat at `e` is held for payment, if it is.
async fn hold_deadline(
    ctx: &Context,
    e: &events::Model,
    user_id: Uuid,
) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(event_registrations::Entity::find()
        .filter(event_registrations::Column::EventId.eq(e.id))
        .filter(event_registrations::Column::UserId.eq(user_id))
        .one(&ctx.main)
        .await?
        .and_then(|r| r.hold_expires_at))
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
    let when = local_time(e.starts_at, &e.time_zone);
    let page = format!("{}/events/{}", site_url(ctx), e.id);
    let (subject, what) = match notice {
        EventNotice::Confirmed => (
            format!("You are registered: {title}"),
            format!("Your place at \"{title}\" on {when} is confirmed. Details: {page}"),
        ),
        EventNotice::PaymentRequired => {
            let until = match hold_deadline(ctx, &e, user.id).await? {
                Some(at) => format!("until {}", local_time(at, &e.time_zone)),
                None => "for a limited time".to_owned(),
            };
            (
                format!("Your seat at {title} is held"),
                if ctx.settings.payments.stripe.enabled() {
                    format!("A seat at \"{title}\" on {when} is held for you {until}. Pay by card to confirm it: {page}/pay (or pay the organiser on site or by transfer; he confirms your seat once the payment is recorded). Details: {page}")
                } else {
                    format!("A seat at \"{title}\" on {when} is held for you {until}. Card payments are not set up: pay the organiser by cash or transfer, and he confirms your seat once the payment is recorded. Details: {page}")
                },
            )
        }
        EventNotice::HoldExpired => (
            format!("Your held seat was released: {title}"),
            format!("The seat held for you at \"{title}\" was not paid for in time and has passed to the next person waiting. You can register again if seats are free: {page}"),
        ),
        EventNotice::PaymentReceived => (
            format!("Payment received: {title}"),
            format!("Your payment for \"{title}\" on {when} is recorded and your seat is confirmed: you're in. Your receipt is on your Payments page: {}/payments. Details: {page}", site_url(ctx)),
        ),
        EventNotice::LatePaymentRefunded => (
            format!("No seat left, payment refunded: {title}"),
            format!("Your card payment for \"{title}\" on {when} arrived after the seat held for you had been released, and no other seat was free. We have refunded the seat's price in full to your card; banks usually show it within 5 to 10 days (a gift to the scholarship fund paid with it stays with the fund). You can register again if a seat frees up: {page}"),
        ),
        EventNotice::Waitlisted => (
            format!("On the waitlist: {title}"),
            format!("\"{title}\" on {when} is full, so you are on its waitlist. If a seat frees up, it goes to the first in line and we email you. See your place: {page}"),
        ),
        EventNotice::PromotedFromWaitlist => (
            format!("A seat opened up: {title}"),
            format!("A seat at \"{title}\" on {when} freed up and it is yours now. Details: {page}"),
        ),
        EventNotice::SeatOffered => {
            // The deadline is the registration's own: the one the offer was made with.
            let deadline = event_registrations::Entity::find()
                .filter(event_registrations::Column::EventId.eq(e.id))
                .filter(event_registrations::Column::UserId.eq(user.id))
                .one(&ctx.main)
                .await?
                .and_then(|r| r.offer_expires_at);
            let until = match deadline {
                Some(at) => format!("until {}", local_time(at, &e.time_zone)),
                None => "for a limited time".to_owned(),
            };
            (
                format!("A seat is offered to you: {title}"),
                format!("A seat at \"{title}\" on {when} freed up and is held for you {until}. Accept it at {page} before then, or it passes to the next person waiting."),
            )
        }
        EventNotice::OfferExpired => (
            format!("Your seat offer ran out: {title}"),
            format!("The seat offered to you at \"{title}\" was not taken in time and has passed to the next person waiting."),
        ),
        EventNotice::EventCancelled => (
            format!("Cancelled: {title}"),
            format!("We are sorry: \"{title}\" on {when} is cancelled."),
        ),
        EventNotice::EventChanged => {
            let until = local_time(e.ends_at, &e.time_zone);
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
    Ok(Some(OutgoingEmail::to_user(
        user,
        &subject,
        format!("Hello {},\n\n{what}\n", user.display_name),
    )))
}
