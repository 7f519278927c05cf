//! One movement of money, never changed nor deleted (the database refuses both): every
//! report adds these up.

use domain::payment::{LedgerKind, PaymentMethod, PaymentProvider};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: LedgerKind,
    pub payment_id: Option<Uuid>,
    /// Whose money it is.
    pub user_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    /// Signed minor units: money in is positive, money out negative.
    pub amount_minor: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub provider: PaymentProvider,
    pub provider_reference: Option<String>,
    /// Who recorded it (none when a provider reported it).
    pub recorded_by: Option<Uuid>,
    /// Why the money moved, in words.
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// The refund a `refund` row records.
    pub refund_id: Option<Uuid>,
    /// The membership plan the money was for, if any.
    pub plan_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
