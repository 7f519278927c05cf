//! Starting, confirming and cancelling a member's card subscription. Stripe is called
//! before our rows are written (no transaction is held open across a call), with
//! idempotency keys derived from our ids and the SetupIntent's, so a retry repeats nothing.

use super::view::{view_of, SubscriptionView};
use super::{client, syncing, LIVE};
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor};
use crate::memberships::errors::MembershipError;
use crate::memberships::plans::{self, PlanView};
use crate::payments::stripe::billing::{PlanPrice, SetupIntent};
use crate::payments::stripe::client::checked_id;
use crate::payments::stripe::StripeError;
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{membership_plans, membership_subscriptions as subs, stripe_customers, users};
use db::sea_orm::sea_query::{Expr, OnConflict};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::membership::PlanInterval;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The plan a member wants to pay for by card.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct StartSubscription {
    pub plan_id: Uuid,
}

/// What Stripe.js needs to save his card (`confirmCardSetup`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionStart {
    /// The SetupIntent (`seti_…`): send it to the confirm call once the card is saved.
    pub setup_intent_id: String,
    /// Handed to Stripe.js's `confirmCardSetup`.
    pub client_secret: String,
    pub publishable_key: String,
    pub js_url: String,
    pub plan: PlanView,
}

/// The SetupIntent Stripe.js confirmed.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ConfirmSubscription {
    pub setup_intent_id: String,
}

/// Starts paying for `input.plan_id` by card: his Stripe Customer (made once) and a
/// SetupIntent for Stripe.js to save his card with.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn start(
    ctx: &Context,
    actor: &Actor,
    input: &StartSubscription,
) -> Result<SubscriptionStart> {
    actor.require::<can::Participate>()?;
    let client = client(ctx)?;
    let plan = offered_plan(&ctx.main, input.plan_id).await?;
    refuse_if_subscribed(&ctx.main, actor.id()).await?;
    let customer = customer_for(ctx, actor.id()).await?;
    let metadata = [
        ("user_id", actor.id().to_string()),
        ("plan_id", plan.id.to_string()),
    ];
    let key = format!("circles-setup-{}", Uuid::now_v7());
    let seti = client
        .create_setup_intent(&customer, &metadata, &key)
        .await?;
    start_of(ctx, seti, plan)
}

/// What Stripe.js needs to confirm `seti` (again) in his browser.
pub(super) fn start_of(
    ctx: &Context,
    seti: SetupIntent,
    plan: membership_plans::Model,
) -> Result<SubscriptionStart> {
    let client_secret = seti
        .client_secret
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("Stripe gave no client secret")))?;
    let stripe = &ctx.settings.payments.stripe;
    Ok(SubscriptionStart {
        setup_intent_id: seti.id,
        client_secret,
        publishable_key: stripe.publishable_key.clone(),
        js_url: stripe.js_url.clone(),
        plan: PlanView::of(plan),
    })
}

/// Subscribes him once his card is saved: reads the SetupIntent back (his word is never
/// taken), makes the card his default, creates the subscription, and records its first
/// invoice when Stripe has charged it. Confirming the same SetupIntent again returns the
/// same subscription.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn confirm(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    input: &ConfirmSubscription,
) -> Result<SubscriptionView> {
    actor.require::<can::Participate>()?;
    let client = client(ctx)?;
    let seti_id = input.setup_intent_id.as_str();
    if checked_id(seti_id, "seti_").is_err() {
        return Err(Error::NotFound("setup intent"));
    }
    if let Some(row) = by_setup_intent(&ctx.main, seti_id).await? {
        return mine(ctx, actor, row).await;
    }
    let (seti, customer) = his_setup_intent(ctx, actor, seti_id).await?;
    let pm = match (seti.status.as_str(), seti.payment_method.as_deref()) {
        ("succeeded", Some(pm)) => pm,
        _ => return Err(MembershipError::CardNotSaved.into()),
    };
    let plan = plan_of(ctx, &seti).await?;
    refuse_if_subscribed(&ctx.main, actor.id()).await?;
    let price = plan_price(&plan);
    client.ensure_plan(&price).await?;
    client
        .make_default_card(&customer, pm, &format!("circles-card-{}", seti.id))
        .await?;
    let metadata = [
        ("user_id", actor.id().to_string()),
        ("plan_id", plan.id.to_string()),
    ];
    let key = format!("circles-subscription-{}", seti.id);
    let sub = client
        .create_subscription(&customer, &price.id, &metadata, &key)
        .await?;
    let row = save(ctx, meta, actor, &plan, &customer, &seti.id, &sub).await?;
    if let Some(invoice) = sub.latest_invoice.as_deref() {
        syncing::apply_invoice(ctx, invoice).await?;
    }
    mine(ctx, actor, row).await
}

