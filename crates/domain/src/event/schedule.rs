//! When an event happens: local times in the organisers' zone, resolved to instants.

use super::EventKind;
use crate::{DomainError, TimeZone};
use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;

/// When an event happens: its start and end as UTC instants, and the IANA zone its
/// organisers entered them in (kept so pages show local times).
///
/// Built only by [`EventSchedule::parse`], so the end is always after the start and the
/// length fits the event's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSchedule {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    time_zone: Tz,
}

impl EventSchedule {
    /// No event lasts longer than this; more is a typo (a wrong month), not a retreat.
    pub const MAX_LENGTH: TimeDelta = TimeDelta::days(14);

    /// Dates are accepted from this year…
    const MIN_YEAR: i32 = 2000;
    /// …to this one: beyond it tz rules are guesswork, and a typo (`2206`) is likelier.
    const MAX_YEAR: i32 = 2100;

    /// Parses an event's start and end as sent by `<input type="datetime-local">`
    /// (`YYYY-MM-DDTHH:MM`, wall-clock time in `time_zone`, an IANA name) and checks them
    /// against the rules for `kind`.
    ///
    /// - A wall-clock time the clocks skip (spring forward) is refused: unlike a weekly
    ///   meeting, a one-off event has a person at the form who can pick a real time, and
    ///   silently moving it would print a time nobody chose on the invitation.
    /// - A time the clocks repeat (fall back) is the earlier of its two instants, so nobody
    ///   arrives an hour late.
    /// - The end must be after the start, and no event may last more than 14 days.
    /// - A multi-day retreat must end on a later local date than it starts; every other
    ///   kind, including a day retreat, must end on the date it starts.
    ///
    /// Every problem is reported, each under its field: `starts_at`, `ends_at`, `time_zone`.
    pub fn parse(
        start_local: &str,
        end_local: &str,
        time_zone: &str,
        kind: EventKind,
    ) -> Result<EventSchedule, Vec<DomainError>> {
        let mut errors = Vec::new();
        let start = Self::parse_local(start_local, "starts_at", "start", &mut errors);
        let end = Self::parse_local(end_local, "ends_at", "end", &mut errors);
        let tz = TimeZone::parse(time_zone)
            .map_err(|e| errors.push(e))
            .ok()
            .map(|tz| tz.tz());
        let Some(tz) = tz else {
            return Err(errors);
        };
        let starts_at =
            start.and_then(|local| resolve(tz, local, "starts_at", "start", &mut errors));
        let ends_at = end.and_then(|local| resolve(tz, local, "ends_at", "end", &mut errors));
        let (Some(starts_at), Some(ends_at), Some(start), Some(end)) =
            (starts_at, ends_at, start, end)
        else {
            return Err(errors);
        };
        if ends_at <= starts_at {
            errors.push(DomainError::new(
                "ends_at",
                "The event must end after it starts.",
            ));
        } else if ends_at - starts_at > Self::MAX_LENGTH {
            errors.push(DomainError::new(
                "ends_at",
                "An event can last at most 14 days.",
            ));
        } else if kind.spans_days() && end.date() <= start.date() {
            errors.push(DomainError::new(
                "ends_at",
                "A multi-day retreat must end on a later day than it starts. \
                 For an event within one day, choose day retreat.",
            ));
        } else if !kind.spans_days() && end.date() != start.date() {
            errors.push(DomainError::new(
                "ends_at",
                format!(
                    "A {} must end on the day it starts. \
                     For an event over several days, choose multi-day retreat.",
                    kind.label()
                ),
            ));
        }
        if errors.is_empty() {
            Ok(EventSchedule {
                starts_at,
                ends_at,
                time_zone: tz,
            })
        } else {
            Err(errors)
        }
    }

    /// When the event starts.
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    /// When the event ends (after [`EventSchedule::starts_at`]).
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    /// The zone the event's times are shown in.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// The start on the wall clock of the event's zone, as a form shows it.
    pub fn local_start(&self) -> NaiveDateTime {
        self.starts_at.with_timezone(&self.time_zone).naive_local()
    }

    /// The end on the wall clock of the event's zone, as a form shows it.
    pub fn local_end(&self) -> NaiveDateTime {
        self.ends_at.with_timezone(&self.time_zone).naive_local()
    }

