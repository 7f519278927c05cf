//! A member's own payments and the receipt of each: only the person who paid sees them
//! (an organiser sees who paid on the roster; Leadership will see totals only).

use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{events, payments, users};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::payment::{PaymentMethod, PaymentStatus};
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
}

/// A printable receipt: the payment, who paid, and for what.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub payment: PaymentView,
    pub payer_name: String,
    pub organisation: String,
    pub event_starts_at: Option<DateTime<Utc>>,
    pub event_time_zone: Option<String>,
    /// What he gave to the scholarship fund beyond the price with this payment, if anything.
    pub donation: Option<super::donations::DonationView>,
}

pub(crate) fn view(p: payments::Model, e: &events::Model) -> PaymentView {
    view_with(p, Some(e))
}

fn view_with(p: payments::Model, e: Option<&events::Model>) -> PaymentView {
    let amount_label = Money::parse(p.amount_minor, &p.currency).map_or_else(
        |_| format!("{} {}", p.currency, p.amount_minor),
        |m| m.to_string(),
    );
    PaymentView {
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
    Ok(rows
        .into_iter()
        .map(|p| {
            let e = p.event_id.and_then(|id| found.get(&id));
            view_with(p, e)
        })
        .collect())
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
    let donation = super::donations::given_with(&ctx.main, p.id).await?;
    Ok(Receipt {
        donation,
        event_starts_at: e.as_ref().map(|e| e.starts_at),
        event_time_zone: e.as_ref().map(|e| e.time_zone.clone()),
        payment: view_with(p, e.as_ref()),
        payer_name,
        organisation: ctx.settings.organisation.name.clone(),
    })
}
