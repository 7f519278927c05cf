//! The audit log: every state change and security event, appended in the same transaction
//! as the change, hash-chained so that editing or deleting a record is detectable.

use crate::authz::Granted;
use crate::page::{Page, PageRequest};
use crate::{Error, RequestMeta, Result};
use chrono::{DateTime, SubsecRound, Utc};
use db::main_db::audit_log;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Serialises appends on PostgreSQL so the chain has one head.
const CHAIN_LOCK: i64 = 0x0c1c_1e5a_0d17;

/// One thing that happened, before it is chained.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Option<Uuid>,
    pub action: &'static str,
    pub target: Option<(&'static str, String)>,
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(action: &'static str) -> Self {
        Entry {
            actor: None,
            action,
            target: None,
            details: serde_json::json!({}),
        }
    }
    pub fn by(mut self, actor: Uuid) -> Self {
        self.actor = Some(actor);
        self
    }
    pub fn on(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.target = Some((kind, id.to_string()));
        self
    }
    pub fn user(self, id: Uuid) -> Self {
        self.on("user", id)
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends `entry` inside the caller's write transaction (see `db::begin_write`).
pub async fn record(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    entry: Entry,
) -> Result<(), db::sea_orm::DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [CHAIN_LOCK.into()],
        ))
        .await?;
    }
    let head = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .limit(1)
        .one(txn)
        .await?;
    let (seq, prev_hash) = head
        .map(|h| (h.seq + 1, h.hash))
        .unwrap_or((1, GENESIS.to_owned()));
    let mut row = audit_log::Model {
        id: Uuid::now_v7(),
        seq,
        occurred_at: Utc::now().trunc_subsecs(6),
        actor_id: entry.actor,
        action: entry.action.to_owned(),
        target_type: entry.target.as_ref().map(|t| t.0.to_owned()),
        target_id: entry.target.map(|t| t.1),
        ip: meta.ip.clone(),
        request_id: meta.request_id.clone(),
        details: entry.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain_hash(&row);
    audit_log::ActiveModel::from(row).insert(txn).await?;
    Ok(())
}

/// Appends `entry` in a transaction of its own (events that change nothing else, such as
/// a failed login).
pub async fn record_alone(db: &DatabaseConnection, meta: &RequestMeta, entry: Entry) -> Result<()> {
    let txn = db::begin_write(db).await?;
    record(&txn, meta, entry).await?;
    txn.commit().await?;
    Ok(())
}

fn chain_hash(r: &audit_log::Model) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let fields = [
        r.seq.to_string(),
        r.occurred_at.timestamp_micros().to_string(),
        r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        r.action.clone(),
        opt(&r.target_type),
        opt(&r.target_id),
        opt(&r.ip),
        opt(&r.request_id),
        r.details.clone(),
        r.prev_hash.clone(),
    ];
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub intact: bool,
    /// Records checked.
    pub records: u64,
    /// The first record that does not fit the chain, when broken.
    pub first_broken_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Walks the chain from the first record and reports the first break.
pub async fn verify(db: &DatabaseConnection) -> Result<ChainReport> {
    // One read transaction, so concurrent appends cannot look like a break.
    let txn = db.begin().await?;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_owned();
    let mut records = 0u64;
    loop {
        let batch = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(1000)
            .all(&txn)
            .await?;
        if batch.is_empty() {
            break;
        }
        for r in batch {
            let problem = if r.seq != expected_seq {
                Some(format!("record {expected_seq} is missing"))
            } else if r.prev_hash != prev {
                Some("does not link to the record before it".to_owned())
            } else if chain_hash(&r) != r.hash {
                Some("its contents were changed after it was written".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Ok(ChainReport {
                    intact: false,
                    records,
                    first_broken_seq: Some(expected_seq),
                    problem: Some(problem),
                });
            }
            records += 1;
            expected_seq += 1;
            prev = r.hash;
        }
    }
    txn.commit().await?;
    Ok(ChainReport {
        intact: true,
        records,
        first_broken_seq: None,
        problem: None,
    })
}

/// Filters for reading the log.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Exact action name, e.g. `login_failed`.
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    /// The id of the user (or other record) acted on.
    pub target_id: Option<String>,
    /// Only records at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub since: Option<DateTime<Utc>>,
    /// Only records before this time (RFC 3339).
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: Uuid,
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub hash: String,
}

impl From<audit_log::Model> for AuditRecord {
    fn from(r: audit_log::Model) -> Self {
        AuditRecord {
            id: r.id,
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor_id: r.actor_id,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            ip: r.ip,
            request_id: r.request_id,
            details: serde_json::from_str(&r.details)
                .unwrap_or(serde_json::Value::String(r.details)),
            hash: r.hash,
        }
    }
}

/// Newest first. Needs `ReadAuditLog`.
pub async fn list(
    db: &DatabaseConnection,
    _granted: Granted,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRecord>> {
    let limit = page.limit()?;
    let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq);
    if let Some(cursor) = &page.cursor {
        let seq: i64 = cursor.parse().map_err(|_| {
            Error::invalid(
                "cursor",
                "This cursor is not valid; start from the first page.",
            )
        })?;
        q = q.filter(audit_log::Column::Seq.lt(seq));
    }
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::Column::Action.eq(a.as_str()));
    }
    if let Some(a) = filter.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(t) = &filter.target_id {
        q = q.filter(audit_log::Column::TargetId.eq(t.as_str()));
    }
    if let Some(s) = filter.since {
        q = q.filter(audit_log::Column::OccurredAt.gte(s));
    }
    if let Some(u) = filter.until {
        q = q.filter(audit_log::Column::OccurredAt.lt(u));
    }
    let rows = q.limit(limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, limit, |r| r.seq.to_string()).map(AuditRecord::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> audit_log::Model {
        audit_log::Model {
            id: Uuid::nil(),
            seq: 1,
            occurred_at: Utc::now(),
            actor_id: None,
            action: "login_failed".into(),
            target_type: None,
            target_id: None,
            ip: Some("127.0.0.1".into()),
            request_id: None,
            details: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = sample();
        let h = chain_hash(&base);
        let mut changed = base.clone();
        changed.ip = Some("10.0.0.1".into());
        assert_ne!(chain_hash(&changed), h);
        let mut changed = base.clone();
        changed.details = "{\"x\":1}".into();
        assert_ne!(chain_hash(&changed), h);
        // Field boundaries are unambiguous: moving text between fields changes the hash.
        let mut a = base.clone();
        a.target_type = Some("ab".into());
        a.target_id = Some("c".into());
        let mut b = base;
        b.target_type = Some("a".into());
        b.target_id = Some("bc".into());
        assert_ne!(chain_hash(&a), chain_hash(&b));
    }
}