    /// `YYYY-MM-DDTHH:MM` exactly (what `<input type="datetime-local">` sends), a real
    /// date in the accepted years; a problem is recorded under `field`.
    fn parse_local(
        raw: &str,
        field: &'static str,
        what: &str,
        errors: &mut Vec<DomainError>,
    ) -> Option<NaiveDateTime> {
        let raw = raw.trim();
        let b = raw.as_bytes();
        let shape_ok = b.len() == 16
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15]
                .into_iter()
                .all(|i| b[i].is_ascii_digit());
        let parsed = shape_ok
            .then(|| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").ok())
            .flatten();
        match parsed {
            None => {
                errors.push(DomainError::new(
                    field,
                    format!(
                        "Enter the {what} as a date and a time on a 24-hour clock, \
                         for example 2026-03-03T19:30."
                    ),
                ));
                None
            }
            Some(t) if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&t.year()) => {
                errors.push(DomainError::new(
                    field,
                    format!(
                        "Pick a date for the {what} between the years {} and {}.",
                        Self::MIN_YEAR,
                        Self::MAX_YEAR
                    ),
                ));
                None
            }
            Some(t) => Some(t),
        }
    }
}

/// The instant a wall-clock time in `tz` denotes: the earlier one when the clocks repeat
/// it; `None` (with a message under `field`) when the clocks skip it.
fn resolve(
    tz: Tz,
    local: NaiveDateTime,
    field: &'static str,
    what: &str,
    errors: &mut Vec<DomainError>,
) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            errors.push(DomainError::new(
                field,
                format!(
                    "The {what} time {} does not exist in {}: the clocks go forward then. \
                     Choose a time before or after the change.",
                    human(local),
                    tz.name()
                ),
            ));
            None
        }
    }
}

/// "02:30 on 29 March 2026".
fn human(local: NaiveDateTime) -> String {
    format!(
        "{} on {}",
        local.format("%H:%M"),
        local.date().format("%-d %B %Y")
    )
}

