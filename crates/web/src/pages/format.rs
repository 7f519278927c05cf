//! How the pages write times, dates and time-zone lists, in one place so every page says
//! "Tue 3 Mar 2026, 19:30 CET" the same way. Times are stored in UTC and shown on the wall
//! clock of the zone they belong to (a circle's, an event's), and every time names its
//! zone, so a reader elsewhere is never misled; a zone the server does not know is shown
//! as UTC, and says so.

use chrono::{DateTime, NaiveDateTime, Offset, Utc};
use domain::TimeZone;

const DAY_TIME: &str = "%a %-d %b %Y, %H:%M";

/// `at` on the wall clock of `zone`, or in UTC should the zone be unknown.
fn wall_clock(at: DateTime<Utc>, zone: &str) -> Option<NaiveDateTime> {
    TimeZone::parse(zone)
        .ok()
        .map(|z| at.with_timezone(&z.tz()).naive_local())
}

/// `at` formatted with `format` on the clock of `zone`, followed by the zone's short name
/// at that instant ("CET", "CEST"; "UTC-03" where the zone has no letters), or in UTC
/// and saying so should the zone be unknown.
fn zoned(at: DateTime<Utc>, zone: &str, format: &str) -> String {
    match TimeZone::parse(zone) {
        Ok(z) => {
            let t = at.with_timezone(&z.tz());
            let abbr = t.format("%Z").to_string();
            let abbr = if abbr.starts_with(['+', '-']) {
                format!("UTC{abbr}")
            } else {
                abbr
            };
            format!("{} {abbr}", t.format(format))
        }
        Err(_) => format!("{} UTC", at.format(format)),
    }
}

/// `at` on the wall clock of `zone`, naming it: "Tue 3 Mar 2026, 19:30 CET".
pub fn local(at: DateTime<Utc>, zone: &str) -> String {
    zoned(at, zone, DAY_TIME)
}

/// The time of day of `at` in `zone`, naming it: "19:04 CET".
pub fn clock(at: DateTime<Utc>, zone: &str) -> String {
    zoned(at, zone, "%H:%M")
}

/// `at` for a reader whose profile names a time zone: on his clock, naming the zone;
/// without one (or with one the server does not know), in UTC, saying so.
pub fn for_viewer(at: DateTime<Utc>, viewer_zone: Option<&str>) -> String {
    match viewer_zone.filter(|z| TimeZone::parse(z).is_ok()) {
        Some(z) => format!("{} ({z})", zoned(at, z, "%-d %b %Y, %H:%M")),
        None => at.format("%-d %b %Y, %H:%M UTC").to_string(),
    }
}

/// The local date and time of `at` in `zone`, as a date and a time input want them.
pub fn local_inputs(at: DateTime<Utc>, zone: &str) -> (String, String) {
    let naive = wall_clock(at, zone).unwrap_or_else(|| at.naive_utc());
    (
        naive.format("%Y-%m-%d").to_string(),
        naive.format("%H:%M").to_string(),
    )
}

/// A `datetime-local` input's value for `at` on the clock of `zone`.
pub fn local_input(at: DateTime<Utc>, zone: &str) -> String {
    let (date, time) = local_inputs(at, zone);
    format!("{date}T{time}")
}

/// "Sat 5 Dec 2026, 19:00–22:00 (Europe/Berlin)", or both dates when it spans days.
pub fn when_words(start: DateTime<Utc>, end: DateTime<Utc>, zone: &str) -> String {
    let wall = |t: DateTime<Utc>| wall_clock(t, zone).unwrap_or_else(|| t.naive_utc());
    let day = |t| wall(t).date();
    let (from, to) = (
        wall(start).format(DAY_TIME).to_string(),
        wall(end).format(DAY_TIME).to_string(),
    );
    match (day(start) == day(end), to.rsplit_once(", ")) {
        (true, Some((_, end_time))) => format!("{from}–{end_time} ({zone})"),
        _ => format!("{from} – {to} ({zone})"),
    }
}

/// A calendar day, "3 Mar 2026".
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// "12 days ago", "Today", or "No meeting yet" when there was none.
pub fn days_since(days: Option<i64>) -> String {
    match days {
        None => "No meeting yet".to_owned(),
        Some(0) => "Today".to_owned(),
        Some(1) => "1 day ago".to_owned(),
        Some(d) => format!("{d} days ago"),
    }
}

