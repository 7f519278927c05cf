//! A Stripe webhook event received: its id is the key that makes a repeated delivery do
//! nothing. The event is only a trigger; the object it names is read back from Stripe.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    /// Stripe's event id (`evt_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Stripe's event type, e.g. `payment_intent.succeeded`.
    pub kind: String,
    /// The id of the object it is about (a PaymentIntent `pi_…`), when it names one.
    pub object_id: Option<String>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