/// Cancels his subscription at the end of the period paid for: no renewal after it.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), subscription = %id), err(level = "info"))]
pub async fn cancel(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    id: Uuid,
) -> Result<SubscriptionView> {
    let client = client(ctx)?;
    let row = subs::Entity::find_by_id(id)
        .filter(subs::Column::UserId.eq(actor.id()))
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("subscription"))?;
    if row.cancel_at_period_end || !LIVE.contains(&row.status.as_str()) {
        return mine(ctx, actor, row).await;
    }
    let key = format!("circles-cancel-{}", row.id);
    let sub = client
        .cancel_at_period_end(&row.subscription_id, &key)
        .await?;
    let txn = db::begin_write(&ctx.main).await?;
    let changed = subs::Entity::update_many()
        .col_expr(subs::Column::CancelAtPeriodEnd, Expr::value(true))
        .col_expr(subs::Column::UpdatedAt, Expr::value(ctx.now()))
        .filter(subs::Column::Id.eq(row.id))
        .filter(subs::Column::CancelAtPeriodEnd.eq(false))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 1 {
        audit::record(
            &txn,
            meta,
            Entry::new(Action::MembershipSubscriptionCancelled)
                .by(actor.id())
                .on("membership_subscription", row.id)
                .details(serde_json::json!({
                    "plan_id": row.plan_id,
                    "subscription": sub.id,
                })),
        )
        .await?;
    }
    txn.commit().await?;
    let row = by_setup_intent(&ctx.main, &row.setup_intent_id)
        .await?
        .ok_or(Error::NotFound("subscription"))?;
    mine(ctx, actor, row).await
}

/// SetupIntent `seti_id` read back from Stripe, with his Customer, when it is his: someone
/// else's is as unknown to him as one that does not exist.
pub(super) async fn his_setup_intent(
    ctx: &Context,
    actor: &Actor,
    seti_id: &str,
) -> Result<(SetupIntent, String)> {
    if checked_id(seti_id, "seti_").is_err() {
        return Err(Error::NotFound("setup intent"));
    }
    let seti = match client(ctx)?.setup_intent(seti_id).await {
        Err(StripeError::Refused { status: 404, .. }) => Err(Error::NotFound("setup intent")),
        other => Ok(other?),
    }?;
    let customer = customer_for(ctx, actor.id()).await?;
    let his = seti.metadata.get("user_id") == Some(&actor.id().to_string())
        && seti.customer.as_deref() == Some(customer.as_str());
    if !his {
        return Err(Error::NotFound("setup intent"));
    }
    Ok((seti, customer))
}

/// The plan a SetupIntent was started for, if it is still offered.
pub(super) async fn plan_of(ctx: &Context, seti: &SetupIntent) -> Result<membership_plans::Model> {
    let plan_id = seti
        .metadata
        .get("plan_id")
        .and_then(|id| id.parse::<Uuid>().ok())
        .ok_or(Error::NotFound("plan"))?;
    offered_plan(&ctx.main, plan_id).await
}

/// The row as its owner sees it; anyone else is told it does not exist.
async fn mine(ctx: &Context, actor: &Actor, row: subs::Model) -> Result<SubscriptionView> {
    if row.user_id != actor.id() {
        return Err(Error::NotFound("setup intent"));
    }
    view_of(ctx, row).await
}

