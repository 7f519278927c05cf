//! A membership plan an Admin offers: an amount paid every month or year. Archived plans
//! are offered no more but stay for the memberships recorded on them.

use domain::membership::PlanInterval;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Integer minor units (cents) per interval.
    pub amount_minor: i64,
    pub currency: String,
    pub interval: PlanInterval,
    /// When it stopped being offered; none while it is.
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
