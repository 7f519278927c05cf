//! A cancelled paid event gives everyone his money back: one job per cancellation
//! refunds every succeeded payment for a seat that was still taken when the event was
//! cancelled, in full (what remains of it). Each payment's refund carries the cause key
//! `event_cancelled:<payment>`, so a job that runs twice, or on two workers at once,
//! refunds each payment once and emails each member once.
//!
//! A member who had cancelled his own registration before the event was cancelled got
//! what the refund policy stated then; he is not refunded again here.

use super::issuing::{issue, Ask, Requester, Wanted};
use super::jobs::RefundCancelledEvent;
use crate::jobs::Job;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events, payments};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use domain::event::{EventStatus, RegistrationStatus};
use domain::payment::PaymentStatus;
use domain::refund::RefundKind;
use std::collections::HashMap;
use uuid::Uuid;

/// In the cancellation's transaction: plans the refunds of a paid event.
pub(crate) async fn plan_refunds(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
) -> Result<()> {
    if crate::payments::price_of(e)?.is_paid() {
        RefundCancelledEvent { event_id: e.id }
            .enqueue(txn, ctx)
            .await?;
    }
    Ok(())
}

/// The job's work: refunds every payment still owed back, each once.
pub(crate) async fn refund_everyone(ctx: &Context, event_id: Uuid) -> Result<()> {
    let Some(e) = events::Entity::find_by_id(event_id).one(&ctx.main).await? else {
        return Ok(());
    };
    let Some(cancelled_at) = e
        .cancelled_at
        .filter(|_| e.status == EventStatus::Cancelled)
    else {
        return Ok(());
    };
    let paid = payments::Entity::find()
        .filter(payments::Column::EventId.eq(event_id))
        .filter(payments::Column::Status.eq(PaymentStatus::Succeeded))
        .all(&ctx.main)
        .await?;
    let seats: HashMap<Uuid, regs::Model> = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    for p in paid {
        let left_before = p
            .registration_id
            .and_then(|id| seats.get(&id))
            .is_some_and(|r| {
                r.status == RegistrationStatus::Cancelled
                    && r.cancelled_at.is_some_and(|at| at < cancelled_at)
            });
        if left_before {
            continue;
        }
        let ask = Ask {
            by: Requester::Automatic,
            payment_id: p.id,
            wanted: Wanted::UpTo(None),
            reason: format!("\"{}\" was cancelled", e.title),
            kind: RefundKind::EventCancelled,
            cause_key: Some(format!("event_cancelled:{}", p.id)),
        };
        match issue(ctx, &RequestMeta::system(), ask).await {
            Ok(_) => {}
            // A refusal (a card payment while Stripe is not configured) is that payment's
            // alone: the others are still refunded, and an Admin sees it on the payment.
            Err(Error::Rule { code, message }) => {
                tracing::warn!(payment_id = %p.id, code = code.as_str(), %message, "a cancelled event's payment was not refunded");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
