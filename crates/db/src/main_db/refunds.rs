//! A refund: money given back on one payment, in full or in part, offline (the
//! organisation hands it back) or through the payment's provider, whose reference is kept.

use domain::payment::PaymentProvider;
use domain::refund::{RefundKind, RefundStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub payment_id: Uuid,
    /// Integer minor units given back (positive; its ledger row is negative).
    pub amount_minor: i64,
    pub currency: String,
    /// Why, in words (the Admin's reason, or what caused an automatic refund).
    pub reason: String,
    pub status: RefundStatus,
    pub kind: RefundKind,
    pub provider: PaymentProvider,
    /// The provider's id for it (a Stripe refund); unique per provider.
    pub provider_reference: Option<String>,
    /// For refunds the platform makes by itself: what caused it (`event_cancelled:<payment>`),
    /// unique, so one cause refunds once however often its job runs.
    pub cause_key: Option<String>,
    /// The Admin who asked for it; none for automatic refunds.
    pub requested_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub succeeded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
