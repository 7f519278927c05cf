//! Circle health: how circles are doing, in numbers only. Nothing here names a person. A
//! circle's leaders see their circle in full; the Program Team, Leadership and Admins see
//! the same figures with small-group suppression (`domain::report`): nothing that
//! describes fewer than five people (docs/circles.md, "Circle health" defines each figure).
//!
//! Attendance comes from the per-person records while a circle runs and from the counts
//! archiving leaves on each meeting afterwards, so an archived circle keeps its history.
mod figures;

use super::find_circle;
use crate::authz::circle::standing;
use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use db::main_db::circles;
use db::sea_orm::EntityTrait;
use domain::circle::CircleStatus;
use domain::report;
use domain::Permission;
use figures::{members_by_month, rate, retention, Facts};
use serde::Serialize;
use uuid::Uuid;

/// Meetings shown in the attendance chart.
pub const ATTENDANCE_POINTS: usize = 12;
/// The window of "recent" figures (attendance rate, joins and departures).
pub const RECENT_DAYS: i64 = 90;
/// Months shown in the members chart.
pub const MEMBER_MONTHS: u32 = 12;

/// Attendance at one meeting that took place and had attendance taken.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttendancePoint {
    pub starts_at: DateTime<Utc>,
    pub present: i64,
    pub absent: i64,
    pub excused: i64,
    /// Present ÷ recorded, 0–1.
    pub rate: f64,
}

/// Active members (not facilitators) at the end of a month (or now, for this month).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembersPoint {
    /// The first day of the month.
    pub month: NaiveDate,
    /// None when withheld (1–4 people, seen from outside the circle).
    pub active: Option<i64>,
}

/// Who stayed: of the members active at any time in the last year, how many still are.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
/// Seen from outside the circle, a figure is none when it would describe 1–4 people.
pub struct Retention {
    pub members_last_year: Option<i64>,
    pub still_active: Option<i64>,
    /// `still_active ÷ members_last_year`; none without members.
    pub rate: Option<f64>,
    pub joined_recently: Option<i64>,
    pub left_recently: Option<i64>,
}

/// The figures every health view shows for a circle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircleSummary {
    pub circle_id: Uuid,
    pub name: String,
    #[schema(value_type = crate::api_schema::CircleStatus)]
    pub status: CircleStatus,
    pub capacity: i32,
    pub active_members: i32,
    /// 0 unless the circle takes members.
    pub open_seats: i32,
    /// None when withheld (1–4 people, seen from outside the circle).
    pub requests_waiting: Option<i64>,
    pub last_meeting_at: Option<DateTime<Utc>>,
    pub days_since_last_meeting: Option<i64>,
    /// Present ÷ recorded over the meetings of the last 90 days; none when no attendance
    /// was taken then (or, seen from outside, the circle has fewer than 5 members).
    pub attendance_rate: Option<f64>,
}

/// One circle's health, for its leaders and for those who see organisation reports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircleHealth {
    #[serde(flatten)]
    pub summary: CircleSummary,
    /// The last meetings with attendance taken, oldest first.
    pub attendance: Vec<AttendancePoint>,
    pub members_by_month: Vec<MembersPoint>,
    pub retention: Retention,
    /// Seen from outside the circle: figures about fewer than 5 people are left out.
    pub suppressed: bool,
}

/// Totals across the organisation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgTotals {
    pub circles: i64,
    pub forming: i64,
    pub active: i64,
    pub closed: i64,
    pub archived: i64,
    pub active_members: i64,
    pub open_seats: i64,
    pub requests_waiting: Option<i64>,
    pub attendance_rate: Option<f64>,
    /// Forming or active circles with no meeting in the last 30 days.
    pub quiet_circles: i64,
}

/// The organisation-wide overview: aggregates only, one line per circle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgOverview {
    pub totals: OrgTotals,
    pub circles: Vec<CircleSummary>,
}

/// Circles quiet for longer than this are counted in `quiet_circles`.
const QUIET_DAYS: i64 = 30;

/// The health of one circle: in full for its leaders (and a stepped-in Admin), with
/// small-group suppression for roles that see organisation reports.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn circle_health(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<CircleHealth> {
    let circle = find_circle(&ctx.main, circle_id).await?;
    let leads = standing(ctx, actor, circle_id).await?.leads();
    if !leads && !actor.can(Permission::ViewOrgReports) {
        return Err(Error::Forbidden);
    }
    let now = ctx.now();
    let facts = Facts::load(&ctx.main, Some(circle_id), now).await?;
    let meetings = facts
        .meetings
        .get(&circle_id)
        .map_or(&[][..], Vec::as_slice);
    let people = facts.members.get(&circle_id).map_or(&[][..], Vec::as_slice);
    let until = circle.archived_at.unwrap_or(now).min(now);
    let mut attendance: Vec<AttendancePoint> =
        meetings.iter().filter_map(|m| facts.point(m)).collect();
    attendance = attendance.split_off(attendance.len().saturating_sub(ATTENDANCE_POINTS));
    let health = CircleHealth {
        summary: facts.summary(&circle, now),
        attendance,
        members_by_month: members_by_month(people, circle.created_at, until),
        retention: retention(people, until),
        suppressed: false,
    };
    Ok(if leads { health } else { health.suppressed() })
}

