//! `VTIMEZONE` components (RFC 5545 §3.6.5) for the zones a calendar's entries are planned
//! in, so a client shows each event on its own wall clock (with `TZID` on `DTSTART` and
//! `DTEND`) and keeps it there across daylight-saving changes.
//!
//! The observances are written out for the years the entries fall in, one per clock
//! change, found from the time-zone database; no recurrence rules to get wrong.

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone as _, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// A local `DATE-TIME` without zone, "FORM #3" of RFC 5545 §3.3.5 (used with `TZID`).
const LOCAL_FORMAT: &str = "%Y%m%dT%H%M%S";

/// The zone named `name`, if the time-zone database knows it.
pub(super) fn zone(name: &str) -> Option<Tz> {
    domain::TimeZone::parse(name).ok().map(|z| z.tz())
}

/// `at` on the wall clock of `tz`, as `DTSTART;TZID=...` wants it.
pub(super) fn local(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .naive_local()
        .format(LOCAL_FORMAT)
        .to_string()
}

fn offset_secs(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// `+0100`, `-0430`, `+053328` (seconds only when there are some).
fn offset_words(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// The clock changes of `tz` in `[start, end)`: (instant, offset before, offset after).
fn transitions(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(DateTime<Utc>, i32, i32)> {
    // Zones change their clocks months apart; a six-hour step cannot miss one.
    let step = Duration::hours(6);
    let mut out = Vec::new();
    let (mut t, mut before) = (start, offset_secs(tz, start));
    while t < end {
        let next = t + step;
        let after = offset_secs(tz, next);
        if after != before {
            // Clocks change on a whole second: search the seconds in between.
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let at = DateTime::from_timestamp(mid, 0).unwrap_or(t);
                if offset_secs(tz, at) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((
                DateTime::from_timestamp(hi, 0).unwrap_or(next),
                before,
                after,
            ));
            before = after;
        }
        t = next;
    }
    out
}

/// The years each zone's entries start in, first and last, by zone name.
#[derive(Default)]
pub(super) struct ZonesUsed(BTreeMap<String, (Tz, i32, i32)>);

impl ZonesUsed {
    pub(super) fn note(&mut self, name: &str, tz: Tz, at: DateTime<Utc>) {
        use chrono::Datelike;
        let year = at.with_timezone(&tz).year();
        self.0
            .entry(name.to_owned())
            .and_modify(|(_, lo, hi)| {
                *lo = (*lo).min(year);
                *hi = (*hi).max(year);
            })
            .or_insert((tz, year, year));
    }

    /// One `VTIMEZONE` per zone, as content lines.
    pub(super) fn components(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, (tz, first, last)) in &self.0 {
            let from = year_start(*first);
            let until = year_start(last + 1);
            let initial = offset_secs(*tz, from);
            let changes = transitions(*tz, from, until);
            lines.push("BEGIN:VTIMEZONE".to_owned());
            lines.push(format!("TZID:{name}"));
            // The clock as it stood when the window opens: daylight time if it later falls
            // back to a lower offset.
            let initial_kind = if changes.iter().any(|c| c.2 < initial) {
                "DAYLIGHT"
            } else {
                "STANDARD"
            };
            observance(&mut lines, initial_kind, from, initial, initial);
            for (at, before, after) in changes {
                let kind = if after > before {
                    "DAYLIGHT"
                } else {
                    "STANDARD"
                };
                observance(&mut lines, kind, at, before, after);
            }
            lines.push("END:VTIMEZONE".to_owned());
        }
        lines
    }
}

fn year_start(year: i32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// One observance: from `at` (written on the clock in force before it) the offset is `to`.
fn observance(lines: &mut Vec<String>, kind: &str, at: DateTime<Utc>, from: i32, to: i32) {
    let local_before = (at + Duration::seconds(i64::from(from)))
        .naive_utc()
        .format(LOCAL_FORMAT);
    lines.push(format!("BEGIN:{kind}"));
    lines.push(format!("DTSTART:{local_before}"));
    lines.push(format!("TZOFFSETFROM:{}", offset_words(from)));
    lines.push(format!("TZOFFSETTO:{}", offset_words(to)));
    lines.push(format!("END:{kind}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn berlin_changes_its_clocks_twice_a_year() {
        let tz = zone("Europe/Berlin").unwrap();
        let found = transitions(tz, utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
        assert_eq!(
            found,
            [
                (utc("2026-03-29T01:00:00Z"), 3600, 7200),
                (utc("2026-10-25T01:00:00Z"), 7200, 3600),
            ]
        );
        assert_eq!(local(tz, utc("2026-12-05T18:00:00Z")), "20261205T190000");
    }

    #[test]
    fn a_component_lists_each_change_on_the_clock_before_it() {
        let mut used = ZonesUsed::default();
        let tz = zone("Europe/Berlin").unwrap();
        used.note("Europe/Berlin", tz, utc("2026-12-05T18:00:00Z"));
        let lines = used.components();
        let text = lines.join("\n");
        assert!(
            text.starts_with("BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\n"),
            "{text}"
        );
        assert!(text.contains(
            "BEGIN:DAYLIGHT\nDTSTART:20260329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT"
        ), "{text}");
        assert!(text.contains(
            "BEGIN:STANDARD\nDTSTART:20261025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD"
        ), "{text}");
        assert!(text.ends_with("END:VTIMEZONE"));
    }

    #[test]
    fn a_zone_without_daylight_time_has_one_observance() {
        let mut used = ZonesUsed::default();
        used.note(
            "Asia/Kolkata",
            zone("Asia/Kolkata").unwrap(),
            utc("2026-06-01T10:00:00Z"),
        );
        let text = used.components().join("\n");
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
        assert!(!text.contains("DAYLIGHT"));
        assert!(text.contains("TZOFFSETTO:+0530"));
        assert_eq!(offset_words(-16200), "-0430");
        assert_eq!(offset_words(3208), "+005328");
    }
}
