//! Seeded randomness and the date arithmetic the plan draws on.

use crate::{Error, Result};
use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc,
    Weekday,
};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::Rng;
use uuid::Uuid;

/// Our RNG wrapped with the few draws the plan needs.
pub(super) struct Dice(pub(super) StdRng);

impl Dice {
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.0.gen_bool(p.clamp(0.0, 1.0))
    }
    pub(super) fn range(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        if hi_inclusive <= lo {
            lo
        } else {
            self.0.gen_range(lo..=hi_inclusive)
        }
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.gen_range(0..items.len())]
    }
    /// A time-ordered id (UUIDv7 layout) for a row created at `at`, from the seeded RNG
    /// rather than the OS, so the same seed gives the same ids for the same clock.
    pub(super) fn id(&mut self, at: DateTime<Utc>) -> Uuid {
        let bytes: [u8; 10] = self.0.gen();
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes)
            .into_uuid()
    }
    /// A moment uniformly in `[from, until]`.
    pub(super) fn between(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> DateTime<Utc> {
        let span = (until - from).num_seconds();
        from + Duration::seconds(self.range(0, span))
    }
}

pub(super) fn time(h: u32, m: u32) -> Result<NaiveTime> {
    NaiveTime::from_hms_opt(h, m, 0)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("invalid time of day {h}:{m}")))
}

/// The instant of a wall-clock time; a time the clocks skip moves on by an hour.
pub(super) fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// The first `weekday` on or after `date`.
pub(super) fn next_weekday(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Days::new(u64::from(ahead))
}
