//! An event's form, checked: every problem at once, before anything is touched.

use super::{EventInput, MAX_CAPACITY, MAX_OFFER_HOURS};
use crate::{Checks, Error, Result};
use domain::event::{
    CancellationPolicy, EventDescription, EventSchedule, EventTitle, RegistrationWindow,
};
use domain::refund::RefundPolicy;
use domain::{DomainError, Money, Price};

pub(in crate::events) struct Valid {
    pub(in crate::events) title: String,
    pub(in crate::events) description: String,
    pub(in crate::events) schedule: EventSchedule,
    pub(in crate::events) window: RegistrationWindow,
    pub(in crate::events) capacity: i32,
    pub(in crate::events) price: Price,
    pub(in crate::events) policy: Option<String>,
    /// Only on paid events: a free event has nothing to refund.
    pub(in crate::events) refund_policy: Option<RefundPolicy>,
    pub(in crate::events) location: Option<String>,
    pub(in crate::events) online_url: Option<String>,
    pub(in crate::events) offer_hours: Option<i32>,
}

/// Every problem with `input` at once, touching nothing: a form that could not read some
/// of its fields still shows what is wrong with the others.
pub fn check(input: &EventInput) -> Result<()> {
    validate(input).map(|_| ())
}

pub(in crate::events) fn validate(input: &EventInput) -> Result<Valid> {
    let mut c = Checks::default();
    let title = c.check(EventTitle::parse(&input.title));
    let description = c.check(EventDescription::parse(&input.description));
    let policy = c.check(CancellationPolicy::parse(
        input.cancellation_policy.as_deref().unwrap_or(""),
    ));
    let schedule = many(
        &mut c,
        EventSchedule::parse(
            &input.starts_at,
            &input.ends_at,
            &input.time_zone,
            input.kind,
        ),
    );
    let window = schedule.as_ref().and_then(|s| {
        many(
            &mut c,
            RegistrationWindow::new(
                input.registration_opens_at,
                input.registration_closes_at,
                s.starts_at(),
            ),
        )
    });
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        c.check::<()>(Err(DomainError::new(
            "capacity",
            format!("An event has between 1 and {MAX_CAPACITY} seats."),
        )));
    }
    let price = price(&mut c, input);
    let refund_policy = refund_policy(&mut c, input);
    if let Some(h) = input.offer_hours {
        if !(1..=MAX_OFFER_HOURS).contains(&h) {
            c.check::<()>(Err(DomainError::new(
                "offer_hours",
                format!("An offer lasts between 1 and {MAX_OFFER_HOURS} hours."),
            )));
        }
    }
    let location = text(&mut c, input.location.as_deref(), "location", 500);
    let online_url = text(&mut c, input.online_url.as_deref(), "online_url", 500);
    if let Some(u) = &online_url {
        if !url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.host_str().is_some()) {
            c.check::<()>(Err(DomainError::new(
                "online_url",
                "Give a full https:// link, for example https://meet.example.org/workshop.",
            )));
        }
    }
    c.finish()?;
    let (Some(title), Some(description), Some(policy), Some(schedule), Some(window), Some(price)) =
        (title, description, policy, schedule, window, price)
    else {
        return Err(Error::invalid("title", "Some input is invalid."));
    };
    Ok(Valid {
        title: title.as_str().to_owned(),
        description: description.as_str().to_owned(),
        schedule,
        window,
        capacity: input.capacity as i32,
        offer_hours: input
            .offer_hours
            .filter(|_| price.is_paid())
            .map(|h| h as i32),
        refund_policy: refund_policy.filter(|_| price.is_paid()),
        price,
        policy: policy.map(|p| p.as_str().to_owned()),
        location,
        online_url,
    })
}

/// The price: free (0 and no currency), fixed, or a sliding scale when a suggested amount
/// or a maximum is given (then `price_minor` is its minimum). `None` when it is wrong.
fn price(c: &mut Checks, input: &EventInput) -> Option<Price> {
    let currency = input.currency.as_deref().unwrap_or("");
    let sliding = input.price_suggested_minor.is_some() || input.price_maximum_minor.is_some();
    if input.price_minor == 0 && currency.is_empty() && !sliding {
        return Some(Price::Free);
    }
    let minimum = many(c, Money::parse(input.price_minor, currency));
    if !sliding {
        return minimum.map(Price::fixed);
    }
    let amount = |c: &mut Checks, v: Option<i64>, field: &'static str| {
        let parsed = Money::parse(v.unwrap_or(0), currency).map_err(|errors| {
            errors
                .into_iter()
                .filter(|e| e.field == "amount")
                .map(|e| DomainError::new(field, e.message))
                .collect::<Vec<_>>()
        });
        many(c, parsed)
    };
    let suggested = amount(
        c,
        input.price_suggested_minor.or(Some(input.price_minor)),
        "price_suggested_minor",
    );
    let maximum = amount(c, input.price_maximum_minor, "price_maximum_minor");
    if input.price_maximum_minor.is_none() {
        c.check::<()>(Err(DomainError::new(
            "price_maximum_minor",
            "A sliding scale needs a maximum.",
        )));
        return None;
    }
    many(c, Price::sliding(minimum?, suggested?, maximum?))
}

/// The refund policy: none without `refund_full_days_before`; a percentage alone is a
/// mistake worth pointing out rather than ignoring.
fn refund_policy(c: &mut Checks, input: &EventInput) -> Option<RefundPolicy> {
    match (input.refund_full_days_before, input.refund_later_percent) {
        (None, None) => None,
        (None, Some(_)) => {
            c.check::<()>(Err(DomainError::new(
                "refund_full_days_before",
                "Say until how many days before the start a full refund is given (0 for until the start).",
            )));
            None
        }
        (Some(days), percent) => many(c, RefundPolicy::new(days, percent.unwrap_or(0))),
    }
}

/// Files every problem of a check that reports several.
fn many<T>(c: &mut Checks, r: std::result::Result<T, Vec<DomainError>>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(errors) => {
            for e in errors {
                c.check::<()>(Err(e));
            }
            None
        }
    }
}

pub(super) fn text(
    c: &mut Checks,
    v: Option<&str>,
    field: &'static str,
    max: usize,
) -> Option<String> {
    let t = v.map(str::trim).filter(|s| !s.is_empty())?;
    if t.chars().count() > max || t.chars().any(char::is_control) {
        c.check::<()>(Err(DomainError::new(
            field,
            format!("Keep this to {max} characters on one line."),
        )));
    }
    Some(t.to_owned())
}
