//! A gift to the scholarship fund paid by card: the PaymentIntent a member started for it,
//! pending until Stripe says how it ended. A gift that succeeds is a `donations` row (with
//! its ledger row), which this one points at.

use domain::payment::PaymentStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_gifts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The donor.
    pub user_id: Uuid,
    /// Integer minor units, more than zero.
    pub amount_minor: i64,
    pub currency: String,
    /// Stripe's PaymentIntent (`pi_…`).
    pub payment_intent_id: String,
    /// Only moves forward, as a payment's does.
    pub status: PaymentStatus,
    /// The donation it became, once paid.
    pub donation_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
