//! Events of every kind over a year around today, some at venues, some only for chosen
//! circles, with their registrations and waitlists.

use super::circles::CircleInfo;
use super::dice::{instant, time, Dice};
use super::names::{ADMIN, CITIES, FILMS, PTM, TOPICS};
use super::Plan;
use crate::Result;
use chrono::{DateTime, Days, Duration, Utc};
use db::main_db::{event_circles, event_registrations, events};
use domain::circle::CircleStatus;
use domain::event::{EventKind, EventStatus, RegistrationStatus};
use rand::Rng;
use uuid::Uuid;

/// Generates `n_events` events; `venue_city` is each venue's city.
pub(super) fn events(
    dice: &mut Dice,
    p: &mut Plan,
    n_events: usize,
    now: DateTime<Utc>,
    ids: &[Uuid],
    infos: &[CircleInfo],
    venue_city: &[usize],
) -> Result<()> {
    let n_venues = venue_city.len();
    let organisers = [ids[PTM], ids[ADMIN]];
    let meeting_circles: Vec<usize> = (0..infos.len())
        .filter(|i| infos[*i].status != CircleStatus::Forming)
        .collect();
    // Booked intervals per venue: a venue holds one event at a time.
    let mut booked: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>> = vec![Vec::new(); n_venues];
    for i in 0..n_events {
        let kind = match dice.range(0, 99) {
            0..=24 if !meeting_circles.is_empty() => EventKind::CircleMeeting,
            0..=44 => EventKind::MovieNight,
            45..=74 => EventKind::Workshop,
            75..=89 => EventKind::DayRetreat,
            _ => EventKind::MultiDayRetreat,
        };
        let circle =
            (kind == EventKind::CircleMeeting).then(|| &infos[*dice.pick(&meeting_circles)]);
        let online = match circle {
            Some(c) => c.city.is_none(),
            None => dice.chance(0.12) && kind != EventKind::MultiDayRetreat,
        };
        let city_ix = match circle {
            Some(c) => c.city.unwrap_or(0),
            None => dice.range(0, CITIES.len() as i64 - 1) as usize,
        };
        let city = &CITIES[city_ix];
        let tz = circle.map_or(city.tz, |c| c.tz);
        let day = (now + Duration::days(dice.range(-182, 182))).with_timezone(&tz);
        let date = day.date_naive();
        let (start_local, end_local) = match kind {
            EventKind::CircleMeeting => {
                let t = time(19, 0)?;
                (date.and_time(t), date.and_time(time(21, 0)?))
            }
            EventKind::MovieNight => {
                let (h, m) = *dice.pick(&[(19, 0), (19, 30), (20, 0)]);
                (date.and_time(time(h, m)?), date.and_time(time(h + 3, m)?))
            }
            EventKind::Workshop => {
                let (h, len) = *dice.pick(&[(10, 3), (14, 3), (10, 6), (18, 3)]);
                (date.and_time(time(h, 0)?), date.and_time(time(h + len, 0)?))
            }
            EventKind::DayRetreat => (date.and_time(time(9, 0)?), date.and_time(time(17, 30)?)),
            EventKind::MultiDayRetreat => {
                let nights = dice.range(1, 3) as u64;
                (
                    date.and_time(time(17, 0)?),
                    (date + Days::new(nights)).and_time(time(14, 0)?),
                )
            }
        };
        let starts_at = instant(tz, start_local);
        let ends_at = instant(tz, end_local).max(starts_at + Duration::hours(1));
        let created_at = (starts_at - Duration::days(dice.range(20, 90))).min(now);
        let past = starts_at <= now;
        let status = if past {
            match dice.range(0, 99) {
                0..=79 => EventStatus::Completed,
                80..=91 => EventStatus::Published,
                _ => EventStatus::Cancelled,
            }
        } else {
            match dice.range(0, 99) {
                0..=84 => EventStatus::Published,
                85..=92 => EventStatus::Draft,
                _ => EventStatus::Cancelled,
            }
        };
        // Audience: a circle's own meeting, some programme events only for chosen circles.
        let mut audience: Vec<usize> = Vec::new();
        if let Some(c) = circle {
            audience.push(infos.iter().position(|x| x.id == c.id).unwrap_or(0));
        } else if dice.chance(0.1) {
            for _ in 0..dice.range(1, 3) {
                let c = dice.range(0, infos.len() as i64 - 1) as usize;
                if !audience.contains(&c) {
                    audience.push(c);
                }
            }
        }
        let mut capacity = match kind {
            EventKind::CircleMeeting => circle.map_or(10, |c| c.capacity + 2),
            EventKind::MovieNight => dice.range(20, 80) as i32,
            EventKind::Workshop => dice.range(12, 40) as i32,
            EventKind::DayRetreat => dice.range(15, 60) as i32,
            EventKind::MultiDayRetreat => dice.range(10, 30) as i32,
        };
        // About half the in-person programme events are at a venue of their city that is
        // free then (venues cannot be double-booked by drafts or published events).
        let mut venue_id = None;
        if circle.is_none() && !online && dice.chance(0.5) {
            let candidates: Vec<usize> = (0..n_venues)
                .filter(|v| venue_city[*v] == city_ix)
                .collect();
            if !candidates.is_empty() {
                let v = *dice.pick(&candidates);
                let holds = matches!(status, EventStatus::Draft | EventStatus::Published);
                let clash = holds
                    && booked[v]
                        .iter()
                        .any(|(s, e)| domain::event::overlaps(starts_at, ends_at, *s, *e));
                if !clash {
                    if holds {
                        booked[v].push((starts_at, ends_at));
                    }
                    capacity = capacity.min(p.venues[v].capacity);
                    venue_id = Some(p.venues[v].id);
                }
            }
        }
        let paid_share = match kind {
            EventKind::CircleMeeting => 0.0,
            EventKind::MovieNight => 0.2,
            EventKind::Workshop => 0.5,
            EventKind::DayRetreat => 0.7,
            EventKind::MultiDayRetreat => 0.95,
        };
        let price_minor = if dice.chance(paid_share) {
            let (lo, hi) = match kind {
                EventKind::MovieNight => (1, 3),
                EventKind::Workshop => (5, 18),
                EventKind::DayRetreat => (9, 30),
                _ => (38, 130),
            };
            dice.range(lo, hi) * 500
        } else {
            0
        };
        let paid = price_minor > 0;
        let opens_at = dice
            .chance(0.3)
            .then(|| (starts_at - Duration::days(dice.range(30, 60))).max(created_at))
            .filter(|o| *o < starts_at);
        let closes_at = (matches!(kind, EventKind::DayRetreat | EventKind::MultiDayRetreat)
            && dice.chance(0.5))
        .then(|| starts_at - Duration::days(1))
        .filter(|c| opens_at.is_none_or(|o| *c > o));
        let organiser = circle.map_or_else(|| *dice.pick(&organisers), |c| c.facilitator);
        let id = dice.id(created_at);
        let cancelled_at = (status == EventStatus::Cancelled)
            .then(|| dice.between(created_at, starts_at.min(now)));
        let title = match kind {
            EventKind::CircleMeeting => format!(
                "Open evening of {}",
                p.circles
                    .iter()
                    .find(|c| Some(c.id) == circle.map(|x| x.id))
                    .map_or("the circle", |c| c.name.as_str())
            ),
            EventKind::MovieNight => format!("Movie night: {}", dice.pick(&FILMS)),
            EventKind::Workshop => format!("Workshop: {}", dice.pick(&TOPICS)),
            EventKind::DayRetreat => format!("Day retreat in {}", city.name),
            EventKind::MultiDayRetreat => format!("Weekend retreat near {}", city.name),
        };
        let waitlist_enabled = dice.chance(0.85);

        // Registrations: arrivals in order; the first `capacity` who did not cancel hold
        // seats, the rest wait (or were never let in without a waitlist).
        let mut regs: Vec<event_registrations::Model> = Vec::new();
        let mut seats = 0;
        let mut arrivals = 0i64;
        if status != EventStatus::Draft {
            let eligible: Vec<Uuid> = if audience.is_empty() {
                ids.iter().copied().filter(|u| *u != organiser).collect()
            } else {
                let mut v: Vec<Uuid> = audience
                    .iter()
                    .flat_map(|c| infos[*c].members.iter().map(|m| m.0))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let cap = capacity as usize;
            let want = if audience.is_empty() {
                if dice.chance(0.35) {
                    cap + dice.range(0, (cap / 3) as i64) as usize
                } else {
                    (cap as f64 * dice.0.gen_range(0.2..0.95)) as usize
                }
            } else {
                (eligible.len() as f64 * dice.0.gen_range(0.4..1.0)).ceil() as usize
            };
            let window_start = opens_at.unwrap_or(created_at);
            let window_end = closes_at.unwrap_or(starts_at).min(now) - Duration::minutes(1);
            // Registrations fall inside the window, so an event opening later has none yet.
            let want = if window_start < window_end {
                want.min(eligible.len())
            } else {
                0
            };
            let chosen = rand::seq::index::sample(&mut dice.0, eligible.len(), want);
            let mut times: Vec<DateTime<Utc>> = (0..want)
                .map(|_| dice.between(window_start, window_end))
                .collect();
            times.sort();
            for (k, ix) in chosen.into_iter().enumerate() {
                let at = times[k];
                let cancelled = dice.chance(0.07);
                let status = if cancelled {
                    RegistrationStatus::Cancelled
                } else if seats < cap {
                    seats += 1;
                    RegistrationStatus::seated(paid && !past && dice.chance(0.25))
                } else if waitlist_enabled {
                    RegistrationStatus::Waitlisted
                } else {
                    continue;
                };
                arrivals += 1;
                let holds = status.holds_seat();
                let cancelled_at = cancelled.then(|| dice.between(at, window_end.max(at)));
                let checked_in =
                    status == RegistrationStatus::Confirmed && past && dice.chance(0.85);
                regs.push(event_registrations::Model {
                    id: dice.id(at),
                    event_id: id,
                    user_id: eligible[ix],
                    status,
                    position: arrivals,
                    note: None,
                    offer_expires_at: None,
                    hold_expires_at: None,
                    checked_in_at: checked_in.then_some(starts_at),
                    checked_in_by: checked_in.then_some(organiser),
                    registered_at: at,
                    confirmed_at: holds.then_some(at),
                    cancelled_at,
                    updated_at: cancelled_at.unwrap_or(at),
                });
            }
        }
        p.events.push(events::Model {
            id,
            kind,
            title,
            description: format!(
                "A {} for men of every age and background{}. Bring curiosity; leave advice at home.",
                kind.label(),
                if online { ", online" } else { "" }
            ),
            status,
            starts_at,
            ends_at,
            time_zone: tz.name().to_owned(),
            venue_id,
            location: (venue_id.is_none() && !online).then(|| match circle {
                Some(c) => p
                    .circles
                    .iter()
                    .find(|x| x.id == c.id)
                    .and_then(|x| x.location.clone())
                    .unwrap_or_else(|| city.name.to_owned()),
                None => format!("{}, {}", dice.pick(&city.districts), city.name),
            }),
            online_url: online.then(|| format!("https://meet.example.org/event-{}", i + 1)),
            capacity,
            price_minor,
            currency: paid.then(|| city.currency.to_owned()),
            price_suggested_minor: None,
            price_maximum_minor: None,
            waitlist_enabled,
            offer_hours: (paid && dice.chance(0.4)).then_some(24),
            registration_opens_at: opens_at,
            registration_closes_at: closes_at,
            cancellation_policy: paid
                .then(|| "Full refund up to 7 days before the event; none after.".to_owned()),
            refund_full_days_before: paid.then_some(7),
            refund_later_percent: paid.then_some(0),
            circle_id: circle.map(|c| c.id),
            open_to_all: audience.is_empty(),
            organiser_id: organiser,
            confirmed_count: seats as i32,
            last_position: arrivals,
            sequence: i32::from(status == EventStatus::Cancelled),
            created_at,
            updated_at: cancelled_at.unwrap_or(created_at),
            cancelled_at,
        });
        for c in &audience {
            p.event_circles.push(event_circles::Model {
                event_id: id,
                circle_id: infos[*c].id,
                accepted_at: Some(created_at),
                accepted_by: Some(organiser),
            });
        }
        p.registrations.extend(regs);
    }
    Ok(())
}
