//! Meeting cadence: turns "every other Tuesday at 19:30 in Europe/Berlin, starting 3 March"
//! into the UTC start of each meeting.
//!
//! A cadence is kept in local terms (weekday, wall-clock time, IANA zone) and converted one
//! meeting at a time, so a circle that meets at 19:30 still meets at 19:30 after the clocks
//! change (docs/architecture.md, "Time"). Storing a UTC time and adding 7 × 24 h would drift by an hour
//! twice a year.
//!
//! Wall-clock times that a DST change skips or repeats are resolved the way iCalendar
//! (RFC 5545 §3.3.5) and the calendars people import our meetings into resolve them:
//! - a time in the spring-forward gap is read with the offset in force *before* the gap,
//!   i.e. it moves forward by the gap's length (02:30 → 03:30 when 02:00 jumps to 03:00);
//! - a time repeated in the fall-back overlap is the *earlier* of its two instants (the one
//!   still on summer time), so nobody arrives an hour late to a meeting that has begun.

use crate::{DomainError, TimeZone};
use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone as _, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How often a circle meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every week on the same weekday.
    Weekly,
    /// Every 14 days, counted from the first meeting (so the parity never slips, even
    /// across a year with 53 weeks).
    EveryTwoWeeks,
    /// Once a month on the same "nth weekday" as the first meeting (e.g. 1st Tuesday); a
    /// first meeting in the month's 5th week means "the last <weekday>", since not every
    /// month has a 5th one.
    Monthly,
}

impl Frequency {
    /// Every frequency, in the order a form offers them.
    pub const ALL: [Frequency; 3] = [Self::Weekly, Self::EveryTwoWeeks, Self::Monthly];

    /// The stored (and serialized) name: `weekly`, `every_two_weeks` or `monthly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Weekly => "weekly",
            Self::EveryTwoWeeks => "every_two_weeks",
            Self::Monthly => "monthly",
        }
    }

    /// The frequency with this stored name, if any (exact match).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

const WEEKDAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "Monday"),
    (Weekday::Tue, "tue", "Tuesday"),
    (Weekday::Wed, "wed", "Wednesday"),
    (Weekday::Thu, "thu", "Thursday"),
    (Weekday::Fri, "fri", "Friday"),
    (Weekday::Sat, "sat", "Saturday"),
    (Weekday::Sun, "sun", "Sunday"),
];

/// The stored name of a weekday: `mon`, `tue`, … `sun`.
pub fn weekday_as_str(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize].1
}

/// The weekday with this stored name (`mon` … `sun`, exact match), if any.
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    WEEKDAYS.iter().find(|w| w.1 == s).map(|w| w.0)
}

/// The English name used in messages ("Tuesday").
fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize].2
}

/// When a circle meets, in the terms its members use: which weekday, what time on the wall
/// clock, in which time zone, starting on which date.
///
/// [`Cadence::parse`] guarantees `anchor` falls on `weekday`: a form that asks for both and
/// silently moves the first meeting would hide a slip of the finger, so it refuses instead.
/// The fields are public so storage can rebuild a cadence it wrote; should one be built by
/// hand with a mismatched anchor, meetings start on the first `weekday` on or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// How often the circle meets.
    pub frequency: Frequency,
    /// The day of the week of every meeting (in the circle's time zone).
    pub weekday: Weekday,
    /// The wall-clock start time of every meeting, in `time_zone`.
    pub local_time: NaiveTime,
    /// The IANA zone the circle meets in; DST rules come from it.
    pub time_zone: Tz,
    /// The local date of the first meeting: no meeting is ever earlier, and every-two-weeks
    /// parity and the monthly "nth weekday" are counted from it.
    pub anchor: NaiveDate,
}

/// Which occurrence of the weekday in its month a monthly meeting falls on.
#[derive(Debug, Clone, Copy)]
enum WeekOfMonth {
    /// 1st to 4th: every month has at least four of each weekday.
    Nth(u8),
    Last,
}

impl Cadence {
    /// At most this many starts come back from one [`Cadence::occurrences`] call, so a
    /// careless range (say, a century of weekly meetings) cannot exhaust memory. Callers
    /// that want more continue from just after the last start they got.
    pub const MAX_OCCURRENCES: usize = 1000;