/// The time zones of one region, for an `<optgroup>`.
pub struct ZoneGroup {
    pub region: &'static str,
    /// (IANA name, what the list shows: "Europe/Berlin (UTC+01:00)").
    pub zones: Vec<(&'static str, String)>,
}

/// How far `zone`'s clock is from UTC at `now`: "UTC+01:00", "UTC-03:30".
fn utc_offset(zone: TimeZone, now: DateTime<Utc>) -> String {
    let seconds = now
        .with_timezone(&zone.tz())
        .offset()
        .fix()
        .local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// What the list shows for `zone`: its name, readable, and its offset at `now`, which
/// is what tells Berlin from London in winter and tells both apart in summer.
fn zone_label(zone: TimeZone, now: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        zone.name().replace('_', " "),
        utc_offset(zone, now)
    )
}

/// Every current zone a person can pick, by region and by name within it, each with its
/// offset from UTC at `now` (the request's time, so summer time shows in summer). UTC,
/// which has no region, is offered on its own; legacy aliases are not offered.
pub fn zone_groups(now: DateTime<Utc>) -> Vec<ZoneGroup> {
    let mut groups: Vec<ZoneGroup> = Vec::new();
    for name in TimeZone::choices() {
        let Some((region, _)) = name.split_once('/') else {
            continue;
        };
        let Ok(zone) = TimeZone::parse(name) else {
            continue;
        };
        let label = zone_label(zone, now);
        match groups.last_mut() {
            Some(g) if g.region == region => g.zones.push((name, label)),
            _ => groups.push(ZoneGroup {
                region,
                zones: vec![(name, label)],
            }),
        }
    }
    groups
}

/// A zone value the pick list does not offer, as (value, label), so it is shown selected
/// rather than silently replaced: a legacy alias someone stored earlier ("Asia/Calcutta")
/// is still accepted and shown with its offset; a name the database does not know says
/// so. None when the value is blank or listed.
pub fn unlisted_zone(typed: &str, now: DateTime<Utc>) -> Option<(String, String)> {
    if typed.is_empty() || TimeZone::choices().contains(&typed) {
        return None;
    }
    let label = match TimeZone::parse(typed) {
        Ok(zone) => zone_label(zone, now),
        Err(_) => format!("{typed} (not recognised)"),
    };
    Some((typed.to_owned(), label))
}

/// Filters the templates use for days and stamps that belong to no circle or event:
/// `{{ t|day }}`, the audit log's `{{ t|stamp }}` (under a "When (UTC)" heading) and
/// months of reports, `{{ m|month }}`. Times of day for a reader go through
/// `Layout::at`, in his own zone.
pub mod filters {
    use chrono::{DateTime, NaiveDate, Utc};
    use std::borrow::Borrow;

    /// Anything a template holds an instant as: the value or a reference to it.
    pub trait Instant {
        fn instant(&self) -> DateTime<Utc>;
    }

    impl Instant for DateTime<Utc> {
        fn instant(&self) -> DateTime<Utc> {
            *self
        }
    }

    impl<T: Instant + ?Sized> Instant for &T {
        fn instant(&self) -> DateTime<Utc> {
            (**self).instant()
        }
    }

    /// "3 Mar 2026".
    pub fn day(at: impl Instant, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::day(at.instant()))
    }

    /// "March 2026".
    pub fn month<D: Borrow<NaiveDate>>(d: D, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(d.borrow().format("%B %Y").to_string())
    }

