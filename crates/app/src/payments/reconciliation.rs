//! Reconciliation: what we recorded, brought back in line with what happened, hourly (the
//! [`super::jobs::ReconcilePayments`] job) and on demand (`circles payments reconcile`).
//!
//! Webhooks get lost, Stripe is sometimes unreachable, and a worker can crash between a
//! hold's end and its job. Each step below re-reads the truth and calls the same
//! idempotent code the normal path uses, so running it twice — or while a webhook is
//! being handled — corrects each thing once and then finds nothing:
//! - refunds left `retrying` because Stripe could not be reached are sent again, under
//!   the same idempotency key (first, so a refund that did reach Stripe is recorded as
//!   ours before the next step could mistake it for one made in Stripe's dashboard);
//! - card payments still pending are read back from Stripe and confirmed (one seat, one
//!   receipt) or ended, through [`confirm_payment`];
//! - gifts to the scholarship fund by card still pending are read back the same way
//!   ([`card::confirm`]): a paid one becomes its donation, once;
//! - card payments that succeeded in the last [`RECENT_DAYS`] days have their refunds at
//!   Stripe read back, and any not yet recorded (made in Stripe's dashboard, a lost
//!   `charge.refunded`) is recorded once;
//! - seats still held for payment after their hold ended are freed and offered to the
//!   head of the waitlist, as the hold job does (this step runs without Stripe too).
//!
//! Each correction is audited by the code that makes it; a run that corrected anything
//! also leaves one `payments_reconciled` record with its counts.

use super::donations::card::{self, GiftOutcome};
use super::holds::expire_hold;
use super::refunds::issuing::settle;
use super::refunds::record_provider_refund;
use super::stripe::client::Refund as StripeRefund;
use super::stripe::{confirm_payment, Confirmation};
use crate::audit::{self, Action, Entry};
use crate::memberships::stripe::reconcile_subscriptions;
use crate::{Context, Error, RequestMeta, Result};
use chrono::Duration;
use db::main_db::{event_registrations as regs, payments, refunds};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::event::RegistrationStatus;
use domain::payment::{PaymentProvider, PaymentStatus};
use domain::refund::{RefundKind, RefundStatus};
use domain::Money;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

/// How far back card payments that succeeded are re-read for refunds made at Stripe:
/// a week covers a missed `charge.refunded` and a dashboard refund made days later, while
/// keeping an hourly run to a bounded number of requests.
pub const RECENT_DAYS: i64 = 7;

/// What a run found and corrected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// False when Stripe is not configured: only stale holds were looked at.
    pub stripe_checked: bool,
    /// Card payments read back from Stripe (pending ones and recent successes).
    pub payments_checked: usize,
    /// Pending card payments Stripe said had succeeded: now confirmed.
    pub payments_confirmed: usize,
    /// Pending card payments Stripe said had failed or been cancelled: now ended.
    pub payments_ended: usize,
    /// Pending gifts to the scholarship fund Stripe said were paid: donations recorded.
    pub gifts_recorded: usize,
    /// Pending gifts Stripe said had failed or been cancelled: now ended.
    pub gifts_ended: usize,
    /// Refunds found at Stripe that we had not recorded: now recorded once.
    pub refunds_found: usize,
    /// Refunds that could not reach Stripe before: sent again and settled.
    pub refunds_retried: usize,
    /// Refunds still waiting because Stripe could not be reached this time either.
    pub refunds_still_retrying: usize,
    /// Seats whose hold for payment had ended unnoticed: freed for the waitlist.
    pub holds_ended: usize,
    /// Membership subscriptions and invoices brought up to Stripe's (a missed renewal,
    /// declined renewal or cancellation).
    pub memberships_corrected: usize,
    /// Every correction, in the order made (ids only: no names, no reasons).
    pub changes: Vec<Change>,
    /// What could not be checked this time (tried again next run).
    pub problems: Vec<String>,
}

impl Report {
    /// Whether the run corrected nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.memberships_corrected == 0
    }
}

/// One correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `payment_confirmed`, `payment_ended`, `gift_recorded`, `gift_ended`,
    /// `refund_found`, `refund_retried` or `hold_ended`.
    pub kind: &'static str,
    /// The payment, donation, gift, refund or registration corrected.
    pub id: Uuid,
    /// Stripe's id for what it concerns (a PaymentIntent or a refund), when there is one.
    pub reference: Option<String>,
}