    /// First meeting dates are accepted from this year…
    const MIN_YEAR: i32 = 2000;
    /// …to this one: beyond it tz rules are guesswork, and a typo (`2206`) is likelier.
    const MAX_YEAR: i32 = 2100;

    /// Parses a cadence from form or storage values: `frequency` (`weekly`,
    /// `every_two_weeks`, `monthly`), `weekday` (`mon` … `sun`), `local_time` (`HH:MM`,
    /// 24-hour clock), `time_zone` (IANA name) and `anchor` (first meeting, `YYYY-MM-DD`,
    /// which must fall on `weekday`).
    ///
    /// Every bad input is reported, each under its form field: `frequency`, `weekday`,
    /// `meeting_time`, `time_zone`, `anchor_date`.
    pub fn parse(
        frequency: &str,
        weekday: &str,
        local_time: &str,
        time_zone: &str,
        anchor: &str,
    ) -> Result<Cadence, Vec<DomainError>> {
        let mut errors = Vec::new();
        let frequency = Frequency::parse(frequency.trim());
        if frequency.is_none() {
            errors.push(DomainError::new(
                "frequency",
                "Choose how often the circle meets: weekly, every two weeks or monthly.",
            ));
        }
        let weekday = parse_weekday(weekday.trim());
        if weekday.is_none() {
            errors.push(DomainError::new(
                "weekday",
                "Choose the day of the week the circle meets on.",
            ));
        }
        let local_time = parse_hh_mm(local_time);
        if local_time.is_none() {
            errors.push(DomainError::new(
                "meeting_time",
                "Enter the start time as hours and minutes on a 24-hour clock, for example 19:30.",
            ));
        }
        let time_zone = TimeZone::parse(time_zone).map_err(|e| errors.push(e)).ok();
        let anchor = match parse_yyyy_mm_dd(anchor) {
            None => {
                errors.push(DomainError::new(
                    "anchor_date",
                    "Enter the date of the first meeting as year-month-day, for example 2026-03-03.",
                ));
                None
            }
            Some(d) if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&d.year()) => {
                errors.push(DomainError::new(
                    "anchor_date",
                    format!(
                        "Pick a first meeting date between the years {} and {}.",
                        Self::MIN_YEAR,
                        Self::MAX_YEAR
                    ),
                ));
                None
            }
            Some(d) => Some(d),
        };
        if let (Some(day), Some(date)) = (weekday, anchor) {
            if date.weekday() != day {
                let wanted = weekday_name(day);
                errors.push(DomainError::new(
                    "anchor_date",
                    format!(
                        "{} is a {}, but the circle meets on {wanted}s: pick a first meeting date that is a {wanted}.",
                        date.format("%-d %B %Y"),
                        weekday_name(date.weekday()),
                    ),
                ));
            }
        }
        match (frequency, weekday, local_time, time_zone, anchor) {
            (Some(frequency), Some(weekday), Some(local_time), Some(tz), Some(anchor))
                if errors.is_empty() =>
            {
                Ok(Cadence {
                    frequency,
                    weekday,
                    local_time,
                    time_zone: tz.tz(),
                    anchor,
                })
            }
            _ => Err(errors),
        }
    }

    /// The start time as stored and shown in forms: `HH:MM`.
    pub fn meeting_time_str(&self) -> String {
        format!(
            "{:02}:{:02}",
            self.local_time.hour(),
            self.local_time.minute()
        )
    }

    /// Every meeting start in `[from, until)`, in order, never before the first meeting;
    /// at most [`Cadence::MAX_OCCURRENCES`] of them.
    ///
    /// The result depends only on the cadence, never on where the range is cut:
    /// `occurrences(a, c)` equals `occurrences(a, b)` followed by `occurrences(b, c)`
    /// (below the cap), which lets meetings be generated window by window, idempotently.
    pub fn occurrences(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        self.starts_from(from)
            .take_while(|t| *t < until)
            .take(Self::MAX_OCCURRENCES)
            .collect()
    }

    /// The first meeting start strictly after `t`, if any (none once dates pass year 9999).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = t.checked_add_signed(TimeDelta::nanoseconds(1))?;
        self.starts_from(from).next()
    }

    /// Meeting starts at or after `from`, lazily and in order.
    fn starts_from(&self, from: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let first = self.first_date();
        (self.index_near(first, from)..)
            .map_while(move |i| self.date_of(first, i))
            .map_while(|date| resolve(self.time_zone, date.and_time(self.local_time)))
            .skip_while(move |t| *t < from)
    }

    /// The first meeting's date: the anchor, or for a hand-built cadence whose anchor is
    /// on another weekday, the next `weekday` after it.
    fn first_date(&self) -> NaiveDate {
        let ahead = (7 + self.weekday.num_days_from_monday()
            - self.anchor.weekday().num_days_from_monday())
            % 7;
        self.anchor
            .checked_add_days(Days::new(ahead.into()))
            .unwrap_or(self.anchor)
    }

    /// The index of a meeting at or shortly before `from`, so long ranges far from the
    /// anchor do not walk every meeting since it. Erring early is harmless (the extra
    /// starts are skipped); erring late would lose meetings. Rounding down already errs
    /// early; the 3-day margin, more than any UTC offset plus DST shift, keeps it so even
    /// if that rounding changes.
    fn index_near(&self, first: NaiveDate, from: DateTime<Utc>) -> u32 {
        let Some(near) = from.date_naive().checked_sub_days(Days::new(3)) else {
            return 0;
        };
        if near <= first {
            return 0;
        }
        let index = match self.frequency {
            Frequency::Weekly => (near - first).num_days() / 7,
            Frequency::EveryTwoWeeks => (near - first).num_days() / 14,
            Frequency::Monthly => month_number(near) - month_number(first),
        };
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// The local date of meeting number `index` (0 = the first), or `None` past year 9999,
    /// where chrono's arithmetic would run out of range.
    fn date_of(&self, first: NaiveDate, index: u32) -> Option<NaiveDate> {
        let index = u64::from(index);
        let date = match self.frequency {
            Frequency::Weekly => first.checked_add_days(Days::new(7 * index))?,
            Frequency::EveryTwoWeeks => first.checked_add_days(Days::new(14 * index))?,
            Frequency::Monthly => {
                let week = match first.day0() / 7 {
                    n @ 0..=3 => WeekOfMonth::Nth(n as u8 + 1),
                    _ => WeekOfMonth::Last,
                };
                let month = month_number(first).checked_add(i64::try_from(index).ok()?)?;
                let year = i32::try_from(month.div_euclid(12)).ok()?;
                nth_weekday(year, month.rem_euclid(12) as u32 + 1, self.weekday, week)?
            }
        };
        (1..=9999).contains(&date.year()).then_some(date)
    }
}

