//! The two reads a financial report makes: the ledger's rows in the report's range summed
//! by currency, kind, method, event, plan and month (one row per combination, summed by
//! the database in integers), and the scholarship fund's movements up to the range's end.

use crate::Result;
use chrono::{DateTime, Utc};
use db::sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use domain::payment::{LedgerKind, PaymentMethod};
use uuid::Uuid;

/// The sum of the ledger rows that share every grouping a report shows.
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct Group {
    pub currency: String,
    pub kind: LedgerKind,
    pub method: PaymentMethod,
    pub event_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    /// `YYYY-MM`, in UTC.
    pub month: String,
    pub amount_minor: i64,
}

/// The month of a row as `YYYY-MM` in UTC. SQLite keeps times as RFC 3339 text in UTC
/// (`2026-01-31T23:00:00+00:00`), so its first seven characters are the month.
fn month_of(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        _ => "substr(created_at, 1, 7)",
    }
}

/// The ledger's rows from `from` (inclusive) to `to` (exclusive), summed per group.
pub(super) async fn groups(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Group>> {
    let backend = db.get_database_backend();
    let month = month_of(backend);
    let sql = format!(
        "SELECT currency, kind, method, event_id, plan_id, {month} AS month, \
         CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
         FROM ledger_entries WHERE created_at >= $1 AND created_at < $2 \
         GROUP BY currency, kind, method, event_id, plan_id, {month}"
    );
    let stmt = Statement::from_sql_and_values(backend, sql, [from.into(), to.into()]);
    Ok(Group::find_by_statement(stmt).all(db).await?)
}

/// Donations in and scholarships granted, per currency, over all time before `to`.
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct FundMovement {
    pub currency: String,
    pub kind: LedgerKind,
    /// Scholarships count by their size, whichever sign their rows carry: a grant is
    /// money leaving the fund.
    pub amount_minor: i64,
}

pub(super) async fn fund(
    db: &impl ConnectionTrait,
    to: DateTime<Utc>,
) -> Result<Vec<FundMovement>> {
    let backend = db.get_database_backend();
    let sql = "SELECT currency, kind, CAST(SUM(ABS(amount_minor)) AS BIGINT) AS amount_minor \
               FROM ledger_entries WHERE created_at < $1 AND kind IN ($2, $3) \
               GROUP BY currency, kind";
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [
            to.into(),
            LedgerKind::Donation.into(),
            LedgerKind::Scholarship.into(),
        ],
    );
    Ok(FundMovement::find_by_statement(stmt).all(db).await?)
}