/// One step of a run: reads the truth, corrects what differs, counts into the report.
type Step = for<'a> fn(&'a Context, &'a mut Report) -> StepFuture<'a>;
type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// The steps of a run, in order. Further reconciliations are one more line here.
const STEPS: &[(&str, Step)] = &[
    ("retry refunds", |ctx, r| Box::pin(retry_refunds(ctx, r))),
    ("pending card payments", |ctx, r| {
        Box::pin(pending_payments(ctx, r))
    }),
    ("pending card gifts", |ctx, r| {
        Box::pin(pending_gifts(ctx, r))
    }),
    ("refunds made at Stripe", |ctx, r| {
        Box::pin(refunds_at_stripe(ctx, r))
    }),
    ("stale holds", |ctx, r| Box::pin(stale_holds(ctx, r))),
    ("membership subscriptions", |ctx, r| {
        Box::pin(membership_subscriptions(ctx, r))
    }),
];

/// Card subscriptions for memberships and their recent invoices, as their webhooks would
/// have left them.
async fn membership_subscriptions(ctx: &Context, report: &mut Report) -> Result<()> {
    report.memberships_corrected += reconcile_subscriptions(ctx).await?;
    Ok(())
}

/// Runs every step and reports what it corrected. A step that fails (Stripe unreachable)
/// is noted in `problems` and the others still run; without Stripe only the holds are
/// looked at.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn reconcile(ctx: &Context) -> Result<Report> {
    let mut report = Report {
        stripe_checked: ctx.stripe.is_some(),
        ..Report::default()
    };
    for (name, step) in STEPS {
        if let Err(e) = step(ctx, &mut report).await {
            tracing::warn!(step = name, error = %e, "reconciliation step failed");
            report.problems.push(format!("{name}: {e}"));
        }
    }
    if !report.is_empty() {
        audit_run(ctx, &report).await?;
    }
    tracing::info!(
        corrections = report.changes.len(),
        problems = report.problems.len(),
        "payments reconciled"
    );
    Ok(report)
}

/// Notes one correction.
fn note(report: &mut Report, kind: &'static str, id: Uuid, reference: Option<String>) {
    report.changes.push(Change {
        kind,
        id,
        reference,
    });
}

/// Sends every `retrying` refund again and records Stripe's answer.
async fn retry_refunds(ctx: &Context, report: &mut Report) -> Result<()> {
    if ctx.stripe.is_none() {
        return Ok(());
    }
    let waiting = refunds::Entity::find()
        .filter(refunds::Column::Status.eq(RefundStatus::Retrying))
        .order_by_asc(refunds::Column::CreatedAt)
        .all(&ctx.main)
        .await?;
    for r in waiting {
        let Some(p) = payments::Entity::find_by_id(r.payment_id)
            .one(&ctx.main)
            .await?
        else {
            continue;
        };
        let id = r.id;
        match settle(ctx, &RequestMeta::system(), &p, r, None).await {
            Ok(now) if now.status == RefundStatus::Retrying => report.refunds_still_retrying += 1,
            Ok(_) => {
                report.refunds_retried += 1;
                note(report, "refund_retried", id, p.provider_reference.clone());
            }
            Err(e) => report.problems.push(format!("refund {id}: {e}")),
        }
    }
    Ok(())
}

/// Card payments still pending: what Stripe says of each, through the one confirm path.
async fn pending_payments(ctx: &Context, report: &mut Report) -> Result<()> {
    if ctx.stripe.is_none() {
        return Ok(());
    }
    let pending = payments::Entity::find()
        .filter(payments::Column::Provider.eq(PaymentProvider::Stripe))
        .filter(payments::Column::Status.eq(PaymentStatus::Pending))
        .all(&ctx.main)
        .await?;
    for p in pending {
        let Some(pi) = p.provider_reference.clone() else {
            continue;
        };
        report.payments_checked += 1;
        match confirm_payment(ctx, &pi).await {
            Ok(Confirmation::Paid { payment_id } | Confirmation::Refunding { payment_id }) => {
                report.payments_confirmed += 1;
                note(report, "payment_confirmed", payment_id, Some(pi));
            }
            Ok(Confirmation::Failed { payment_id } | Confirmation::Canceled { payment_id }) => {
                // His seat stays held until its hold ends (he may try another card);
                // the stale-holds step frees it if that moment has passed.
                report.payments_ended += 1;
                note(report, "payment_ended", payment_id, Some(pi));
            }
            Ok(Confirmation::Pending { .. } | Confirmation::Unknown) => {}
            Err(e) => report.problems.push(format!("payment {}: {e}", p.id)),
        }
    }
    Ok(())
}

