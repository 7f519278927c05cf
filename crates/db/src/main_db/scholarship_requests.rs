//! A member's request for a reduced price on one registration, and its decision. The
//! reason and the reviewer's note are kept only encrypted (the field key, bound to the
//! request): a copy of the database does not reveal why someone asked.

use domain::scholarship::ScholarshipStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scholarship_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub registration_id: Uuid,
    pub event_id: Uuid,
    /// Who asked.
    pub user_id: Uuid,
    pub status: ScholarshipStatus,
    /// The reason, AES-GCM under field key `reason_key_version`.
    pub reason_at_rest: Option<String>,
    pub reason_key_version: Option<i32>,
    /// Once granted: what he pays (minor units, may be 0).
    pub amount_due_minor: Option<i64>,
    /// Once granted: what the scholarship fund covers.
    pub covered_minor: Option<i64>,
    /// The event's currency when he asked.
    pub currency: String,
    /// The reviewer's note to him, encrypted like the reason.
    pub decision_note_at_rest: Option<String>,
    pub decision_note_key_version: Option<i32>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    /// The fund's `scholarship` ledger row, written when the seat is confirmed.
    pub ledger_entry_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
