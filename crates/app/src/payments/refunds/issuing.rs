//! Making a refund: an Admin's (full or partial, with a reason) or one the platform makes
//! by itself (a policy refund, an event cancelled).
//!
//! Two steps, so a provider is never called while the payment's row is locked:
//! [`reserve`] writes a `pending` refund under the payment's lock, after checking that
//! all refunds of the payment (pending ones included) add up to no more than was paid, so
//! two simultaneous refunds cannot both take the last of it; then the provider is asked
//! ([`super::provider::send_refund`], keyed by the refund's id), and [`settle`] records
//! what it answered: succeeded (with its ledger row, audit record and email), still
//! pending at the provider, or failed (which frees the amount again).

use super::errors::RefundError;
use super::provider::send_refund;
use super::recording::{audit_refund, mark_failed, succeed};
use super::view::RefundView;
use crate::authz::{can, Granted};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{payments, refunds};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use domain::payment::PaymentStatus;
use domain::refund::{check_amount, remaining, RefundKind, RefundRefusal, RefundStatus};
use domain::Money;
use uuid::Uuid;

/// Who asks for a refund: an Admin (with the proof of his permission), or the platform
/// itself (a policy, a cancelled event, a late payment).
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    Admin(&'a Granted<can::IssueRefunds>),
    Automatic,
}

impl Requester<'_> {
    fn id(&self) -> Option<Uuid> {
        match self {
            Requester::Admin(g) => Some(g.actor_id()),
            Requester::Automatic => None,
        }
    }
}

/// How much to refund.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wanted {
    /// Exactly this, refused if more than remains; `None` is all that remains.
    Exactly(Option<Money>),
    /// This much, or what remains if that is less (automatic refunds: an Admin may have
    /// refunded part already); nothing remaining is no refund, not an error.
    UpTo(Option<Money>),
}

/// Refunds `amount` of a payment (`None`: all that remains), with `reason`. Refused when
/// the payment has not succeeded, when the amount is zero, in another currency or more
/// than remains, and for card payments until Stripe is configured.
#[tracing::instrument(skip_all, fields(payment_id = %payment_id, kind = %kind), err(level = "info"))]
pub async fn refund(
    ctx: &Context,
    meta: &RequestMeta,
    by: Requester<'_>,
    payment_id: Uuid,
    amount: Option<Money>,
    reason: String,
    kind: RefundKind,
) -> Result<RefundView> {
    let asked = Ask {
        by,
        payment_id,
        wanted: Wanted::Exactly(amount),
        reason,
        kind,
        cause_key: None,
    };
    match issue(ctx, meta, asked).await? {
        Some(r) => Ok(r),
        None => Err(RefundError::NothingLeftToRefund.into()),
    }
}

/// One refund request, as [`issue`] takes it.
pub(crate) struct Ask<'a> {
    pub by: Requester<'a>,
    pub payment_id: Uuid,
    pub wanted: Wanted,
    pub reason: String,
    pub kind: RefundKind,
    /// For automatic refunds: what caused it, so the same cause refunds once.
    pub cause_key: Option<String>,
}

/// Reserves, sends and settles one refund; `None` when an automatic refund finds nothing
/// left to give back (or its cause was already refunded).
pub(crate) async fn issue(
    ctx: &Context,
    meta: &RequestMeta,
    ask: Ask<'_>,
) -> Result<Option<RefundView>> {
    let Some((payment, reserved)) = reserve(ctx, &ask).await? else {
        return Ok(None);
    };
    if reserved.status != RefundStatus::Pending {
        // The cause was refunded before (a job that ran twice): its first answer stands.
        return Ok(Some(reserved.into()));
    }
    settle(ctx, meta, &payment, reserved, ask.by.id())
        .await
        .map(Some)
}

/// Reads the payment inside a write transaction, locking its row on PostgreSQL (SQLite's
/// write gate already serialises writers): refunds of one payment queue here.
pub(crate) async fn lock_payment(txn: &impl ConnectionTrait, id: Uuid) -> Result<payments::Model> {
    let q = payments::Entity::find_by_id(id);
    let row = if txn.get_database_backend() == DbBackend::Postgres {
        q.lock_exclusive().one(txn).await?
    } else {
        q.one(txn).await?
    };
    row.ok_or(Error::NotFound("payment"))
}

/// What has gone back (or is on its way back) on a payment, in minor units.
pub(crate) async fn refunded_minor(txn: &impl ConnectionTrait, payment_id: Uuid) -> Result<i64> {
    let rows = refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(payment_id))
        .all(txn)
        .await?;
    Ok(rows
        .iter()
        .filter(|r| r.status.counts_against_payment())
        .map(|r| r.amount_minor)
        .sum())
}