/// Whether `[a_start, a_end)` and `[b_start, b_end)` share any moment. Intervals are
/// half-open, so an event ending at 12:00 does not clash with one starting at 12:00; an
/// empty interval (start ≥ end) overlaps nothing.
pub fn overlaps<T: Ord>(a_start: T, a_end: T, b_start: T, b_end: T) -> bool {
    a_start < a_end && b_start < b_end && a_start < b_end && b_start < a_end
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn fields(errors: &[DomainError]) -> Vec<&'static str> {
        errors.iter().map(|e| e.field).collect()
    }

    fn schedule(start: &str, end: &str, tz: &str, kind: EventKind) -> EventSchedule {
        EventSchedule::parse(start, end, tz, kind).unwrap()
    }

    fn schedule_err(start: &str, end: &str, tz: &str, kind: EventKind) -> Vec<DomainError> {
        EventSchedule::parse(start, end, tz, kind).unwrap_err()
    }
    #[test]
    fn schedule_resolves_local_times_to_utc() {
        let s = schedule(
            "2026-03-03T19:30",
            "2026-03-03T21:45",
            "Europe/Berlin",
            EventKind::CircleMeeting,
        );
        assert_eq!(s.starts_at(), utc("2026-03-03T18:30:00Z"));
        assert_eq!(s.ends_at(), utc("2026-03-03T20:45:00Z"));
        assert_eq!(s.time_zone(), chrono_tz::Europe::Berlin);
        assert_eq!(s.local_start().to_string(), "2026-03-03 19:30:00");
        assert_eq!(s.local_end().to_string(), "2026-03-03 21:45:00");
        // Summer time: the same wall clock is an hour earlier in UTC.
        let summer = schedule(
            " 2026-07-07T19:30 ",
            "2026-07-07T21:00",
            " Europe/Berlin ",
            EventKind::MovieNight,
        );
        assert_eq!(summer.starts_at(), utc("2026-07-07T17:30:00Z"));
        let ny = schedule(
            "2026-01-10T09:00",
            "2026-01-10T17:00",
            "America/New_York",
            EventKind::Workshop,
        );
        assert_eq!(ny.starts_at(), utc("2026-01-10T14:00:00Z"));
        assert_eq!(ny.ends_at(), utc("2026-01-10T22:00:00Z"));
    }

    #[test]
    fn a_skipped_time_is_refused_under_its_field() {
        // Berlin: 02:00 → 03:00 on 29 March 2026.
        let errors = schedule_err(
            "2026-03-29T02:30",
            "2026-03-29T05:00",
            "Europe/Berlin",
            EventKind::Workshop,
        );
        assert_eq!(
            errors,
            [DomainError::new(
                "starts_at",
                "The start time 02:30 on 29 March 2026 does not exist in Europe/Berlin: \
                 the clocks go forward then. Choose a time before or after the change."
            )]
        );
        let errors = schedule_err(
            "2026-03-29T01:00",
            "2026-03-29T02:00",
            "Europe/Berlin",
            EventKind::Workshop,
        );
        assert_eq!(fields(&errors), ["ends_at"]);
        assert!(errors[0]
            .message
            .starts_with("The end time 02:00 on 29 March 2026"));
        // New York: 02:00 → 03:00 on 8 March 2026; both ends in the gap.
        let errors = schedule_err(
            "2026-03-08T02:00",
            "2026-03-08T02:59",
            "America/New_York",
            EventKind::CircleMeeting,
        );
        assert_eq!(fields(&errors), ["starts_at", "ends_at"]);
        // Just either side of the gap is fine: 01:59 EST to 03:00 EDT is one minute.
        let s = schedule(
            "2026-03-08T01:59",
            "2026-03-08T03:00",
            "America/New_York",
            EventKind::CircleMeeting,
        );
        assert_eq!(s.ends_at() - s.starts_at(), TimeDelta::minutes(1));
    }

    #[test]
    fn a_repeated_time_is_the_earlier_instant() {
        // Berlin: 03:00 CEST → 02:00 CET on 25 October 2026; 02:30 happens twice.
        let s = schedule(
            "2026-10-25T02:30",
            "2026-10-25T04:00",
            "Europe/Berlin",
            EventKind::DayRetreat,
        );
        assert_eq!(s.starts_at(), utc("2026-10-25T00:30:00Z"));
        assert_eq!(s.ends_at(), utc("2026-10-25T03:00:00Z"));
        // New York: 02:00 EDT → 01:00 EST on 1 November 2026; 01:30 happens twice.
        let s = schedule(
            "2026-11-01T01:30",
            "2026-11-01T01:45",
            "America/New_York",
            EventKind::CircleMeeting,
        );
        assert_eq!(s.starts_at(), utc("2026-11-01T05:30:00Z"));
        assert_eq!(s.ends_at(), utc("2026-11-01T05:45:00Z"));
        assert_eq!(s.local_start().to_string(), "2026-11-01 01:30:00");
    }

    #[test]
    fn the_end_must_follow_the_start() {
        for end in ["2026-05-05T18:00", "2026-05-05T17:59"] {
            let errors = schedule_err("2026-05-05T18:00", end, "UTC", EventKind::Workshop);
            assert_eq!(
                errors,
                [DomainError::new(
                    "ends_at",
                    "The event must end after it starts."
                )]
            );
        }
        // Fall back: local 02:45 → 02:15 looks backwards and is backwards (both CEST).
        let errors = schedule_err(
            "2026-10-25T02:45",
            "2026-10-25T02:15",
            "Europe/Berlin",
            EventKind::Workshop,
        );
        assert_eq!(fields(&errors), ["ends_at"]);
    }

    #[test]
    fn only_a_multi_day_retreat_crosses_midnight() {
        for kind in [
            EventKind::CircleMeeting,
            EventKind::MovieNight,
            EventKind::Workshop,
            EventKind::DayRetreat,
        ] {
            let errors = schedule_err("2026-06-05T20:00", "2026-06-06T01:00", "UTC", kind);
            assert_eq!(
                errors,
                [DomainError::new(
                    "ends_at",
                    format!(
                        "A {} must end on the day it starts. \
                         For an event over several days, choose multi-day retreat.",
                        kind.label()
                    )
                )],
                "{kind:?}"
            );
            assert!(
                EventSchedule::parse("2026-06-05T00:00", "2026-06-05T23:59", "UTC", kind).is_ok()
            );
        }
        assert_eq!(
            schedule_err(
                "2026-06-05T09:00",
                "2026-06-05T18:00",
                "UTC",
                EventKind::MultiDayRetreat
            ),
            [DomainError::new(
                "ends_at",
                "A multi-day retreat must end on a later day than it starts. \
                 For an event within one day, choose day retreat."
            )]
        );
        let weekend = schedule(
            "2026-06-05T18:00",
            "2026-06-07T14:00",
            "Europe/Berlin",
            EventKind::MultiDayRetreat,
        );
        assert_eq!(
            weekend.ends_at() - weekend.starts_at(),
            TimeDelta::hours(44)
        );
        // The local date decides, not the UTC one: 23:00 → 00:30 Berlin is one UTC day.
        assert!(EventSchedule::parse(
            "2026-06-05T23:00",
            "2026-06-06T00:30",
            "Europe/Berlin",
            EventKind::MultiDayRetreat,
        )
        .is_ok());
        assert!(EventSchedule::parse(
            "2026-06-05T23:00",
            "2026-06-06T00:30",
            "Europe/Berlin",
            EventKind::DayRetreat,
        )
        .is_err());
    }

    #[test]
    fn no_event_lasts_more_than_fourteen_days() {
        let kind = EventKind::MultiDayRetreat;
        assert!(EventSchedule::parse("2026-06-01T10:00", "2026-06-15T10:00", "UTC", kind).is_ok());
        assert_eq!(
            schedule_err("2026-06-01T10:00", "2026-06-15T10:01", "UTC", kind),
            [DomainError::new(
                "ends_at",
                "An event can last at most 14 days."
            )]
        );
        // The limit is real elapsed time: across spring forward, 14 local days are 1 h less.
        assert!(EventSchedule::parse(
            "2026-03-20T10:00",
            "2026-04-03T11:00",
            "Europe/Berlin",
            kind
        )
        .is_ok());
        assert!(EventSchedule::parse(
            "2026-03-20T10:00",
            "2026-04-03T11:01",
            "Europe/Berlin",
            kind
        )
        .is_err());
    }

    #[test]
    fn every_bad_input_is_reported_under_its_field() {
        let ok = ["2026-03-03T19:30", "2026-03-03T21:00", "Europe/Berlin"];
        let bad: [(usize, &str, &[&str]); 3] = [
            (
                0,
                "starts_at",
                &[
                    "",
                    "2026-03-03 19:30",
                    "2026-3-3T19:30",
                    "2026-03-03T19:30:00",
                    "2026-03-03T7:30",
                    "2026-02-30T19:30",
                    "2026-03-03T24:00",
                    "03.03.2026T19:30",
                    "+2026-03-0T19:30",
                    "1999-03-03T19:30",
                    "2101-03-03T19:30",
                ],
            ),
            (1, "ends_at", &["", "2026-03-03", "2026-03-03T21:60"]),
            (2, "time_zone", &["", "Europe/Atlantis", "+01:00"]),
        ];
        for (i, field, values) in bad {
            for value in values {
                let mut input = ok;
                input[i] = value;
                let errors =
                    EventSchedule::parse(input[0], input[1], input[2], EventKind::Workshop)
                        .unwrap_err();
                assert_eq!(fields(&errors), [field], "{value:?}");
                assert!(!errors[0].message.is_empty());
            }
        }
        let errors = schedule_err("tomorrow", "later", "Mars/Olympus", EventKind::Workshop);
        assert_eq!(fields(&errors), ["starts_at", "ends_at", "time_zone"]);
        assert_eq!(
            errors[0].message,
            "Enter the start as a date and a time on a 24-hour clock, for example 2026-03-03T19:30."
        );
        assert_eq!(
            schedule_err(
                "1999-12-31T10:00",
                "2026-01-01T10:00",
                "UTC",
                EventKind::Workshop
            )[0]
            .message,
            "Pick a date for the start between the years 2000 and 2100."
        );
    }

    #[test]
    fn overlap_is_half_open() {
        let t = |h: u32| {
            NaiveDate::from_ymd_opt(2026, 6, 1)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        assert!(overlaps(t(10), t(12), t(11), t(13)));
        assert!(overlaps(t(11), t(13), t(10), t(12)));
        assert!(overlaps(t(10), t(14), t(11), t(12)));
        assert!(overlaps(t(10), t(12), t(10), t(12)));
        assert!(!overlaps(t(10), t(12), t(12), t(14)));
        assert!(!overlaps(t(12), t(14), t(10), t(12)));
        assert!(!overlaps(t(10), t(11), t(13), t(14)));
        // Empty intervals take no time, so they clash with nothing.
        assert!(!overlaps(t(11), t(11), t(10), t(12)));
        assert!(!overlaps(t(10), t(12), t(13), t(11)));
        assert!(overlaps(1, 3, 2, 4));
    }

    mod properties {
        use super::super::*;
        use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};
        use proptest::prelude::*;

        /// A zone with DST and a local date in 2020–2030: three times in four the day its
        /// clocks change (Berlin: last Sunday of March and October; New York: second
        /// Sunday of March, first of November), otherwise any day.
        fn zone_and_date() -> impl Strategy<Value = (Tz, NaiveDate)> {
            let berlin = chrono_tz::Europe::Berlin;
            let new_york = chrono_tz::America::New_York;
            let change_day = (2020i32..=2030, any::<bool>(), any::<bool>()).prop_map(
                move |(year, in_berlin, spring)| {
                    let sunday = |month, n| {
                        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n).unwrap()
                    };
                    let last_sunday = |month| {
                        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, 5)
                            .unwrap_or_else(|| sunday(month, 4))
                    };
                    match (in_berlin, spring) {
                        (true, true) => (berlin, last_sunday(3)),
                        (true, false) => (berlin, last_sunday(10)),
                        (false, true) => (new_york, sunday(3, 2)),
                        (false, false) => (new_york, sunday(11, 1)),
                    }
                },
            );
            let any_day = (prop::sample::select(vec![berlin, new_york]), 0u64..11 * 365).prop_map(
                |(zone, d)| {
                    let day = NaiveDate::from_ymd_opt(2020, 1, 1)
                        .unwrap()
                        .checked_add_days(Days::new(d))
                        .unwrap();
                    (zone, day)
                },
            );
            prop_oneof![3 => change_day, 1 => any_day]
        }

        /// A minute of the day, often in the small hours when the clocks change.
        fn minute_of_day() -> impl Strategy<Value = u32> {
            prop_oneof![0u32..1440, 60u32..240]
        }

        fn at(date: NaiveDate, minute: u32) -> NaiveDateTime {
            date.and_time(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap())
        }

        fn form(t: NaiveDateTime) -> String {
            t.format("%Y-%m-%dT%H:%M").to_string()
        }

        /// The earliest instant of a local time, or `None` if the clocks skip it.
        fn earliest(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
            tz.from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        }

        proptest! {
            #[test]
            fn same_day_schedules_round_trip_across_dst(
                (zone, day) in zone_and_date(),
                a in minute_of_day(),
                b in minute_of_day(),
                kind in prop::sample::select(EventKind::ALL[..4].to_vec()),
            ) {
                prop_assume!(a != b);
                let (start, end) = (at(day, a.min(b)), at(day, a.max(b)));
                let result = EventSchedule::parse(&form(start), &form(end), zone.name(), kind);
                match (earliest(zone, start), earliest(zone, end)) {
                    (Some(s), Some(e)) => {
                        let schedule = result.unwrap();
                        prop_assert_eq!(schedule.starts_at(), s);
                        prop_assert_eq!(schedule.ends_at(), e);
                        prop_assert_eq!(schedule.local_start(), start);
                        prop_assert_eq!(schedule.local_end(), end);
                    }
                    (s, e) => {
                        let errors = result.unwrap_err();
                        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
                        prop_assert_eq!(fields.contains(&"starts_at"), s.is_none());
                        prop_assert_eq!(fields.contains(&"ends_at"), e.is_none());
                    }
                }
            }

            #[test]
            fn retreat_schedules_round_trip_across_dst(
                (zone, day) in zone_and_date(),
                nights in 1u64..=15,
                a in minute_of_day(),
                b in minute_of_day(),
            ) {
                let start = at(day, a);
                let end = at(day.checked_add_days(Days::new(nights)).unwrap(), b);
                let result =
                    EventSchedule::parse(&form(start), &form(end), zone.name(), EventKind::MultiDayRetreat);
                match (earliest(zone, start), earliest(zone, end)) {
                    (Some(s), Some(e)) if e - s <= EventSchedule::MAX_LENGTH => {
                        let schedule = result.unwrap();
                        prop_assert_eq!(schedule.starts_at(), s);
                        prop_assert_eq!(schedule.ends_at(), e);
                        prop_assert_eq!(schedule.local_start(), start);
                        prop_assert_eq!(schedule.local_end(), end);
                        prop_assert!(schedule.local_end().date() > schedule.local_start().date());
                        prop_assert_eq!(schedule.local_start().weekday(), day.weekday());
                    }
                    (Some(_), Some(_)) => {
                        let errors = result.unwrap_err();
                        prop_assert_eq!(errors, vec![DomainError::new("ends_at", "An event can last at most 14 days.")]);
                    }
                    (s, e) => {
                        let errors = result.unwrap_err();
                        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
                        prop_assert_eq!(fields.contains(&"starts_at"), s.is_none());
                        prop_assert_eq!(fields.contains(&"ends_at"), e.is_none());
                    }
                }
            }
        }
    }
}
