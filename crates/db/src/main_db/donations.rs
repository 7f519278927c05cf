//! A gift to the scholarship fund: on its own (recorded by an Admin, or a card payment
//! later) or paid beyond a price ("pay it forward"). Its money is the ledger row it points at.

use domain::payment::{PaymentMethod, PaymentProvider};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "donations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The donor, when known.
    pub user_id: Option<Uuid>,
    /// Integer minor units, more than zero.
    pub amount_minor: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub provider: PaymentProvider,
    /// The provider's id for it (a Stripe PaymentIntent); unique per provider.
    pub provider_reference: Option<String>,
    /// The payment it was given with, when paid beyond a price.
    pub payment_id: Option<Uuid>,
    /// The recorder's note, shown on the donor's receipt.
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub ledger_entry_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
