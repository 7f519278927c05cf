//! The append-only, hash-chained audit log.

use domain::audit::Classification;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Position in the chain, starting at 1, without gaps.
    #[sea_orm(unique)]
    pub seq: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// JSON text, hashed byte for byte.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    /// `security`, `administration` or `circle` (who may read the entry, and how much).
    pub classification: Classification,
    /// 1: the chain hashes the details themselves; 2: it hashes `subject_digest`.
    pub format: i16,
    /// Random, per row (format 2): makes the digest of a short value unguessable.
    pub salt: Option<String>,
    /// Salted digest of actor, target, address, request id and details (format 2).
    pub subject_digest: Option<String>,
    /// When the row's personal details were erased (the chain still verifies).
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
