//! Venues in the demo cities, for programme events.

use super::dice::Dice;
use super::names::CITIES;
use super::{Plan, SeedOptions};
use chrono::{DateTime, Duration, Utc};
use db::main_db::venues;
use uuid::Uuid;

/// Generates the venues; answers each venue's city (an index into `CITIES`).
pub(super) fn venues(
    dice: &mut Dice,
    p: &mut Plan,
    opts: &SeedOptions,
    now: DateTime<Utc>,
    two_years_ago: DateTime<Utc>,
    ptm: Uuid,
) -> Vec<usize> {
    let n_venues = (opts.events as usize / 150).clamp(3, 40);
    let mut venue_city = Vec::with_capacity(n_venues);
    for v in 0..n_venues {
        let c = v % CITIES.len();
        let city = &CITIES[c];
        let at = dice.between(two_years_ago, now - Duration::days(200));
        p.venues.push(venues::Model {
            id: dice.id(at),
            name: format!(
                "{} {} {}",
                dice.pick(&city.districts),
                dice.pick(&[
                    "Community Hall",
                    "Friends House",
                    "Retreat Centre",
                    "Studio"
                ]),
                v / CITIES.len() + 1
            ),
            address: Some(format!(
                "{} {}, {}",
                dice.range(1, 120),
                "Main Street",
                city.name
            )),
            capacity: *dice.pick(&[20, 30, 40, 60, 80, 120, 200]),
            created_by: Some(ptm),
            created_at: at,
            updated_at: at,
        });
        venue_city.push(c);
    }
    venue_city
}
