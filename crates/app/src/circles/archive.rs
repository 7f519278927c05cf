//! Archiving a circle: it stops for good, keeps what reports need and lets go of the
//! personal details nobody needs any more (docs/circles.md, "After archiving").
//!
//! In one write transaction: pending join requests are declined, every invitation (with
//! the invited address) is deleted, join messages and decline/removal reasons are
//! cleared, each meeting's attendance is reduced to counts and the per-person rows are
//! deleted, meeting notes and the circle's location and online link are cleared. The
//! meetings, their counts and who was a member stay. Everyone active or still waiting is
//! told by email.

use super::errors::CircleError;
use super::jobs::CircleNotice;
use super::{lock_circle, notify, refuse_if_archived};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Leading;
use crate::{Context, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::credentials::invitation_tokens;
use db::main_db::meetings;
use db::main_db::{
    attendance, circle_invitations, circle_memberships as memberships, circles, meeting_rsvps,
};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::circle::{CircleStatus, MembershipStatus};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// What archiving removed, for the person who did it (and the audit log).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArchiveReport {
    pub circle_id: Uuid,
    /// Join requests that were still waiting and are now declined.
    pub requests_declined: u64,
    /// Invitations deleted, with the addresses they were sent to.
    pub invitations_deleted: u64,
    /// Meetings whose attendance is now kept as counts only.
    pub meetings_summarised: u64,
    /// Per-person attendance records deleted.
    pub attendance_records_deleted: u64,
}

/// Archives the circle the actor leads. Nothing can be changed afterwards.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn archive(ctx: &Context, meta: &RequestMeta, lead: &Leading) -> Result<ArchiveReport> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let circle = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&circle)?;
    if !circle.status.can_become(CircleStatus::Archived) {
        return Err(CircleError::CannotArchive.into());
    }
    let waiting = decline_waiting(&txn, circle.id, lead.actor_id(), now).await?;
    let active = people_with_status(&txn, circle.id, MembershipStatus::Active).await?;
    let invitations = circle_invitations::Entity::find()
        .filter(circle_invitations::Column::CircleId.eq(circle.id))
        .all(&txn)
        .await?;
    circle_invitations::Entity::delete_many()
        .filter(circle_invitations::Column::CircleId.eq(circle.id))
        .exec(&txn)
        .await?;
    memberships::Entity::update_many()
        .col_expr(
            memberships::Column::Message,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            memberships::Column::Reason,
            Expr::value(Option::<String>::None),
        )
        .filter(memberships::Column::CircleId.eq(circle.id))
        .exec(&txn)
        .await?;
    let (summarised, deleted) = summarise_attendance(&txn, circle.id).await?;
    let mut row: circles::ActiveModel = circle.clone().into();
    row.status = Set(CircleStatus::Archived);
    row.location = Set(None);
    row.online_url = Set(None);
    row.archived_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    for user_id in waiting.iter().chain(&active) {
        notify(&txn, ctx, *user_id, circle.id, CircleNotice::Archived).await?;
    }
    let report = ArchiveReport {
        circle_id: circle.id,
        requests_declined: waiting.len() as u64,
        invitations_deleted: invitations.len() as u64,
        meetings_summarised: summarised,
        attendance_records_deleted: deleted,
    };
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleArchived)
            .by(lead.actor_id())
            .on("circle", circle.id)
            .details(serde_json::to_value(&report).unwrap_or_default()),
    )
    .await?;
    // Nobody can be handed the circle's conversation keys by the server any more.
    crate::conversation::circle_archived(&txn, circle.id, now).await?;
    txn.commit().await?;
    crate::conversation::notify_changed(ctx, circle.id).await;
    // The links' token hashes live in the other database; a link whose invitation is gone
    // already fails, so a failure here leaves nothing usable behind.
    let ids: Vec<Uuid> = invitations.iter().map(|i| i.id).collect();
    if !ids.is_empty() {
        invitation_tokens::Entity::delete_many()
            .filter(invitation_tokens::Column::InvitationId.is_in(ids))
            .exec(&ctx.creds)
            .await?;
    }
    Ok(report)
}

async fn people_with_status(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    status: MembershipStatus,
) -> Result<Vec<Uuid>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(status))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// Declines every request still waiting; returns who asked.
async fn decline_waiting(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    let waiting = people_with_status(txn, circle_id, MembershipStatus::Requested).await?;
    memberships::Entity::update_many()
        .col_expr(
            memberships::Column::Status,
            Expr::value(MembershipStatus::Declined),
        )
        .col_expr(memberships::Column::DecidedAt, Expr::value(now))
        .col_expr(memberships::Column::DecidedBy, Expr::value(by))
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Requested))
        .exec(txn)
        .await?;
    Ok(waiting)
}

/// Stores each meeting's attendance counts on the meeting and deletes the per-person
/// records; clears meeting notes. Returns (meetings, records deleted).
async fn summarise_attendance(txn: &impl ConnectionTrait, circle_id: Uuid) -> Result<(u64, u64)> {
    let all = meetings::Entity::find()
        .filter(meetings::Column::CircleId.eq(circle_id))
        .all(txn)
        .await?;
    let ids: Vec<Uuid> = all.iter().map(|m| m.id).collect();
    let mut counts: HashMap<Uuid, [i32; 3]> = HashMap::new();
    let records = attendance::Entity::find()
        .filter(attendance::Column::MeetingId.is_in(ids.clone()))
        .all(txn)
        .await?;
    for a in &records {
        counts.entry(a.meeting_id).or_default()[a.status.tally_index()] += 1;
    }
    for m in &all {
        let [present, absent, excused] = counts.get(&m.id).copied().unwrap_or_default();
        let recorded = counts.contains_key(&m.id);
        let mut row: meetings::ActiveModel = m.clone().into();
        row.present_count = Set(recorded.then_some(present));
        row.absent_count = Set(recorded.then_some(absent));
        row.excused_count = Set(recorded.then_some(excused));
        row.note = Set(None);
        row.note_at_rest = Set(None);
        row.note_key_version = Set(None);
        row.note_sealed = Set(None);
        row.note_epoch = Set(None);
        row.location = Set(None);
        row.update(txn).await?;
    }
    attendance::Entity::delete_many()
        .filter(attendance::Column::MeetingId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    // Who said he would come is per-person too, and nobody needs it any more.
    meeting_rsvps::Entity::delete_many()
        .filter(meeting_rsvps::Column::MeetingId.is_in(ids))
        .exec(txn)
        .await?;
    Ok((counts.len() as u64, records.len() as u64))
}
