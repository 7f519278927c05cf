//! Recording a membership paid offline (a bank transfer, cash): an Admin names the member,
//! the plan, the period and what was paid. The membership period, its payment, the
//! payment's ledger row (with the plan, so reports can total by plan), the emailed
//! receipt and the audit record are written in one transaction.

use super::errors::MembershipError;
use super::jobs::{MembershipNotice, SendMembershipNotice};
use super::plans;
use super::standing::{view, MembershipView};
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Granted};
use crate::jobs::Job;
use crate::payments::ledger;
use crate::{Checks, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{membership_plans, memberships, payments, users};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::membership::MembershipStatus;
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::{DomainError, Money, MultiLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest period one record may cover: a yearly plan paid a few years ahead.
const LONGEST_PERIOD_DAYS: i64 = 5 * 366;

/// A membership as an Admin records it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MembershipInput {
    pub plan_id: Uuid,
    /// When the period starts. Left out: where his current period ends (a renewal carries
    /// on from it, also within the grace period), or now when he has none.
    pub period_start: Option<DateTime<Utc>>,
    /// When the period ends. Left out: one interval of the plan after the start.
    pub period_end: Option<DateTime<Utc>>,
    /// What was paid, in minor units of the plan's currency. Left out: the plan's amount.
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: Option<i64>,
    /// `bank_transfer` or `cash`.
    #[schema(value_type = String)]
    pub method: PaymentMethod,
    /// Shown on the member's receipt (a transfer's reference).
    pub note: Option<MultiLine<500>>,
}

/// Records an offline membership for `user_id`; the member is emailed a receipt.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn record_offline(
    ctx: &Context,
    meta: &RequestMeta,
    g: &Granted<can::ManageMemberships>,
    user_id: Uuid,
    input: &MembershipInput,
) -> Result<MembershipView> {
    let txn = db::begin_write(&ctx.main).await?;
    users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let plan = plans::find(&txn, input.plan_id).await?;
    if plan.archived_at.is_some() {
        return Err(MembershipError::PlanArchived.into());
    }
    let now = ctx.now();
    let start = match input.period_start {
        Some(at) => at,
        None => continuing_from(&txn, ctx, user_id).await?.unwrap_or(now),
    };
    let (money, end, note) = check(input, &plan, start)?;
    let p = payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        event_id: Set(None),
        registration_id: Set(None),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        method: Set(input.method),
        provider: Set(input.method.provider()),
        provider_reference: Set(None),
        status: Set(PaymentStatus::Succeeded),
        note: Set(note.clone()),
        recorded_by: Set(Some(g.actor_id())),
        created_at: Set(now),
        succeeded_at: Set(Some(now)),
        plan_id: Set(Some(plan.id)),
    }
    .insert(&txn)
    .await?;
    let reason = format!(
        "{} for the membership \"{}\"",
        input.method.label(),
        plan.name
    );
    ledger::record_payment(&txn, &p, reason, now).await?;
    let m = memberships::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        plan_id: Set(plan.id),
        period_start: Set(start),
        period_end: Set(end),
        amount_minor: Set(p.amount_minor),
        currency: Set(p.currency.clone()),
        payment_id: Set(Some(p.id)),
        provider: Set(p.provider),
        provider_reference: Set(None),
        status: Set(MembershipStatus::Active),
        note: Set(note),
        recorded_by: Set(Some(g.actor_id())),
        created_at: Set(now),
        lapsed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    SendMembershipNotice {
        user_id,
        membership_id: m.id,
        notice: MembershipNotice::Recorded,
    }
    .enqueue(&txn, ctx)
    .await?;
    audit_recorded(&txn, meta, g, &m, &p).await?;
    txn.commit().await?;
    Ok(view(m, Some(&plan), Some(&p)))
}

/// Where the member's latest period ends, when that is recent enough (within the grace
/// period) for a renewal to carry on from it without a gap.
pub(super) async fn continuing_from(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    user_id: Uuid,
) -> Result<Option<DateTime<Utc>>> {
    let latest = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .order_by_desc(memberships::Column::PeriodEnd)
        .one(txn)
        .await?;
    let grace = ctx.settings.payments.membership_grace();
    Ok(latest
        .map(|m| m.period_end)
        .filter(|end| *end + grace > ctx.now()))
}

/// The amount, the period's end and the note, checked; every problem at once.
fn check(
    input: &MembershipInput,
    plan: &membership_plans::Model,
    start: DateTime<Utc>,
) -> Result<(Money, DateTime<Utc>, Option<String>)> {
    let mut c = Checks::default();
    if input.method == PaymentMethod::Card {
        c.check::<()>(Err(DomainError::new(
            "method",
            "Card payments are not available yet: record a bank transfer or cash.",
        )));
    }
    let amount = input.amount_minor.unwrap_or(plan.amount_minor);
    let money = match Money::parse(amount, &plan.currency) {
        Ok(m) if !m.is_free() => Some(m),
        _ => {
            c.check::<()>(Err(DomainError::new(
                "amount_minor",
                format!(
                    "Enter the amount paid, in minor units of {} (more than zero).",
                    plan.currency
                ),
            )));
            None
        }
    };
    let end = input.period_end.or_else(|| plan.interval.after(start));
    let end = match end {
        Some(end) if end > start && end - start <= Duration::days(LONGEST_PERIOD_DAYS) => Some(end),
        _ => {
            c.check::<()>(Err(DomainError::new(
                "period_end",
                "The period must end after it starts, and cover at most five years.",
            )));
            None
        }
    };
    c.finish()?;
    let (Some(money), Some(end)) = (money, end) else {
        return Err(Error::invalid("amount_minor", "Enter the amount."));
    };
    let note = input
        .note
        .as_ref()
        .map(|n| n.as_str().trim().to_owned())
        .filter(|n| !n.is_empty());
    Ok((money, end, note))
}

async fn audit_recorded(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    g: &Granted<can::ManageMemberships>,
    m: &memberships::Model,
    p: &payments::Model,
) -> Result<()> {
    audit::record(
        txn,
        meta,
        Entry::new(Action::MembershipRecorded)
            .by(g.actor_id())
            .on("membership", m.id)
            .details(serde_json::json!({
                "user_id": m.user_id,
                "plan_id": m.plan_id,
                "payment_id": p.id,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "method": p.method,
                "period_start": m.period_start,
                "period_end": m.period_end,
            })),
    )
    .await?;
    Ok(())
}

/// The account an Admin means by `email` (as typed on the memberships page).
pub async fn find_member(
    ctx: &Context,
    _g: &Granted<can::ManageMemberships>,
    email: &str,
) -> Result<Uuid> {
    let email = domain::Email::parse(email)?;
    crate::accounts::find_user_by_email(&ctx.main, email.as_str())
        .await?
        .map(|u| u.id)
        .ok_or_else(|| Error::invalid("email", "No account uses this email address."))
}
