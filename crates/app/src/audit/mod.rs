//! The audit log: every state change and security event, appended in the same transaction
//! as the change, hash-chained so that editing or deleting a record is detectable.
//!
//! Confidentiality holds here too: an entry classified [`Classification::Circle`] is
//! written without a person, an address or any words (the reasons stay with the circle's
//! own records), so no reader of the log — and no thief of the database — learns who is in
//! which circle from it.

mod action;
mod chain;
mod names;

pub use action::{Action, Classification};
pub use chain::{erase_person, verify, ChainReport};
pub use names::{names, PeopleNames, ERASED};

use crate::authz::{can, Granted};
use crate::page::{Page, PageRequest};
use crate::{RequestMeta, Result};
use chrono::{DateTime, SubsecRound, Utc};
use db::main_db::audit_log;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use domain::SingleLine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Serialises appends on PostgreSQL so the chain has one head.
const CHAIN_LOCK: i64 = 0x0c1c_1e5a_0d17;

/// One thing that happened, before it is chained.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Option<Uuid>,
    pub action: Action,
    classification: Classification,
    pub target: Option<(&'static str, String)>,
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(action: Action) -> Self {
        Entry {
            actor: None,
            action,
            classification: action.classification(),
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
    /// Marks the entry as circle business when `private` (a registration for an event
    /// only a circle's members may join says who is in that circle).
    pub fn within_circle(mut self, private: bool) -> Self {
        if private {
            self.classification = Classification::Circle;
        }
        self
    }

    /// What the entry keeps once classified: circle entries lose the actor, the address,
    /// a target that is a person, and every detail that is not a number.
    fn confined(mut self) -> (Self, bool) {
        let circle = self.classification.hides_people();
        if circle {
            self.actor = None;
            if self.target.as_ref().is_some_and(|t| t.0 == "user") {
                self.target = None;
            }
            self.details = numbers_only(&self.details);
        }
        (self, circle)
    }
}

/// The numeric members of a JSON object (counts survive; names, ids and words do not).
fn numbers_only(details: &serde_json::Value) -> serde_json::Value {
    let kept = details
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| v.is_number())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    serde_json::Value::Object(kept)
}

fn random_salt() -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    hex::encode(salt)
}

/// Appends `entry` inside the caller's write transaction (see `db::begin_write`).
#[tracing::instrument(skip_all, fields(action = entry.action.as_str()), err(level = "info"))]
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
    let (entry, circle) = entry.confined();
    let mut row = audit_log::Model {
        id: Uuid::now_v7(),
        seq,
        // The machine's own time, not the context's clock: the audit log is evidence of
        // when something really happened, so nothing that can move time may date it.
        occurred_at: Utc::now().trunc_subsecs(6),
        actor_id: entry.actor,
        action: entry.action.as_str().to_owned(),
        target_type: entry.target.as_ref().map(|t| t.0.to_owned()),
        target_id: entry.target.map(|t| t.1),
        ip: if circle { None } else { meta.ip.clone() },
        request_id: meta.request_id.clone(),
        details: entry.details.to_string(),
        prev_hash,
        hash: String::new(),
        classification: entry.classification,
        format: chain::FORMAT,
        salt: Some(random_salt()),
        subject_digest: None,
        erased_at: None,
    };
    row.subject_digest = Some(chain::subject_digest(&row));
    row.hash = chain::chain_hash(&row);
    audit_log::ActiveModel::from(row).insert(txn).await?;
    Ok(())
}

/// Appends `entry` in a transaction of its own (events that change nothing else, such as
/// a failed login).
#[tracing::instrument(skip_all, fields(action = entry.action.as_str()), err(level = "info"))]
pub async fn record_alone(db: &DatabaseConnection, meta: &RequestMeta, entry: Entry) -> Result<()> {
    let txn = db::begin_write(db).await?;
    record(&txn, meta, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Filters for reading the log.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Exact action name, e.g. `login_failed`.
    #[param(inline)]
    pub action: Option<SingleLine<64>>,
    /// `security`, `administration` or `circle`.
    #[param(value_type = Option<crate::api_schema::Classification>)]
    pub classification: Option<Classification>,
    pub actor_id: Option<Uuid>,
    /// The id of the user (or other record) acted on.
    #[param(inline)]
    pub target_id: Option<SingleLine<64>>,
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
    /// What happened, in words.
    pub action_label: String,
    #[schema(value_type = crate::api_schema::Classification)]
    pub classification: Classification,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    /// The person's details in this record were erased (the chain still verifies).
    pub erased: bool,
    pub hash: String,
}

impl From<audit_log::Model> for AuditRecord {
    fn from(r: audit_log::Model) -> Self {
        let action = Action::parse(&r.action);
        // Circle business written before classification existed may still name people:
        // it is shown the way new circle entries are written, without them.
        let circle = r.classification.hides_people()
            || action.is_some_and(|a| a.classification().hides_people());
        let classification = if circle {
            Classification::Circle
        } else {
            r.classification
        };
        let details = serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null);
        let user_target = r.target_type.as_deref() == Some("user");
        AuditRecord {
            id: r.id,
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor_id: if circle { None } else { r.actor_id },
            action_label: action.map_or_else(|| r.action.clone(), |a| a.label().to_owned()),
            action: r.action,
            classification,
            target_id: if circle && user_target {
                None
            } else {
                r.target_id
            },
            target_type: r.target_type,
            ip: if circle { None } else { r.ip },
            request_id: r.request_id,
            details: if circle {
                numbers_only(&details)
            } else {
                details
            },
            erased: r.erased_at.is_some(),
            hash: r.hash,
        }
    }
}

/// Newest first. Needs `ReadAuditLog`.
#[tracing::instrument(skip_all, fields(actor_id = %_granted.actor_id()), err(level = "info"))]
pub async fn list(
    db: &DatabaseConnection,
    _granted: Granted<can::ReadAuditLog>,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRecord>> {
    let limit = page.limit()?;
    let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq);
    if let Some(seq) = page.cursor_as::<i64>()? {
        q = q.filter(audit_log::Column::Seq.lt(seq));
    }
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::Column::Action.eq(a.as_str()));
    }
    if let Some(c) = filter.classification {
        q = q.filter(audit_log::Column::Classification.eq(c));
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

    #[test]
    fn circle_entries_keep_no_person_address_or_words() {
        let person = Uuid::now_v7();
        let (e, circle) = Entry::new(Action::CircleMemberRemoved)
            .by(person)
            .on("circle", Uuid::nil())
            .details(
                serde_json::json!({ "user_id": person, "reason": "said too much", "seats": 3 }),
            )
            .confined();
        assert!(circle);
        assert_eq!(e.actor, None);
        assert_eq!(e.details, serde_json::json!({ "seats": 3 }));
        assert_eq!(e.target.map(|t| t.0), Some("circle"));
    }

    #[test]
    fn other_entries_are_kept_whole() {
        let person = Uuid::now_v7();
        let (e, circle) = Entry::new(Action::RoleGranted)
            .by(person)
            .user(Uuid::nil())
            .details(serde_json::json!({ "role": "admin" }))
            .confined();
        assert!(!circle);
        assert_eq!(e.actor, Some(person));
        assert_eq!(e.details["role"], "admin");
    }

    #[test]
    fn a_registration_for_a_circle_event_becomes_circle_business() {
        let (e, circle) = Entry::new(Action::EventRegistered)
            .by(Uuid::now_v7())
            .within_circle(true)
            .confined();
        assert!(circle);
        assert_eq!(e.actor, None);
    }
}
