//! The ledger: one immutable row per movement of money (the database refuses updates and
//! deletes). Amounts are signed integer minor units — money in positive, out negative — so
//! every report is a plain sum of rows and adds up to the ledger exactly.

use crate::Result;
use chrono::{DateTime, Utc};
use db::main_db::{ledger_entries as ledger, payments};
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
        plan_id: Set(p.plan_id),
    }
    .insert(txn)
    .await?)
}
