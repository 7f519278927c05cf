//! Seats held for payment: a registration awaiting payment keeps its seat until
//! `hold_expires_at` (`payments.hold_minutes` after it was given, never past the event's
//! start); then [`super::jobs::ExpirePaymentHold`] frees it for the head of the waitlist.

use super::jobs::ExpirePaymentHold;
use crate::audit::{self, Action, Entry};
use crate::events::jobs::EventNotice;
use crate::events::{lock_event, registration};
use crate::jobs::Job;
use crate::{Context, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, events};
use db::sea_orm::{ConnectionTrait, EntityTrait};
use domain::event::RegistrationStatus;
use uuid::Uuid;

/// Until when a seat given now on `e` is held for payment.
pub(crate) fn hold_until(ctx: &Context, e: &events::Model) -> DateTime<Utc> {
    (ctx.now() + ctx.settings.payments.hold()).min(e.starts_at)
}

/// Queues the release of `registration_id`'s held seat at `at`, in the caller's
/// transaction (so a seat is never held without its release planned).
pub(crate) async fn plan_release(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    registration_id: Uuid,
    at: DateTime<Utc>,
) -> Result<()> {
    ExpirePaymentHold { registration_id }
        .enqueue_at(txn, ctx, at)
        .await?;
    Ok(())
}

/// The job's work (and reconciliation's, for holds whose job was missed): a seat still
/// awaiting payment when its hold is over is given up and passes to the head of the
/// waitlist. Paid, cancelled or re-held registrations are left alone, so the job may run
/// late or twice. `true` when it gave the seat up.
pub(crate) async fn expire_hold(ctx: &Context, registration_id: Uuid) -> Result<bool> {
    let Some(r) = regs::Entity::find_by_id(registration_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(false);
    };
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, r.event_id).await?;
    let Some(r) = regs::Entity::find_by_id(registration_id).one(&txn).await? else {
        return Ok(false);
    };
    let due = r.hold_expires_at.is_some_and(|at| at <= ctx.now());
    let ended = r.status == RegistrationStatus::PaymentRequired && due;
    if ended {
        let user_id = r.user_id;
        registration::cancel_one(&txn, ctx, &e, r).await?;
        registration::notify(&txn, ctx, user_id, e.id, EventNotice::HoldExpired).await?;
        audit::record(
            &txn,
            &RequestMeta::system(),
            Entry::new(Action::PaymentHoldExpired)
                .on("registration", registration_id)
                .within_circle(!e.open_to_all),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ended)
}
