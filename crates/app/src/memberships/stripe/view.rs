//! A card subscription as its member reads it: its plan, whether it renews, and when he is
//! charged next or when it ends. Dates come from the periods we recorded (the end of his
//! latest one), so the page and the lapse sweep agree.

use super::{ENDED, LIVE};
use crate::{Context, Result};
use chrono::{DateTime, Utc};
use db::main_db::{membership_plans, membership_subscriptions as subs, memberships};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

/// A member's card subscription.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub plan_name: Option<String>,
    /// Stripe's status: `active`, `past_due` (a renewal was declined), `canceled`,
    /// `incomplete` (the first payment did not go through), …
    pub status: String,
    /// He cancelled: it ends at `ends_at` and is not renewed.
    pub cancel_at_period_end: bool,
    /// When his card is charged next (none once cancelled or ended).
    pub next_charge_at: Option<DateTime<Utc>>,
    /// When the membership it pays for ends, once cancelled or ended.
    pub ends_at: Option<DateTime<Utc>>,
    /// "Renews on 5 March 2027", "Ends on 5 March 2027", …
    pub label: String,
    pub created_at: DateTime<Utc>,
}

/// His latest card subscription, if he ever started one.
pub(crate) async fn latest_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    latest_end: Option<DateTime<Utc>>,
) -> Result<Option<SubscriptionView>> {
    let Some(row) = subs::Entity::find()
        .filter(subs::Column::UserId.eq(user_id))
        .order_by_desc(subs::Column::CreatedAt)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let plan = membership_plans::Entity::find_by_id(row.plan_id)
        .one(db)
        .await?;
    Ok(Some(build(row, plan.map(|p| p.name), latest_end)))
}

/// The row as its owner sees it, with the end of his latest period.
pub(super) async fn view_of(ctx: &Context, row: subs::Model) -> Result<SubscriptionView> {
    let latest = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(row.user_id))
        .order_by_desc(memberships::Column::PeriodEnd)
        .one(&ctx.main)
        .await?;
    let plan = membership_plans::Entity::find_by_id(row.plan_id)
        .one(&ctx.main)
        .await?;
    Ok(build(
        row,
        plan.map(|p| p.name),
        latest.map(|m| m.period_end),
    ))
}

fn build(
    row: subs::Model,
    plan_name: Option<String>,
    latest_end: Option<DateTime<Utc>>,
) -> SubscriptionView {
    let renews = LIVE.contains(&row.status.as_str()) && !row.cancel_at_period_end;
    let ends = row.cancel_at_period_end || ENDED.contains(&row.status.as_str());
    let day = |at: Option<DateTime<Utc>>| at.map(|at| at.format("%-d %B %Y").to_string());
    let label = match (row.status.as_str(), renews, day(latest_end)) {
        ("past_due" | "unpaid", _, Some(d)) => {
            format!("Your last renewal was declined: paid until {d}")
        }
        (_, true, Some(d)) => format!("Renews on {d}"),
        (_, false, Some(d)) if ends => format!("Ends on {d}"),
        ("incomplete" | "incomplete_expired", _, _) => {
            "Not started: the first payment did not go through".to_owned()
        }
        _ => "Waiting for the first payment".to_owned(),
    };
    SubscriptionView {
        id: row.id,
        plan_id: row.plan_id,
        plan_name,
        status: row.status,
        cancel_at_period_end: row.cancel_at_period_end,
        next_charge_at: latest_end.filter(|_| renews),
        ends_at: latest_end.filter(|_| ends),
        label,
        created_at: row.created_at,
    }
}
