//! A membership paid by card: a Stripe subscription a member started on a plan. Each
//! invoice it pays becomes a `memberships` period; this row keeps what Stripe last said
//! about the subscription itself.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The member.
    pub user_id: Uuid,
    pub plan_id: Uuid,
    /// His Stripe Customer (`cus_…`).
    pub customer_id: String,
    /// The SetupIntent that saved his card (`seti_…`); confirming it again finds this row.
    pub setup_intent_id: String,
    /// Stripe's subscription (`sub_…`).
    pub subscription_id: String,
    /// Stripe's status: `active`, `past_due`, `canceled`, `incomplete`, …
    pub status: String,
    /// He cancelled: no renewal after the current period.
    pub cancel_at_period_end: bool,
    /// The last invoice whose payment failed and that he was told about.
    pub failed_invoice_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
