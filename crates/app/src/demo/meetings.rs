//! A circle's meetings from six months back (or its first one) to two months ahead, and
//! the attendance of those that took place.

use super::circles::CircleInfo;
use super::dice::Dice;
use super::Plan;
use chrono::{DateTime, Duration, Utc};
use db::main_db::{attendance, meetings};
use domain::cadence::Cadence;
use domain::meeting::{AttendanceStatus, MeetingStatus};

/// When and where a circle meets, and the span of its life.
pub(super) struct Schedule {
    pub cadence: Cadence,
    pub duration: i32,
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Generates the meetings of one circle and the attendance of its past ones.
pub(super) fn meetings(
    dice: &mut Dice,
    p: &mut Plan,
    now: DateTime<Utc>,
    circle: &CircleInfo,
    schedule: &Schedule,
) {
    let Schedule {
        ref cadence,
        duration,
        ref location,
        created_at,
        closed_at,
    } = *schedule;
    let (id, facilitator, members) = (circle.id, circle.facilitator, &circle.members);
    let from = now - Duration::days(182);
    let to = closed_at.unwrap_or(now + Duration::days(61));
    for at in cadence.occurrences(from, to) {
        let made = (at - Duration::days(28)).max(created_at).min(now);
        let cancelled = dice.chance(0.03);
        let meeting_id = dice.id(made);
        p.meetings.push(meetings::Model {
            id: meeting_id,
            circle_id: id,
            starts_at: at,
            duration_minutes: duration,
            status: if cancelled {
                MeetingStatus::Cancelled
            } else {
                MeetingStatus::Scheduled
            },
            origin_at: Some(at),
            location: location.clone(),
            note: cancelled.then(|| "Cancelled: public holiday.".to_owned()),
            note_sealed: None,
            note_epoch: None,
            note_at_rest: None,
            note_key_version: None,
            present_count: None,
            absent_count: None,
            excused_count: None,
            created_at: made,
            updated_at: made,
        });
        if cancelled || at >= now {
            continue;
        }
        let recorded = (at + Duration::minutes(i64::from(duration) + 60)).min(now);
        for (user, joined) in members {
            if *joined > at {
                continue;
            }
            let status = match dice.range(0, 99) {
                0..=77 => AttendanceStatus::Present,
                78..=89 => AttendanceStatus::Excused,
                _ => AttendanceStatus::Absent,
            };
            p.attendance.push(attendance::Model {
                meeting_id,
                user_id: *user,
                status,
                recorded_by: Some(facilitator),
                recorded_at: recorded,
            });
        }
    }
}