async fn offered_plan(db: &impl ConnectionTrait, id: Uuid) -> Result<membership_plans::Model> {
    let plan = plans::find(db, id).await?;
    if plan.archived_at.is_some() {
        return Err(MembershipError::PlanArchived.into());
    }
    Ok(plan)
}

async fn refuse_if_subscribed(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    let live = subs::Entity::find()
        .filter(subs::Column::UserId.eq(user_id))
        .filter(subs::Column::Status.is_in(LIVE))
        .one(db)
        .await?;
    match live {
        Some(_) => Err(MembershipError::AlreadySubscribed.into()),
        None => Ok(()),
    }
}

async fn by_setup_intent(db: &impl ConnectionTrait, id: &str) -> Result<Option<subs::Model>> {
    Ok(subs::Entity::find()
        .filter(subs::Column::SetupIntentId.eq(id))
        .one(db)
        .await?)
}

/// The Stripe Plan for `plan`'s current price. Its id names the price, so a changed price
/// gets a new Plan and running subscriptions keep what they were sold at.
fn plan_price(plan: &membership_plans::Model) -> PlanPrice<'_> {
    let interval = match plan.interval {
        PlanInterval::Monthly => "month",
        PlanInterval::Yearly => "year",
    };
    PlanPrice {
        id: format!(
            "circles_{}_{}{}_{interval}",
            plan.id.simple(),
            plan.amount_minor,
            plan.currency.to_ascii_lowercase()
        ),
        product_name: &plan.name,
        amount_minor: plan.amount_minor,
        currency: &plan.currency,
        interval,
    }
}

/// His Stripe Customer: made the first time (keyed by his id, so a retry at Stripe gives
/// the same one), then reused.
async fn customer_for(ctx: &Context, user_id: Uuid) -> Result<String> {
    if let Some(c) = stripe_customers::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
    {
        return Ok(c.customer_id);
    }
    let user = users::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let key = format!("circles-customer-{user_id}");
    let made = client(ctx)?
        .create_customer(&user.email, &user.display_name, &user_id.to_string(), &key)
        .await?;
    stripe_customers::Entity::insert(stripe_customers::ActiveModel {
        user_id: Set(user_id),
        customer_id: Set(made.id),
        created_at: Set(ctx.now()),
    })
    .on_conflict(
        OnConflict::column(stripe_customers::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&ctx.main)
    .await?;
    // A concurrent first subscription may have stored its Customer first: use that one.
    stripe_customers::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
        .map(|c| c.customer_id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("Stripe customer not stored")))
}

/// Records the new subscription once (a second confirm of the same SetupIntent finds it).
async fn save(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    plan: &membership_plans::Model,
    customer: &str,
    setup_intent_id: &str,
    sub: &crate::payments::stripe::billing::Subscription,
) -> Result<subs::Model> {
    let now = ctx.now();
    let id = Uuid::now_v7();
    let txn = db::begin_write(&ctx.main).await?;
    let inserted = subs::Entity::insert(subs::ActiveModel {
        id: Set(id),
        user_id: Set(actor.id()),
        plan_id: Set(plan.id),
        customer_id: Set(customer.to_owned()),
        setup_intent_id: Set(setup_intent_id.to_owned()),
        subscription_id: Set(sub.id.clone()),
        status: Set(sub.status.clone()),
        cancel_at_period_end: Set(sub.cancel_at_period_end),
        failed_invoice_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(subs::Column::SetupIntentId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 1 {
        audit::record(
            &txn,
            meta,
            Entry::new(Action::MembershipSubscribed)
                .by(actor.id())
                .on("membership_subscription", id)
                .details(serde_json::json!({
                    "plan_id": plan.id,
                    "subscription": sub.id,
                    "amount_minor": plan.amount_minor,
                    "currency": plan.currency,
                })),
        )
        .await?;
    }
    txn.commit().await?;
    by_setup_intent(&ctx.main, setup_intent_id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("subscription not stored")))
}
