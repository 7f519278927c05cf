//! Bringing our records up to what Stripe says about a subscription and its invoices. The
//! webhook job, the confirm call and [`reconcile_subscriptions`] all end here; each reads
//! the object back from Stripe and moves state only forward:
//! - a paid invoice is one membership period (under the invoice's id, so once), with its
//!   payment, ledger row, receipt email and audit record, in one transaction;
//! - a declined one emails him once (per invoice) and leaves his periods as they are: the
//!   grace period and the lapse sweep do the rest;
//! - a subscription's status and `cancel_at_period_end` are copied, except that an ended
//!   subscription never comes back.

use super::{client, ENDED};
use crate::audit::{self, Action, Entry};
use crate::jobs::Job;
use crate::memberships::jobs::{MembershipNotice, SendMembershipNotice};
use crate::memberships::{plans, recording};
use crate::payments::ledger;
use crate::payments::stripe::billing::Invoice;
use crate::payments::stripe::client::checked_id;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{membership_subscriptions as subs, memberships, payments};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::membership::MembershipStatus;
use domain::payment::{PaymentMethod, PaymentProvider, PaymentStatus};
use domain::Money;
use uuid::Uuid;

/// How many of a subscription's newest invoices reconciliation reads.
const RECENT_INVOICES: u8 = 12;

/// The webhook job's work for a subscription or invoice event: the event is only a trigger.
pub async fn handle_event(ctx: &Context, kind: &str, object_id: Option<&str>) -> Result<()> {
    let Some(id) = object_id else { return Ok(()) };
    let changed = if kind.starts_with("invoice.") {
        apply_invoice(ctx, id).await?
    } else {
        apply_subscription(ctx, id).await?
    };
    tracing::info!(%kind, object = %id, changed, "Stripe billing event handled");
    Ok(())
}

/// Re-reads every card subscription that may still charge, and its recent invoices, and
/// applies what their webhooks would have: a missed delivery is made good here. Returns
/// how many records it corrected (0 when all was known, or card payments are off).
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn reconcile_subscriptions(ctx: &Context) -> Result<usize> {
    let Some(client) = ctx.stripe.as_ref() else {
        return Ok(0);
    };
    let rows = subs::Entity::find()
        .filter(subs::Column::Status.is_not_in(ENDED))
        .all(&ctx.main)
        .await?;
    let mut corrected = 0;
    for row in rows {
        corrected += usize::from(apply_subscription(ctx, &row.subscription_id).await?);
        let mut invoices = client
            .invoices_of(&row.subscription_id, RECENT_INVOICES)
            .await?;
        // Oldest first, so periods follow each other in the order they were paid.
        invoices.reverse();
        for invoice in invoices {
            corrected += usize::from(apply_read_invoice(ctx, &row, &invoice).await?);
        }
    }
    Ok(corrected)
}

/// Brings our record of invoice `id` up to Stripe's; whether anything changed.
pub async fn apply_invoice(ctx: &Context, id: &str) -> Result<bool> {
    if checked_id(id, "in_").is_err() {
        return Ok(false);
    }
    let invoice = client(ctx)?.invoice(id).await?;
    let Some(row) = ours(ctx, invoice.subscription.as_deref()).await? else {
        return Ok(false);
    };
    apply_read_invoice(ctx, &row, &invoice).await
}

