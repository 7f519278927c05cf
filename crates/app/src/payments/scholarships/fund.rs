//! The scholarship fund: the plain sum of the ledger's `donation` rows (money in, positive)
//! and `scholarship` rows (the part of a price the fund covers, negative), per currency.
//! A granted scholarship leaves the fund when the seat it pays for is confirmed; until then
//! it is *promised*, shown beside the balance so reviewers see what is really available.

use super::label;
use crate::authz::ReviewingScholarships;
use crate::{Context, Error, Result};
use db::main_db::{
    event_registrations as regs, events, ledger_entries as ledger, scholarship_requests as requests,
};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use domain::event::RegistrationStatus;
use domain::payment::{LedgerKind, PaymentMethod, PaymentProvider};
use domain::scholarship::ScholarshipStatus;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The fund in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FundBalance {
    pub currency: String,
    /// Everything given to the fund (the sum of its `donation` rows).
    pub donations_minor: i64,
    /// Everything it has covered (minus the sum of its `scholarship` rows).
    pub scholarships_minor: i64,
    /// Donations less scholarships: the sum of both kinds of ledger rows.
    pub balance_minor: i64,
    /// Granted scholarships whose seats are not paid yet (not in the ledger yet).
    pub promised_minor: i64,
    /// The balance less what is promised; below zero the organisation covers the rest.
    pub available_minor: i64,
    /// "EUR 120.00".
    pub balance_label: String,
    pub available_label: String,
}

/// The fund's balance per currency, for reviewers (and Admins, who hold the same right).
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn balance(ctx: &Context, _proof: &ReviewingScholarships) -> Result<Vec<FundBalance>> {
    fund_balance(&ctx.main).await
}

/// The balance from the ledger and the open promises; reads every fund row (donations and
/// scholarships are few beside payments).
pub(crate) async fn fund_balance(db: &impl ConnectionTrait) -> Result<Vec<FundBalance>> {
    let rows = ledger::Entity::find()
        .filter(ledger::Column::Kind.is_in([LedgerKind::Donation, LedgerKind::Scholarship]))
        .all(db)
        .await?;
    let mut by_currency: BTreeMap<String, FundBalance> = BTreeMap::new();
    for row in rows {
        let f = by_currency.entry(row.currency.clone()).or_default();
        match row.kind {
            LedgerKind::Donation => f.donations_minor += row.amount_minor,
            LedgerKind::Scholarship => f.scholarships_minor -= row.amount_minor,
            LedgerKind::Payment | LedgerKind::Refund => {}
        }
        f.balance_minor += row.amount_minor;
    }
    for (currency, covered) in promised(db).await? {
        by_currency.entry(currency).or_default().promised_minor += covered;
    }
    Ok(by_currency
        .into_iter()
        .map(|(currency, mut f)| {
            f.available_minor = f.balance_minor - f.promised_minor;
            f.balance_label = label(f.balance_minor, &currency);
            f.available_label = label(f.available_minor, &currency);
            f.currency = currency;
            f
        })
        .collect())
}

/// Granted, not yet drawn, on seats still held for payment: (currency, covered).
async fn promised(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    let granted = requests::Entity::find()
        .filter(requests::Column::Status.eq(ScholarshipStatus::Granted))
        .filter(requests::Column::LedgerEntryId.is_null())
        .all(db)
        .await?;
    let waiting: Vec<Uuid> = regs::Entity::find()
        .filter(regs::Column::Id.is_in(granted.iter().map(|r| r.registration_id)))
        .filter(regs::Column::Status.eq(RegistrationStatus::PaymentRequired))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(granted
        .into_iter()
        .filter(|r| waiting.contains(&r.registration_id))
        .map(|r| (r.currency, r.covered_minor.unwrap_or(0)))
        .collect())
}

