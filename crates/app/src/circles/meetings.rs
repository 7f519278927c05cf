//! Meetings and attendance: generating meetings from a circle's cadence, adding, moving
//! and cancelling them, and recording who was there.
//!
//! Generation is idempotent: a generated meeting remembers the cadence occurrence it was
//! made for (`origin_at`, unique per circle), and occurrences that already have a meeting
//! (even a moved or cancelled one) are skipped inside the write transaction.

use super::errors::CircleError;
use super::jobs::{MeetingNotice, SendMeetingNotice};
use super::{lock_circle, optional_text, refuse_if_archived};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{active_membership, InCircle, Leading};
use crate::authz::Actor;
use crate::jobs::Job;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{attendance, circle_memberships, circles, meetings};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use domain::cadence::Cadence;
use domain::circle::MembershipStatus;
use domain::meeting::{AttendanceStatus, MeetingStatus};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Meetings are generated at most this far ahead.
pub const MAX_AHEAD_WEEKS: i64 = 26;

/// One meeting of a circle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Meeting {
    pub id: Uuid,
    pub circle_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// `scheduled` or `cancelled`.
    #[schema(value_type = String)]
    pub status: MeetingStatus,
    /// The cadence occurrence it was generated for; none when added by hand.
    pub origin_at: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub note: Option<String>,
}

impl From<meetings::Model> for Meeting {
    fn from(m: meetings::Model) -> Self {
        Meeting {
            id: m.id,
            circle_id: m.circle_id,
            starts_at: m.starts_at,
            duration_minutes: m.duration_minutes,
            status: m.status,
            origin_at: m.origin_at,
            location: m.location,
            note: m.note,
        }
    }
}

/// One line of a member's own attendance history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyAttendance {
    pub meeting_id: Uuid,
    pub circle_id: Uuid,
    pub circle_name: String,
    pub starts_at: DateTime<Utc>,
    /// `present`, `absent` or `excused`.
    #[schema(value_type = String)]
    pub status: AttendanceStatus,
}

/// What `generate_meetings` did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Generated {
    /// Meetings created by this call (0 when they all existed already).
    pub created: usize,
    /// The end of the window actually used (capped 26 weeks ahead).
    pub until: DateTime<Utc>,
}

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

