//! What a circle's form holds, checked: the fields, the cadence, and a circle read back as input.

use super::CircleInput;
use crate::{Checks, Error, Result};
use chrono::NaiveDate;
use db::main_db::circles;
use domain::cadence::{weekday_as_str, Cadence, Frequency};
use domain::circle::{CircleCapacity, CircleDescription, CircleName, Visibility};
use domain::{City, DomainError, MultiLine, SingleLine};

pub(super) struct Valid {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) capacity: i32,
    pub(super) visibility: Visibility,
    pub(super) frequency: Frequency,
    pub(super) weekday: String,
    pub(super) meeting_time: String,
    pub(super) duration_minutes: i32,
    pub(super) time_zone: String,
    pub(super) anchor_date: NaiveDate,
    pub(super) city: Option<String>,
    pub(super) location: Option<String>,
    pub(super) online_url: Option<String>,
}

pub(super) const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The cadence fields, checked by the domain (`Cadence::parse`), each problem under its
/// own field name; the normalised cadence when all are valid.
fn check_cadence(input: &CircleInput, checks: &mut Checks) -> Option<Cadence> {
    match Cadence::parse(
        &input.frequency,
        &input.weekday,
        &input.meeting_time,
        &input.time_zone,
        &input.anchor_date,
    ) {
        Ok(c) => Some(c),
        Err(errors) => {
            for e in errors {
                checks.check::<()>(Err(e));
            }
            None
        }
    }
}

/// Every problem with `input` at once, touching nothing: a form that could not read some
/// of its fields still shows what is wrong with the others.
pub fn check(input: &CircleInput) -> Result<()> {
    validate(input).map(|_| ())
}

pub(super) fn validate(input: &CircleInput) -> Result<Valid> {
    let mut c = Checks::default();
    let name = c.check(CircleName::parse(&input.name));
    let description = c.check(CircleDescription::parse(&input.description));
    let capacity = c.check(CircleCapacity::try_from(input.capacity));
    let cadence = check_cadence(input, &mut c);
    if !(30..=480).contains(&input.duration_minutes) {
        c.check::<()>(Err(DomainError::new(
            "duration_minutes",
            "A meeting lasts between 30 and 480 minutes.",
        )));
    }
    let blank = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let city =
        blank(input.city.as_deref()).and_then(|s| c.check(City::parse(&s)).map(City::into_inner));
    let location = blank(input.location.as_deref());
    if location.as_ref().is_some_and(|l| l.chars().count() > 500) {
        c.check::<()>(Err(DomainError::new(
            "location",
            "Keep the location to 500 characters.",
        )));
    }
    let online_url = blank(input.online_url.as_deref());
    if let Some(u) = &online_url {
        let ok = u.len() <= 500
            && url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.host_str().is_some());
        if !ok {
            c.check::<()>(Err(DomainError::new(
                "online_url",
                "Give a full https:// link of up to 500 characters, for example https://meet.example.org/circle.",
            )));
        }
    }
    c.finish()?;
    let (Some(name), Some(description), Some(capacity), Some(cadence)) =
        (name, description, capacity, cadence)
    else {
        return Err(Error::invalid("name", "Some input is invalid."));
    };
    Ok(Valid {
        name: name.as_str().to_owned(),
        description: description.as_str().to_owned(),
        capacity: capacity.get() as i32,
        visibility: input.visibility,
        frequency: cadence.frequency,
        weekday: weekday_as_str(cadence.weekday).to_owned(),
        meeting_time: cadence.meeting_time_str(),
        duration_minutes: input.duration_minutes as i32,
        time_zone: cadence.time_zone.name().to_owned(),
        anchor_date: cadence.anchor,
        city,
        location,
        online_url,
    })
}

pub(super) fn input_of(c: &circles::Model) -> CircleInput {
    CircleInput {
        name: c.name.clone(),
        description: MultiLine::from_stored(&c.description),
        capacity: c.capacity as i64,
        visibility: c.visibility,
        frequency: c.frequency.as_str().to_owned(),
        weekday: c.weekday.clone(),
        meeting_time: c.meeting_time.clone(),
        duration_minutes: c.duration_minutes as i64,
        time_zone: c.time_zone.clone(),
        anchor_date: c.anchor_date.format("%Y-%m-%d").to_string(),
        city: c.city.as_deref().map(SingleLine::from_stored),
        location: c.location.as_deref().map(SingleLine::from_stored),
        online_url: c.online_url.as_deref().map(SingleLine::from_stored),
    }
}