/// Copies subscription `id`'s status from Stripe (an ended one stays ended); whether
/// anything changed.
pub async fn apply_subscription(ctx: &Context, id: &str) -> Result<bool> {
    if checked_id(id, "sub_").is_err() {
        return Ok(false);
    }
    let Some(row) = ours(ctx, Some(id)).await? else {
        return Ok(false);
    };
    let sub = client(ctx)?.subscription(id).await?;
    let status = if ENDED.contains(&row.status.as_str()) {
        row.status.clone()
    } else {
        sub.status
    };
    if status == row.status && sub.cancel_at_period_end == row.cancel_at_period_end {
        return Ok(false);
    }
    let txn = db::begin_write(&ctx.main).await?;
    let changed = subs::Entity::update_many()
        .col_expr(subs::Column::Status, Expr::value(status.clone()))
        .col_expr(
            subs::Column::CancelAtPeriodEnd,
            Expr::value(sub.cancel_at_period_end),
        )
        .col_expr(subs::Column::UpdatedAt, Expr::value(ctx.now()))
        .filter(subs::Column::Id.eq(row.id))
        .filter(subs::Column::Status.eq(row.status.as_str()))
        .filter(subs::Column::CancelAtPeriodEnd.eq(row.cancel_at_period_end))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 1 && ENDED.contains(&status.as_str()) {
        audit::record(
            &txn,
            &RequestMeta::system(),
            Entry::new(Action::MembershipSubscriptionEnded)
                .on("membership_subscription", row.id)
                .details(serde_json::json!({ "user_id": row.user_id, "status": status })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(changed == 1)
}

async fn ours(ctx: &Context, subscription: Option<&str>) -> Result<Option<subs::Model>> {
    let Some(id) = subscription else {
        return Ok(None);
    };
    Ok(subs::Entity::find()
        .filter(subs::Column::SubscriptionId.eq(id))
        .one(&ctx.main)
        .await?)
}

async fn apply_read_invoice(ctx: &Context, row: &subs::Model, invoice: &Invoice) -> Result<bool> {
    if invoice.subscription.as_deref() != Some(row.subscription_id.as_str()) {
        return Ok(false);
    }
    if invoice.is_paid() && invoice.amount_paid > 0 {
        record_paid(ctx, row, invoice).await
    } else if invoice.payment_failed() {
        record_failure(ctx, row, invoice).await
    } else {
        Ok(false)
    }
}

/// One paid invoice = one period, recorded once. The subscription's row is written first
/// in the transaction, which serialises the invoices of one subscription.
async fn record_paid(ctx: &Context, row: &subs::Model, invoice: &Invoice) -> Result<bool> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    subs::Entity::update_many()
        .col_expr(subs::Column::UpdatedAt, Expr::value(now))
        .filter(subs::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    let known = memberships::Entity::find()
        .filter(memberships::Column::Provider.eq(PaymentProvider::Stripe))
        .filter(memberships::Column::ProviderReference.eq(invoice.id.as_str()))
        .one(&txn)
        .await?;
    if known.is_some() {
        return Ok(false);
    }
    let plan = plans::find(&txn, row.plan_id).await?;
    let money = Money::parse(invoice.amount_paid, &invoice.currency.to_ascii_uppercase())
        .map_err(|_| Error::Internal(anyhow::anyhow!("invoice {} has a bad amount", invoice.id)))?;
    let start = recording::continuing_from(&txn, ctx, row.user_id)
        .await?
        .unwrap_or(now);
    let end = plan
        .interval
        .after(start)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no period after {start}")))?;
    let p = payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(row.user_id),
        event_id: Set(None),
        registration_id: Set(None),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        method: Set(PaymentMethod::Card),
        provider: Set(PaymentProvider::Stripe),
        // The PaymentIntent, as for every card payment: refunds go through it.
        provider_reference: Set(Some(
            invoice
                .payment_intent
                .clone()
                .unwrap_or_else(|| invoice.id.clone()),
        )),
        status: Set(PaymentStatus::Succeeded),
        note: Set(None),
        recorded_by: Set(None),
        created_at: Set(now),
        succeeded_at: Set(Some(now)),
        plan_id: Set(Some(plan.id)),
    }
    .insert(&txn)
    .await?;
    let reason = format!("Card payment for the membership \"{}\"", plan.name);
    ledger::record_payment(&txn, &p, reason, now).await?;
    let m = memberships::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(row.user_id),
        plan_id: Set(plan.id),
        period_start: Set(start),
        period_end: Set(end),
        amount_minor: Set(p.amount_minor),
        currency: Set(p.currency.clone()),
        payment_id: Set(Some(p.id)),
        provider: Set(PaymentProvider::Stripe),
        provider_reference: Set(Some(invoice.id.clone())),
        status: Set(MembershipStatus::Active),
        note: Set(None),
        recorded_by: Set(None),
        created_at: Set(now),
        lapsed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    // Paid after all: a later decline of another invoice is news again.
    subs::Entity::update_many()
        .col_expr(subs::Column::FailedInvoiceId, Expr::value(None::<String>))
        .filter(subs::Column::Id.eq(row.id))
        .filter(subs::Column::FailedInvoiceId.eq(invoice.id.as_str()))
        .exec(&txn)
        .await?;
    tell(&txn, ctx, &m, MembershipNotice::Recorded).await?;
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::MembershipCardPaid)
            .on("membership", m.id)
            .details(serde_json::json!({
                "user_id": m.user_id,
                "plan_id": m.plan_id,
                "payment_id": p.id,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "invoice": invoice.id,
                "period_start": m.period_start,
                "period_end": m.period_end,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// A declined invoice: he is told once, about his latest period (none yet when his very
/// first payment was declined: he saw that on the page).
async fn record_failure(ctx: &Context, row: &subs::Model, invoice: &Invoice) -> Result<bool> {
    let txn = db::begin_write(&ctx.main).await?;
    let changed = subs::Entity::update_many()
        .col_expr(
            subs::Column::FailedInvoiceId,
            Expr::value(Some(invoice.id.clone())),
        )
        .col_expr(subs::Column::UpdatedAt, Expr::value(ctx.now()))
        .filter(subs::Column::Id.eq(row.id))
        .filter(
            subs::Column::FailedInvoiceId
                .is_null()
                .or(subs::Column::FailedInvoiceId.ne(invoice.id.as_str())),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(false);
    }
    let latest = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(row.user_id))
        .order_by_desc(memberships::Column::PeriodEnd)
        .one(&txn)
        .await?;
    if let Some(m) = latest {
        tell(&txn, ctx, &m, MembershipNotice::RenewalFailed).await?;
    }
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::MembershipRenewalFailed)
            .on("membership_subscription", row.id)
            .details(serde_json::json!({ "user_id": row.user_id, "invoice": invoice.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn tell(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    m: &memberships::Model,
    notice: MembershipNotice,
) -> Result<()> {
    SendMembershipNotice {
        user_id: m.user_id,
        membership_id: m.id,
        notice,
    }
    .enqueue(txn, ctx)
    .await?;
    Ok(())
}