/// The circle's meetings starting in `[from, until)`, earliest first (for those inside it:
/// meeting notes are the circle's own).
#[tracing::instrument(skip_all, fields(actor_id = %inside.actor_id(), circle_id = %inside.circle_id()), err(level = "info"))]
pub async fn list_meetings(
    ctx: &Context,
    inside: &InCircle,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Meeting>> {
    let mut q = meetings::Entity::find().filter(meetings::Column::CircleId.eq(inside.circle_id()));
    if let Some(f) = from {
        q = q.filter(meetings::Column::StartsAt.gte(f));
    }
    if let Some(u) = until {
        q = q.filter(meetings::Column::StartsAt.lt(u));
    }
    let mut rows = q.all(&ctx.main).await?;
    rows.sort_by_key(|m| (m.starts_at, m.id));
    Ok(rows.into_iter().map(Meeting::from).collect())
}

/// The circle a meeting belongs to (so the caller can check who leads it).
#[tracing::instrument(skip_all, fields(meeting_id = %meeting_id), err(level = "info"))]
pub async fn circle_of(ctx: &Context, meeting_id: Uuid) -> Result<Uuid> {
    Ok(meetings::Entity::find_by_id(meeting_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("meeting"))?
        .circle_id)
}

fn check_duration(minutes: i32) -> Result<()> {
    if !(30..=480).contains(&minutes) {
        return Err(Error::invalid(
            "duration_minutes",
            "A meeting lasts between 30 and 480 minutes.",
        ));
    }
    Ok(())
}

/// Adds a one-off meeting by hand (leaders).
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn add_meeting(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    starts_at: DateTime<Utc>,
    duration_minutes: Option<i32>,
    note: Option<&str>,
) -> Result<Meeting> {
    let note = optional_text(note, "note", 500)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    let duration = duration_minutes.unwrap_or(circle.duration_minutes);
    check_duration(duration)?;
    refuse_if_planned_at(&txn, circle.id, starts_at, None).await?;
    let row = meetings::ActiveModel {
        id: Set(Uuid::now_v7()),
        circle_id: Set(circle.id),
        starts_at: Set(starts_at),
        duration_minutes: Set(duration),
        status: Set(MeetingStatus::Scheduled),
        origin_at: Set(None),
        location: Set(circle.location.clone()),
        note: Set(note),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::MeetingAdded)
            .by(lead.actor_id())
            .on("meeting", row.id)
            .details(serde_json::json!({ "circle_id": circle.id, "starts_at": starts_at })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// The meeting, read inside the write transaction, if it belongs to the led circle.
pub(super) async fn meeting_in(
    txn: &impl ConnectionTrait,
    lead: &Leading,
    meeting_id: Uuid,
) -> Result<meetings::Model> {
    meetings::Entity::find_by_id(meeting_id)
        .one(txn)
        .await?
        .filter(|m| m.circle_id == lead.circle_id())
        .ok_or(Error::NotFound("meeting"))
}

/// Refuses a second meeting at a start the circle already has one planned for (any but
/// `except`, the meeting being moved). Called with the circle locked, so two requests for
/// the same time cannot both pass.
async fn refuse_if_planned_at(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    starts_at: DateTime<Utc>,
    except: Option<Uuid>,
) -> Result<()> {
    let taken = meetings::Entity::find()
        .filter(meetings::Column::CircleId.eq(circle_id))
        .filter(meetings::Column::StartsAt.eq(starts_at))
        .all(txn)
        .await?
        .into_iter()
        .any(|m| !m.status.is_cancelled() && Some(m.id) != except);
    if taken {
        return Err(CircleError::MeetingAlreadyPlanned.into());
    }
    Ok(())
}

fn refuse_if_cancelled(m: &meetings::Model) -> Result<()> {
    if m.status.is_cancelled() {
        return Err(CircleError::MeetingCancelled.into());
    }
    Ok(())
}

/// Moves a meeting to a new start; it keeps its cadence occurrence, so generating again
/// does not bring the old time back.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn move_meeting(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    meeting_id: Uuid,
    starts_at: DateTime<Utc>,
) -> Result<Meeting> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    let m = meeting_in(&txn, lead, meeting_id).await?;
    refuse_if_cancelled(&m)?;
    refuse_if_planned_at(&txn, circle.id, starts_at, Some(m.id)).await?;
    let from = m.starts_at;
    let mut row: meetings::ActiveModel = m.into();
    row.starts_at = Set(starts_at);
    row.updated_at = Set(now);
    let row = row.update(&txn).await?;
    tell_circle(&txn, ctx, lead, row.id, MeetingNotice::Moved { from }).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::MeetingMoved)
            .by(lead.actor_id())
            .on("meeting", row.id)
            .details(serde_json::json!({ "from": from, "to": starts_at })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Cancels a meeting (it stays listed, as cancelled).
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn cancel_meeting(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    meeting_id: Uuid,
) -> Result<Meeting> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    let m = meeting_in(&txn, lead, meeting_id).await?;
    refuse_if_cancelled(&m)?;
    let mut row: meetings::ActiveModel = m.into();
    row.status = Set(MeetingStatus::Cancelled);
    row.updated_at = Set(now);
    let row = row.update(&txn).await?;
    tell_circle(&txn, ctx, lead, row.id, MeetingNotice::Cancelled).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::MeetingCancelled)
            .by(lead.actor_id())
            .on("meeting", row.id),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Queues `notice` to everyone active in the circle but the leader who made the change.
async fn tell_circle(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    lead: &Leading,
    meeting_id: Uuid,
    notice: MeetingNotice,
) -> Result<()> {
    let people = circle_memberships::Entity::find()
        .filter(circle_memberships::Column::CircleId.eq(lead.circle_id()))
        .filter(circle_memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(circle_memberships::Column::UserId.ne(lead.actor_id()))
        .all(txn)
        .await?;
    for m in people {
        let job = SendMeetingNotice {
            user_id: m.user_id,
            meeting_id,
            notice,
        };
        job.enqueue(txn, ctx).await?;
    }
    Ok(())
}

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
