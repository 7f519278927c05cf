//! One period of a member's paid membership on a plan: from `period_start` to
//! `period_end`, with the payment that paid for it. Recorded offline by an Admin today;
//! a provider's subscription later, under its `provider_reference` (unique per provider).

use domain::membership::MembershipStatus;
use domain::payment::PaymentProvider;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The member.
    pub user_id: Uuid,
    pub plan_id: Uuid,
    pub period_start: DateTimeUtc,
    /// The first moment not covered.
    pub period_end: DateTimeUtc,
    /// What was paid for the period, in minor units.
    pub amount_minor: i64,
    pub currency: String,
    pub payment_id: Option<Uuid>,
    pub provider: PaymentProvider,
    pub provider_reference: Option<String>,
    pub status: MembershipStatus,
    /// The recorder's note (a transfer's reference).
    pub note: Option<String>,
    /// Who recorded an offline membership.
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// When the lapse sweep found it over without a renewal (and told the member).
    pub lapsed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