/// Gifts to the scholarship fund still pending: what Stripe says of each, through the one
/// confirm path (a missed webhook → the donation recorded once).
async fn pending_gifts(ctx: &Context, report: &mut Report) -> Result<()> {
    if ctx.stripe.is_none() {
        return Ok(());
    }
    for pi in card::pending(&ctx.main).await? {
        report.payments_checked += 1;
        match card::confirm(ctx, &pi).await {
            Ok(GiftOutcome::Given { donation_id, .. }) => {
                report.gifts_recorded += 1;
                note(report, "gift_recorded", donation_id, Some(pi));
            }
            Ok(GiftOutcome::Failed { gift_id }) => {
                report.gifts_ended += 1;
                note(report, "gift_ended", gift_id, Some(pi));
            }
            Ok(GiftOutcome::Pending { .. } | GiftOutcome::Unknown) => {}
            Err(e) => report.problems.push(format!("gift {pi}: {e}")),
        }
    }
    Ok(())
}

/// Card payments that succeeded recently: their refunds at Stripe, each recorded once.
async fn refunds_at_stripe(ctx: &Context, report: &mut Report) -> Result<()> {
    let Some(client) = ctx.stripe.as_ref() else {
        return Ok(());
    };
    let since = ctx.now() - Duration::days(RECENT_DAYS);
    let recent = payments::Entity::find()
        .filter(payments::Column::Provider.eq(PaymentProvider::Stripe))
        .filter(payments::Column::Status.eq(PaymentStatus::Succeeded))
        .filter(payments::Column::SucceededAt.gte(since))
        .all(&ctx.main)
        .await?;
    for p in recent {
        let Some(pi) = p.provider_reference.clone() else {
            continue;
        };
        report.payments_checked += 1;
        let at_stripe = match client.refunds_of(&pi).await {
            Ok(list) => list,
            Err(e) => {
                report.problems.push(format!("payment {}: {e}", p.id));
                continue;
            }
        };
        for refund in at_stripe {
            if refund.status.as_deref() == Some("succeeded") && !known(ctx, &refund.id).await? {
                let recorded = record_found(ctx, &p, &refund).await?;
                report.refunds_found += 1;
                note(report, "refund_found", recorded, Some(refund.id));
            }
        }
    }
    Ok(())
}

/// Whether a Stripe refund is recorded as succeeded already.
async fn known(ctx: &Context, reference: &str) -> Result<bool> {
    let row = refunds::Entity::find()
        .filter(refunds::Column::Provider.eq(PaymentProvider::Stripe))
        .filter(refunds::Column::ProviderReference.eq(reference))
        .one(&ctx.main)
        .await?;
    Ok(row.is_some_and(|r| r.status == RefundStatus::Succeeded))
}

/// Records a refund found at Stripe (ledger row, email, audit), once; its refund id.
async fn record_found(ctx: &Context, p: &payments::Model, refund: &StripeRefund) -> Result<Uuid> {
    let amount = Money::parse(refund.amount, &p.currency).map_err(|_| {
        Error::Internal(anyhow::anyhow!(
            "Stripe refund {} has a bad amount",
            refund.id
        ))
    })?;
    let txn = db::begin_write(&ctx.main).await?;
    let r = record_provider_refund(
        &txn,
        ctx,
        p,
        amount,
        &refund.id,
        RefundKind::ProviderDashboard,
    )
    .await?;
    txn.commit().await?;
    Ok(r.id)
}

/// Seats still held for payment whose hold ended: given up as the hold job gives them up.
async fn stale_holds(ctx: &Context, report: &mut Report) -> Result<()> {
    let stale = regs::Entity::find()
        .filter(regs::Column::Status.eq(RegistrationStatus::PaymentRequired))
        .filter(regs::Column::HoldExpiresAt.lte(ctx.now()))
        .all(&ctx.main)
        .await?;
    for r in stale {
        if expire_hold(ctx, r.id).await? {
            report.holds_ended += 1;
            note(report, "hold_ended", r.id, None);
        }
    }
    Ok(())
}

/// One audit record for a run that corrected something: its counts.
async fn audit_run(ctx: &Context, report: &Report) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::PaymentsReconciled).details(serde_json::json!({
            "payments_confirmed": report.payments_confirmed,
            "payments_ended": report.payments_ended,
            "gifts_recorded": report.gifts_recorded,
            "gifts_ended": report.gifts_ended,
            "refunds_found": report.refunds_found,
            "refunds_retried": report.refunds_retried,
            "holds_ended": report.holds_ended,
            "memberships_corrected": report.memberships_corrected,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
