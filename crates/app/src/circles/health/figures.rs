//! The figures, computed: what they are computed from, loaded in a few queries, and the
//! counting itself.

use super::{AttendancePoint, CircleSummary, MembersPoint, Retention, MEMBER_MONTHS, RECENT_DAYS};
use crate::Result;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use db::main_db::{attendance, circle_memberships as memberships, circles, meetings};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use domain::meeting::{AttendanceStatus, MeetingStatus};
use std::collections::HashMap;
use uuid::Uuid;

/// What the figures are computed from, loaded in a few queries for one circle or all.
pub(super) struct Facts {
    /// Meetings that took place (scheduled and started), oldest first, per circle.
    pub(super) meetings: HashMap<Uuid, Vec<meetings::Model>>,
    /// Present, absent, excused per meeting.
    pub(super) tallies: HashMap<Uuid, [i64; 3]>,
    /// Memberships with the member role, per circle.
    pub(super) members: HashMap<Uuid, Vec<memberships::Model>>,
    pub(super) requests: HashMap<Uuid, i64>,
}

impl Facts {
    pub(super) async fn load(
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

    pub(super) fn point(&self, m: &meetings::Model) -> Option<AttendancePoint> {
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
    pub(super) fn recent_tally(&self, circle: Option<Uuid>, now: DateTime<Utc>) -> [i64; 3] {
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

    pub(super) fn summary(&self, c: &circles::Model, now: DateTime<Utc>) -> CircleSummary {
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

pub(super) fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Whether the membership was active at `at`.
fn active_at(m: &memberships::Model, at: DateTime<Utc>) -> bool {
    m.joined_at.is_some_and(|j| j <= at) && m.ended_at.is_none_or(|e| e > at)
}

/// Members at the end of each of the last [`MEMBER_MONTHS`] months up to `until`, from
/// the month the circle was created (`since`) at the earliest: a month before it existed
/// has no figure, not a zero.
pub(super) fn members_by_month(
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

pub(super) fn retention(people: &[memberships::Model], until: DateTime<Utc>) -> Retention {
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
            message_sealed: None,
            message_encrypted: None,
            message_key_version: None,
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