    /// "2026-03-03 19:30:05": to the second, for the audit log.
    pub fn stamp(at: impl Instant, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(at.instant().format("%Y-%m-%d %H:%M:%S").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn times_are_local_and_name_both_dates_only_across_days() {
        assert_eq!(
            when_words(
                at("2026-12-05T18:00:00Z"),
                at("2026-12-05T21:00:00Z"),
                "Europe/Berlin"
            ),
            "Sat 5 Dec 2026, 19:00–22:00 (Europe/Berlin)"
        );
        assert_eq!(
            when_words(
                at("2026-12-04T17:00:00Z"),
                at("2026-12-06T13:00:00Z"),
                "Europe/Berlin"
            ),
            "Fri 4 Dec 2026, 18:00 – Sun 6 Dec 2026, 14:00 (Europe/Berlin)"
        );
    }

    #[test]
    fn an_unknown_zone_is_shown_as_utc_and_says_so() {
        let t = at("2026-03-03T18:30:00Z");
        assert_eq!(local(t, "Europe/Berlin"), "Tue 3 Mar 2026, 19:30 CET");
        assert_eq!(local(t, "Mars/Olympus"), "Tue 3 Mar 2026, 18:30 UTC");
        assert_eq!(clock(t, "Europe/Berlin"), "19:30 CET");
        assert_eq!(clock(t, "Mars/Olympus"), "18:30 UTC");
        assert_eq!(local_input(t, "Europe/Berlin"), "2026-03-03T19:30");
        assert_eq!(local_inputs(t, "Mars/Olympus").1, "18:30");
    }

    #[test]
    fn every_time_names_its_zone() {
        let summer = at("2026-07-03T17:30:00Z");
        assert_eq!(local(summer, "Europe/Berlin"), "Fri 3 Jul 2026, 19:30 CEST");
        assert_eq!(
            local(summer, "America/Sao_Paulo"),
            "Fri 3 Jul 2026, 14:30 UTC-03"
        );
        assert_eq!(
            for_viewer(summer, Some("America/New_York")),
            "3 Jul 2026, 13:30 EDT (America/New_York)"
        );
        assert_eq!(for_viewer(summer, None), "3 Jul 2026, 17:30 UTC");
        assert_eq!(
            for_viewer(summer, Some("Mars/Olympus")),
            "3 Jul 2026, 17:30 UTC"
        );
    }

    #[test]
    fn the_zone_list_names_region_and_offset_at_the_given_time() {
        let label = |now: DateTime<Utc>, name: &str| {
            zone_groups(now)
                .into_iter()
                .flat_map(|g| g.zones)
                .find(|(z, _)| *z == name)
                .map(|(_, l)| l)
        };
        let winter = at("2026-01-15T12:00:00Z");
        let summer = at("2026-07-15T12:00:00Z");
        let berlin = label(winter, "Europe/Berlin");
        assert_eq!(berlin.as_deref(), Some("Europe/Berlin (UTC+01:00)"));
        let berlin = label(summer, "Europe/Berlin");
        assert_eq!(berlin.as_deref(), Some("Europe/Berlin (UTC+02:00)"));
        let new_york = label(winter, "America/New_York");
        assert_eq!(new_york.as_deref(), Some("America/New York (UTC-05:00)"));
        let kolkata = label(summer, "Asia/Kolkata");
        assert_eq!(kolkata.as_deref(), Some("Asia/Kolkata (UTC+05:30)"));
        let kathmandu = label(winter, "Asia/Kathmandu");
        assert_eq!(kathmandu.as_deref(), Some("Asia/Kathmandu (UTC+05:45)"));
        let st_johns = label(winter, "America/St_Johns");
        assert_eq!(st_johns.as_deref(), Some("America/St Johns (UTC-03:30)"));
    }

    #[test]
    fn the_zone_list_leaves_out_aliases_and_is_sorted() {
        let groups = zone_groups(at("2026-01-15T12:00:00Z"));
        let regions: Vec<&str> = groups.iter().map(|g| g.region).collect();
        assert!(regions.windows(2).all(|w| w[0] < w[1]), "{regions:?}");
        let names: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.zones.iter().map(|z| z.0))
            .collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(groups.iter().all(|g| g
            .zones
            .iter()
            .all(|(z, l)| z.starts_with(g.region) && l.starts_with(g.region))));
        for alias in [
            "US/Eastern",
            "GB",
            "Etc/GMT+5",
            "Asia/Calcutta",
            "Europe/Kiev",
            "CET",
        ] {
            assert!(!names.contains(&alias), "{alias} is offered");
        }
        assert!(names.contains(&"Asia/Kolkata"));
    }

    #[test]
    fn a_stored_alias_stays_selected_with_its_offset() {
        let now = at("2026-01-15T12:00:00Z");
        assert_eq!(
            unlisted_zone("Asia/Calcutta", now),
            Some((
                "Asia/Calcutta".to_owned(),
                "Asia/Calcutta (UTC+05:30)".to_owned()
            ))
        );
        assert_eq!(
            unlisted_zone("Mars/Olympus", now).map(|z| z.1),
            Some("Mars/Olympus (not recognised)".to_owned())
        );
        assert_eq!(unlisted_zone("Europe/Berlin", now), None);
        assert_eq!(unlisted_zone("", now), None);
        assert_eq!(unlisted_zone("UTC", now), None);
    }

    #[test]
    fn days_since_reads_like_speech() {
        assert_eq!(days_since(None), "No meeting yet");
        assert_eq!(days_since(Some(0)), "Today");
        assert_eq!(days_since(Some(1)), "1 day ago");
        assert_eq!(days_since(Some(12)), "12 days ago");
    }
}
