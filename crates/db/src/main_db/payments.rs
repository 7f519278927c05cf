//! A payment: money paid by one person, for a seat at an event or a membership period,
//! offline (cash, bank transfer) or through a provider whose reference is kept.

use domain::payment::{PaymentMethod, PaymentProvider, PaymentStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who paid.
    pub user_id: Uuid,
    pub event_id: Option<Uuid>,
    pub registration_id: Option<Uuid>,
    /// Integer minor units (cents).
    pub amount_minor: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub provider: PaymentProvider,
    /// The provider's id for it (a Stripe PaymentIntent); unique per provider.
    pub provider_reference: Option<String>,
    pub status: PaymentStatus,
    /// The recorder's note (a transfer's reference, who handed over the cash).
    pub note: Option<String>,
    /// Who recorded an offline payment.
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub succeeded_at: Option<DateTimeUtc>,
    /// The membership plan paid for (none for an event's seat).
    pub plan_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
