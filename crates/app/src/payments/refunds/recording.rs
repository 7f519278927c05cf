//! Writing down refunds that have happened: a refund of ours the provider confirmed, and a
//! refund made at the provider itself ([`record_provider_refund`]), each exactly once.
//! Every succeeded refund gets its negative ledger row, its audit record and an email to
//! the member in the same transaction as its change of status.

use super::issuing::lock_payment;
use super::jobs::SendRefundNotice;
use crate::audit::{self, Action, Entry};
use crate::jobs::Job;
use crate::payments::{ledger, scholarships};
use crate::{Context, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{events, payments, refunds};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::refund::{RefundKind, RefundStatus};
use domain::Money;
use uuid::Uuid;

/// Records a refund that already happened at the provider (found by reconciliation, a
/// `charge.refunded` webhook, a late payment refunded automatically) exactly once per
/// provider reference, in the caller's transaction: a second call with the same reference
/// changes nothing and returns the refund recorded the first time. A refund of ours still
/// pending under that reference is completed instead.
#[tracing::instrument(skip_all, fields(payment_id = %payment.id, reference = %provider_reference), err(level = "info"))]
pub async fn record_provider_refund(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    payment: &payments::Model,
    amount: Money,
    provider_reference: &str,
    kind: RefundKind,
) -> Result<refunds::Model> {
    // The payment's lock makes two reports of one refund queue, so the second sees the first.
    let p = lock_payment(txn, payment.id).await?;
    let known = refunds::Entity::find()
        .filter(refunds::Column::Provider.eq(p.provider))
        .filter(refunds::Column::ProviderReference.eq(provider_reference))
        .one(txn)
        .await?;
    let now = ctx.now();
    let r = match known {
        Some(r) if r.status == RefundStatus::Pending => succeed(txn, ctx, &p, r, None, now).await?,
        Some(r) => return Ok(r),
        None => {
            let refunded = super::issuing::refunded_minor(txn, p.id).await?;
            if refunded + amount.amount_minor() > p.amount_minor {
                // The provider is the authority on what it paid out: record it, and say so.
                tracing::warn!(payment_id = %p.id, "a provider refund takes the refunds above what was paid");
            }
            let pending = refunds::ActiveModel {
                id: Set(Uuid::now_v7()),
                payment_id: Set(p.id),
                amount_minor: Set(amount.amount_minor()),
                currency: Set(amount.currency().as_str().to_owned()),
                reason: Set(kind.label().to_owned()),
                status: Set(RefundStatus::Pending),
                kind: Set(kind),
                provider: Set(p.provider),
                provider_reference: Set(Some(provider_reference.to_owned())),
                cause_key: Set(None),
                requested_by: Set(None),
                created_at: Set(now),
                succeeded_at: Set(None),
            }
            .insert(txn)
            .await?;
            succeed(txn, ctx, &p, pending, None, now).await?
        }
    };
    audit_refund(txn, &RequestMeta::system(), None, &p, &r).await?;
    Ok(r)
}

/// Moves a pending refund to `succeeded` with its ledger row and the member's email, in
/// the caller's transaction. Anything but a pending refund is returned unchanged.
pub(crate) async fn succeed(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    p: &payments::Model,
    r: refunds::Model,
    reference: Option<String>,
    at: DateTime<Utc>,
) -> Result<refunds::Model> {
    if !r.status.can_become(RefundStatus::Succeeded) {
        return Ok(r);
    }
    let mut row: refunds::ActiveModel = r.into();
    row.status = Set(RefundStatus::Succeeded);
    row.succeeded_at = Set(Some(at));
    if reference.is_some() {
        row.provider_reference = Set(reference);
    }
    let r = row.update(txn).await?;
    ledger::record_refund(txn, p, &r, at).await?;
    restore_fund_if_refunded_in_full(txn, p, at).await?;
    SendRefundNotice { refund_id: r.id }
        .enqueue(txn, ctx)
        .await?;
    Ok(r)
}

/// Once a seat's payment has gone back in full, what the scholarship fund paid towards
/// that seat goes back to the fund too (once: see `scholarships::restore_for_seat`).
async fn restore_fund_if_refunded_in_full(
    txn: &impl ConnectionTrait,
    p: &payments::Model,
    at: DateTime<Utc>,
) -> Result<()> {
    let Some(registration_id) = p.registration_id else {
        return Ok(());
    };
    let given_back: i64 = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(p.id))
        .filter(refunds::Column::Status.eq(RefundStatus::Succeeded))
        .all(txn)
        .await?
        .iter()
        .map(|r| r.amount_minor)
        .sum();
    if given_back >= p.amount_minor {
        let why = "the seat's payment was refunded in full";
        scholarships::restore_for_seat(txn, registration_id, why, at).await?;
    }
    Ok(())
}

/// A refund the provider refused (or could not be asked for): kept, so the attempt shows,
/// and no longer counted against the payment.
pub(crate) async fn mark_failed(txn: &impl ConnectionTrait, r: refunds::Model) -> Result<()> {
    if r.status.can_become(RefundStatus::Failed) {
        let mut row: refunds::ActiveModel = r.into();
        row.status = Set(RefundStatus::Failed);
        row.update(txn).await?;
    }
    Ok(())
}

/// The audit record of a refund, private to the circle when its event is.
pub(crate) async fn audit_refund(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    by: Option<Uuid>,
    p: &payments::Model,
    r: &refunds::Model,
) -> Result<()> {
    let circle_only = match p.event_id {
        Some(id) => events::Entity::find_by_id(id)
            .one(txn)
            .await?
            .is_some_and(|e| !e.open_to_all),
        None => false,
    };
    let mut entry = Entry::new(Action::RefundIssued)
        .on("payment", p.id)
        .within_circle(circle_only)
        .details(serde_json::json!({
            "refund_id": r.id,
            "amount_minor": r.amount_minor,
            "currency": r.currency,
            "kind": r.kind,
            "status": r.status,
        }));
    if let Some(by) = by {
        entry = entry.by(by);
    }
    audit::record(txn, meta, entry).await?;
    Ok(())
}