/// Takes what a granted scholarship covers out of the fund, now that the seat it pays for
/// is confirmed: one `scholarship` ledger row (negative), in the caller's transaction.
/// Does nothing without a grant, or when it was drawn already. The row names no person:
/// who received a scholarship is for reviewers only.
///
/// Every path that confirms a paid seat calls this (offline recording, a zero grant, and a
/// card payment's confirmation).
pub(crate) async fn draw_for_seat(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
    registration_id: Uuid,
) -> Result<Option<ledger::Model>> {
    let Some(grant) = super::granted_for(txn, registration_id).await? else {
        return Ok(None);
    };
    let covered = grant.covered_minor.unwrap_or(0);
    if grant.ledger_entry_id.is_some() || covered <= 0 {
        return Ok(None);
    }
    let now = ctx.now();
    let entry = ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(LedgerKind::Scholarship),
        payment_id: Set(None),
        user_id: Set(None),
        event_id: Set(Some(e.id)),
        amount_minor: Set(-covered),
        currency: Set(grant.currency.clone()),
        method: Set(PaymentMethod::ScholarshipFund),
        provider: Set(PaymentProvider::Offline),
        provider_reference: Set(None),
        recorded_by: Set(grant.decided_by),
        reason: Set(Some(format!(
            "Scholarship towards a seat at \"{}\"",
            e.title
        ))),
        created_at: Set(now),
        refund_id: Set(None),
        plan_id: Set(None),
    }
    .insert(txn)
    .await?;
    let drawn = requests::Entity::update_many()
        .col_expr(
            requests::Column::LedgerEntryId,
            db::sea_orm::sea_query::Expr::value(entry.id),
        )
        .col_expr(
            requests::Column::UpdatedAt,
            db::sea_orm::sea_query::Expr::value(now),
        )
        .filter(requests::Column::Id.eq(grant.id))
        .filter(requests::Column::LedgerEntryId.is_null())
        .exec(txn)
        .await?;
    if drawn.rows_affected != 1 {
        return Err(Error::Internal(anyhow::anyhow!(
            "scholarship {} was drawn twice",
            grant.id
        )));
    }
    Ok(Some(entry))
}

/// Gives what a drawn scholarship covered back to the fund, now that the seat it paid for
/// was cancelled or its payment refunded in full: one positive `scholarship` ledger row,
/// once, in the caller's transaction (`why` says which, for the row's reason). Does nothing
/// without a drawn grant. The row names no person and is marked with the draw it undoes
/// (`restore:<draw row>`), which is what makes it happen once: the grant's row is locked on
/// PostgreSQL (SQLite's write gate serialises writers) before the mark is looked for.
pub(crate) async fn restore_for_seat(
    txn: &impl ConnectionTrait,
    registration_id: Uuid,
    why: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<ledger::Model>> {
    let Some(grant) = super::granted_for(txn, registration_id).await? else {
        return Ok(None);
    };
    let Some(drawn_id) = grant.ledger_entry_id else {
        return Ok(None);
    };
    lock_grant(txn, grant.id).await?;
    let mark = format!("restore:{drawn_id}");
    let restored = ledger::Entity::find()
        .filter(ledger::Column::Kind.eq(LedgerKind::Scholarship))
        .filter(ledger::Column::ProviderReference.eq(mark.as_str()))
        .one(txn)
        .await?;
    let drawn = ledger::Entity::find_by_id(drawn_id).one(txn).await?;
    let (None, Some(drawn)) = (restored, drawn) else {
        return Ok(None);
    };
    let entry = ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(LedgerKind::Scholarship),
        payment_id: Set(None),
        user_id: Set(None),
        event_id: Set(drawn.event_id),
        amount_minor: Set(-drawn.amount_minor),
        currency: Set(drawn.currency.clone()),
        method: Set(PaymentMethod::ScholarshipFund),
        provider: Set(PaymentProvider::Offline),
        provider_reference: Set(Some(mark)),
        recorded_by: Set(None),
        reason: Set(Some(format!("Scholarship returned to the fund: {why}"))),
        created_at: Set(at),
        refund_id: Set(None),
        plan_id: Set(None),
    }
    .insert(txn)
    .await?;
    crate::audit::record(
        txn,
        &crate::RequestMeta::system(),
        crate::audit::Entry::new(crate::audit::Action::ScholarshipRestored)
            .on("ledger_entry", entry.id)
            .details(serde_json::json!({
                "amount_minor": entry.amount_minor,
                "currency": entry.currency,
            })),
    )
    .await?;
    Ok(Some(entry))
}

/// Locks a scholarship request's row on PostgreSQL for the rest of the transaction.
async fn lock_grant(txn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    if txn.get_database_backend() == db::sea_orm::DbBackend::Postgres {
        requests::Entity::find_by_id(id)
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    Ok(())
}
