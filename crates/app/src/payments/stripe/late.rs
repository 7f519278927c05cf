//! Refunding a card payment that succeeded after its held seat was gone, when no other
//! seat was free: nobody is charged without a seat. The refund goes through the refunds
//! feature (to the card at Stripe, its negative ledger row, its receipt and email) under
//! the cause `late_payment:<payment>`, so a retried job refunds once; the member also gets
//! one email saying why.

use crate::audit::{self, Action, Entry};
use crate::events::jobs::EventNotice;
use crate::events::registration;
use crate::jobs::JobRun;
use crate::payments::refunds::issuing::{issue, Ask, Requester, Wanted};
use crate::payments::PaymentError;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{events, payments};
use db::sea_orm::EntityTrait;
use domain::refund::RefundKind;
use uuid::Uuid;

/// Refunds payment `payment_id` in full to the card and emails its payer why, once.
#[tracing::instrument(skip(ctx, run), err(level = "info"))]
pub async fn refund_late_payment(ctx: &Context, run: &JobRun, payment_id: Uuid) -> Result<()> {
    if ctx.stripe.is_none() {
        return Err(PaymentError::CardPaymentsNotSetUp.into());
    }
    let p = payments::Entity::find_by_id(payment_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    let reference = p.provider_reference.clone().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("payment {payment_id} has no PaymentIntent"))
    })?;
    let ask = Ask {
        by: Requester::Automatic,
        payment_id,
        wanted: Wanted::UpTo(None),
        reason: "Paid after the held seat had gone, with no other seat free".to_owned(),
        kind: RefundKind::LatePayment,
        cause_key: Some(format!("late_payment:{payment_id}")),
    };
    issue(ctx, &RequestMeta::system(), ask).await?;
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
