//! One attempt to pay with a card: the card page's form sends the Stripe.js token of the
//! card the member typed (the card details went from his browser to Stripe, never here),
//! and we confirm his PaymentIntent with it. Confirming on the server keeps the outcome in
//! one place: a declined card is recorded as a failed payment (the PaymentIntent is
//! cancelled, as [`confirm_payment`] does for every failure) and he gets a fresh payment to
//! try another card with, his seat still held; a bank asking for 3-D Secure sends him back
//! to Stripe.js's `confirmCardPayment`; anything else goes on to the return page.

use super::client::{checked_id, IntentStatus, StripeError};
use super::paying::{card_payment, gift_in};
use super::{confirm_payment, start_card_payment, CardPayment, CardPaymentRequest};
use crate::authz::Actor;
use crate::payments::PaymentError;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{events, payments};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::Money;

/// What came of confirming a PaymentIntent with a card; `P` is what Stripe.js needs to go
/// on (a seat's [`CardPayment`], or a gift's).
#[derive(Debug, Clone)]
pub enum CardAttempt<P = CardPayment> {
    /// Paid, or being processed: the return page reads the outcome back from Stripe.
    Done,
    /// The bank asks for 3-D Secure: Stripe.js completes it in the member's browser.
    NeedsAuthentication(P),
    /// The card was declined (Stripe's words, for the member); nothing was charged and
    /// `retry` is a new payment of the same amount for another card.
    Declined { message: String, retry: P },
}

/// Confirms the actor's own pending card payment `payment_intent` with the card behind
/// the Stripe.js `token`.
#[tracing::instrument(skip(ctx, meta, actor, token), fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn pay_with_card(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    payment_intent: &str,
    token: &str,
) -> Result<CardAttempt> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    checked_token(token)?;
    let p = own_pending(ctx, actor, payment_intent).await?;
    // A token is used once, so the key makes a repeat of this very request a no-op at
    // Stripe while a new card gets a new attempt.
    let key = format!("circles-confirm-{}-{token}", p.id);
    match client
        .confirm_with_card_token(payment_intent, token, &key)
        .await
    {
        Ok(pi) if pi.status == IntentStatus::RequiresAction => {
            let secret = pi
                .client_secret
                .clone()
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("Stripe gave no client secret")))?;
            let e = event_of(ctx, &p).await?;
            let registration_id = p.registration_id.ok_or(Error::NotFound("registration"))?;
            Ok(CardAttempt::NeedsAuthentication(card_payment(
                ctx,
                &e,
                registration_id,
                p.id,
                &pi,
                secret,
                money_of(&p)?,
            )))
        }
        Ok(_) => Ok(CardAttempt::Done),
        Err(StripeError::Declined { message, .. }) => {
            // Recorded as failed (and the PaymentIntent cancelled) like any failure.
            confirm_payment(ctx, payment_intent).await?;
            let gift = gift_in(&client.payment_intent(payment_intent).await?);
            let (event_id, registration_id) = (
                p.event_id.ok_or(Error::NotFound("event"))?,
                p.registration_id.ok_or(Error::NotFound("registration"))?,
            );
            let request = CardPaymentRequest {
                amount_minor: Some(p.amount_minor),
                donation_minor: Some(gift),
            };
            let retry =
                start_card_payment(ctx, meta, actor, event_id, registration_id, &request).await?;
            Ok(CardAttempt::Declined { message, retry })
        }
        Err(other) => Err(other.into()),
    }
}

/// The Stripe.js token the card form sent, or what to do when it sent none.
pub(crate) fn checked_token(token: &str) -> Result<()> {
    match checked_id(token, "tok_") {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::invalid(
            "card",
            "The card form did not send a card. Paying by card needs JavaScript; reload the page and try again.",
        )),
    }
}

/// The actor's own card payment for `payment_intent`, still waiting to be paid; anyone
/// else's is "not found".
async fn own_pending(
    ctx: &Context,
    actor: &Actor,
    payment_intent: &str,
) -> Result<payments::Model> {
    let p = payments::Entity::find()
        .filter(payments::Column::ProviderReference.eq(payment_intent))
        .filter(payments::Column::UserId.eq(actor.id()))
        .filter(payments::Column::Method.eq(PaymentMethod::Card))
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    if p.status != PaymentStatus::Pending {
        return Err(PaymentError::NotAwaitingPayment.into());
    }
    Ok(p)
}

async fn event_of(ctx: &Context, p: &payments::Model) -> Result<events::Model> {
    let id = p.event_id.ok_or(Error::NotFound("event"))?;
    events::Entity::find_by_id(id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("event"))
}

fn money_of(p: &payments::Model) -> Result<Money> {
    Money::parse(p.amount_minor, &p.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("payment {} has a bad amount", p.id)))
}
