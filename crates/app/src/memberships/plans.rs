//! Membership plans: Admins define, change, archive and delete them; every signed-in
//! person reads the plans on offer. A plan's amount may change: periods already recorded
//! keep what was paid for them.

use super::errors::MembershipError;
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor, Granted};
use crate::{Checks, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{membership_plans as plans, memberships};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use domain::membership::PlanInterval;
use domain::{DomainError, Money, Permission, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A plan as an Admin enters it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// 2–80 characters, e.g. "Supporting member".
    pub name: SingleLine<80>,
    /// What one interval costs, in minor units (cents).
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. EUR.
    pub currency: SingleLine<3>,
    /// `monthly` or `yearly`.
    #[schema(value_type = String)]
    pub interval: PlanInterval,
    /// An archived plan is offered no more; its memberships stay.
    #[serde(default)]
    pub archived: bool,
}

/// A plan as everyone reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub name: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `monthly` or `yearly`.
    #[schema(value_type = String)]
    pub interval: PlanInterval,
    /// "EUR 10.00 per month".
    pub price_label: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
}

impl PlanView {
    pub(crate) fn of(p: plans::Model) -> PlanView {
        let amount = Money::parse(p.amount_minor, &p.currency).map_or_else(
            |_| format!("{} {}", p.currency, p.amount_minor),
            |m| m.to_string(),
        );
        PlanView {
            price_label: format!("{amount} {}", p.interval.per()),
            id: p.id,
            name: p.name,
            amount_minor: p.amount_minor,
            currency: p.currency,
            interval: p.interval,
            archived: p.archived_at.is_some(),
            created_at: p.created_at,
        }
    }
}

/// The plans on offer, cheapest first; with `include_archived`, also those no longer
/// offered (Admins only).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn list(ctx: &Context, actor: &Actor, include_archived: bool) -> Result<Vec<PlanView>> {
    actor.require::<can::Participate>()?;
    if include_archived && !actor.can(Permission::ManageMemberships) {
        return Err(Error::Forbidden);
    }
    let mut q = plans::Entity::find();
    if !include_archived {
        q = q.filter(plans::Column::ArchivedAt.is_null());
    }
    let rows = q
        .order_by_asc(plans::Column::Currency)
        .order_by_asc(plans::Column::AmountMinor)
        .order_by_asc(plans::Column::Name)
        .all(&ctx.main)
        .await?;
    Ok(rows.into_iter().map(PlanView::of).collect())
}

/// One plan; an archived one only for Admins.
pub async fn get(ctx: &Context, actor: &Actor, id: Uuid) -> Result<PlanView> {
    let p = find(&ctx.main, id).await?;
    if p.archived_at.is_some() && !actor.can(Permission::ManageMemberships) {
        return Err(Error::NotFound("plan"));
    }
    Ok(PlanView::of(p))
}

pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<plans::Model> {
    plans::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("plan"))
}

/// Adds a plan.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id()), err(level = "info"))]
pub async fn create(
    ctx: &Context,
    meta: &RequestMeta,
    g: &Granted<can::ManageMemberships>,
    input: &PlanInput,
) -> Result<PlanView> {
    let (name, money) = check(input)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let p = plans::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        interval: Set(input.interval),
        archived_at: Set(input.archived.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit_plan(&txn, meta, g, Action::MembershipPlanCreated, &p).await?;
    txn.commit().await?;
    Ok(PlanView::of(p))
}

/// Changes a plan (its name, price, interval, or whether it is offered).
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), plan_id = %id), err(level = "info"))]
pub async fn update(
    ctx: &Context,
    meta: &RequestMeta,
    g: &Granted<can::ManageMemberships>,
    id: Uuid,
    input: &PlanInput,
) -> Result<PlanView> {
    let (name, money) = check(input)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let old = find(&txn, id).await?;
    let archived_at = match (old.archived_at, input.archived) {
        (Some(at), true) => Some(at),
        (None, true) => Some(now),
        (_, false) => None,
    };
    let p = plans::ActiveModel {
        id: Set(old.id),
        name: Set(name),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        interval: Set(input.interval),
        archived_at: Set(archived_at),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit_plan(&txn, meta, g, Action::MembershipPlanUpdated, &p).await?;
    txn.commit().await?;
    Ok(PlanView::of(p))
}

/// Deletes a plan nobody's membership names (`plan_in_use` otherwise: archive it).
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), plan_id = %id), err(level = "info"))]
pub async fn delete(
    ctx: &Context,
    meta: &RequestMeta,
    g: &Granted<can::ManageMemberships>,
    id: Uuid,
) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    let p = find(&txn, id).await?;
    let used = memberships::Entity::find()
        .filter(memberships::Column::PlanId.eq(id))
        .count(&txn)
        .await?;
    if used > 0 {
        return Err(MembershipError::PlanInUse.into());
    }
    plans::Entity::delete_by_id(id).exec(&txn).await?;
    audit_plan(&txn, meta, g, Action::MembershipPlanDeleted, &p).await?;
    txn.commit().await?;
    Ok(())
}

/// The name and price, checked; every problem at once.
fn check(input: &PlanInput) -> Result<(String, Money)> {
    let mut c = Checks::default();
    let name = input.name.as_str().trim().to_owned();
    if name.chars().count() < 2 {
        c.check::<()>(Err(DomainError::new(
            "name",
            "Give the plan a name of 2 to 80 characters.",
        )));
    }
    let money = crate::payments::checked_amount(
        &mut c,
        input.amount_minor,
        input.currency.as_str(),
        "A plan costs something: enter an amount above zero.",
    );
    c.finish()?;
    let money = money.ok_or_else(|| Error::invalid("amount_minor", "Enter the amount."))?;
    Ok((name, money))
}

async fn audit_plan(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    g: &Granted<can::ManageMemberships>,
    action: Action,
    p: &plans::Model,
) -> Result<()> {
    audit::record(
        txn,
        meta,
        Entry::new(action)
            .by(g.actor_id())
            .on("membership_plan", p.id)
            .details(serde_json::json!({
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "interval": p.interval,
                "archived": p.archived_at.is_some(),
            })),
    )
    .await?;
    Ok(())
}
