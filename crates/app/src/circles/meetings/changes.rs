//! Adding, moving and cancelling meetings by hand, and telling the circle.

use super::Meeting;
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Leading;
use crate::circles::errors::CircleError;
use crate::circles::jobs::{MeetingNotice, SendMeetingNotice};
use crate::circles::{lock_circle, optional_text, refuse_if_archived};
use crate::jobs::Job;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{circle_memberships, meetings};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::circle::MembershipStatus;
use domain::meeting::MeetingStatus;
use uuid::Uuid;

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
    let id = Uuid::now_v7();
    let at_rest = note.map(|text| super::seal_at_rest(ctx, circle.id, id, &text));
    let row = meetings::ActiveModel {
        id: Set(id),
        circle_id: Set(circle.id),
        starts_at: Set(starts_at),
        duration_minutes: Set(duration),
        status: Set(MeetingStatus::Scheduled),
        origin_at: Set(None),
        location: Set(circle.location.clone()),
        note_at_rest: Set(at_rest.as_ref().map(|(sealed, _)| sealed.clone())),
        note_key_version: Set(at_rest.map(|(_, version)| version)),
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
    Meeting::read(ctx, row)
}

/// The meeting, read inside the write transaction, if it belongs to the led circle.
pub(in crate::circles) async fn meeting_in(
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

pub(super) fn refuse_if_cancelled(m: &meetings::Model) -> Result<()> {
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
    Meeting::read(ctx, row)
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
    Meeting::read(ctx, row)
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
