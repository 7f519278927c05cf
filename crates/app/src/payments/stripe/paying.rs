//! Starting a card payment: the member picks what he pays (the fixed price, or on a sliding
//! scale anything from its minimum to its maximum, the suggested amount preselected), and
//! gets a PaymentIntent's client secret for Stripe.js, which takes the card details in his
//! browser (they never reach our server) and confirms with 3-D Secure when the bank asks.
//!
//! The PaymentIntent is created before the payment row (no transaction is held open while
//! Stripe is called); its idempotency key is the new payment's id. Opening the page again
//! reuses the pending PaymentIntent for the same amount rather than piling up new ones.

use super::client::PaymentIntent;
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::events::lock_event;
use crate::payments::{amount_due, recording, PaymentError};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events, payments};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use domain::event::RegistrationStatus;
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::{Money, Price};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the member chose to pay; empty means the price (a sliding scale's suggestion).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CardPaymentRequest {
    /// In minor units (cents). On a sliding scale: from its minimum to its maximum.
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: Option<i64>,
    /// A gift to the scholarship fund on top of the price ("pay it forward"), in minor
    /// units: charged with the seat in one payment, and recorded as his donation once the
    /// payment succeeds. Left out (or 0): no gift.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000000)]
    pub donation_minor: Option<i64>,
}

/// What Stripe.js needs to take the card and confirm the payment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardPayment {
    pub payment_id: Uuid,
    pub event_id: Uuid,
    pub registration_id: Uuid,
    /// The PaymentIntent (`pi_…`).
    pub payment_intent_id: String,
    /// Handed to Stripe.js's `confirmCardPayment`; it lets this one payment be confirmed.
    pub client_secret: String,
    /// The publishable key to start Stripe.js with.
    pub publishable_key: String,
    /// Where to load Stripe.js from.
    pub js_url: String,
    /// What the card is charged, in minor units: the seat, plus any gift to the fund.
    pub amount_minor: i64,
    /// Of that, the gift to the scholarship fund (0 when none).
    pub donation_minor: i64,
    pub currency: String,
    /// "EUR 25.00": what the card is charged.
    pub amount_label: String,
}

/// The metadata key under which a PaymentIntent carries the gift paid forward with a seat.
/// Read back from Stripe (we wrote it), it splits the charge into seat and gift.
pub(crate) const DONATION_METADATA: &str = "donation_minor";

/// The gift `pi` carries on top of the seat (0 when none, or when the metadata is not ours).
pub(crate) fn gift_in(pi: &super::client::PaymentIntent) -> i64 {
    pi.metadata
        .get(DONATION_METADATA)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(0)
}