impl CircleSummary {
    /// The figures people outside the circle may see.
    fn suppressed(mut self) -> Self {
        self.requests_waiting = self.requests_waiting.and_then(report::count);
        self.attendance_rate = self
            .attendance_rate
            .and_then(|r| report::about(i64::from(self.active_members), r));
        self
    }
}

impl CircleHealth {
    fn suppressed(self) -> Self {
        let r = self.retention;
        let year = r.members_last_year.unwrap_or(0);
        CircleHealth {
            summary: self.summary.suppressed(),
            attendance: self
                .attendance
                .into_iter()
                .filter(|p| p.present + p.absent + p.excused >= report::MIN_GROUP)
                .collect(),
            members_by_month: self
                .members_by_month
                .into_iter()
                .map(|p| MembersPoint {
                    month: p.month,
                    active: p.active.and_then(report::count),
                })
                .collect(),
            retention: Retention {
                members_last_year: r.members_last_year.and_then(report::count),
                still_active: r.still_active.and_then(|n| report::about(year, n)),
                rate: r.rate.and_then(|n| report::about(year, n)),
                joined_recently: r.joined_recently.and_then(report::count),
                left_recently: r.left_recently.and_then(report::count),
            },
            suppressed: true,
        }
    }
}

/// Every circle's figures and the organisation's totals (needs `ViewOrgReports`), with
/// small-group suppression: this is a view from outside every circle.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn org_overview(ctx: &Context, actor: &Actor) -> Result<OrgOverview> {
    actor.require::<crate::authz::can::ViewOrgReports>()?;
    let now = ctx.now();
    let facts = Facts::load(&ctx.main, None, now).await?;
    let all = circles::Entity::find().all(&ctx.main).await?;
    let mut rows: Vec<CircleSummary> = all.iter().map(|c| facts.summary(c, now)).collect();
    rows.sort_by_key(|r| r.name.to_lowercase());
    let mut totals = OrgTotals {
        circles: rows.len() as i64,
        forming: 0,
        active: 0,
        closed: 0,
        archived: 0,
        active_members: 0,
        open_seats: 0,
        requests_waiting: Some(0),
        attendance_rate: None,
        quiet_circles: 0,
    };
    let mut requests = 0;
    for r in &rows {
        match r.status {
            CircleStatus::Forming => totals.forming += 1,
            CircleStatus::Active => totals.active += 1,
            CircleStatus::Closed => totals.closed += 1,
            CircleStatus::Archived => totals.archived += 1,
        }
        if r.status != CircleStatus::Archived {
            totals.active_members += i64::from(r.active_members);
        }
        totals.open_seats += i64::from(r.open_seats);
        requests += r.requests_waiting.unwrap_or(0);
        let running = matches!(r.status, CircleStatus::Forming | CircleStatus::Active);
        if running && r.days_since_last_meeting.is_none_or(|d| d > QUIET_DAYS) {
            totals.quiet_circles += 1;
        }
    }
    totals.requests_waiting = report::count(requests);
    let recent = facts.recent_tally(None, now);
    totals.attendance_rate =
        rate(recent[0], recent.iter().sum()).and_then(|r| report::about(totals.active_members, r));
    Ok(OrgOverview {
        totals,
        circles: rows.into_iter().map(CircleSummary::suppressed).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_from_outside_no_figure_describes_fewer_than_five_people() {
        let at: DateTime<Utc> = "2026-06-30T12:00:00Z".parse().unwrap();
        let point = |present, absent| AttendancePoint {
            starts_at: at,
            present,
            absent,
            excused: 0,
            rate: 0.5,
        };
        let health = CircleHealth {
            summary: CircleSummary {
                circle_id: Uuid::nil(),
                name: "Small".into(),
                status: CircleStatus::Active,
                capacity: 8,
                active_members: 3,
                open_seats: 5,
                requests_waiting: Some(2),
                last_meeting_at: Some(at),
                days_since_last_meeting: Some(3),
                attendance_rate: Some(0.66),
            },
            attendance: vec![point(2, 1), point(4, 2)],
            members_by_month: vec![
                MembersPoint {
                    month: at.date_naive(),
                    active: Some(3),
                },
                MembersPoint {
                    month: at.date_naive(),
                    active: Some(6),
                },
            ],
            retention: Retention {
                members_last_year: Some(4),
                still_active: Some(3),
                rate: Some(0.75),
                joined_recently: Some(1),
                left_recently: Some(0),
            },
            suppressed: false,
        };
        let seen = health.suppressed();
        assert!(seen.suppressed);
        assert_eq!(seen.summary.requests_waiting, None);
        assert_eq!(seen.summary.attendance_rate, None, "3 members");
        assert_eq!(seen.attendance.len(), 1, "only the meeting with 6 recorded");
        let months: Vec<_> = seen.members_by_month.iter().map(|p| p.active).collect();
        assert_eq!(months, [None, Some(6)]);
        let r = seen.retention;
        assert_eq!(
            (r.members_last_year, r.still_active, r.rate),
            (None, None, None)
        );
        assert_eq!((r.joined_recently, r.left_recently), (None, Some(0)));
        // Public figures stay: capacity and members are on every circle's page anyway.
        assert_eq!(
            (seen.summary.active_members, seen.summary.open_seats),
            (3, 5)
        );
    }
}
