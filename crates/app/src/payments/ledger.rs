//! The ledger: one immutable row per movement of money (the database refuses updates and
//! deletes). Amounts are signed integer minor units — money in positive, out negative — so
//! every report is a plain sum of rows and adds up to the ledger exactly.
//!
//! Which rows to add up, by `kind`:
//! - **Money received** = the sum of `payment` and `donation` rows (and refunds, negative).
//! - **The scholarship fund** = the sum of `donation` rows (given to it, positive) and
//!   `scholarship` rows (the part of a seat's price it covered, negative), per currency.
//!   A `scholarship` row is written when the seat it pays for is confirmed, with method
//!   `scholarship_fund` and no person (who received one is for reviewers only); it moves
//!   no cash, so it is left out of money received.
//! - **Income for an event** = its `payment` rows plus its `scholarship` rows negated (what
//!   the fund paid towards its seats).

use crate::Result;
use chrono::{DateTime, Utc};
use db::main_db::{ledger_entries as ledger, payments, refunds};
use db::sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use domain::payment::LedgerKind;
use uuid::Uuid;

/// Writes the ledger row for a payment that has succeeded (for a seat or a membership
/// plan, whichever the payment names), in the caller's transaction
/// (the payment and its ledger row are committed together or not at all).
pub(crate) async fn record_payment(
    txn: &impl ConnectionTrait,
    p: &payments::Model,
    reason: String,
    at: DateTime<Utc>,
) -> Result<ledger::Model> {
    Ok(ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(LedgerKind::Payment),
        payment_id: Set(Some(p.id)),
        user_id: Set(Some(p.user_id)),
        event_id: Set(p.event_id),
        amount_minor: Set(p.amount_minor),
        currency: Set(p.currency.clone()),
        method: Set(p.method),
        provider: Set(p.provider),
        provider_reference: Set(p.provider_reference.clone()),
        recorded_by: Set(p.recorded_by),
        reason: Set(Some(reason)),
        created_at: Set(at),
        refund_id: Set(None),
        plan_id: Set(p.plan_id),
    }
    .insert(txn)
    .await?)
}

/// Writes the ledger row for a refund that has succeeded: the money going back, negative,
/// in the caller's transaction (with the refund's change to `succeeded`).
pub(crate) async fn record_refund(
    txn: &impl ConnectionTrait,
    p: &payments::Model,
    r: &refunds::Model,
    at: DateTime<Utc>,
) -> Result<ledger::Model> {
    Ok(ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(LedgerKind::Refund),
        payment_id: Set(Some(p.id)),
        user_id: Set(Some(p.user_id)),
        event_id: Set(p.event_id),
        amount_minor: Set(-r.amount_minor),
        currency: Set(r.currency.clone()),
        method: Set(p.method),
        provider: Set(r.provider),
        provider_reference: Set(r.provider_reference.clone()),
        recorded_by: Set(r.requested_by),
        reason: Set(Some(format!("Refund: {}", r.reason))),
        created_at: Set(at),
        refund_id: Set(Some(r.id)),
        plan_id: Set(p.plan_id),
    }
    .insert(txn)
    .await?)
}
