//! Who was at a meeting: recording it, reading it back, and a member's own history.

use super::changes::{meeting_in, refuse_if_cancelled};
use super::MyAttendance;
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{active_membership, Leading};
use crate::authz::Actor;
use crate::circles::errors::CircleError;
use crate::circles::{lock_circle, refuse_if_archived};
use crate::{Context, RequestMeta, Result};
use db::main_db::{attendance, circles, meetings};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::meeting::AttendanceStatus;
use std::collections::HashMap;
use uuid::Uuid;

/// Records attendance for a scheduled meeting that has started: one status per active
/// member of the circle, replacing what was recorded before.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn record_attendance(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    meeting_id: Uuid,
    entries: Vec<(Uuid, AttendanceStatus)>,
) -> Result<Vec<(Uuid, AttendanceStatus)>> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    let m = meeting_in(&txn, lead, meeting_id).await?;
    refuse_if_cancelled(&m)?;
    if m.starts_at > now {
        return Err(CircleError::MeetingNotStarted.into());
    }
    for (user_id, status) in &entries {
        if active_membership(&txn, circle.id, *user_id)
            .await?
            .is_none()
        {
            return Err(CircleError::NotAMember.into());
        }
        let existing = attendance::Entity::find_by_id((m.id, *user_id))
            .one(&txn)
            .await?;
        match existing {
            Some(a) => {
                let mut row: attendance::ActiveModel = a.into();
                row.status = Set(*status);
                row.recorded_by = Set(Some(lead.actor_id()));
                row.recorded_at = Set(now);
                row.update(&txn).await?;
            }
            None => {
                attendance::ActiveModel {
                    meeting_id: Set(m.id),
                    user_id: Set(*user_id),
                    status: Set(*status),
                    recorded_by: Set(Some(lead.actor_id())),
                    recorded_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    audit::record(
        &txn,
        meta,
        Entry::new(Action::AttendanceRecorded)
            .by(lead.actor_id())
            .on("meeting", m.id)
            .details(serde_json::json!({ "entries": entries.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(entries)
}

/// What was recorded at a meeting of the led circle, per person (`present`, `absent` or
/// `excused`), to pre-fill the attendance form.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn attendance_of(
    ctx: &Context,
    lead: &Leading,
    meeting_id: Uuid,
) -> Result<HashMap<Uuid, AttendanceStatus>> {
    meeting_in(&ctx.main, lead, meeting_id).await?;
    Ok(attendance::Entity::find()
        .filter(attendance::Column::MeetingId.eq(meeting_id))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|a| (a.user_id, a.status))
        .collect())
}

/// The actor's own attendance history, newest meeting first.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn my_attendance(ctx: &Context, actor: &Actor) -> Result<Vec<MyAttendance>> {
    let rows = attendance::Entity::find()
        .filter(attendance::Column::UserId.eq(actor.id()))
        .all(&ctx.main)
        .await?;
    let meetings: HashMap<Uuid, meetings::Model> = meetings::Entity::find()
        .filter(meetings::Column::Id.is_in(rows.iter().map(|a| a.meeting_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let names: HashMap<Uuid, String> = circles::Entity::find()
        .filter(circles::Column::Id.is_in(meetings.values().map(|m| m.circle_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut out: Vec<MyAttendance> = rows
        .into_iter()
        .filter_map(|a| {
            let m = meetings.get(&a.meeting_id)?;
            Some(MyAttendance {
                meeting_id: m.id,
                circle_id: m.circle_id,
                circle_name: names.get(&m.circle_id).cloned().unwrap_or_default(),
                starts_at: m.starts_at,
                status: a.status,
            })
        })
        .collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
    Ok(out)
}
