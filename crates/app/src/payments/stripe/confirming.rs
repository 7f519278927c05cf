//! Confirming a card payment: the one function the return page, the webhook job and
//! reconciliation all call. It reads the PaymentIntent back from Stripe (a caller's word
//! is never taken), moves the payment only forward, and does everything a success means in
//! one transaction under the event's lock: payment succeeded, ledger row, any gift paid
//! forward with it (a donation to the scholarship fund), seat confirmed, one "payment
//! received" email, audit. However the callers race, the second finds the
//! payment no longer pending and does nothing, so a person gets one email.
//!
//! A payment that succeeds after its hold ran out takes a seat if one is free; otherwise
//! the seat's price is refunded in full at once (a job, see [`super::late`]) and he is
//! told why; a gift paid with it stays with the fund.

use super::client::{IntentStatus, PaymentIntent};
use super::paying::gift_in;
use crate::audit::{self, Action, Entry};
use crate::events::jobs::EventNotice;
use crate::events::{lock_event, registration, take_seat};
use crate::jobs::Job;
use crate::payments::donations::{self, NewDonation};
use crate::payments::jobs::RefundLatePayment;
use crate::payments::scholarships;
use crate::payments::{ledger, PaymentError};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events, payments};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::event::RegistrationStatus;
use domain::payment::{PaymentMethod, PaymentProvider, PaymentStatus};
use domain::Money;
use uuid::Uuid;

/// Where a card payment stands after [`confirm_payment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// No payment of ours has this PaymentIntent.
    Unknown,
    /// Not decided yet (3-D Secure, processing): the webhook will bring the outcome.
    Pending { payment_id: Uuid },
    /// Paid, and the seat is his.
    Paid { payment_id: Uuid },
    /// Paid after the seat was gone and no seat was free: refunded in full.
    Refunding { payment_id: Uuid },
    /// The card was declined or 3-D Secure failed; his seat stays held until the hold ends.
    Failed { payment_id: Uuid },
    /// The PaymentIntent was cancelled.
    Canceled { payment_id: Uuid },
}

impl Confirmation {
    /// The payment it is about, if it is ours.
    pub fn payment_id(self) -> Option<Uuid> {
        match self {
            Self::Unknown => None,
            Self::Pending { payment_id }
            | Self::Paid { payment_id }
            | Self::Refunding { payment_id }
            | Self::Failed { payment_id }
            | Self::Canceled { payment_id } => Some(payment_id),
        }
    }
}

/// Brings the payment of `payment_intent_id` up to what Stripe says. Idempotent: calling
/// it again, or from two places at once, changes nothing more.
#[tracing::instrument(skip(ctx), err(level = "info"))]
pub async fn confirm_payment(ctx: &Context, payment_intent_id: &str) -> Result<Confirmation> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    if super::client::checked_id(payment_intent_id, "pi_").is_err() {
        return Ok(Confirmation::Unknown);
    }
    let Some(p) = by_reference(&ctx.main, payment_intent_id).await? else {
        return Ok(Confirmation::Unknown);
    };
    if p.status != PaymentStatus::Pending {
        return stored(&ctx.main, &p).await;
    }
    let pi = client.payment_intent(payment_intent_id).await?;
    match pi.status {
        IntentStatus::Succeeded => record_success(ctx, &pi, p.id).await,
        IntentStatus::Canceled => record_end(ctx, p.id, PaymentStatus::Canceled).await,
        IntentStatus::RequiresPaymentMethod if pi.last_payment_error.is_some() => {
            // Cancel it at Stripe first, so a failed payment can never succeed later
            // behind our back; a new attempt gets a new PaymentIntent.
            let key = format!("circles-cancel-{}", p.id);
            match client.cancel_payment_intent(&pi.id, &key).await {
                Ok(_) => record_end(ctx, p.id, PaymentStatus::Failed).await,
                Err(e) => {
                    let now = client.payment_intent(&pi.id).await?;
                    if now.status == IntentStatus::Succeeded {
                        record_success(ctx, &now, p.id).await
                    } else {
                        Err(e.into())
                    }
                }
            }
        }
        _ => Ok(Confirmation::Pending { payment_id: p.id }),
    }
}

async fn by_reference(
    conn: &impl ConnectionTrait,
    payment_intent_id: &str,
) -> Result<Option<payments::Model>> {
    Ok(payments::Entity::find()
        .filter(payments::Column::Provider.eq(PaymentProvider::Stripe))
        .filter(payments::Column::ProviderReference.eq(payment_intent_id))
        .one(conn)
        .await?)
}

/// The outcome as already recorded.
async fn stored(conn: &impl ConnectionTrait, p: &payments::Model) -> Result<Confirmation> {
    let payment_id = p.id;
    Ok(match p.status {
        PaymentStatus::Pending => Confirmation::Pending { payment_id },
        PaymentStatus::Failed => Confirmation::Failed { payment_id },
        PaymentStatus::Canceled => Confirmation::Canceled { payment_id },
        PaymentStatus::Succeeded => {
            let seated = match p.registration_id {
                Some(id) => regs::Entity::find_by_id(id)
                    .one(conn)
                    .await?
                    .is_some_and(|r| r.status == RegistrationStatus::Confirmed),
                None => false,
            };
            // Paid without a seat means the late-payment refund (see `record_success`).
            if seated {
                Confirmation::Paid { payment_id }
            } else {
                Confirmation::Refunding { payment_id }
            }
        }
    })
}

