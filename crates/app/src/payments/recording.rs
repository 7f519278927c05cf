//! Recording an offline payment (cash or bank transfer): the organiser at the door list or
//! roster, or an Admin, enters what was paid; the seat held for payment is confirmed, and
//! the payment, its ledger row, the email and the audit record are written together.
//!
//! A registration is paid once: a second payment for a confirmed registration is refused
//! (`already_paid`) rather than recorded, so a double click or a second organiser cannot
//! count the same seat twice.
//!
//! What is due is [`super::amount_due`]: the price, or a granted scholarship's amount (the
//! fund's share is then drawn when the seat is confirmed). Money given beyond it, when the
//! recorder says so (`pay_it_forward`), is a donation to the scholarship fund: the payment
//! is the price, the rest a `donation` ledger row, in the same transaction and on the same
//! receipt.

use super::donations::{self, NewDonation};
use super::errors::PaymentError;
use super::receipts::{view, PaymentView};
use super::{amount_due, ledger, scholarships};
use crate::audit::{self, Action, Entry};
use crate::authz::event::RecordingPayments;
use crate::authz::Actor;
use crate::events::jobs::EventNotice;
use crate::events::{lock_event, registration};
use crate::{Checks, Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events, payments};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use domain::event::RegistrationStatus;
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::price::Underpaid;
use domain::scholarship::split_payment;
use domain::{DomainError, Money, MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An offline payment as its recorder enters it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct OfflinePayment {
    /// `cash` or `bank_transfer` (`card` is not available yet).
    #[schema(value_type = String)]
    pub method: PaymentMethod,
    /// What was paid, in minor units (cents): the price, or on a sliding scale anything
    /// from its minimum to its maximum.
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: i64,
    /// ISO 4217 code: the event's currency.
    pub currency: SingleLine<3>,
    /// Shown on the member's receipt too (a transfer's reference, "paid at the door").
    pub note: Option<MultiLine<500>>,
    /// The member paid beyond what is due on purpose: the rest is his donation to the
    /// scholarship fund. Without it an amount above the price is refused.
    #[serde(default)]
    pub pay_it_forward: bool,
}

/// Records an offline payment for `registration_id` and confirms its seat.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), registration_id = %registration_id), err(level = "info"))]
pub async fn record_offline(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    proof: &RecordingPayments,
    registration_id: Uuid,
    input: &OfflinePayment,
) -> Result<PaymentView> {
    let (money, note) = check(input)?;
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, proof.event_id()).await?;
    let r = regs::Entity::find_by_id(registration_id)
        .filter(regs::Column::EventId.eq(e.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("registration"))?;
    refuse_unless_awaiting(&txn, &r).await?;
    let split = split_payment(
        &amount_due(&txn, &e, &r).await?,
        money,
        input.pay_it_forward,
    )
    .map_err(|why| Error::invalid("amount_minor", underpaid(&why)))?;
    let money = split.seat;
    let now = ctx.now();
    let user_id = r.user_id;
    registration::confirm_paid(&txn, ctx, r).await?;
    scholarships::draw_for_seat(&txn, ctx, &e, registration_id).await?;
    let p = payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        event_id: Set(Some(e.id)),
        registration_id: Set(Some(registration_id)),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        method: Set(input.method),
        provider: Set(input.method.provider()),
        provider_reference: Set(None),
        status: Set(PaymentStatus::Succeeded),
        note: Set(note),
        recorded_by: Set(Some(actor.id())),
        created_at: Set(now),
        succeeded_at: Set(Some(now)),
        plan_id: Set(None),
    }
    .insert(&txn)
    .await?;
    let reason = format!("{} for a seat at \"{}\"", input.method.label(), e.title);
    ledger::record_payment(&txn, &p, reason, now).await?;
    if let Some(gift) = split.donation {
        let d = NewDonation {
            donor_id: Some(user_id),
            money: gift,
            method: input.method,
            provider_reference: None,
            payment_id: Some(p.id),
            event_id: Some(e.id),
            note: None,
            recorded_by: Some(actor.id()),
        };
        donations::record(&txn, ctx, meta, d).await?;
    }
    registration::notify(&txn, ctx, user_id, e.id, EventNotice::PaymentReceived).await?;
    audit_recorded(&txn, meta, actor, &e, &p).await?;
    txn.commit().await?;
    Ok(view(p, &e))
}

/// The amount and note, checked; every problem at once.
fn check(input: &OfflinePayment) -> Result<(Money, Option<String>)> {
    let mut c = Checks::default();
    if !input.method.is_offline_payment() {
        c.check::<()>(Err(DomainError::new(
            "method",
            "Members pay by card themselves on the event's page: record cash or a bank transfer here.",
        )));
    }
    let money = super::checked_amount(
        &mut c,
        input.amount_minor,
        input.currency.as_str(),
        "Enter the amount that was paid (more than zero).",
    );
    c.finish()?;
    let money = money.ok_or_else(|| Error::invalid("amount_minor", "Enter the amount."))?;
    let note = input
        .note
        .as_ref()
        .map(|n| n.as_str().trim().to_owned())
        .filter(|n| !n.is_empty());
    Ok((money, note))
}

/// Only a seat held for payment can be paid for; a paid one says so.
pub(super) async fn refuse_unless_awaiting(
    txn: &impl ConnectionTrait,
    r: &regs::Model,
) -> Result<()> {
    match r.status {
        RegistrationStatus::PaymentRequired => Ok(()),
        RegistrationStatus::Confirmed => {
            let paid = payments::Entity::find()
                .filter(payments::Column::RegistrationId.eq(r.id))
                .filter(payments::Column::Status.eq(PaymentStatus::Succeeded))
                .count(txn)
                .await?;
            if paid > 0 {
                Err(PaymentError::AlreadyPaid.into())
            } else {
                Err(PaymentError::NotAwaitingPayment.into())
            }
        }
        RegistrationStatus::Offered
        | RegistrationStatus::Waitlisted
        | RegistrationStatus::Cancelled => Err(PaymentError::NotAwaitingPayment.into()),
    }
}

pub(super) fn underpaid(why: &Underpaid) -> String {
    match why {
        Underpaid::OtherCurrency => "Record the payment in the event's currency.".to_owned(),
        Underpaid::BelowPrice(min) => format!("The price is at least {min}."),
        Underpaid::AbovePrice(max) => format!("The price is at most {max}."),
        Underpaid::Free => "This event is free: there is nothing to pay.".to_owned(),
    }
}

async fn audit_recorded(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    actor: &Actor,
    e: &events::Model,
    p: &payments::Model,
) -> Result<()> {
    audit::record(
        txn,
        meta,
        Entry::new(Action::PaymentRecorded)
            .by(actor.id())
            .on("payment", p.id)
            .within_circle(!e.open_to_all)
            .details(serde_json::json!({
                "event_id": e.id,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "method": p.method,
            })),
    )
    .await?;
    Ok(())
}