/// The gift he adds to the price, checked: in the price's currency, not negative, and
/// together with the seat within what one payment may be.
pub fn gift_on_top(seat: Money, donation_minor: Option<i64>) -> Result<Option<Money>> {
    let minor = donation_minor.unwrap_or(0);
    if minor == 0 {
        return Ok(None);
    }
    let currency = seat.currency();
    let gift = Money::parse(minor, currency.as_str()).map_err(|_| {
        Error::invalid(
            "donation_minor",
            "Enter the gift in minor units (cents), or leave it empty.",
        )
    })?;
    if Money::parse(seat.amount_minor() + minor, currency.as_str()).is_err() {
        return Err(Error::invalid(
            "donation_minor",
            format!(
                "Together with the price the gift can be at most {}.",
                Money::parse(Money::MAX_MINOR, currency.as_str())
                    .map(|m| m.to_string())
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(Some(gift))
}

/// The amount a member pays: his choice, checked against the price, or the price itself.
pub fn amount_to_pay(price: &Price, chosen: Option<i64>) -> Result<Money> {
    let default = match *price {
        Price::Free => return Err(PaymentError::NotAwaitingPayment.into()),
        Price::Fixed(m) => m,
        Price::Sliding { suggested, .. } => suggested,
    };
    let money = match chosen {
        None => default,
        Some(minor) => Money::parse(minor, default.currency().as_str()).map_err(|_| {
            Error::invalid(
                "amount_minor",
                "Enter an amount in minor units (cents), more than zero.",
            )
        })?,
    };
    price
        .accepts(money)
        .map_err(|why| Error::invalid("amount_minor", recording::underpaid(&why)))?;
    Ok(money)
}

/// Starts (or resumes) paying by card for the actor's own seat held for payment.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), registration_id = %registration_id), err(level = "info"))]
pub async fn start_card_payment(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    event_id: Uuid,
    registration_id: Uuid,
    request: &CardPaymentRequest,
) -> Result<CardPayment> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    let r = regs::Entity::find_by_id(registration_id)
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("registration"))?;
    recording::refuse_unless_awaiting(&ctx.main, &r).await?;
    let e = events::Entity::find_by_id(event_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("event"))?;
    let money = amount_to_pay(&amount_due(&ctx.main, &e, &r).await?, request.amount_minor)?;
    let gift = gift_on_top(money, request.donation_minor)?;
    let gift_minor = gift.map_or(0, |g| g.amount_minor());
    if let Some(resumed) = resume(ctx, &r, &e, money, gift_minor).await? {
        return Ok(resumed);
    }
    let payment_id = Uuid::now_v7();
    let metadata = [
        ("payment_id", payment_id.to_string()),
        ("registration_id", r.id.to_string()),
        ("event_id", e.id.to_string()),
        ("user_id", actor.id().to_string()),
        (DONATION_METADATA, gift_minor.to_string()),
    ];
    let pi = client
        .create_payment_intent(
            money.amount_minor() + gift_minor,
            money.currency().as_str(),
            &metadata,
            &format!("circles-payment-{payment_id}"),
        )
        .await?;
    let client_secret = pi
        .client_secret
        .clone()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("Stripe gave no client secret")))?;
    let saved = save_pending(ctx, meta, actor, &e, r.id, payment_id, money, &pi).await;
    if let Err(refused) = saved {
        // The seat went while Stripe was called: make sure this intent can never be paid.
        let key = format!("circles-cancel-{payment_id}");
        if let Err(e) = client.cancel_payment_intent(&pi.id, &key).await {
            tracing::warn!(error = %e, payment_intent = %pi.id, "could not cancel an unused PaymentIntent");
        }
        return Err(refused);
    }
    Ok(card_payment(
        ctx,
        &e,
        r.id,
        payment_id,
        &pi,
        client_secret,
        money,
    ))
}

/// The pending card payment for the same amount (and the same gift), when its
/// PaymentIntent can still be paid.
async fn resume(
    ctx: &Context,
    r: &regs::Model,
    e: &events::Model,
    money: Money,
    gift_minor: i64,
) -> Result<Option<CardPayment>> {
    let Some(client) = ctx.stripe.as_ref() else {
        return Ok(None);
    };
    let pending = payments::Entity::find()
        .filter(payments::Column::RegistrationId.eq(r.id))
        .filter(payments::Column::Method.eq(PaymentMethod::Card))
        .filter(payments::Column::Status.eq(PaymentStatus::Pending))
        .filter(payments::Column::AmountMinor.eq(money.amount_minor()))
        .filter(payments::Column::Currency.eq(money.currency().as_str()))
        .order_by_desc(payments::Column::CreatedAt)
        .one(&ctx.main)
        .await?;
    let Some((p, reference)) = pending.and_then(|p| {
        let reference = p.provider_reference.clone()?;
        Some((p, reference))
    }) else {
        return Ok(None);
    };
    let pi = client.payment_intent(&reference).await?;
    let payable = pi.can_be_paid() && gift_in(&pi) == gift_minor;
    match (payable, pi.client_secret.clone()) {
        (true, Some(secret)) => Ok(Some(card_payment(ctx, e, r.id, p.id, &pi, secret, money))),
        _ => Ok(None),
    }
}

