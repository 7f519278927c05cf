//! Donations to the scholarship fund: given on their own (recorded offline by an Admin,
//! or by card once Stripe comes) or paid beyond a price ("pay it forward", split off in
//! [`crate::payments::recording`]). Each is one `donation` ledger row (positive) and one
//! `donations` row pointing at it, written with a thank-you email and an audit record in
//! the caller's transaction; donors see theirs on their Payments page.

pub mod card;
pub mod jobs;

use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor, Granted};
use crate::jobs::Job;
use crate::payments::scholarships::label;
use crate::{Checks, Context, Error, RequestMeta, Result};
use db::main_db::{donations, ledger_entries as ledger, users};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::payment::PaymentMethod;
use domain::{DomainError, Money, MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A donation on its own, as an Admin records it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DonationInput {
    /// In minor units (cents), more than zero.
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: SingleLine<3>,
    /// `cash` or `bank_transfer`.
    #[schema(value_type = String)]
    pub method: PaymentMethod,
    /// The donor, when he has an account and wants to be thanked; none for an anonymous gift.
    pub donor_id: Option<Uuid>,
    /// Shown on the donor's receipt (a transfer's reference).
    pub note: Option<MultiLine<500>>,
}

/// One donation, as its donor (or the Admin who recorded it) sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DonationView {
    pub id: Uuid,
    pub donor_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: String,
    /// "EUR 30.00".
    pub amount_label: String,
    /// `cash`, `bank_transfer` or `card`.
    #[schema(value_type = String)]
    pub method: PaymentMethod,
    /// The payment it was given with, when paid beyond a price.
    pub payment_id: Option<Uuid>,
    pub note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A donation to write, from whichever path received it. A card payment passes its
/// provider reference (unique per provider: the same one twice is refused by the database,
/// so a repeated webhook records it once).
#[derive(Debug, Clone)]
pub struct NewDonation {
    pub donor_id: Option<Uuid>,
    pub money: Money,
    pub method: PaymentMethod,
    pub provider_reference: Option<String>,
    /// The payment it was given with (paying it forward), and that payment's event.
    pub payment_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
}

/// Writes `d`: its ledger row, its donation row, the thank-you email (when the donor is
/// known) and the audit record, all in the caller's transaction.
pub async fn record(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    meta: &RequestMeta,
    d: NewDonation,
) -> Result<donations::Model> {
    let now = ctx.now();
    let reason = if d.payment_id.is_some() {
        "Paid forward: given beyond the price to the scholarship fund"
    } else {
        "Donation to the scholarship fund"
    };
    let entry = ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(domain::payment::LedgerKind::Donation),
        payment_id: Set(d.payment_id),
        user_id: Set(d.donor_id),
        event_id: Set(d.event_id),
        amount_minor: Set(d.money.amount_minor()),
        currency: Set(d.money.currency().as_str().to_owned()),
        method: Set(d.method),
        provider: Set(d.method.provider()),
        provider_reference: Set(d.provider_reference.clone()),
        recorded_by: Set(d.recorded_by),
        reason: Set(Some(reason.to_owned())),
        created_at: Set(now),
        refund_id: Set(None),
        plan_id: Set(None),
    }
    .insert(txn)
    .await?;
    let donation = donations::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(d.donor_id),
        amount_minor: Set(entry.amount_minor),
        currency: Set(entry.currency.clone()),
        method: Set(d.method),
        provider: Set(d.method.provider()),
        provider_reference: Set(d.provider_reference),
        payment_id: Set(d.payment_id),
        note: Set(d.note),
        recorded_by: Set(d.recorded_by),
        ledger_entry_id: Set(entry.id),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    if donation.user_id.is_some() {
        jobs::SendDonationThanks {
            donation_id: donation.id,
        }
        .enqueue(txn, ctx)
        .await?;
    }
    let mut audit_entry = Entry::new(Action::DonationRecorded)
        .on("donation", donation.id)
        .details(serde_json::json!({
            "amount_minor": donation.amount_minor,
            "currency": donation.currency,
            "method": donation.method,
        }));
    if let Some(by) = d.recorded_by {
        audit_entry = audit_entry.by(by);
    }
    audit::record(txn, meta, audit_entry).await?;
    Ok(donation)
}

/// Records a donation given offline (cash or transfer), by someone holding
/// `RecordPayments` (Admins).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn record_offline(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    _proof: &Granted<can::RecordPayments>,
    input: &DonationInput,
) -> Result<DonationView> {
    let money = check(input)?;
    let txn = db::begin_write(&ctx.main).await?;
    if let Some(donor) = input.donor_id {
        let known = users::Entity::find_by_id(donor).one(&txn).await?;
        if known.is_none() {
            return Err(Error::invalid("donor_id", "There is no such person."));
        }
    }
    let note = input
        .note
        .as_ref()
        .map(|n| n.as_str().trim().to_owned())
        .filter(|n| !n.is_empty());
    let d = NewDonation {
        donor_id: input.donor_id,
        money,
        method: input.method,
        provider_reference: None,
        payment_id: None,
        event_id: None,
        note,
        recorded_by: Some(actor.id()),
    };
    let donation = record(&txn, ctx, meta, d).await?;
    txn.commit().await?;
    Ok(view(donation))
}

fn check(input: &DonationInput) -> Result<Money> {
    let mut c = Checks::default();
    if !input.method.is_offline_payment() {
        c.check::<()>(Err(DomainError::new(
            "method",
            "Record a donation given in cash or by bank transfer.",
        )));
    }
    let money = super::checked_amount(
        &mut c,
        input.amount_minor,
        input.currency.as_str(),
        "Enter the amount given (more than zero).",
    );
    c.finish()?;
    money.ok_or_else(|| Error::invalid("amount_minor", "Enter the amount."))
}

pub(crate) fn view(d: donations::Model) -> DonationView {
    DonationView {
        id: d.id,
        donor_id: d.user_id,
        amount_label: label(d.amount_minor, &d.currency),
        amount_minor: d.amount_minor,
        currency: d.currency,
        method: d.method,
        payment_id: d.payment_id,
        note: d.note,
        created_at: d.created_at,
    }
}

/// The actor's own donations, newest first.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn mine(ctx: &Context, actor: &Actor) -> Result<Vec<DonationView>> {
    Ok(donations::Entity::find()
        .filter(donations::Column::UserId.eq(actor.id()))
        .order_by_desc(donations::Column::CreatedAt)
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The donation given with payment `payment_id` (paid forward), if any: its receipt shows it.
pub async fn given_with(
    db: &impl ConnectionTrait,
    payment_id: Uuid,
) -> Result<Option<DonationView>> {
    Ok(donations::Entity::find()
        .filter(donations::Column::PaymentId.eq(payment_id))
        .one(db)
        .await?
        .map(view))
}
