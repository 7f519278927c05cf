//! "Are you coming?": each member's answer to a meeting of his circle, the leaders' view of
//! who said what, everyone's next meeting, and "mark all present" on the attendance sheet.
//!
//! Answers are circle-private (like per-person attendance): a member gives and sees his
//! own; the list of who said what is for the circle's leaders. An answer can be changed
//! until the meeting starts.

use super::attendance::attendance_sheet;
use super::errors::CircleError;
use super::meetings::{meeting_in, record_attendance};
use super::{lock_circle, manage, refuse_if_archived};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{InCircle, Leading, Standing};
use crate::authz::Actor;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{circle_memberships as memberships, circles, meeting_rsvps, meetings};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use domain::circle::{CircleRole, MembershipStatus};
use domain::meeting::{AttendanceStatus, MeetingStatus, RsvpAnswer};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// A member's answer to one meeting.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rsvp {
    pub meeting_id: Uuid,
    pub user_id: Uuid,
    /// `coming` or `not_coming`.
    #[schema(value_type = String)]
    pub answer: RsvpAnswer,
    pub answered_at: DateTime<Utc>,
}

impl From<meeting_rsvps::Model> for Rsvp {
    fn from(r: meeting_rsvps::Model) -> Self {
        Rsvp {
            meeting_id: r.meeting_id,
            user_id: r.user_id,
            answer: r.answer,
            answered_at: r.answered_at,
        }
    }
}

/// One person of the circle and what he answered for a meeting (none: no answer yet).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RsvpLine {
    pub user_id: Uuid,
    pub display_name: String,
    #[schema(value_type = crate::api_schema::CircleRole)]
    pub role: CircleRole,
    /// `coming`, `not_coming`, or none when he has not answered.
    #[schema(value_type = Option<String>)]
    pub answer: Option<RsvpAnswer>,
}

/// The next meeting of one of the viewer's circles, with his own answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NextMeeting {
    pub circle_id: Uuid,
    pub circle_name: String,
    /// The circle's IANA time zone (its meetings are planned on that clock).
    pub circle_time_zone: String,
    pub meeting_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// `coming`, `not_coming`, or none when he has not answered.
    #[schema(value_type = Option<String>)]
    pub my_answer: Option<RsvpAnswer>,
    /// Whether the answer can still be given or changed (the meeting has not started).
    pub rsvp_open: bool,
}

