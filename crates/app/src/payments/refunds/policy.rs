//! The event's refund policy at work: a member who cancels his own paid registration gets
//! back what the policy states at the moment he cancels, automatically, and the
//! cancellation page tells him beforehand how much that is ([`on_cancelling`]).

use super::issuing::{issue, refunded_minor, Ask, Requester, Wanted};
use super::jobs::RefundCancelledRegistration;
use crate::authz::Actor;
use crate::events::visible_event;
use crate::jobs::Job;
use crate::payments::refund_policy_of;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events, payments};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::event::RegistrationStatus;
use domain::payment::PaymentStatus;
use domain::refund::{remaining, RefundKind};
use domain::Money;
use serde::Serialize;
use uuid::Uuid;

/// What a member would get back if he cancelled his paid registration now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CancellationRefund {
    /// "EUR 120.00": what he paid (less anything already refunded).
    pub paid_label: String,
    /// What the policy gives back now, in minor units (0 when nothing).
    pub refund_minor: i64,
    /// "EUR 60.00".
    pub refund_label: String,
    /// The policy in a sentence; `None` when the event states none.
    pub policy: Option<String>,
}

/// What the actor would get back if he cancelled his registration for `event_id` now;
/// `None` when he has no paid seat there (a free event, a seat not paid yet).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn on_cancelling(
    ctx: &Context,
    actor: &Actor,
    event_id: Uuid,
) -> Result<Option<CancellationRefund>> {
    visible_event(ctx, actor, event_id).await?;
    let e = crate::events::find_event(&ctx.main, event_id).await?;
    let Some(r) = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let Some((p, paid)) = paid_for(&ctx.main, r.id).await? else {
        return Ok(None);
    };
    let left = remaining(paid, refunded_minor(&ctx.main, p.id).await?);
    let refund = due(ctx, &e, left)?;
    Ok(Some(CancellationRefund {
        paid_label: left.to_string(),
        refund_minor: refund.amount_minor(),
        refund_label: refund.to_string(),
        policy: refund_policy_of(&e)?.map(|p| p.describe()),
    }))
}

/// What the event's policy gives back now of `left`: nothing without a policy.
fn due(ctx: &Context, e: &events::Model, left: Money) -> Result<Money> {
    let zero = Money::parse(0, left.currency().as_str())
        .map_err(|_| Error::Internal(anyhow::anyhow!("a currency stopped parsing")))?;
    Ok(match refund_policy_of(e)? {
        Some(policy) => {
            let due = policy.refund_for(left, e.starts_at, ctx.now());
            if due.amount_minor() > left.amount_minor() {
                left
            } else {
                due
            }
        }
        None => zero,
    })
}

/// The succeeded payment for a registration, with its amount.
async fn paid_for(
    db: &impl ConnectionTrait,
    registration_id: Uuid,
) -> Result<Option<(payments::Model, Money)>> {
    let Some(p) = payments::Entity::find()
        .filter(payments::Column::RegistrationId.eq(registration_id))
        .filter(payments::Column::Status.eq(PaymentStatus::Succeeded))
        .order_by_asc(payments::Column::CreatedAt)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let paid = Money::parse(p.amount_minor, &p.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("payment {} has a bad amount", p.id)))?;
    Ok(Some((p, paid)))
}

/// In the member's cancellation transaction: plans the refund the policy states now, if
/// any. The amount is fixed here, at the moment he cancels; the job only carries it out.
pub(crate) async fn plan_refund_on_cancel(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
    registration_id: Uuid,
) -> Result<()> {
    let Some((p, paid)) = paid_for(txn, registration_id).await? else {
        return Ok(());
    };
    let left = remaining(paid, refunded_minor(txn, p.id).await?);
    let refund = due(ctx, e, left)?;
    if refund.is_free() {
        return Ok(());
    }
    RefundCancelledRegistration {
        payment_id: p.id,
        registration_id,
        amount_minor: refund.amount_minor(),
    }
    .enqueue(txn, ctx)
    .await?;
    Ok(())
}

/// The job's work: the policy refund, once per cancelled registration.
pub(crate) async fn refund_cancelled(
    ctx: &Context,
    job: &RefundCancelledRegistration,
) -> Result<()> {
    let Some(p) = payments::Entity::find_by_id(job.payment_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(());
    };
    let amount = Money::parse(job.amount_minor, &p.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("a policy refund has a bad amount")))?;
    let ask = Ask {
        by: Requester::Automatic,
        payment_id: p.id,
        wanted: Wanted::UpTo(Some(amount)),
        reason: "You cancelled within the event's refund policy".to_owned(),
        kind: RefundKind::Policy,
        cause_key: Some(format!("policy:{}", job.registration_id)),
    };
    issue(ctx, &RequestMeta::system(), ask).await?;
    Ok(())
}
