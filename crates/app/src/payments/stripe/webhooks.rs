//! Stripe's webhook deliveries: checked, recorded once under Stripe's event id together
//! with the job that acts on them (one transaction), and answered at once. The job treats
//! the event as a trigger only: it reads the object back from Stripe and moves state
//! forward, so repeated and out-of-order deliveries change nothing. PaymentIntents confirm
//! or fail payments (for a seat, or a gift to the scholarship fund); `charge.refunded` records refunds made in Stripe's own dashboard;
//! invoice and subscription events go to memberships paid by card
//! ([`crate::memberships::stripe`]).

use super::confirming::{confirm_payment, Confirmation};
use super::signature;
use super::StripeError;
use crate::jobs::Job;
use crate::payments::jobs::HandleStripeEvent;
use crate::payments::refunds::record_provider_refund;
use crate::payments::PaymentError;
use crate::{Context, Error, Result};
use db::main_db::{payments, stripe_events};
use db::sea_orm::sea_query::OnConflict;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::payment::PaymentProvider;
use domain::refund::RefundKind;
use domain::Money;
use serde::Deserialize;

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// New: recorded, and its job queued.
    Accepted,
    /// Seen before: nothing done.
    Repeated,
    /// Not signed by Stripe with a configured secret, too old, or unreadable: nothing stored.
    Refused,
}

/// The event types acted on; others are recorded and left alone.
const PAYMENT_INTENT_EVENTS: [&str; 3] = [
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
];

/// A charge was refunded, by us or in Stripe's dashboard.
const CHARGE_REFUNDED: &str = "charge.refunded";

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: EventObject,
}

#[derive(Deserialize)]
struct EventObject {
    id: Option<String>,
}

/// Checks and records one delivery of `body` signed with `signature_header`.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn receive(
    ctx: &Context,
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<Delivery> {
    let secrets = &ctx.settings.payments.stripe.webhook_secrets;
    if let Err(why) = signature::verify(signature_header, body, secrets, ctx.now()) {
        tracing::warn!(?why, "Stripe webhook refused: bad signature");
        return Ok(Delivery::Refused);
    }
    let Ok(event) = serde_json::from_slice::<Event>(body) else {
        tracing::warn!("Stripe webhook refused: signed, but not an event");
        return Ok(Delivery::Refused);
    };
    let txn = db::begin_write(&ctx.main).await?;
    let row = stripe_events::ActiveModel {
        id: Set(event.id.clone()),
        kind: Set(event.event_type.clone()),
        object_id: Set(event.data.object.id.clone()),
        received_at: Set(ctx.now()),
    };
    let inserted = stripe_events::Entity::insert(row)
        .on_conflict(
            OnConflict::column(stripe_events::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted == 0 {
        return Ok(Delivery::Repeated);
    }
    HandleStripeEvent {
        event_id: event.id,
        event_type: event.event_type,
        object_id: event.data.object.id,
    }
    .enqueue(&txn, ctx)
    .await?;
    txn.commit().await?;
    Ok(Delivery::Accepted)
}

/// The job's work for one recorded event. An event naming an object Stripe no longer has
/// (deleted, or from a test run long gone) has nothing to bring forward: it is logged and
/// done, rather than failing its job again and again.
pub(crate) async fn handle(ctx: &Context, event: &HandleStripeEvent) -> Result<()> {
    match act_on(ctx, event).await {
        Err(e) if missing_at_stripe(&e) => {
            tracing::warn!(event = %event.event_id, kind = %event.event_type, object = ?event.object_id, error = %e, "Stripe no longer has the object this event names: nothing to do");
            Ok(())
        }
        other => other,
    }
}

/// Whether Stripe answered "no such object" (404).
fn missing_at_stripe(e: &Error) -> bool {
    match e {
        Error::Internal(inner) => matches!(
            inner.downcast_ref::<StripeError>(),
            Some(StripeError::Refused { status: 404, .. })
        ),
        _ => false,
    }
}

async fn act_on(ctx: &Context, event: &HandleStripeEvent) -> Result<()> {
    if event.event_type == CHARGE_REFUNDED {
        if let Some(charge) = event.object_id.as_deref() {
            record_refunds_made_at_stripe(ctx, charge).await?;
        }
        return Ok(());
    }
    if crate::memberships::stripe::is_billing_event(&event.event_type) {
        let object = event.object_id.as_deref();
        return crate::memberships::stripe::handle_event(ctx, &event.event_type, object).await;
    }
    if !PAYMENT_INTENT_EVENTS.contains(&event.event_type.as_str()) {
        tracing::info!(event = %event.event_id, kind = %event.event_type, "Stripe event recorded, not acted on");
        return Ok(());
    }
    let Some(pi) = event.object_id.as_deref() else {
        return Ok(());
    };
    let outcome = confirm_payment(ctx, pi).await?;
    if outcome == Confirmation::Unknown {
        // Not a seat's payment: perhaps a gift to the scholarship fund.
        let gift = crate::payments::donations::card::confirm(ctx, pi).await?;
        tracing::info!(event = %event.event_id, ?gift, "Stripe event handled");
        return Ok(());
    }
    tracing::info!(event = %event.event_id, ?outcome, "Stripe event handled");
    Ok(())
}

/// Records, once each, the refunds Stripe holds for the charge's payment: the event is a
/// trigger, so the refunds are read back from Stripe, and those we made ourselves (or saw
/// before) are already known by their reference and change nothing.
async fn record_refunds_made_at_stripe(ctx: &Context, charge_id: &str) -> Result<()> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    let charge = client.charge(charge_id).await?;
    let Some(intent) = charge.payment_intent else {
        return Ok(());
    };
    let Some(payment) = payments::Entity::find()
        .filter(payments::Column::Provider.eq(PaymentProvider::Stripe))
        .filter(payments::Column::ProviderReference.eq(intent.as_str()))
        .one(&ctx.main)
        .await?
    else {
        tracing::info!(charge = %charge_id, "refunded charge of a payment we do not know");
        return Ok(());
    };
    for refund in client.refunds_of(&intent).await? {
        if refund.status.as_deref() != Some("succeeded") {
            continue;
        }
        let amount = Money::parse(refund.amount, &payment.currency).map_err(|_| {
            Error::Internal(anyhow::anyhow!(
                "Stripe refund {} has a bad amount",
                refund.id
            ))
        })?;
        let txn = db::begin_write(&ctx.main).await?;
        record_provider_refund(
            &txn,
            ctx,
            &payment,
            amount,
            &refund.id,
            RefundKind::ProviderDashboard,
        )
        .await?;
        txn.commit().await?;
    }
    Ok(())
}
