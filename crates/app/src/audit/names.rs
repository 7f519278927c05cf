//! Who the audit log's records name, in words: the display names of the actors and of the
//! people acted on, so a reader sees "Anna Admin suspended Bob" rather than two UUIDs.
//!
//! Only security and administration records name anyone: circle records already carry
//! no person (see [`AuditRecord`]'s conversion), and are skipped here as well, so a circle
//! record can never gain a name through this lookup.

use super::AuditRecord;
use crate::authz::{can, Granted};
use crate::Result;
use db::main_db::users;
use db::sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the log shows for someone whose details were erased or whose account is gone.
pub const ERASED: &str = "(erased)";

/// The display names of the people a page of records names, found in one query.
#[derive(Debug, Default)]
pub struct PeopleNames(HashMap<Uuid, String>);

impl PeopleNames {
    /// The display name of `id`, or [`ERASED`] when no such person is left.
    pub fn of(&self, id: &Uuid) -> &str {
        self.0.get(id).map_or(ERASED, String::as_str)
    }

    /// The display name of a record's target when it is a person (`None` otherwise).
    pub fn target_of(&self, r: &AuditRecord) -> Option<&str> {
        person_target(r).map(|id| self.of(&id))
    }
}

/// The person a record acts on, when it names one.
fn person_target(r: &AuditRecord) -> Option<Uuid> {
    if r.classification.hides_people() || r.target_type.as_deref() != Some("user") {
        return None;
    }
    r.target_id.as_deref().and_then(|t| t.parse().ok())
}

/// Every person `records` name (actors and targets, never in circle records).
fn named_in(records: &[AuditRecord]) -> HashSet<Uuid> {
    records
        .iter()
        .filter(|r| !r.classification.hides_people())
        .flat_map(|r| r.actor_id.into_iter().chain(person_target(r)))
        .collect()
}

/// Looks up, in one query, the display names of everyone `records` name. Needs
/// `ReadAuditLog`, like the records themselves.
#[tracing::instrument(skip_all, fields(records = records.len()), err(level = "info"))]
pub async fn names(
    db: &DatabaseConnection,
    _granted: Granted<can::ReadAuditLog>,
    records: &[AuditRecord],
) -> Result<PeopleNames> {
    let ids: Vec<Uuid> = named_in(records).into_iter().collect();
    if ids.is_empty() {
        return Ok(PeopleNames::default());
    }
    let rows: Vec<(Uuid, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::DisplayName)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(PeopleNames(rows.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Action, Classification};
    use chrono::Utc;

    fn record(classification: Classification, actor: Uuid, target: Uuid) -> AuditRecord {
        AuditRecord {
            id: Uuid::now_v7(),
            seq: 1,
            occurred_at: Utc::now(),
            actor_id: Some(actor),
            action: Action::RoleGranted.as_str().to_owned(),
            action_label: String::new(),
            classification,
            target_type: Some("user".to_owned()),
            target_id: Some(target.to_string()),
            ip: None,
            request_id: None,
            details: serde_json::json!({}),
            erased: false,
            hash: String::new(),
        }
    }

    #[test]
    fn circle_records_name_no_one_even_if_they_carried_ids() {
        let (a, b, c, d) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let records = [
            record(Classification::Security, a, b),
            record(Classification::Circle, c, d),
        ];
        assert_eq!(named_in(&records), HashSet::from([a, b]));
        let names = PeopleNames(HashMap::from([(a, "Anna".to_owned())]));
        assert_eq!(names.of(&a), "Anna");
        assert_eq!(names.target_of(&records[0]), Some(ERASED));
        assert_eq!(names.target_of(&records[1]), None);
    }
}