/// Writes the pending refund under the payment's lock; `None` when an automatic refund
/// has nothing to give back. A cause already refunded returns that refund as it stands.
async fn reserve(
    ctx: &Context,
    ask: &Ask<'_>,
) -> Result<Option<(payments::Model, refunds::Model)>> {
    let txn = db::begin_write(&ctx.main).await?;
    let p = lock_payment(&txn, ask.payment_id).await?;
    if let Some(key) = &ask.cause_key {
        let done = refunds::Entity::find()
            .filter(refunds::Column::CauseKey.eq(key.as_str()))
            .one(&txn)
            .await?;
        if let Some(done) = done {
            return Ok(Some((p, done)));
        }
    }
    if p.status != PaymentStatus::Succeeded {
        return Err(RefundError::PaymentNotRefundable.into());
    }
    let paid = Money::parse(p.amount_minor, &p.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("payment {} has a bad amount", p.id)))?;
    let refunded = refunded_minor(&txn, p.id).await?;
    let amount = match ask.wanted {
        Wanted::Exactly(wanted) => check_amount(paid, refunded, wanted).map_err(refused)?,
        Wanted::UpTo(limit) => {
            let left = remaining(paid, refunded);
            let amount = match limit {
                Some(l) if l.amount_minor() < left.amount_minor() => l,
                _ => left,
            };
            if amount.is_free() {
                return Ok(None);
            }
            amount
        }
    };
    let now = ctx.now();
    let r = refunds::ActiveModel {
        id: Set(Uuid::now_v7()),
        payment_id: Set(p.id),
        amount_minor: Set(amount.amount_minor()),
        currency: Set(p.currency.clone()),
        reason: Set(ask.reason.clone()),
        status: Set(RefundStatus::Pending),
        kind: Set(ask.kind),
        provider: Set(p.provider),
        provider_reference: Set(None),
        cause_key: Set(ask.cause_key.clone()),
        requested_by: Set(ask.by.id()),
        created_at: Set(now),
        succeeded_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some((p, r)))
}

/// The refusal for an amount that cannot be refunded, under the field to fix.
fn refused(why: RefundRefusal) -> Error {
    match why {
        RefundRefusal::NothingLeft => RefundError::NothingLeftToRefund.into(),
        RefundRefusal::Zero => Error::invalid(
            "amount_minor",
            "Enter an amount above zero, or leave it empty to refund all that remains.",
        ),
        RefundRefusal::OtherCurrency => Error::invalid(
            "currency",
            "Refund in the currency the payment was made in.",
        ),
        RefundRefusal::MoreThanRemains(left) => Error::invalid(
            "amount_minor",
            format!("At most {left} remains to be refunded on this payment."),
        ),
    }
}

/// Asks the provider and records its answer; also how reconciliation retries a refund
/// left `retrying` (the refund's id is the idempotency key, so Stripe refunds it once).
/// The answer is recorded under the payment's lock on the refund as it stands then, so a
/// retry racing another settles it once.
pub(crate) async fn settle(
    ctx: &Context,
    meta: &RequestMeta,
    p: &payments::Model,
    r: refunds::Model,
    by: Option<Uuid>,
) -> Result<RefundView> {
    let amount = Money::parse(r.amount_minor, &r.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("refund {} has a bad amount", r.id)))?;
    let sent = send_refund(ctx, p, amount, &r.id.to_string()).await;
    let txn = db::begin_write(&ctx.main).await?;
    lock_payment(&txn, p.id).await?;
    let r = refunds::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("refund"))?;
    if !r.status.can_become(RefundStatus::Succeeded) {
        return Ok(r.into());
    }
    let outcome = match sent {
        Ok(answer) => answer,
        Err(e) => {
            mark_failed(&txn, r).await?;
            txn.commit().await?;
            return Err(e);
        }
    };
    if let Some(reference) = &outcome.reference {
        if recorded_elsewhere(&txn, p, &r, reference).await? {
            // A webhook or reconciliation recorded this very refund at the provider while
            // ours waited: its ledger row stands, ours would count it twice.
            mark_failed(&txn, r.clone()).await?;
            txn.commit().await?;
            return Ok(r.into());
        }
    }
    let r = match outcome.status {
        RefundStatus::Succeeded => succeed(&txn, ctx, p, r, outcome.reference, ctx.now()).await?,
        RefundStatus::Retrying if r.status == RefundStatus::Retrying => {
            // Still unreachable: nothing changed, nothing to audit.
            txn.commit().await?;
            return Ok(r.into());
        }
        RefundStatus::Pending | RefundStatus::Retrying => {
            let mut row: refunds::ActiveModel = r.into();
            row.status = Set(outcome.status);
            row.provider_reference = Set(outcome.reference);
            row.update(&txn).await?
        }
        RefundStatus::Failed => {
            mark_failed(&txn, r).await?;
            txn.commit().await?;
            return Err(RefundError::ProviderRefused.into());
        }
    };
    audit_refund(&txn, meta, by, p, &r).await?;
    txn.commit().await?;
    Ok(r.into())
}

/// Whether another refund row of the payment already holds the provider's `reference`.
async fn recorded_elsewhere(
    txn: &impl ConnectionTrait,
    p: &payments::Model,
    r: &refunds::Model,
    reference: &str,
) -> Result<bool> {
    let other = refunds::Entity::find()
        .filter(refunds::Column::Provider.eq(p.provider))
        .filter(refunds::Column::ProviderReference.eq(reference))
        .filter(refunds::Column::Id.ne(r.id))
        .one(txn)
        .await?;
    Ok(other.is_some())
}
