//! Refunding a card payment that succeeded after its held seat was gone, when no other
//! seat was free: nobody is charged without a seat. The refund is made at Stripe under an
//! idempotency key derived from the payment, so a retried job cannot refund twice, and the
//! member gets one email saying what happened.

use crate::audit::{self, Action, Entry};
use crate::events::jobs::EventNotice;
use crate::events::registration;
use crate::jobs::JobRun;
use crate::payments::PaymentError;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{events, payments};
use db::sea_orm::EntityTrait;
use uuid::Uuid;

/// Refunds payment `payment_id` in full at Stripe and emails its payer, once.
///
/// Integration note: the refund is recorded in the ledger by
/// `crate::payments::refunds::record_provider_refund(...)` (the refunds feature), called
/// in the transaction below, beside the email, with the `stripe::client::Refund` returned.
#[tracing::instrument(skip(ctx, run), err(level = "info"))]
pub async fn refund_late_payment(ctx: &Context, run: &JobRun, payment_id: Uuid) -> Result<()> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    let p = payments::Entity::find_by_id(payment_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    let reference = p.provider_reference.clone().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("payment {payment_id} has no PaymentIntent"))
    })?;
    let key = format!("circles-late-refund-{payment_id}");
    // `once` keeps a retried job from asking again; the idempotency key covers a crash
    // between Stripe's answer and the note.
    run.once(ctx, "stripe_refund", async {
        let refund = client.refund(&reference, p.amount_minor, &key).await?;
        tracing::info!(refund = %refund.id, payment = %payment_id, "late payment refunded");
        Ok(())
    })
    .await
    .map_err(Error::Internal)?;
    let txn = db::begin_write(&ctx.main).await?;
    if run.note(&txn, "refund_email", ctx.now()).await? {
        let e = match p.event_id {
            Some(id) => events::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        };
        if let Some(e) = &e {
            registration::notify(&txn, ctx, p.user_id, e.id, EventNotice::LatePaymentRefunded)
                .await?;
        }
        audit::record(
            &txn,
            &RequestMeta::system(),
            Entry::new(Action::LatePaymentRefunded)
                .on("payment", payment_id)
                .within_circle(e.as_ref().is_some_and(|e| !e.open_to_all))
                .details(serde_json::json!({
                    "amount_minor": p.amount_minor,
                    "currency": p.currency,
                    "payment_intent": reference,
                })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
