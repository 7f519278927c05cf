//! Saving his card for a subscription from the membership card page: the form sends the
//! Stripe.js token of the card he typed (the details went from his browser to Stripe, never
//! here) and the server confirms his SetupIntent with it, as the one-off card payment does
//! with a PaymentIntent. A saved card goes straight on to [`confirm`]; a bank asking for
//! 3-D Secure sends him back to Stripe.js's `confirmCardSetup`; a declined card gets a
//! fresh SetupIntent for the same plan, with the bank's words.

use super::starting::{his_setup_intent, plan_of, start, start_of};
use super::{client, confirm, ConfirmSubscription, MembershipError, StartSubscription};
use super::{SubscriptionStart, SubscriptionView};
use crate::authz::{can, Actor};
use crate::payments::stripe::attempt::checked_token;
use crate::payments::stripe::StripeError;
use crate::{Context, RequestMeta, Result};

/// What came of confirming his SetupIntent with a card.
#[derive(Debug, Clone)]
pub enum CardSetup {
    /// The card is saved and he is subscribed.
    Subscribed(SubscriptionView),
    /// The bank asks for 3-D Secure: Stripe.js completes it in his browser.
    NeedsAuthentication(SubscriptionStart),
    /// The card was declined (Stripe's words, for him); `retry` is a new SetupIntent for
    /// the same plan to try another card with.
    Declined {
        message: String,
        retry: SubscriptionStart,
    },
}

/// Confirms his own SetupIntent `setup_intent` with the card behind the Stripe.js `token`,
/// and subscribes him when the card is saved.
#[tracing::instrument(skip(ctx, meta, actor, token), fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn subscribe_with_card(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    setup_intent: &str,
    token: &str,
) -> Result<CardSetup> {
    actor.require::<can::Participate>()?;
    let client = client(ctx)?;
    checked_token(token)?;
    let (seti, _) = his_setup_intent(ctx, actor, setup_intent).await?;
    let plan = plan_of(ctx, &seti).await?;
    // A token is used once: a repeat of this very request is a no-op at Stripe, while
    // another card is a new attempt.
    let key = format!("circles-setup-confirm-{}-{token}", seti.id);
    match client
        .confirm_setup_with_card_token(&seti.id, token, &key)
        .await
    {
        Ok(saved) if saved.status == "requires_action" => {
            Ok(CardSetup::NeedsAuthentication(start_of(ctx, saved, plan)?))
        }
        Ok(saved) => {
            let input = ConfirmSubscription {
                setup_intent_id: saved.id,
            };
            subscribed_or_retry(ctx, actor, confirm(ctx, meta, actor, &input).await?).await
        }
        Err(StripeError::Declined { message, .. }) => {
            let input = StartSubscription { plan_id: plan.id };
            let retry = start(ctx, actor, &input).await?;
            Ok(CardSetup::Declined { message, retry })
        }
        Err(other) => Err(other.into()),
    }
}

/// Where Stripe.js lands after 3-D Secure: subscribes him when his bank confirmed the card;
/// when it did not (he failed or abandoned the check), nothing was charged and he gets a
/// fresh SetupIntent for the same plan to try again, as after a decline.
#[tracing::instrument(skip(ctx, meta, actor), fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn after_authentication(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    setup_intent: &str,
) -> Result<CardSetup> {
    let input = ConfirmSubscription {
        setup_intent_id: setup_intent.to_owned(),
    };
    match confirm(ctx, meta, actor, &input).await {
        Ok(view) => subscribed_or_retry(ctx, actor, view).await,
        Err(e) if e.code() == MembershipError::CardNotSaved.code() => {
            let (seti, _) = his_setup_intent(ctx, actor, setup_intent).await?;
            let plan = plan_of(ctx, &seti).await?;
            let retry = start(ctx, actor, &StartSubscription { plan_id: plan.id }).await?;
            let message = "Your bank did not confirm the card.".to_owned();
            Ok(CardSetup::Declined { message, retry })
        }
        Err(other) => Err(other),
    }
}

/// A subscription whose first payment did not go through (Stripe's `incomplete`: the card
/// was saved, then declined when charged) has not started: nothing was charged, and he
/// gets a fresh SetupIntent for the same plan to try another card. Stripe lets the
/// unpaid subscription expire by itself (`incomplete_expired`).
async fn subscribed_or_retry(
    ctx: &Context,
    actor: &Actor,
    view: SubscriptionView,
) -> Result<CardSetup> {
    if view.status != "incomplete" {
        return Ok(CardSetup::Subscribed(view));
    }
    let retry = start(
        ctx,
        actor,
        &StartSubscription {
            plan_id: view.plan_id,
        },
    )
    .await?;
    Ok(CardSetup::Declined {
        message: "Your card was saved, but its first payment was declined.".to_owned(),
        retry,
    })
}
