//! Where members stand: a member's own membership page (his standing, the plans on offer
//! and his history), the same for an Admin looking at one member, the Admin's list of
//! recorded memberships, and the rule registration asks — what a lapse blocks.

use super::errors::MembershipError;
use super::plans::{self, PlanView};
use crate::authz::{can, Actor, Granted};
use crate::page::{time_key, Page, PageRequest};
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{membership_plans, memberships, payments, users};
use db::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use domain::membership::{self, MembershipStatus, Standing, StandingKind};
use domain::payment::PaymentMethod;
use domain::Money;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// A member's standing today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StandingView {
    /// `none`, `active`, `in_grace` or `lapsed`.
    #[schema(value_type = String)]
    pub status: StandingKind,
    /// "Active", "In grace period", …
    pub label: String,
    /// When his latest period ends (or ended).
    pub period_end: Option<DateTime<Utc>>,
    /// When the grace period after it ends.
    pub grace_until: Option<DateTime<Utc>>,
}

impl From<Standing> for StandingView {
    fn from(s: Standing) -> Self {
        StandingView {
            status: s.kind,
            label: s.kind.label().to_owned(),
            period_end: s.period_end,
            grace_until: s.grace_until,
        }
    }
}

/// One recorded membership period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub plan_id: Uuid,
    pub plan_name: Option<String>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: String,
    /// "EUR 60.00".
    pub amount_label: String,
    /// How it was paid (`bank_transfer`, `cash`).
    #[schema(value_type = Option<String>)]
    pub method: Option<PaymentMethod>,
    /// The payment (its receipt is on the member's Payments page).
    pub payment_id: Option<Uuid>,
    /// `active`, `renewed` (over, and continued by a later period) or `lapsed` (over
    /// without a renewal; the member was told).
    #[schema(value_type = String)]
    pub status: MembershipStatus,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn view(
    m: memberships::Model,
    plan: Option<&membership_plans::Model>,
    payment: Option<&payments::Model>,
) -> MembershipView {
    MembershipView {
        amount_label: Money::parse(m.amount_minor, &m.currency).map_or_else(
            |_| format!("{} {}", m.currency, m.amount_minor),
            |money| money.to_string(),
        ),
        plan_name: plan.map(|p| p.name.clone()),
        method: payment.map(|p| p.method),
        id: m.id,
        user_id: m.user_id,
        plan_id: m.plan_id,
        period_start: m.period_start,
        period_end: m.period_end,
        amount_minor: m.amount_minor,
        currency: m.currency,
        payment_id: m.payment_id,
        status: m.status,
        note: m.note,
        created_at: m.created_at,
    }
}

/// A member's membership page: his standing, the plans on offer and his periods, newest
/// first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyMembership {
    pub standing: StandingView,
    pub plans: Vec<PlanView>,
    pub history: Vec<MembershipView>,
    /// Whether he can pay for a plan by card (Stripe is set up).
    pub card_subscriptions: bool,
    /// His latest card subscription, if he ever started one.
    pub subscription: Option<super::stripe::SubscriptionView>,
}

/// The actor's own membership.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn mine(ctx: &Context, actor: &Actor) -> Result<MyMembership> {
    of_person(ctx, actor, actor.id()).await
}

/// One member's membership, for an Admin.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), user_id = %user_id), err(level = "info"))]
pub async fn of_member(
    ctx: &Context,
    actor: &Actor,
    _g: &Granted<can::ManageMemberships>,
    user_id: Uuid,
) -> Result<MyMembership> {
    users::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("user"))?;
    of_person(ctx, actor, user_id).await
}

async fn of_person(ctx: &Context, actor: &Actor, user_id: Uuid) -> Result<MyMembership> {
    let rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .order_by_desc(memberships::Column::PeriodStart)
        .all(&ctx.main)
        .await?;
    let standing = standing_of(ctx, &rows);
    let latest_end = rows.iter().map(|m| m.period_end).max();
    let subscription = super::stripe::latest_of(&ctx.main, user_id, latest_end).await?;
    let history = with_details(ctx, rows).await?;
    Ok(MyMembership {
        standing: standing.into(),
        plans: plans::list(ctx, actor, false).await?,
        history,
        card_subscriptions: ctx.stripe.is_some(),
        subscription,
    })
}