/// Writes the pending payment, if the seat is still held for payment.
#[allow(clippy::too_many_arguments)]
async fn save_pending(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    e: &events::Model,
    registration_id: Uuid,
    payment_id: Uuid,
    money: Money,
    pi: &PaymentIntent,
) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    lock_event(&txn, e.id).await?;
    let r = regs::Entity::find_by_id(registration_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("registration"))?;
    if r.status != RegistrationStatus::PaymentRequired {
        return Err(PaymentError::NotAwaitingPayment.into());
    }
    payments::ActiveModel {
        id: Set(payment_id),
        user_id: Set(actor.id()),
        event_id: Set(Some(e.id)),
        registration_id: Set(Some(registration_id)),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        method: Set(PaymentMethod::Card),
        provider: Set(PaymentMethod::Card.provider()),
        provider_reference: Set(Some(pi.id.clone())),
        status: Set(PaymentStatus::Pending),
        note: Set(None),
        recorded_by: Set(None),
        created_at: Set(ctx.now()),
        succeeded_at: Set(None),
        plan_id: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CardPaymentStarted)
            .by(actor.id())
            .on("payment", payment_id)
            .within_circle(!e.open_to_all)
            .details(serde_json::json!({
                "event_id": e.id,
                "amount_minor": money.amount_minor(),
                "currency": money.currency().as_str(),
                "payment_intent": pi.id,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What Stripe.js needs for `pi`, which pays `seat` (and the gift it carries).
pub(super) fn card_payment(
    ctx: &Context,
    e: &events::Model,
    registration_id: Uuid,
    payment_id: Uuid,
    pi: &PaymentIntent,
    client_secret: String,
    seat: Money,
) -> CardPayment {
    let stripe = &ctx.settings.payments.stripe;
    let gift_minor = gift_in(pi);
    let charged =
        Money::parse(seat.amount_minor() + gift_minor, seat.currency().as_str()).unwrap_or(seat);
    CardPayment {
        payment_id,
        event_id: e.id,
        registration_id,
        payment_intent_id: pi.id.clone(),
        client_secret,
        publishable_key: stripe.publishable_key.clone(),
        js_url: stripe.js_url.clone(),
        amount_minor: charged.amount_minor(),
        donation_minor: gift_minor,
        currency: charged.currency().as_str().to_owned(),
        amount_label: charged.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::parse(minor, "EUR").unwrap()
    }

    #[test]
    fn the_price_is_paid_unless_he_chooses_within_the_scale() {
        let fixed = Price::fixed(eur(2500));
        assert_eq!(amount_to_pay(&fixed, None).unwrap(), eur(2500));
        assert!(amount_to_pay(&fixed, Some(2000)).is_err());
        let scale = Price::sliding(eur(1000), eur(2500), eur(5000)).unwrap();
        assert_eq!(amount_to_pay(&scale, None).unwrap(), eur(2500));
        assert_eq!(amount_to_pay(&scale, Some(1000)).unwrap(), eur(1000));
        assert_eq!(amount_to_pay(&scale, Some(5000)).unwrap(), eur(5000));
        for refused in [999, 5001, 0, -5] {
            assert!(amount_to_pay(&scale, Some(refused)).is_err(), "{refused}");
        }
        assert!(amount_to_pay(&Price::Free, None).is_err());
    }

    #[test]
    fn a_gift_on_top_is_in_the_price_currency_and_keeps_the_total_within_bounds() {
        assert_eq!(gift_on_top(eur(2500), None).unwrap(), None);
        assert_eq!(gift_on_top(eur(2500), Some(0)).unwrap(), None);
        assert_eq!(gift_on_top(eur(2500), Some(500)).unwrap(), Some(eur(500)));
        assert!(gift_on_top(eur(2500), Some(-1)).is_err());
        assert!(gift_on_top(eur(2500), Some(Money::MAX_MINOR)).is_err());
        assert!(gift_on_top(eur(2500), Some(Money::MAX_MINOR - 2500)).is_ok());
    }
}