/// Says whether the actor is coming to a meeting of his circle; changes an earlier answer.
/// Members and leaders answer (a stepped-in Admin is not part of the meeting), for a
/// scheduled meeting that has not started.
#[tracing::instrument(skip_all, fields(actor_id = %inside.actor_id(), circle_id = %inside.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn answer(
    ctx: &Context,
    meta: &RequestMeta,
    inside: &InCircle,
    meeting_id: Uuid,
    answer: RsvpAnswer,
) -> Result<Rsvp> {
    match inside.standing() {
        Standing::Leader | Standing::Member => {}
        Standing::SteppedIn | Standing::Outsider => return Err(Error::Forbidden),
    }
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, inside.circle_id()).await?;
    refuse_if_archived(&circle)?;
    let m = meetings::Entity::find_by_id(meeting_id)
        .one(&txn)
        .await?
        .filter(|m| m.circle_id == circle.id)
        .ok_or(Error::NotFound("meeting"))?;
    match m.status {
        MeetingStatus::Cancelled => return Err(CircleError::MeetingCancelled.into()),
        MeetingStatus::Scheduled => {}
    }
    if m.starts_at <= now {
        return Err(CircleError::RsvpClosed.into());
    }
    let key = (m.id, inside.actor_id());
    let row = match meeting_rsvps::Entity::find_by_id(key).one(&txn).await? {
        Some(before) => {
            let mut row: meeting_rsvps::ActiveModel = before.into();
            row.answer = Set(answer);
            row.answered_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            meeting_rsvps::ActiveModel {
                meeting_id: Set(m.id),
                user_id: Set(inside.actor_id()),
                answer: Set(answer),
                answered_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        meta,
        Entry::new(Action::MeetingRsvp)
            .by(inside.actor_id())
            .on("meeting", m.id)
            .details(serde_json::json!({ "answer": answer.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Everyone active in the led circle with his answer for the meeting, leaders first, then
/// by name.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn answers(ctx: &Context, lead: &Leading, meeting_id: Uuid) -> Result<Vec<RsvpLine>> {
    meeting_in(&ctx.main, lead, meeting_id).await?;
    let mut given: HashMap<Uuid, RsvpAnswer> = meeting_rsvps::Entity::find()
        .filter(meeting_rsvps::Column::MeetingId.eq(meeting_id))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r.answer))
        .collect();
    Ok(manage::members(ctx, &lead.in_circle())
        .await?
        .into_iter()
        .map(|p| RsvpLine {
            answer: given.remove(&p.user_id),
            user_id: p.user_id,
            display_name: p.display_name,
            role: p.role,
        })
        .collect())
}

/// The answers for several meetings of the led circle at once (the meetings page), by
/// meeting: only those who answered.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn answers_by_meeting(
    ctx: &Context,
    lead: &Leading,
    meeting_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Uuid, RsvpAnswer)>>> {
    let own: Vec<Uuid> = meetings::Entity::find()
        .filter(meetings::Column::CircleId.eq(lead.circle_id()))
        .filter(meetings::Column::Id.is_in(meeting_ids.iter().copied()))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut out: HashMap<Uuid, Vec<(Uuid, RsvpAnswer)>> = HashMap::new();
    for r in meeting_rsvps::Entity::find()
        .filter(meeting_rsvps::Column::MeetingId.is_in(own))
        .all(&ctx.main)
        .await?
    {
        out.entry(r.meeting_id)
            .or_default()
            .push((r.user_id, r.answer));
    }
    Ok(out)
}

/// The next meeting (scheduled, not over yet) of every circle the actor is active in,
/// soonest first, with his own answer. His own memberships are the check: nobody sees
/// another circle's meetings here.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn next_meetings(ctx: &Context, actor: &Actor) -> Result<Vec<NextMeeting>> {
    let now = ctx.now();
    let mine: Vec<Uuid> = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(actor.id()))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect();
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let circles: HashMap<Uuid, circles::Model> = circles::Entity::find()
        .filter(circles::Column::Id.is_in(mine.iter().copied()))
        .all(&ctx.main)
        .await?
        .into_iter()
        .filter(|c| !c.status.is_read_only())
        .map(|c| (c.id, c))
        .collect();
    // A meeting lasts at most 8 hours, so one that started earlier than that is over.
    let candidates = meetings::Entity::find()
        .filter(meetings::Column::CircleId.is_in(circles.keys().copied()))
        .filter(meetings::Column::Status.eq(MeetingStatus::Scheduled))
        .filter(meetings::Column::StartsAt.gt(now - Duration::hours(8)))
        .order_by_asc(meetings::Column::StartsAt)
        .all(&ctx.main)
        .await?;
    let mut next: HashMap<Uuid, meetings::Model> = HashMap::new();
    for m in candidates {
        let over = m.starts_at + Duration::minutes(i64::from(m.duration_minutes)) <= now;
        if !over {
            next.entry(m.circle_id).or_insert(m);
        }
    }
    let answers: HashMap<Uuid, RsvpAnswer> = meeting_rsvps::Entity::find()
        .filter(meeting_rsvps::Column::UserId.eq(actor.id()))
        .filter(meeting_rsvps::Column::MeetingId.is_in(next.values().map(|m| m.id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|r| (r.meeting_id, r.answer))
        .collect();
    let mut out: Vec<NextMeeting> = next
        .into_values()
        .filter_map(|m| {
            let c = circles.get(&m.circle_id)?;
            Some(NextMeeting {
                circle_id: c.id,
                circle_name: c.name.clone(),
                circle_time_zone: c.time_zone.clone(),
                meeting_id: m.id,
                starts_at: m.starts_at,
                duration_minutes: m.duration_minutes,
                my_answer: answers.get(&m.id).copied(),
                rsvp_open: m.starts_at > now,
            })
        })
        .collect();
    out.sort_by_key(|n| (n.starts_at, n.circle_id));
    Ok(out)
}

/// Records "present" for every member on the meeting's attendance sheet not marked yet;
/// marks already given stay. Returns how many were marked.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn mark_all_present(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &Leading,
    meeting_id: Uuid,
) -> Result<usize> {
    let (_, lines) = attendance_sheet(ctx, lead, meeting_id).await?;
    let entries: Vec<(Uuid, AttendanceStatus)> = lines
        .into_iter()
        .filter(|l| l.mark.is_none())
        .map(|l| (l.user_id, AttendanceStatus::Present))
        .collect();
    if entries.is_empty() {
        return Ok(0);
    }
    // The same rules as any attendance: started, not cancelled, active members only.
    Ok(record_attendance(ctx, meta, lead, meeting_id, entries)
        .await?
        .len())
}