fn standing_of(ctx: &Context, rows: &[memberships::Model]) -> Standing {
    membership::standing(
        rows.iter().map(|m| (m.period_start, m.period_end)),
        ctx.now(),
        ctx.settings.payments.membership_grace(),
    )
}

/// The views of `rows`, with their plans' names and payments' methods (two reads).
async fn with_details(ctx: &Context, rows: Vec<memberships::Model>) -> Result<Vec<MembershipView>> {
    let plans: HashMap<Uuid, membership_plans::Model> = membership_plans::Entity::find()
        .filter(membership_plans::Column::Id.is_in(rows.iter().map(|m| m.plan_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let paid: HashMap<Uuid, payments::Model> = payments::Entity::find()
        .filter(payments::Column::Id.is_in(rows.iter().filter_map(|m| m.payment_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(rows
        .into_iter()
        .map(|m| {
            let plan = plans.get(&m.plan_id);
            let payment = m.payment_id.and_then(|id| paid.get(&id));
            view(m, plan, payment)
        })
        .collect())
}

/// Which recorded memberships the Admin's list shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembershipFilter {
    /// Only periods with this status: `active`, `renewed` or `lapsed`.
    #[param(value_type = Option<String>)]
    pub status: Option<MembershipStatus>,
}

/// One line of the Admin's list: a recorded period, whose it is, and where he stands now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipLine {
    pub membership: MembershipView,
    pub member_name: String,
    pub standing: StandingView,
}

/// Every recorded membership period, latest recorded first, for an Admin.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id()), err(level = "info"))]
pub async fn list(
    ctx: &Context,
    g: &Granted<can::ManageMemberships>,
    filter: &MembershipFilter,
    page: &PageRequest,
) -> Result<Page<MembershipLine>> {
    let limit = page.limit()?;
    let mut q = memberships::Entity::find();
    if let Some(status) = filter.status {
        q = q.filter(memberships::Column::Status.eq(status));
    }
    if let Some((at, id)) = page.cursor_time_key()? {
        q = q.filter(
            memberships::Column::CreatedAt
                .lt(at)
                .or(memberships::Column::CreatedAt
                    .eq(at)
                    .and(memberships::Column::Id.lt(id))),
        );
    }
    let rows = q
        .order_by_desc(memberships::Column::CreatedAt)
        .order_by_desc(memberships::Column::Id)
        .limit(limit + 1)
        .all(&ctx.main)
        .await?;
    let page = Page::from_rows(rows, limit, |m| time_key(m.created_at, m.id));
    let people: Vec<Uuid> = page.items.iter().map(|m| m.user_id).collect();
    let names: HashMap<Uuid, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(people.clone()))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut periods: HashMap<Uuid, Vec<memberships::Model>> = HashMap::new();
    for m in memberships::Entity::find()
        .filter(memberships::Column::UserId.is_in(people))
        .all(&ctx.main)
        .await?
    {
        periods.entry(m.user_id).or_default().push(m);
    }
    let next_cursor = page.next_cursor;
    let lines = with_details(ctx, page.items).await?;
    Ok(Page {
        items: lines
            .into_iter()
            .map(|m| MembershipLine {
                member_name: names.get(&m.user_id).cloned().unwrap_or_default(),
                standing: standing_of(ctx, periods.get(&m.user_id).map_or(&[], Vec::as_slice))
                    .into(),
                membership: m,
            })
            .collect(),
        next_cursor,
    })
}

/// Refuses registration for an event (`paid` or free) when the person's membership has
/// lapsed and the organisation's setting (`organisation.lapsed_membership_blocks`) says a
/// lapse blocks it. Someone who never had a membership, or is in his grace period, is not
/// blocked.
pub async fn refuse_if_lapsed(
    db: &impl ConnectionTrait,
    ctx: &Context,
    user_id: Uuid,
    paid: bool,
) -> Result<()> {
    let blocks = ctx.settings.organisation.lapsed_membership_blocks;
    if !blocks.blocks(paid) {
        return Ok(());
    }
    let rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let s = standing_of(ctx, &rows);
    match (s.kind, s.period_end) {
        (StandingKind::Lapsed, Some(end)) => Err(MembershipError::MembershipLapsed.with(format!(
            "Your membership ended on {} and has lapsed: renew it to register for {}.",
            end.format("%-d %B %Y"),
            if paid { "paid events" } else { "events" }
        ))),
        _ => Ok(()),
    }
}
