//! The attendance form of one meeting: who is on it and what was recorded before.

use super::manage;
use super::meetings::{attendance_of, meeting_in, Meeting};
use crate::authz::circle::Leading;
use crate::{Context, Result};
use domain::circle::CircleRole;
use domain::meeting::AttendanceStatus;
use uuid::Uuid;

/// One line of the attendance form.
#[derive(Debug, Clone)]
pub struct SheetLine {
    pub user_id: Uuid,
    pub display_name: String,
    /// What was recorded before, if anything.
    pub mark: Option<AttendanceStatus>,
}

/// A meeting of the led circle with a line for each member holding a seat: the leaders
/// take the attendance and are not on it.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), meeting_id = %meeting_id), err(level = "info"))]
pub async fn attendance_sheet(
    ctx: &Context,
    lead: &Leading,
    meeting_id: Uuid,
) -> Result<(Meeting, Vec<SheetLine>)> {
    let meeting = Meeting::read(ctx, meeting_in(&ctx.main, lead, meeting_id).await?)?;
    let mut recorded = attendance_of(ctx, lead, meeting_id).await?;
    let lines = manage::members(ctx, &lead.in_circle())
        .await?
        .into_iter()
        .filter(|p| p.role == CircleRole::Member)
        .map(|p| SheetLine {
            mark: recorded.remove(&p.user_id),
            user_id: p.user_id,
            display_name: p.display_name,
        })
        .collect();
    Ok((meeting, lines))
}