/// Months since year 0, so month differences are plain subtraction.
fn month_number(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

/// The date of the nth (or last) `weekday` in the month.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, week: WeekOfMonth) -> Option<NaiveDate> {
    match week {
        WeekOfMonth::Nth(n) => NaiveDate::from_weekday_of_month_opt(year, month, weekday, n),
        WeekOfMonth::Last => NaiveDate::from_weekday_of_month_opt(year, month, weekday, 5)
            .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, weekday, 4)),
    }
}

/// The instant a wall-clock time in `tz` denotes, with the DST rules of the module doc:
/// earlier instant when repeated, pre-gap offset when skipped.
fn resolve(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            // A day earlier is before the transition that made the gap: no zone changes
            // its clocks twice within a day.
            let before = tz
                .offset_from_utc_datetime(&local.checked_sub_days(Days::new(1))?)
                .fix();
            local
                .checked_sub_signed(TimeDelta::seconds(before.local_minus_utc().into()))
                .map(|utc| utc.and_utc())
        }
    }
}

/// `HH:MM` on a 24-hour clock, both parts two digits (what `<input type="time">` sends).
fn parse_hh_mm(raw: &str) -> Option<NaiveTime> {
    let b = raw.trim().as_bytes();
    if b.len() != 5 || b[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()) {
        return None;
    }
    let two = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    NaiveTime::from_hms_opt(two(0), two(3), 0)
}

