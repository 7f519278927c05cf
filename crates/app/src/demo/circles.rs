//! Circles with their facilitator, members, past members and open requests.

use super::dice::{next_weekday, time, Dice};
use super::meetings::{meetings, Schedule};
use super::names::{CITIES, QUALITIES, TREES};
use super::people::Pool;
use super::Plan;
use crate::Result;
use chrono::{DateTime, Duration, Utc, Weekday};
use chrono_tz::Tz;
use db::main_db::{circle_memberships, circles};
use domain::cadence::{weekday_as_str, Cadence, Frequency};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus, Visibility};
use uuid::Uuid;

/// A generated circle and the people in it, kept for meetings and events.
pub(super) struct CircleInfo {
    pub id: Uuid,
    pub facilitator: Uuid,
    /// Active members (not the facilitator) with when they joined.
    pub members: Vec<(Uuid, DateTime<Utc>)>,
    pub city: Option<usize>,
    pub tz: Tz,
    pub capacity: i32,
    pub status: CircleStatus,
}

/// Generates `n_circles` circles, their memberships and their meetings.
pub(super) fn circles(
    dice: &mut Dice,
    p: &mut Plan,
    n_circles: usize,
    now: DateTime<Utc>,
    facilitators: &[Uuid],
    pool: &mut Pool,
) -> Result<Vec<CircleInfo>> {
    let mut infos: Vec<CircleInfo> = Vec::with_capacity(n_circles);
    for i in 0..n_circles {
        let facilitator = facilitators[i % facilitators.len()];
        let online = i != 0 && dice.chance(0.2);
        let c = dice.range(0, CITIES.len() as i64 - 1) as usize;
        let city = &CITIES[c];
        let status = if i == 0 {
            CircleStatus::Active
        } else {
            match dice.range(0, 99) {
                0..=7 => CircleStatus::Forming,
                8..=11 => CircleStatus::Closed,
                _ => CircleStatus::Active,
            }
        };
        let frequency = match dice.range(0, 9) {
            0..=4 => Frequency::Weekly,
            5..=7 => Frequency::EveryTwoWeeks,
            _ => Frequency::Monthly,
        };
        let weekday = *dice.pick(&[
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Thu,
            Weekday::Sun,
        ]);
        let (h, m) = *dice.pick(&[(7, 0), (18, 30), (19, 0), (19, 30), (19, 30), (20, 0)]);
        let local_time = time(h, m)?;
        let capacity = dice.range(4, 10) as i32;
        let (created_at, anchor, closed_at) = match status {
            CircleStatus::Forming => {
                let created = dice.between(now - Duration::days(28), now - Duration::days(1));
                let first = (now + Duration::days(dice.range(3, 28))).with_timezone(&city.tz);
                (created, next_weekday(first.date_naive(), weekday), None)
            }
            CircleStatus::Closed => {
                let created = dice.between(now - Duration::days(540), now - Duration::days(300));
                let first = (created + Duration::days(7)).with_timezone(&city.tz);
                let closed = dice.between(now - Duration::days(90), now - Duration::days(20));
                (
                    created,
                    next_weekday(first.date_naive(), weekday),
                    Some(closed),
                )
            }
            CircleStatus::Active | CircleStatus::Archived => {
                let created = dice.between(now - Duration::days(540), now - Duration::days(30));
                let first = (created + Duration::days(dice.range(3, 14))).with_timezone(&city.tz);
                (created, next_weekday(first.date_naive(), weekday), None)
            }
        };
        let id = dice.id(created_at);
        let name = format!(
            "{} {} Circle {} #{}",
            dice.pick(&QUALITIES),
            dice.pick(&TREES),
            if online { "Online" } else { city.name },
            i + 1
        );
        let duration = *dice.pick(&[90, 120, 120, 150]);
        let location = (!online).then(|| {
            format!(
                "{} community room, {}",
                dice.pick(&city.districts),
                city.name
            )
        });
        // Memberships: the facilitator, active members, and some history and requests.
        p.memberships.push(circle_memberships::Model {
            id: dice.id(created_at),
            circle_id: id,
            user_id: facilitator,
            role: CircleRole::Facilitator,
            status: MembershipStatus::Active,
            message: None,
            message_sealed: None,
            message_encrypted: None,
            message_key_version: None,
            reason: None,
            requested_at: created_at,
            decided_at: Some(created_at),
            decided_by: Some(facilitator),
            joined_at: Some(created_at),
            ended_at: None,
        });
        let wanted = match status {
            CircleStatus::Forming => dice.range(2, i64::from(capacity).min(4)),
            _ if dice.chance(0.3) => i64::from(capacity),
            _ => dice.range(2, i64::from(capacity)),
        } as usize;
        let until = closed_at.unwrap_or(now);
        let mut members = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            let user = pool.next_member();
            let joined = dice.between(created_at, created_at + (until - created_at) / 2);
            let requested = (joined - Duration::days(dice.range(0, 5))).max(created_at);
            p.memberships.push(circle_memberships::Model {
                id: dice.id(requested),
                circle_id: id,
                user_id: user,
                role: CircleRole::Member,
                status: MembershipStatus::Active,
                message: dice
                    .chance(0.4)
                    .then(|| "I would like to join; Tuesdays work well for me.".to_owned()),
                message_sealed: None,
                message_encrypted: None,
                message_key_version: None,
                reason: None,
                requested_at: requested,
                decided_at: Some(joined),
                decided_by: Some(facilitator),
                joined_at: Some(joined),
                ended_at: None,
            });
            members.push((user, joined));
        }
        if status != CircleStatus::Forming && dice.chance(0.15) {
            let user = pool.next_member();
            let joined = dice.between(created_at, created_at + (until - created_at) / 3);
            let ended = dice.between(joined, until);
            p.memberships.push(circle_memberships::Model {
                id: dice.id(joined),
                circle_id: id,
                user_id: user,
                role: CircleRole::Member,
                status: MembershipStatus::Left,
                message: None,
                message_sealed: None,
                message_encrypted: None,
                message_key_version: None,
                reason: None,
                requested_at: joined,
                decided_at: Some(joined),
                decided_by: Some(facilitator),
                joined_at: Some(joined),
                ended_at: Some(ended),
            });
        }
        let open = i == 0 || dice.chance(0.7);
        if open && status != CircleStatus::Closed && dice.chance(0.25) {
            for _ in 0..dice.range(1, 3) {
                let at = dice.between(now - Duration::days(14), now);
                p.memberships.push(circle_memberships::Model {
                    id: dice.id(at),
                    circle_id: id,
                    user_id: pool.next_member(),
                    role: CircleRole::Member,
                    status: MembershipStatus::Requested,
                    message: Some("Could I join this circle?".to_owned()),
                    message_sealed: None,
                    message_encrypted: None,
                    message_key_version: None,
                    reason: None,
                    requested_at: at,
                    decided_at: None,
                    decided_by: None,
                    joined_at: None,
                    ended_at: None,
                });
            }
        }
        p.circles.push(circles::Model {
            id,
            name,
            description: format!(
                "A circle of men meeting {} to listen and be heard. What is said here stays here.",
                match frequency {
                    Frequency::Weekly => "every week",
                    Frequency::EveryTwoWeeks => "every other week",
                    Frequency::Monthly => "once a month",
                }
            ),
            capacity,
            visibility: if open {
                Visibility::Open
            } else {
                Visibility::InvitationOnly
            },
            status,
            frequency,
            weekday: weekday_as_str(weekday).to_owned(),
            meeting_time: local_time.format("%H:%M").to_string(),
            duration_minutes: duration,
            time_zone: city.tz.name().to_owned(),
            anchor_date: anchor,
            city: (!online).then(|| city.name.to_owned()),
            location: location.clone(),
            online_url: online.then(|| format!("https://meet.example.org/circle-{}", i + 1)),
            active_members: members.len() as i32,
            created_by: Some(facilitator),
            created_at,
            updated_at: closed_at.unwrap_or(created_at),
            archived_at: None,
            needs_facilitator_since: None,
        });

        let info = CircleInfo {
            id,
            facilitator,
            members,
            city: (!online).then_some(c),
            tz: city.tz,
            capacity,
            status,
        };
        let schedule = Schedule {
            cadence: Cadence {
                frequency,
                weekday,
                local_time,
                time_zone: city.tz,
                anchor,
            },
            duration,
            location,
            created_at,
            closed_at,
        };
        meetings(dice, p, now, &info, &schedule);
        infos.push(info);
    }
    Ok(infos)
}
