//! The hash chain: each record's hash covers the one before it, so editing, deleting or
//! reordering records is detectable.
//!
//! Two formats live in one chain. Format 1 (rows written before m0005) hashes every field
//! itself. Format 2 hashes the fields that say *what* happened directly, and the fields
//! that say *who* (actor, target id, address, request id, details) through a salted digest
//! kept in the row. Erasing a person's details later blanks those fields and the salt but
//! keeps the digest, so the chain still verifies (docs/architecture.md, "Audit log").

use super::GENESIS;
use crate::Result;
use chrono::Utc;
use db::main_db::audit_log;
use db::sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The current format.
pub(super) const FORMAT: i16 = 2;

fn hash_fields<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for f in fields {
        // Length-prefixed, so text moved from one field to the next changes the hash.
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

fn opt(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or_default()
}

/// The salted digest of who acted, on whom, from where, and the details.
pub(super) fn subject_digest(r: &audit_log::Model) -> String {
    let actor = r.actor_id.map(|a| a.to_string()).unwrap_or_default();
    hash_fields([
        opt(&r.salt),
        actor.as_str(),
        opt(&r.target_id),
        opt(&r.ip),
        opt(&r.request_id),
        r.details.as_str(),
    ])
}

/// The record's place in the chain.
pub(super) fn chain_hash(r: &audit_log::Model) -> String {
    let seq = r.seq.to_string();
    let at = r.occurred_at.timestamp_micros().to_string();
    if r.format == 1 {
        let actor = r.actor_id.map(|a| a.to_string()).unwrap_or_default();
        return hash_fields([
            seq.as_str(),
            at.as_str(),
            actor.as_str(),
            r.action.as_str(),
            opt(&r.target_type),
            opt(&r.target_id),
            opt(&r.ip),
            opt(&r.request_id),
            r.details.as_str(),
            r.prev_hash.as_str(),
        ]);
    }
    hash_fields([
        "v2",
        seq.as_str(),
        at.as_str(),
        r.action.as_str(),
        r.classification.as_str(),
        opt(&r.target_type),
        opt(&r.subject_digest),
        r.prev_hash.as_str(),
    ])
}

/// What is wrong with one record, given the hash of the one before it.
fn problem_with(r: &audit_log::Model, expected_seq: i64, prev: &str) -> Option<String> {
    if r.seq != expected_seq {
        return Some(format!("record {expected_seq} is missing"));
    }
    if r.prev_hash != prev {
        return Some("does not link to the record before it".to_owned());
    }
    if chain_hash(r) != r.hash {
        return Some("its contents were changed after it was written".to_owned());
    }
    let details_kept = r.format == FORMAT && r.erased_at.is_none();
    if details_kept && r.subject_digest.as_deref() != Some(subject_digest(r).as_str()) {
        return Some("its people or details were changed after it was written".to_owned());
    }
    None
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
#[tracing::instrument(skip_all, err(level = "info"))]
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
            if let Some(problem) = problem_with(&r, expected_seq, &prev) {
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

/// Blanks the personal details (actor, target, address, request id, details) of every
/// record that names `user_id` as actor or target, keeping the chain verifiable; returns
/// how many records were erased. Records written before format 2 cannot be erased this way
/// and are left as they are (their count is the second number).
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn erase_person(txn: &impl ConnectionTrait, user_id: Uuid) -> Result<(u64, u64)> {
    let names = db::sea_orm::Condition::any()
        .add(audit_log::Column::ActorId.eq(user_id))
        .add(audit_log::Column::TargetId.eq(user_id.to_string()));
    let erased = audit_log::Entity::update_many()
        .set(audit_log::ActiveModel {
            actor_id: Set(None),
            target_id: Set(None),
            ip: Set(None),
            request_id: Set(None),
            details: Set("{}".to_owned()),
            salt: Set(None),
            // The machine's time, like every audit time (see `audit::record`).
            erased_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(names.clone())
        .filter(audit_log::Column::Format.eq(FORMAT))
        .filter(audit_log::Column::ErasedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected;
    let legacy = audit_log::Entity::find()
        .filter(names)
        .filter(audit_log::Column::Format.ne(FORMAT))
        .count(txn)
        .await?;
    let legacy: u64 = legacy;
    Ok((erased, legacy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::audit::Classification;

    fn sample(format: i16) -> audit_log::Model {
        let mut r = audit_log::Model {
            id: Uuid::nil(),
            seq: 1,
            occurred_at: Utc::now(),
            actor_id: Some(Uuid::now_v7()),
            action: "login_failed".into(),
            target_type: None,
            target_id: None,
            ip: Some("127.0.0.1".into()),
            request_id: None,
            details: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            classification: Classification::Security,
            format,
            salt: Some("00112233445566778899aabbccddeeff".into()),
            subject_digest: None,
            erased_at: None,
        };
        r.subject_digest = Some(subject_digest(&r));
        r.hash = chain_hash(&r);
        r
    }

    #[test]
    fn every_field_is_covered_in_both_formats() {
        for format in [1, 2] {
            let base = sample(format);
            assert!(problem_with(&base, 1, GENESIS).is_none());
            let mut changed = base.clone();
            changed.ip = Some("10.0.0.1".into());
            assert!(problem_with(&changed, 1, GENESIS).is_some(), "{format}");
            let mut changed = base.clone();
            changed.details = "{\"x\":1}".into();
            assert!(problem_with(&changed, 1, GENESIS).is_some(), "{format}");
            let mut changed = base.clone();
            changed.action = "login_succeeded".into();
            assert!(problem_with(&changed, 1, GENESIS).is_some(), "{format}");
        }
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let mut a = sample(1);
        a.target_type = Some("ab".into());
        a.target_id = Some("c".into());
        let mut b = a.clone();
        b.target_type = Some("a".into());
        b.target_id = Some("bc".into());
        assert_ne!(chain_hash(&a), chain_hash(&b));
    }

    #[test]
    fn an_erased_record_still_fits_the_chain_but_a_forged_one_does_not() {
        let mut r = sample(2);
        r.actor_id = None;
        r.ip = None;
        r.salt = None;
        r.details = "{}".into();
        r.erased_at = Some(Utc::now());
        assert!(problem_with(&r, 1, GENESIS).is_none());
        // Someone who replaces the details without marking the row erased is caught.
        let mut forged = sample(2);
        forged.actor_id = Some(Uuid::now_v7());
        assert!(problem_with(&forged, 1, GENESIS).is_some());
        // …and so is one who changes what happened on an erased row.
        r.classification = Classification::Administration;
        assert!(problem_with(&r, 1, GENESIS).is_some());
    }
}
