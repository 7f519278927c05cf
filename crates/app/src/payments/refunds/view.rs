//! A refund as the member who paid (or the Admin who refunds) sees it.

use chrono::{DateTime, Utc};
use db::main_db::refunds;
use domain::refund::{RefundKind, RefundStatus};
use domain::Money;
use serde::Serialize;
use uuid::Uuid;

/// One refund of a payment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub payment_id: Uuid,
    /// What goes back, in minor units (positive).
    pub amount_minor: i64,
    pub currency: String,
    /// "EUR 25.00".
    pub amount_label: String,
    /// `pending`, `succeeded`, `failed`, or `retrying` (Stripe could not be reached: sent
    /// again by reconciliation; nothing has gone back yet).
    #[schema(value_type = String)]
    pub status: RefundStatus,
    /// `admin`, `policy`, `event_cancelled`, `late_payment` or `provider_dashboard`.
    #[schema(value_type = String)]
    pub kind: RefundKind,
    /// Why, in words: the Admin's reason or what caused an automatic refund (shown on the
    /// member's refund receipt).
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub succeeded_at: Option<DateTime<Utc>>,
}

impl From<refunds::Model> for RefundView {
    fn from(r: refunds::Model) -> Self {
        RefundView {
            amount_label: money_label(r.amount_minor, &r.currency),
            id: r.id,
            payment_id: r.payment_id,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            kind: r.kind,
            reason: r.reason,
            created_at: r.created_at,
            succeeded_at: r.succeeded_at,
        }
    }
}

/// "EUR 25.00", or the raw figures should a stored amount not read as money.
pub(crate) fn money_label(minor: i64, currency: &str) -> String {
    Money::parse(minor, currency).map_or_else(|_| format!("{currency} {minor}"), |m| m.to_string())
}