/// The PaymentIntent must be for exactly what we asked: our payment, its amount (with the
/// gift it carries), its currency. Anything else is not ours to confirm.
fn matches(pi: &PaymentIntent, p: &payments::Model) -> bool {
    pi.amount == p.amount_minor + gift_in(pi)
        && pi.currency.eq_ignore_ascii_case(&p.currency)
        && pi.metadata.get("payment_id") == Some(&p.id.to_string())
}

async fn record_success(
    ctx: &Context,
    pi: &PaymentIntent,
    payment_id: Uuid,
) -> Result<Confirmation> {
    let txn = db::begin_write(&ctx.main).await?;
    let p = payments::Entity::find_by_id(payment_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    let event_id = p
        .event_id
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("card payment {} has no event", p.id)))?;
    let e = lock_event(&txn, event_id).await?;
    // Read again under the lock: a racing caller may have confirmed it meanwhile.
    let p = payments::Entity::find_by_id(payment_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    if !p.status.can_become(PaymentStatus::Succeeded) {
        return stored(&txn, &p).await;
    }
    if !matches(pi, &p) {
        return Err(Error::Internal(anyhow::anyhow!(
            "PaymentIntent {} does not match payment {} (amount, currency or metadata)",
            pi.id,
            p.id
        )));
    }
    let seated = seat(&txn, ctx, &e, p.registration_id).await?;
    let now = ctx.now();
    let mut row: payments::ActiveModel = p.into();
    row.status = Set(PaymentStatus::Succeeded);
    row.succeeded_at = Set(Some(now));
    let p = row.update(&txn).await?;
    let reason = format!("Card payment for a seat at \"{}\"", e.title);
    ledger::record_payment(&txn, &p, reason, now).await?;
    record_gift(&txn, ctx, pi, &p).await?;
    if seated {
        registration::notify(&txn, ctx, p.user_id, e.id, EventNotice::PaymentReceived).await?;
    } else {
        RefundLatePayment { payment_id: p.id }
            .enqueue(&txn, ctx)
            .await?;
    }
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::CardPaymentSucceeded)
            .on("payment", p.id)
            .within_circle(!e.open_to_all)
            .details(serde_json::json!({
                "event_id": e.id,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "payment_intent": pi.id,
                "seat": if seated { "confirmed" } else { "none_free_refunding" },
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(if seated {
        Confirmation::Paid { payment_id: p.id }
    } else {
        Confirmation::Refunding { payment_id: p.id }
    })
}

/// The gift paid forward with the seat, if the PaymentIntent carries one: his donation to
/// the scholarship fund, under the PaymentIntent's id (so it is written once). It was given
/// to the fund, so it stays there even when the seat's price is refunded.
async fn record_gift(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    pi: &PaymentIntent,
    p: &payments::Model,
) -> Result<()> {
    let gift = gift_in(pi);
    if gift == 0 {
        return Ok(());
    }
    let money = Money::parse(gift, &p.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("PaymentIntent {} has a bad gift", pi.id)))?;
    let d = NewDonation {
        donor_id: Some(p.user_id),
        money,
        method: PaymentMethod::Card,
        provider_reference: Some(pi.id.clone()),
        payment_id: Some(p.id),
        event_id: p.event_id,
        note: None,
        recorded_by: None,
    };
    donations::record(txn, ctx, &RequestMeta::system(), d).await?;
    Ok(())
}

/// Gives the paid registration its seat: the held one, or — when the hold ran out — a
/// free one if there is one. `false` when there is none to give.
async fn seat(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
    registration_id: Option<Uuid>,
) -> Result<bool> {
    let found = match registration_id {
        Some(id) => regs::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let Some(r) = found else {
        return Ok(false);
    };
    let registration_id = r.id;
    match r.status {
        RegistrationStatus::PaymentRequired => {
            registration::confirm_paid(txn, ctx, r).await?;
            // A granted scholarship pays the rest of the seat from the fund.
            scholarships::draw_for_seat(txn, ctx, e, registration_id).await?;
            Ok(true)
        }
        RegistrationStatus::Cancelled | RegistrationStatus::Waitlisted => {
            let open = e.status.accepts_registrations() && e.starts_at > ctx.now();
            if open && take_seat(txn, e.id).await? {
                registration::confirm_paid(txn, ctx, r).await?;
                scholarships::draw_for_seat(txn, ctx, e, registration_id).await?;
                Ok(true)
            } else {
                Ok(false)
            }
        }
        // Already confirmed (paid another way) or offered a seat it must accept first:
        // this payment buys nothing, so it is given back.
        RegistrationStatus::Confirmed | RegistrationStatus::Offered => Ok(false),
    }
}

/// Ends a pending payment as failed or cancelled. The held seat stays until its hold
/// ends, so he can try again.
async fn record_end(
    ctx: &Context,
    payment_id: Uuid,
    status: PaymentStatus,
) -> Result<Confirmation> {
    let txn = db::begin_write(&ctx.main).await?;
    let p = payments::Entity::find_by_id(payment_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    if !p.status.can_become(status) {
        return stored(&txn, &p).await;
    }
    let e = match p.event_id {
        Some(id) => events::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let mut row: payments::ActiveModel = p.into();
    row.status = Set(status);
    let p = row.update(&txn).await?;
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::CardPaymentFailed)
            .on("payment", p.id)
            .within_circle(e.as_ref().is_some_and(|e| !e.open_to_all))
            .details(serde_json::json!({ "status": status })),
    )
    .await?;
    txn.commit().await?;
    Ok(match status {
        PaymentStatus::Canceled => Confirmation::Canceled { payment_id },
        _ => Confirmation::Failed { payment_id },
    })
}
