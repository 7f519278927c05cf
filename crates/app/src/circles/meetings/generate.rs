//! Generating meetings from a circle's cadence.

use super::{Generated, MAX_AHEAD_WEEKS};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Leading;
use crate::circles::{lock_circle, refuse_if_archived};
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{circles, meetings};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use domain::cadence::Cadence;
use domain::meeting::MeetingStatus;
use std::collections::HashSet;
use uuid::Uuid;

fn cadence_of(c: &circles::Model) -> Result<Cadence> {
    Cadence::parse(
        c.frequency.as_str(),
        &c.weekday,
        &c.meeting_time,
        &c.time_zone,
        &c.anchor_date.format("%Y-%m-%d").to_string(),
    )
    .map_err(Error::Invalid)
}

/// Creates a scheduled meeting for every cadence occurrence from now until `until` (at most
/// 26 weeks ahead) that has none yet. Calling it again creates nothing new.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn generate_meetings(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    until: DateTime<Utc>,
) -> Result<Generated> {
    let now = ctx.now();
    let until = until.min(now + Duration::weeks(MAX_AHEAD_WEEKS));
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    let cadence = cadence_of(&circle)?;
    let starts = if until > now {
        cadence.occurrences(now, until)
    } else {
        Vec::new()
    };
    let existing: HashSet<DateTime<Utc>> = if starts.is_empty() {
        HashSet::new()
    } else {
        // An occurrence is taken by the meeting made for it, and by any planned meeting
        // already starting then (one added or moved there by hand).
        meetings::Entity::find()
            .filter(meetings::Column::CircleId.eq(circle.id))
            .filter(
                Condition::any()
                    .add(meetings::Column::OriginAt.is_in(starts.iter().copied()))
                    .add(meetings::Column::StartsAt.is_in(starts.iter().copied())),
            )
            .all(&txn)
            .await?
            .into_iter()
            .flat_map(|m| {
                let planned = (!m.status.is_cancelled()).then_some(m.starts_at);
                [m.origin_at, planned]
            })
            .flatten()
            .collect()
    };
    let mut created = 0;
    for at in starts.into_iter().filter(|t| !existing.contains(t)) {
        meetings::ActiveModel {
            id: Set(Uuid::now_v7()),
            circle_id: Set(circle.id),
            starts_at: Set(at),
            duration_minutes: Set(circle.duration_minutes),
            status: Set(MeetingStatus::Scheduled),
            origin_at: Set(Some(at)),
            location: Set(circle.location.clone()),
            note: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        created += 1;
    }
    if created > 0 {
        audit::record(
            &txn,
            meta,
            Entry::new(Action::MeetingsGenerated)
                .by(lead.actor_id())
                .on("circle", circle.id)
                .details(serde_json::json!({ "created": created, "until": until })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Generated { created, until })
}
