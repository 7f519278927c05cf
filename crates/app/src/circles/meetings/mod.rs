//! Meetings and attendance: generating meetings from a circle's cadence, adding, moving
//! and cancelling them, and recording who was there.
//!
//! Generation is idempotent: a generated meeting remembers the cadence occurrence it was
//! made for (`origin_at`, unique per circle), and occurrences that already have a meeting
//! (even a moved or cancelled one) are skipped inside the write transaction.

mod attending;
mod changes;
mod generate;
mod notes;

pub use attending::{attendance_of, my_attendance, record_attendance};
pub use changes::{add_meeting, cancel_meeting, move_meeting};
pub use generate::generate_meetings;
pub use notes::{encrypt_plain_notes, protect_note};

pub(crate) use notes::seal_at_rest;

pub(super) use changes::meeting_in;

use crate::authz::circle::{InCircle, Standing};
use crate::{Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::meetings;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::meeting::{AttendanceStatus, MeetingStatus};
use serde::Serialize;
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
    /// A note pending sealing, in clear: written without the circle's keys and kept
    /// encrypted with the server's field key until a leader's browser seals it.
    pub note: Option<String>,
    /// The note sealed under the circle's epoch key `note_epoch` (members and leaders only:
    /// never shown to a stepped-in Admin, who holds no key).
    pub note_sealed: Option<String>,
    pub note_epoch: Option<i32>,
}

impl Meeting {
    /// A stored meeting as the circle's people see it: its pending note decrypted.
    pub(crate) fn read(ctx: &Context, m: meetings::Model) -> Result<Meeting> {
        let note = notes::open_at_rest(ctx, &m)?;
        Ok(Meeting {
            id: m.id,
            circle_id: m.circle_id,
            starts_at: m.starts_at,
            duration_minutes: m.duration_minutes,
            status: m.status,
            origin_at: m.origin_at,
            location: m.location,
            note,
            note_sealed: m.note_sealed,
            note_epoch: m.note_epoch,
        })
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
    // The sealed note is conversation ciphertext: only the circle's own people get it.
    let stepped_in = inside.standing() == Standing::SteppedIn;
    rows.into_iter()
        .map(|row| {
            let mut m = Meeting::read(ctx, row)?;
            if stepped_in {
                m.note_sealed = None;
            }
            Ok(m)
        })
        .collect()
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
