//! What the event form sends, as typed, and how the page reads it into an `EventInput`:
//! numbers, times on the event's clock and the chosen audience, with a message next to each
//! field it cannot read.

use crate::pages::format::local_input;
use crate::pages::FormState;
use app::authz::Actor;
use app::events::{EventInput, EventView};
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::event::EventKind;
use domain::Money;
use domain::TimeZone;
use domain::{MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

/// The audience choice that means "open to everyone" (a programme event).
pub(super) const EVERYONE: &str = "everyone";
/// The audience choice that means "the members of the circles ticked below".
pub(super) const CHOSEN: &str = "chosen";

/// What the form sends: every field as typed.
#[derive(Deserialize, Default)]
pub(super) struct EventForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: MultiLine<5000>,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    pub(super) audience: String,
    #[serde(default)]
    venue_id: String,
    #[serde(default)]
    location: SingleLine<500>,
    #[serde(default)]
    online_url: SingleLine<500>,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
    /// A sliding scale's suggested amount and maximum, as typed; empty for a fixed price.
    #[serde(default)]
    price_suggested: String,
    #[serde(default)]
    price_maximum: String,
    /// A checkbox: present when ticked.
    waitlist_enabled: Option<String>,
    #[serde(default)]
    offer_hours: String,
    #[serde(default)]
    registration_opens_at: String,
    #[serde(default)]
    registration_closes_at: String,
    #[serde(default)]
    cancellation_policy: MultiLine<2000>,
    /// The refund policy, as typed: days before the start for a full refund, and the
    /// percentage after that; both empty for no policy.
    #[serde(default)]
    refund_full_days_before: String,
    #[serde(default)]
    refund_later_percent: String,
    /// The ticked circles (sent once per circle: read from the form's lists).
    #[serde(skip)]
    pub(super) circle_ids: Vec<String>,
}

impl EventForm {
    pub(super) fn blank(actor: &Actor, audience: String) -> EventForm {
        EventForm {
            kind: EventKind::Workshop.as_str().into(),
            time_zone: actor.user.time_zone.clone().unwrap_or_default(),
            capacity: "20".into(),
            currency: "EUR".into(),
            waitlist_enabled: Some("1".into()),
            audience,
            ..EventForm::default()
        }
    }

    pub(super) fn of(v: &EventView) -> EventForm {
        let zone = &v.time_zone;
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let price = v
            .currency
            .as_deref()
            .and_then(|c| Money::parse(v.price_minor, c).ok())
            .filter(|m| !m.is_free());
        EventForm {
            kind: v.kind.as_str().into(),
            title: v.title.clone(),
            description: MultiLine::from_stored(&v.description),
            starts_at: local_input(v.starts_at, zone),
            ends_at: local_input(v.ends_at, zone),
            time_zone: zone.clone(),
            audience: v
                .circle_id
                .map_or_else(|| EVERYONE.to_owned(), |c| c.to_string()),
            venue_id: v
                .venue
                .as_ref()
                .map(|x| x.id.to_string())
                .unwrap_or_default(),
            location: SingleLine::from_stored(&opt(&v.location)),
            online_url: SingleLine::from_stored(&opt(&v.online_url)),
            capacity: v.capacity.to_string(),
            price: price.map(|m| m.amount_text()).unwrap_or_default(),
            price_suggested: scale_text(v.price_suggested_minor, v.currency.as_deref()),
            price_maximum: scale_text(v.price_maximum_minor, v.currency.as_deref()),
            currency: v.currency.clone().unwrap_or_else(|| "EUR".into()),
            waitlist_enabled: v.waitlist_enabled.then(|| "1".into()),
            offer_hours: v.offer_hours.map(|h| h.to_string()).unwrap_or_default(),
            registration_opens_at: v
                .registration_opens_at
                .map(|t| local_input(t, zone))
                .unwrap_or_default(),
            registration_closes_at: v
                .registration_closes_at
                .map(|t| local_input(t, zone))
                .unwrap_or_default(),
            cancellation_policy: MultiLine::from_stored(&opt(&v.cancellation_policy)),
            refund_full_days_before: number_text(v.refund_full_days_before),
            refund_later_percent: number_text(v.refund_later_percent),
            circle_ids: Vec::new(),
        }
    }

