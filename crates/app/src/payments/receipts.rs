//! A member's own payments and the receipt of each, with the refunds made on it: only the
//! person who paid sees them (an organiser sees who paid on the roster; Leadership will
//! see totals only).

use super::refunds::view::money_label;
use super::refunds::RefundView;
use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{events, payments, refunds, users};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::refund::RefundStatus;
use domain::Money;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One payment as its payer (or its recorder) sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub event_title: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    /// "EUR 25.00".
    pub amount_label: String,
    /// `cash`, `bank_transfer` or `card`.
    #[schema(value_type = String)]
    pub method: PaymentMethod,
    /// `pending`, `succeeded`, `failed` or `canceled`.
    #[schema(value_type = String)]
    pub status: PaymentStatus,
    /// The recorder's note, shown on the receipt.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What has been refunded of it so far, in minor units (succeeded refunds).
    pub refunded_minor: i64,
    /// "EUR 10.00"; `None` when nothing was refunded.
    pub refunded_label: Option<String>,
}

/// A printable receipt: the payment, who paid, and for what.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub payment: PaymentView,
    pub payer_name: String,
    pub organisation: String,
    pub event_starts_at: Option<DateTime<Utc>>,
    pub event_time_zone: Option<String>,
    /// The refunds made on it, oldest first (each has its own printable receipt).
    pub refunds: Vec<RefundView>,
    /// What he gave to the scholarship fund beyond the price with this payment, if anything.
    pub donation: Option<super::donations::DonationView>,
}

pub(crate) fn view(p: payments::Model, e: &events::Model) -> PaymentView {
    view_with(p, Some(e), &[])
}

/// `p` as shown, with what its succeeded refunds (among `refunds`) gave back.
pub(crate) fn view_with(
    p: payments::Model,
    e: Option<&events::Model>,
    refunds: &[refunds::Model],
) -> PaymentView {
    let amount_label = Money::parse(p.amount_minor, &p.currency).map_or_else(
        |_| format!("{} {}", p.currency, p.amount_minor),
        |m| m.to_string(),
    );
    let refunded_minor: i64 = refunds
        .iter()
        .filter(|r| r.payment_id == p.id && r.status == RefundStatus::Succeeded)
        .map(|r| r.amount_minor)
        .sum();
    PaymentView {
        refunded_label: (refunded_minor > 0).then(|| money_label(refunded_minor, &p.currency)),
        refunded_minor,
        id: p.id,
        event_id: p.event_id,
        event_title: e.map(|e| e.title.clone()),
        amount_minor: p.amount_minor,
        currency: p.currency,
        amount_label,
        method: p.method,
        status: p.status,
        note: p.note,
        created_at: p.created_at,
    }
}

/// The actor's own payments, newest first.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn mine(ctx: &Context, actor: &Actor) -> Result<Vec<PaymentView>> {
    let rows = payments::Entity::find()
        .filter(payments::Column::UserId.eq(actor.id()))
        .order_by_desc(payments::Column::CreatedAt)
        .all(&ctx.main)
        .await?;
    let found: HashMap<Uuid, events::Model> = events::Entity::find()
        .filter(events::Column::Id.is_in(rows.iter().filter_map(|p| p.event_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let refunds = refunds_of(&ctx.main, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let e = p.event_id.and_then(|id| found.get(&id));
            view_with(p, e, &refunds)
        })
        .collect())
}

/// The refunds of `payment_ids`, oldest first, in one query.
pub(crate) async fn refunds_of(
    db: &impl ConnectionTrait,
    payment_ids: &[Uuid],
) -> Result<Vec<refunds::Model>> {
    if payment_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(refunds::Entity::find()
        .filter(refunds::Column::PaymentId.is_in(payment_ids.iter().copied()))
        .order_by_asc(refunds::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The receipt of one of the actor's own payments; anyone else's does not exist for him.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), payment_id = %payment_id), err(level = "info"))]
pub async fn receipt(ctx: &Context, actor: &Actor, payment_id: Uuid) -> Result<Receipt> {
    let p = payments::Entity::find_by_id(payment_id)
        .filter(payments::Column::UserId.eq(actor.id()))
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    let e = match p.event_id {
        Some(id) => events::Entity::find_by_id(id).one(&ctx.main).await?,
        None => None,
    };
    let payer_name = users::Entity::find_by_id(p.user_id)
        .one(&ctx.main)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let refunds = refunds_of(&ctx.main, &[p.id]).await?;
    let donation = super::donations::given_with(&ctx.main, p.id).await?;
    Ok(Receipt {
        donation,
        event_starts_at: e.as_ref().map(|e| e.starts_at),
        event_time_zone: e.as_ref().map(|e| e.time_zone.clone()),
        payment: view_with(p, e.as_ref(), &refunds),
        // A failed attempt gave nothing back: the member sees what did (or is on its way).
        refunds: refunds
            .into_iter()
            .filter(|r| r.status.counts_against_payment())
            .map(RefundView::from)
            .collect(),
        payer_name,
        organisation: ctx.settings.organisation.name.clone(),
    })
}
