//! Circle health: how circles are doing, in numbers only. Nothing here names a person. A
//! circle's leaders see their circle in full; the Program Team, Leadership and Admins see
//! the same figures with small-group suppression (`domain::report`): nothing that
//! describes fewer than five people (docs/circles.md, "Circle health" defines each figure).
//!
//! Attendance comes from the per-person records while a circle runs and from the counts
//! archiving leaves on each meeting afterwards, so an archived circle keeps its history.

use super::find_circle;
use crate::authz::circle::standing;
use crate::authz::Actor;
use crate::{Context, Error, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use db::main_db::{attendance, circle_memberships as memberships, circles, meetings};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use domain::circle::CircleStatus;
use domain::meeting::{AttendanceStatus, MeetingStatus};
use domain::report;
use domain::Permission;
use serde::Serialize;
use std::collections::HashMap;
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

/// What the figures are computed from, loaded in a few queries for one circle or all.
struct Facts {
    /// Meetings that took place (scheduled and started), oldest first, per circle.
    meetings: HashMap<Uuid, Vec<meetings::Model>>,
    /// Present, absent, excused per meeting.
    tallies: HashMap<Uuid, [i64; 3]>,
    /// Memberships with the member role, per circle.
    members: HashMap<Uuid, Vec<memberships::Model>>,
    requests: HashMap<Uuid, i64>,
}

impl Facts {
    async fn load(
        db: &impl ConnectionTrait,
        circle: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Facts> {
        let mut q =
            meetings::Entity::find().filter(meetings::Column::Status.eq(MeetingStatus::Scheduled));
        if let Some(id) = circle {
            q = q.filter(meetings::Column::CircleId.eq(id));
        }
        let mut held: Vec<meetings::Model> = q.all(db).await?;
        // Compared here rather than in SQL: SQLite keeps timestamps as text.
        held.retain(|m| m.starts_at <= now);
        held.sort_by_key(|m| m.starts_at);
        let mut tallies = tallies(db, circle.map(|_| held.iter().map(|m| m.id).collect())).await?;
        let mut meetings: HashMap<Uuid, Vec<meetings::Model>> = HashMap::new();
        for m in held {
            if let Some(p) = m.present_count {
                let kept = [p, m.absent_count.unwrap_or(0), m.excused_count.unwrap_or(0)];
                tallies.insert(m.id, kept.map(i64::from));
            }
            meetings.entry(m.circle_id).or_default().push(m);
        }
        let mut q = memberships::Entity::find();
        if let Some(id) = circle {
            q = q.filter(memberships::Column::CircleId.eq(id));
        }
        let mut members: HashMap<Uuid, Vec<memberships::Model>> = HashMap::new();
        let mut requests: HashMap<Uuid, i64> = HashMap::new();
        for m in q.all(db).await? {
            if m.status.is_pending() {
                *requests.entry(m.circle_id).or_default() += 1;
            } else if m.role.takes_seat() {
                members.entry(m.circle_id).or_default().push(m);
            }
        }
        Ok(Facts {
            meetings,
            tallies,
            members,
            requests,
        })
    }

    fn point(&self, m: &meetings::Model) -> Option<AttendancePoint> {
        let [present, absent, excused] = *self.tallies.get(&m.id)?;
        Some(AttendancePoint {
            starts_at: m.starts_at,
            present,
            absent,
            excused,
            rate: rate(present, present + absent + excused)?,
        })
    }

    /// Present, absent, excused over the recent meetings of one circle or all.
    fn recent_tally(&self, circle: Option<Uuid>, now: DateTime<Utc>) -> [i64; 3] {
        let since = now - Duration::days(RECENT_DAYS);
        let mut sum = [0; 3];
        let lists = self
            .meetings
            .iter()
            .filter(|(id, _)| circle.is_none_or(|c| c == **id));
        for m in lists
            .flat_map(|(_, list)| list)
            .filter(|m| m.starts_at >= since)
        {
            if let Some(t) = self.tallies.get(&m.id) {
                for (s, v) in sum.iter_mut().zip(t) {
                    *s += v;
                }
            }
        }
        sum
    }

    fn summary(&self, c: &circles::Model, now: DateTime<Utc>) -> CircleSummary {
        let status = c.status;
        let last = self
            .meetings
            .get(&c.id)
            .and_then(|list| list.last())
            .map(|m| m.starts_at);
        let recent = self.recent_tally(Some(c.id), now);
        CircleSummary {
            circle_id: c.id,
            name: c.name.clone(),
            status,
            capacity: c.capacity,
            active_members: c.active_members,
            open_seats: if status.accepts_members() {
                (c.capacity - c.active_members).max(0)
            } else {
                0
            },
            requests_waiting: Some(self.requests.get(&c.id).copied().unwrap_or(0)),
            last_meeting_at: last,
            days_since_last_meeting: last.map(|at| (now - at).num_days()),
            attendance_rate: rate(recent[0], recent.iter().sum()),
        }
    }
}

/// Attendance counts per meeting and status, counted by the database.
async fn tallies(
    db: &impl ConnectionTrait,
    only: Option<Vec<Uuid>>,
) -> Result<HashMap<Uuid, [i64; 3]>> {
    let mut q = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::MeetingId)
        .column(attendance::Column::Status)
        .column_as(attendance::Column::UserId.count(), "n")
        .group_by(attendance::Column::MeetingId)
        .group_by(attendance::Column::Status);
    if let Some(ids) = only {
        q = q.filter(attendance::Column::MeetingId.is_in(ids));
    }
    let rows: Vec<(Uuid, AttendanceStatus, i64)> = q.into_tuple().all(db).await?;
    let mut out: HashMap<Uuid, [i64; 3]> = HashMap::new();
    for (meeting, status, n) in rows {
        out.entry(meeting).or_default()[status.tally_index()] += n;
    }
    Ok(out)
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Whether the membership was active at `at`.
fn active_at(m: &memberships::Model, at: DateTime<Utc>) -> bool {
    m.joined_at.is_some_and(|j| j <= at) && m.ended_at.is_none_or(|e| e > at)
}

/// Members at the end of each of the last [`MEMBER_MONTHS`] months up to `until`, from
/// the month the circle was created (`since`) at the earliest: a month before it existed
/// has no figure, not a zero.
fn members_by_month(
    people: &[memberships::Model],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<MembersPoint> {
    let first = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let born = first(since.date_naive());
    let mut month = first(until.date_naive());
    let mut out = Vec::new();
    for _ in 0..MEMBER_MONTHS {
        if month < born {
            break;
        }
        let end = month
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(until, |d| d.and_utc().min(until));
        let active = people.iter().filter(|m| active_at(m, end)).count() as i64;
        out.push(MembersPoint {
            month,
            active: Some(active),
        });
        match month.checked_sub_months(chrono::Months::new(1)) {
            Some(previous) => month = previous,
            None => break,
        }
    }
    out.reverse();
    out
}

fn retention(people: &[memberships::Model], until: DateTime<Utc>) -> Retention {
    let year_ago = until - Duration::days(365);
    let recent = until - Duration::days(RECENT_DAYS);
    let in_year: Vec<_> = people
        .iter()
        .filter(|m| m.joined_at.is_some_and(|j| j <= until))
        .filter(|m| m.ended_at.is_none_or(|e| e >= year_ago))
        .collect();
    let still = in_year.iter().filter(|m| active_at(m, until)).count() as i64;
    let total = in_year.len() as i64;
    let joined = people
        .iter()
        .filter(|m| m.joined_at.is_some_and(|j| j >= recent && j <= until))
        .count() as i64;
    let left = people
        .iter()
        .filter(|m| m.ended_at.is_some_and(|e| e >= recent && e <= until))
        .count() as i64;
    Retention {
        members_last_year: Some(total),
        still_active: Some(still),
        rate: rate(still, total),
        joined_recently: Some(joined),
        left_recently: Some(left),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::circle::{CircleRole, MembershipStatus};

    fn member(joined: &str, ended: Option<&str>) -> memberships::Model {
        let at = |s: &str| s.parse::<DateTime<Utc>>().ok();
        memberships::Model {
            id: Uuid::now_v7(),
            circle_id: Uuid::nil(),
            user_id: Uuid::now_v7(),
            role: CircleRole::Member,
            status: if ended.is_some() {
                MembershipStatus::Left
            } else {
                MembershipStatus::Active
            },
            message: None,
            reason: None,
            requested_at: Utc::now(),
            decided_at: None,
            decided_by: None,
            joined_at: at(joined),
            ended_at: ended.and_then(at),
        }
    }

    #[test]
    fn retention_counts_who_stayed_of_those_active_in_the_year() {
        let until: DateTime<Utc> = "2026-06-30T12:00:00Z".parse().unwrap();
        let people = [
            member("2025-01-01T00:00:00Z", None),
            member("2026-05-01T00:00:00Z", None),
            member("2025-03-01T00:00:00Z", Some("2026-04-15T00:00:00Z")),
            // Left long before the year: not counted.
            member("2024-01-01T00:00:00Z", Some("2025-01-01T00:00:00Z")),
        ];
        let r = retention(&people, until);
        assert_eq!((r.members_last_year, r.still_active), (Some(3), Some(2)));
        assert_eq!(r.rate, Some(2.0 / 3.0));
        assert_eq!((r.joined_recently, r.left_recently), (Some(1), Some(1)));
        assert!(retention(&[], until).rate.is_none());
    }

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

    #[test]
    fn members_by_month_counts_at_each_month_end() {
        let until: DateTime<Utc> = "2026-03-15T00:00:00Z".parse().unwrap();
        let people = [
            member("2026-01-10T00:00:00Z", None),
            member("2026-02-10T00:00:00Z", Some("2026-03-05T00:00:00Z")),
        ];
        let long_ago: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
        let months = members_by_month(&people, long_ago, until);
        assert_eq!(months.len(), MEMBER_MONTHS as usize);
        let last: Vec<(String, i64)> = months[9..]
            .iter()
            .map(|p| (p.month.to_string(), p.active.unwrap_or(-1)))
            .collect();
        assert_eq!(
            last,
            [
                ("2026-01-01".to_owned(), 1),
                ("2026-02-01".to_owned(), 2),
                ("2026-03-01".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn no_month_before_the_circle_existed() {
        let until: DateTime<Utc> = "2026-03-15T00:00:00Z".parse().unwrap();
        let created: DateTime<Utc> = "2026-02-20T00:00:00Z".parse().unwrap();
        let people = [member("2026-02-21T00:00:00Z", None)];
        let months: Vec<String> = members_by_month(&people, created, until)
            .iter()
            .map(|p| p.month.to_string())
            .collect();
        assert_eq!(months, ["2026-02-01", "2026-03-01"]);
    }
}