    pub(super) fn state(&self) -> FormState {
        FormState::default()
            .with("kind", &self.kind)
            .with("title", &self.title)
            .with("description", &self.description)
            .with("starts_at", &self.starts_at)
            .with("ends_at", &self.ends_at)
            .with("time_zone", &self.time_zone)
            .with("audience", &self.audience)
            .with("venue_id", &self.venue_id)
            .with("location", &self.location)
            .with("online_url", &self.online_url)
            .with("capacity", &self.capacity)
            .with("price", &self.price)
            .with("currency", &self.currency)
            .with("price_suggested", &self.price_suggested)
            .with("price_maximum", &self.price_maximum)
            .with(
                "waitlist_enabled",
                self.waitlist_enabled.as_deref().unwrap_or(""),
            )
            .with("offer_hours", &self.offer_hours)
            .with("registration_opens_at", &self.registration_opens_at)
            .with("registration_closes_at", &self.registration_closes_at)
            .with("cancellation_policy", &self.cancellation_policy)
            .with("refund_full_days_before", &self.refund_full_days_before)
            .with("refund_later_percent", &self.refund_later_percent)
            .with("circle_ids", &self.circle_ids.join(" "))
    }

    /// The `EventInput` the form describes, or the form with a message next to each field
    /// the page could not read, and the input with stand-ins for those fields (so that the
    /// use case can still check the rest, and every problem shows at once).
    pub(super) fn read(&self) -> (EventInput, Option<FormState>) {
        let mut state = self.state();
        let mut ok = true;
        let mut wrong = |state: FormState, field: &str, message: &str| {
            ok = false;
            state.field_error(field, message)
        };
        let kind = EventKind::parse(self.kind.trim());
        if kind.is_none() {
            state = wrong(state, "kind", "Choose what kind of event this is.");
        }
        let capacity = self.capacity.trim().parse::<i64>();
        if capacity.is_err() {
            state = wrong(
                state,
                "capacity",
                "Enter the number of seats, for example 20.",
            );
        }
        let circle_id = match self.audience.trim() {
            EVERYONE | CHOSEN => Ok(None),
            raw => raw.parse::<Uuid>().map(Some),
        };
        if circle_id.is_err() {
            state = wrong(state, "audience", "Choose who the event is for.");
        }
        let circle_ids = if self.audience.trim() == CHOSEN {
            self.circle_ids
                .iter()
                .map(|raw| raw.trim().parse::<Uuid>())
                .collect::<Result<Vec<_>, _>>()
        } else {
            Ok(Vec::new())
        };
        match &circle_ids {
            Ok(ids) if ids.is_empty() && self.audience.trim() == CHOSEN => {
                state = wrong(state, "circle_ids", "Tick at least one circle.");
            }
            Ok(_) => {}
            Err(_) => state = wrong(state, "circle_ids", "Tick circles from the list."),
        }
        let venue_id = match self.venue_id.trim() {
            "" => Ok(None),
            raw => raw.parse::<Uuid>().map(Some),
        };
        if venue_id.is_err() {
            state = wrong(state, "venue_id", "Choose a venue from the list, or none.");
        }
        let price = match self.price.trim() {
            "" | "0" => Ok(None),
            raw => Money::parse_amount(raw, &self.currency).map(Some),
        };
        if let Err(problems) = &price {
            for p in problems {
                let field = if p.field == "amount" {
                    "price"
                } else {
                    p.field
                };
                state = wrong(state, field, &p.message);
            }
        }
        let mut scale = |raw: &str, field: &'static str| match raw.trim() {
            "" => None,
            raw => match Money::parse_amount(raw, &self.currency) {
                Ok(m) => Some(m.amount_minor()),
                Err(problems) => {
                    for p in problems.iter().filter(|p| p.field == "amount") {
                        state = wrong(std::mem::take(&mut state), field, &p.message);
                    }
                    None
                }
            },
        };
        let price_suggested_minor = scale(&self.price_suggested, "price_suggested");
        let price_maximum_minor = scale(&self.price_maximum, "price_maximum");
        let offer_hours = match self.offer_hours.trim() {
            "" => Ok(None),
            raw => raw.parse::<i64>().map(Some),
        };
        if offer_hours.is_err() {
            state = wrong(
                state,
                "offer_hours",
                "Enter a number of hours, or leave it empty to give freed seats at once.",
            );
        }
        let refund_days = whole_number(&self.refund_full_days_before);
        if refund_days.is_err() {
            state = wrong(
                state,
                "refund_full_days_before",
                "Enter a number of days, or leave it empty for no refund policy.",
            );
        }
        let refund_percent = whole_number(&self.refund_later_percent);
        if refund_percent.is_err() {
            state = wrong(
                state,
                "refund_later_percent",
                "Enter a percentage from 0 to 100, or leave it empty.",
            );
        }
        let zone = TimeZone::parse(self.time_zone.trim()).ok();
        let opens = instant(&self.registration_opens_at, zone);
        if opens.is_err() {
            state = wrong(state, "registration_opens_at", "Enter a date and time.");
        }
        let closes = instant(&self.registration_closes_at, zone);
        if closes.is_err() {
            state = wrong(state, "registration_closes_at", "Enter a date and time.");
        }
        // Stand-ins that pass the use case's checks, so it reports only its own problems.
        let price = price.unwrap_or(None);
        let input = EventInput {
            kind: kind.unwrap_or(EventKind::Workshop),
            title: self.title.clone(),
            description: self.description.clone(),
            starts_at: self.starts_at.trim().to_owned(),
            ends_at: self.ends_at.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
            venue_id: venue_id.unwrap_or(None),
            location: Some(self.location.clone()),
            online_url: Some(self.online_url.clone()),
            capacity: capacity.unwrap_or(1),
            price_minor: price.as_ref().map_or(0, Money::amount_minor),
            currency: price
                .map(|p| p.currency())
                .or_else(|| domain::Currency::parse(&self.currency).ok())
                .filter(|_| {
                    price.is_some()
                        || price_suggested_minor.is_some()
                        || price_maximum_minor.is_some()
                })
                .and_then(|c| SingleLine::try_from(c.as_str()).ok()),
            price_suggested_minor,
            price_maximum_minor,
            waitlist_enabled: self.waitlist_enabled.is_some(),
            offer_hours: offer_hours.unwrap_or(None),
            registration_opens_at: opens.unwrap_or(None),
            registration_closes_at: closes.unwrap_or(None),
            cancellation_policy: Some(self.cancellation_policy.clone()),
            refund_full_days_before: refund_days.unwrap_or(None),
            refund_later_percent: refund_percent.unwrap_or(None),
            circle_id: circle_id.unwrap_or(None),
            circle_ids: circle_ids.unwrap_or_default(),
        };
        (input, (!ok).then_some(state))
    }
}