/// `YYYY-MM-DD` exactly (what `<input type="date">` sends), and a real calendar date.
fn parse_yyyy_mm_dd(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let b = raw.as_bytes();
    let digits_at = |i: usize| b[i].is_ascii_digit();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || ![0, 1, 2, 3, 5, 6, 8, 9].into_iter().all(digits_at)
    {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cadence(frequency: &str, weekday: &str, time: &str, tz: &str, anchor: &str) -> Cadence {
        Cadence::parse(frequency, weekday, time, tz, anchor).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn utcs(list: &[&str]) -> Vec<DateTime<Utc>> {
        list.iter().map(|s| utc(s)).collect()
    }

    fn fields(errors: &[DomainError]) -> Vec<&'static str> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn stored_names_round_trip() {
        for f in Frequency::ALL {
            assert_eq!(Frequency::parse(f.as_str()), Some(f));
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert_eq!(Frequency::EveryTwoWeeks.as_str(), "every_two_weeks");
        assert_eq!(Frequency::parse("biweekly"), None);
        for (day, name, _) in WEEKDAYS {
            assert_eq!(weekday_as_str(day), name);
            assert_eq!(parse_weekday(name), Some(day));
        }
        assert_eq!(parse_weekday("Tuesday"), None);
    }

    #[test]
    fn parse_accepts_form_values() {
        let c = cadence(
            " every_two_weeks ",
            "tue",
            " 19:30 ",
            "Europe/Berlin",
            "2026-03-03",
        );
        assert_eq!(c.frequency, Frequency::EveryTwoWeeks);
        assert_eq!(c.weekday, Weekday::Tue);
        assert_eq!(c.local_time, NaiveTime::from_hms_opt(19, 30, 0).unwrap());
        assert_eq!(c.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(c.anchor, NaiveDate::from_ymd_opt(2026, 3, 3).unwrap());
        assert_eq!(c.meeting_time_str(), "19:30");
        assert_eq!(
            cadence("weekly", "sun", "00:00", "UTC", "2026-03-01").meeting_time_str(),
            "00:00"
        );
    }

    #[test]
    fn parse_reports_every_bad_field() {
        let errors =
            Cadence::parse("daily", "tuesday", "7pm", "Mars/Olympus", "03.03.2026").unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "frequency",
                "weekday",
                "meeting_time",
                "time_zone",
                "anchor_date"
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));

        let ok = ["weekly", "tue", "19:30", "Europe/Berlin", "2026-03-03"];
        let bad: [(usize, &[&str]); 5] = [
            (0, &["", "Weekly", "biweekly", "every two weeks"]),
            (1, &["", "Tue", "tuesday", "2", "mo"]),
            (
                2,
                &[
                    "", "24:00", "19:60", "7:30", "19.30", "19:30:00", "1930", "-1:30", "７:３0",
                ],
            ),
            (3, &["", "Europe/Atlantis", "GMT+2", "+01:00"]),
            (
                4,
                &[
                    "",
                    "2026-3-3",
                    "03.03.2026",
                    "2026-02-30",
                    "1999-12-28",
                    "2101-01-04",
                    "20260303",
                    "+2026-03-0",
                ],
            ),
        ];
        for (i, values) in bad {
            for value in values {
                let mut input = ok;
                input[i] = value;
                let errors =
                    Cadence::parse(input[0], input[1], input[2], input[3], input[4]).unwrap_err();
                assert_eq!(fields(&errors), [fields_of(i)], "{value:?}");
            }
        }
    }

    fn fields_of(i: usize) -> &'static str {
        [
            "frequency",
            "weekday",
            "meeting_time",
            "time_zone",
            "anchor_date",
        ][i]
    }

    #[test]
    fn anchor_must_fall_on_the_weekday() {
        let errors =
            Cadence::parse("weekly", "mon", "19:30", "Europe/Berlin", "2026-03-03").unwrap_err();
        assert_eq!(fields(&errors), ["anchor_date"]);
        assert_eq!(
            errors[0].message,
            "3 March 2026 is a Tuesday, but the circle meets on Mondays: \
             pick a first meeting date that is a Monday."
        );
    }

    #[test]
    fn berlin_keeps_local_time_across_both_changes() {
        // CET → CEST on 2026-03-29, CEST → CET on 2026-10-25 (both Sundays).
        let c = cadence("weekly", "sun", "19:00", "Europe/Berlin", "2026-03-22");
        assert_eq!(
            c.occurrences(utc("2026-03-01T00:00:00Z"), utc("2026-04-06T00:00:00Z")),
            utcs(&[
                "2026-03-22T18:00:00Z",
                "2026-03-29T17:00:00Z",
                "2026-04-05T17:00:00Z"
            ])
        );
        assert_eq!(
            c.occurrences(utc("2026-10-18T00:00:00Z"), utc("2026-11-02T00:00:00Z")),
            utcs(&[
                "2026-10-18T17:00:00Z",
                "2026-10-25T18:00:00Z",
                "2026-11-01T18:00:00Z"
            ])
        );
    }

    #[test]
    fn berlin_0230_moves_past_the_gap_and_takes_the_earlier_repeat() {
        let c = cadence("weekly", "sun", "02:30", "Europe/Berlin", "2026-03-22");
        // 29 March: 02:30 does not exist; read with CET it is 03:30 CEST.
        assert_eq!(
            c.occurrences(utc("2026-03-20T00:00:00Z"), utc("2026-04-06T00:00:00Z")),
            utcs(&[
                "2026-03-22T01:30:00Z",
                "2026-03-29T01:30:00Z",
                "2026-04-05T00:30:00Z"
            ])
        );
        let gap_day = utc("2026-03-29T01:30:00Z").with_timezone(&chrono_tz::Europe::Berlin);
        assert_eq!(gap_day.to_string(), "2026-03-29 03:30:00 CEST");
        // 25 October: 02:30 happens twice; the first (CEST) one counts.
        assert_eq!(
            c.occurrences(utc("2026-10-24T00:00:00Z"), utc("2026-11-02T00:00:00Z")),
            utcs(&["2026-10-25T00:30:00Z", "2026-11-01T01:30:00Z"])
        );
    }

    #[test]
    fn new_york_across_both_changes() {
        // EST → EDT on 2026-03-08 at 02:00, EDT → EST on 2026-11-01 at 02:00.
        let c = cadence("weekly", "sun", "10:00", "America/New_York", "2026-03-01");
        assert_eq!(
            c.occurrences(utc("2026-03-01T00:00:00Z"), utc("2026-03-09T00:00:00Z")),
            utcs(&["2026-03-01T15:00:00Z", "2026-03-08T14:00:00Z"])
        );
        assert_eq!(
            c.occurrences(utc("2026-10-25T00:00:00Z"), utc("2026-11-02T00:00:00Z")),
            utcs(&["2026-10-25T14:00:00Z", "2026-11-01T15:00:00Z"])
        );
        let gap = cadence("weekly", "sun", "02:30", "America/New_York", "2026-03-08");
        assert_eq!(
            gap.next_after(utc("2026-01-01T00:00:00Z")),
            Some(utc("2026-03-08T07:30:00Z"))
        );
        let repeat = cadence("weekly", "sun", "01:30", "America/New_York", "2026-11-01");
        assert_eq!(
            repeat.next_after(utc("2026-01-01T00:00:00Z")),
            Some(utc("2026-11-01T05:30:00Z"))
        );
    }

    #[test]
    fn sydney_across_april_and_october() {
        // AEDT → AEST on 2026-04-05 at 03:00, AEST → AEDT on 2026-10-04 at 02:00.
        let c = cadence("weekly", "sun", "18:30", "Australia/Sydney", "2026-03-29");
        assert_eq!(
            c.occurrences(utc("2026-03-29T00:00:00Z"), utc("2026-04-06T00:00:00Z")),
            utcs(&["2026-03-29T07:30:00Z", "2026-04-05T08:30:00Z"])
        );
        assert_eq!(
            c.occurrences(utc("2026-09-27T00:00:00Z"), utc("2026-10-05T00:00:00Z")),
            utcs(&["2026-09-27T08:30:00Z", "2026-10-04T07:30:00Z"])
        );
        // 02:30 on 4 October does not exist: 03:30 AEDT, still Sunday locally.
        let gap = cadence("weekly", "sun", "02:30", "Australia/Sydney", "2026-09-27");
        assert_eq!(
            gap.occurrences(utc("2026-09-26T00:00:00Z"), utc("2026-10-05T00:00:00Z")),
            utcs(&["2026-09-26T16:30:00Z", "2026-10-03T16:30:00Z"])
        );
        // 02:30 on 5 April happens twice: the first is still AEDT.
        let repeat = cadence("weekly", "sun", "02:30", "Australia/Sydney", "2026-04-05");
        assert_eq!(
            repeat.next_after(utc("2026-01-01T00:00:00Z")),
            Some(utc("2026-04-04T15:30:00Z"))
        );
    }

    #[test]
    fn monthly_first_tuesday() {
        let c = cadence("monthly", "tue", "19:00", "Europe/Berlin", "2026-01-06");
        assert_eq!(
            c.occurrences(utc("2026-01-01T00:00:00Z"), utc("2026-07-01T00:00:00Z")),
            utcs(&[
                "2026-01-06T18:00:00Z",
                "2026-02-03T18:00:00Z",
                "2026-03-03T18:00:00Z",
                "2026-04-07T17:00:00Z",
                "2026-05-05T17:00:00Z",
                "2026-06-02T17:00:00Z",
            ])
        );
    }

    #[test]
    fn monthly_fifth_week_anchor_means_last_weekday() {
        // 29 January 2026 is the 5th Thursday; February and March have only four.
        let last = cadence("monthly", "thu", "12:00", "UTC", "2026-01-29");
        assert_eq!(
            last.occurrences(utc("2026-01-01T00:00:00Z"), utc("2026-08-01T00:00:00Z")),
            utcs(&[
                "2026-01-29T12:00:00Z",
                "2026-02-26T12:00:00Z",
                "2026-03-26T12:00:00Z",
                "2026-04-30T12:00:00Z",
                "2026-05-28T12:00:00Z",
                "2026-06-25T12:00:00Z",
                "2026-07-30T12:00:00Z",
            ])
        );
        // The 4th Thursday stays the 4th, even in months with five.
        let fourth = cadence("monthly", "thu", "12:00", "UTC", "2026-01-22");
        assert_eq!(
            fourth.next_after(utc("2026-04-01T00:00:00Z")),
            Some(utc("2026-04-23T12:00:00Z"))
        );
    }

    #[test]
    fn every_two_weeks_keeps_parity_across_the_year_boundary() {
        let c = cadence("every_two_weeks", "tue", "19:00", "UTC", "2025-12-16");
        assert_eq!(
            c.occurrences(utc("2025-12-20T00:00:00Z"), utc("2026-02-01T00:00:00Z")),
            utcs(&[
                "2025-12-30T19:00:00Z",
                "2026-01-13T19:00:00Z",
                "2026-01-27T19:00:00Z"
            ])
        );
        // A year on, still counted from the anchor (2026 has 52 weeks + 1 day).
        assert_eq!(
            c.next_after(utc("2026-12-20T00:00:00Z")),
            Some(utc("2026-12-29T19:00:00Z"))
        );
    }

    #[test]
    fn ranges_are_half_open_and_start_at_the_anchor() {
        let c = cadence("weekly", "wed", "18:00", "UTC", "2026-05-06");
        let first = utc("2026-05-06T18:00:00Z");
        let second = utc("2026-05-13T18:00:00Z");
        assert_eq!(c.occurrences(utc("2020-01-01T00:00:00Z"), second), [first]);
        assert_eq!(c.occurrences(first, second), [first]);
        assert!(c.occurrences(second, first).is_empty());
        assert!(c.occurrences(first, first).is_empty());
        assert_eq!(c.next_after(utc("2001-01-01T00:00:00Z")), Some(first));
        assert_eq!(c.next_after(first), Some(second));
    }

    #[test]
    fn output_is_capped_and_can_be_continued() {
        let c = cadence("weekly", "mon", "09:00", "UTC", "2001-01-01");
        let far = DateTime::<Utc>::MAX_UTC;
        let page = c.occurrences(DateTime::<Utc>::MIN_UTC, far);
        assert_eq!(page.len(), Cadence::MAX_OCCURRENCES);
        let last = *page.last().unwrap();
        let next = c.occurrences(c.next_after(last).unwrap(), far);
        assert_eq!(next[0], last + TimeDelta::days(7));
    }

    #[test]
    fn extreme_hand_built_values_do_not_panic() {
        for anchor in [
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        ] {
            for frequency in Frequency::ALL {
                let c = Cadence {
                    frequency,
                    weekday: Weekday::Fri,
                    local_time: NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
                    time_zone: chrono_tz::Pacific::Kiritimati,
                    anchor,
                };
                let _ = c.occurrences(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
                let _ = c.next_after(DateTime::<Utc>::MIN_UTC);
                assert_eq!(c.next_after(DateTime::<Utc>::MAX_UTC), None);
            }
        }
    }

    #[test]
    fn hand_built_anchor_on_another_day_starts_on_the_next_weekday() {
        let c = Cadence {
            frequency: Frequency::Weekly,
            weekday: Weekday::Fri,
            local_time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            time_zone: chrono_tz::UTC,
            anchor: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
        };
        assert_eq!(
            c.next_after(utc("2026-01-01T00:00:00Z")),
            Some(utc("2026-03-06T08:00:00Z"))
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Zones with DST, including midnight changes (Santiago, Havana, Beirut, Cairo),
        /// a 30-minute one (Lord Howe), odd offsets (St John's, Chatham), negative DST
        /// (Dublin, Casablanca), and a few without DST.
        const ZONES: [&str; 22] = [
            "Europe/Berlin",
            "Europe/London",
            "Europe/Dublin",
            "Europe/Helsinki",
            "America/New_York",
            "America/Chicago",
            "America/Los_Angeles",
            "America/St_Johns",
            "America/Santiago",
            "America/Havana",
            "Asia/Beirut",
            "Africa/Cairo",
            "Africa/Casablanca",
            "Australia/Sydney",
            "Australia/Lord_Howe",
            "Pacific/Auckland",
            "Pacific/Chatham",
            "UTC",
            "Asia/Kolkata",
            "Asia/Tokyo",
            "Asia/Kathmandu",
            "America/Sao_Paulo",
        ];

        /// A parsed cadence and a range of up to two years near its anchor.
        fn case() -> impl Strategy<Value = (Cadence, DateTime<Utc>, DateTime<Utc>)> {
            (
                prop::sample::select(Frequency::ALL.to_vec()),
                prop::sample::select(ZONES.to_vec()),
                prop_oneof![0u32..4, 0u32..24],
                prop_oneof![Just(0u32), Just(30), 0u32..60],
                0u64..(16 * 366),
                -90i64 * 86_400..800 * 86_400,
                0i64..=730 * 86_400,
            )
                .prop_map(|(f, zone, h, m, anchor_days, start_secs, len_secs)| {
                    let anchor = NaiveDate::from_ymd_opt(2020, 1, 1)
                        .unwrap()
                        .checked_add_days(Days::new(anchor_days))
                        .unwrap();
                    let c = Cadence::parse(
                        f.as_str(),
                        weekday_as_str(anchor.weekday()),
                        &format!("{h:02}:{m:02}"),
                        zone,
                        &anchor.to_string(),
                    )
                    .unwrap();
                    let from = anchor.and_hms_opt(0, 0, 0).unwrap().and_utc()
                        + TimeDelta::seconds(start_secs);
                    (c, from, from + TimeDelta::seconds(len_secs))
                })
        }

        fn days_in_month(d: NaiveDate) -> u32 {
            let (y, m) = (d.year(), d.month());
            let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            NaiveDate::from_ymd_opt(next.0, next.1, 1)
                .unwrap()
                .pred_opt()
                .unwrap()
                .day()
        }

        proptest! {
            #[test]
            fn starts_are_ordered_in_range_and_on_the_weekday((c, from, until) in case()) {
                let starts = c.occurrences(from, until);
                prop_assert!(starts.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(starts.iter().all(|t| from <= *t && *t < until));
                for t in &starts {
                    let local = t.with_timezone(&c.time_zone);
                    prop_assert_eq!(local.weekday(), c.weekday);
                    prop_assert!(local.date_naive() >= c.anchor);
                }
            }

            #[test]
            fn local_time_holds_except_in_gaps((c, from, until) in case()) {
                for t in c.occurrences(from, until) {
                    let local = t.with_timezone(&c.time_zone).naive_local();
                    let intended = local.date().and_time(c.local_time);
                    if local != intended {
                        // Only a skipped wall-clock time may move, and only forward by the gap.
                        let skipped = matches!(c.time_zone.from_local_datetime(&intended), LocalResult::None);
                        prop_assert!(skipped, "{t} is {local} but {intended} exists");
                        prop_assert!(local > intended && local - intended <= TimeDelta::hours(2));
                    }
                }
            }

            #[test]
            fn spacing_follows_the_frequency((c, from, until) in case()) {
                let dates: Vec<NaiveDate> = c
                    .occurrences(from, until)
                    .iter()
                    .map(|t| t.with_timezone(&c.time_zone).date_naive())
                    .collect();
                match c.frequency {
                    Frequency::Weekly | Frequency::EveryTwoWeeks => {
                        let step = if c.frequency == Frequency::Weekly { 7 } else { 14 };
                        for pair in dates.windows(2) {
                            prop_assert_eq!((pair[1] - pair[0]).num_days(), step);
                        }
                        for d in &dates {
                            prop_assert_eq!((*d - c.anchor).num_days() % step, 0);
                        }
                    }
                    Frequency::Monthly => {
                        for pair in dates.windows(2) {
                            prop_assert_eq!(month_number(pair[1]) - month_number(pair[0]), 1);
                        }
                        let nth = c.anchor.day0() / 7 + 1;
                        for d in &dates {
                            if nth <= 4 {
                                prop_assert_eq!(d.day0() / 7 + 1, nth, "{}", d);
                            } else {
                                prop_assert!(d.day() + 7 > days_in_month(*d), "{} is not the last", d);
                            }
                        }
                    }
                }
            }

            #[test]
            fn nothing_is_skipped_at_the_edges((c, from, until) in case()) {
                let starts = c.occurrences(from, until);
                let just_before = from - TimeDelta::nanoseconds(1);
                match starts.first() {
                    Some(first) => prop_assert_eq!(c.next_after(just_before), Some(*first)),
                    None => prop_assert!(c.next_after(just_before).is_none_or(|t| t >= until)),
                }
                for pair in starts.windows(2) {
                    prop_assert_eq!(c.next_after(pair[0]), Some(pair[1]));
                }
                if let Some(last) = starts.last() {
                    prop_assert!(c.next_after(*last).is_none_or(|t| t >= until));
                }
                // Walking from the anchor (index 0) finds the same starts as jumping near `from`.
                let walked: Vec<_> = c
                    .occurrences(DateTime::<Utc>::MIN_UTC, until)
                    .into_iter()
                    .filter(|t| *t >= from)
                    .collect();
                prop_assert_eq!(&starts, &walked);
                let anchor_start = resolve(c.time_zone, c.anchor.and_time(c.local_time)).unwrap();
                if from <= anchor_start && anchor_start < until {
                    prop_assert_eq!(starts.first(), Some(&anchor_start));
                }
            }

            #[test]
            fn splitting_the_range_changes_nothing(
                (c, a, c_end) in case(),
                cut in 0.0f64..=1.0,
            ) {
                let span = (c_end - a).num_seconds();
                let b = a + TimeDelta::seconds((span as f64 * cut) as i64);
                let mut joined = c.occurrences(a, b);
                joined.extend(c.occurrences(b, c_end));
                prop_assert_eq!(c.occurrences(a, c_end), joined);
            }
        }
    }
}