/// A whole number as typed; `None` when empty.
fn whole_number(raw: &str) -> Result<Option<i64>, std::num::ParseIntError> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw.parse::<i64>().map(Some),
    }
}

/// A stored number as the form shows it; empty when unset.
fn number_text(v: Option<i32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// A sliding scale's stored amount as the form shows it ("25.00"); empty when unset.
fn scale_text(minor: Option<i64>, currency: Option<&str>) -> String {
    match (minor, currency) {
        (Some(m), Some(c)) => Money::parse(m, c)
            .map(|m| m.amount_text())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A `datetime-local` value on the event's clock as an instant; empty is none. Without a
/// known zone it is read as UTC (the zone's own error is reported next to its field).
fn instant(raw: &str, zone: Option<TimeZone>) -> Result<Option<DateTime<Utc>>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").map_err(|_| ())?;
    Ok(Some(match zone {
        Some(z) => {
            use chrono::TimeZone as _;
            // In a daylight-saving gap the wall-clock time does not exist: take the first
            // instant after it, as calendars do.
            z.tz()
                .from_local_datetime(&naive)
                .earliest()
                .or_else(|| {
                    z.tz()
                        .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
        }
        None => naive.and_utc(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_on_the_event_clock() {
        let berlin = TimeZone::parse("Europe/Berlin").ok();
        assert_eq!(
            instant("2026-12-05T19:00", berlin).unwrap().unwrap(),
            "2026-12-05T18:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // 02:30 does not exist on 29 March 2026 in Berlin: the first instant after.
        assert_eq!(
            instant("2026-03-29T02:30", berlin).unwrap().unwrap(),
            "2026-03-29T01:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(instant(" ", berlin), Ok(None));
        assert!(instant("5 Dec", berlin).is_err());
    }
}
