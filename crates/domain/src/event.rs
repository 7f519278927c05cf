//! Events: circle meetings, movie nights, workshops, day retreats and multi-day retreats.
//!
//! These are the rules an event's own data must obey (title, price, when it happens, when
//! people may register) and the seat-allocation model that registrations follow. Who may
//! create or change an event lives in `app`; the database enforces the same seat rules with
//! conditional updates (DESIGN.md §4), and [`Roster`] is the executable spec it is tested
//! against.

use crate::vocabulary::text_enum;
use crate::{DomainError, TimeZone};
use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub use crate::event_registration::RegistrationStatus;

/// What sort of gathering an event is; it decides how long the event may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A circle's regular meeting.
    CircleMeeting,
    MovieNight,
    Workshop,
    /// A retreat that begins and ends on the same local date.
    DayRetreat,
    /// A retreat with at least one night away: it ends on a later local date.
    MultiDayRetreat,
}

// `ALL` is in the order a form offers the kinds.
text_enum!(EventKind {
    CircleMeeting => "circle_meeting",
    MovieNight => "movie_night",
    Workshop => "workshop",
    DayRetreat => "day_retreat",
    MultiDayRetreat => "multi_day_retreat",
});

impl EventKind {
    /// The name used in sentences: "movie night".
    pub fn label(self) -> &'static str {
        match self {
            Self::CircleMeeting => "circle meeting",
            Self::MovieNight => "movie night",
            Self::Workshop => "workshop",
            Self::DayRetreat => "day retreat",
            Self::MultiDayRetreat => "multi-day retreat",
        }
    }

    /// Whether the event spans several local dates (only a multi-day retreat does).
    pub fn spans_days(self) -> bool {
        match self {
            Self::MultiDayRetreat => true,
            Self::CircleMeeting | Self::MovieNight | Self::Workshop | Self::DayRetreat => false,
        }
    }
}

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Being prepared; only its organisers see it.
    Draft,
    /// Visible and, inside its registration window, open for registration.
    Published,
    /// Called off; kept so registrants can see what happened and refunds can be traced.
    Cancelled,
    /// Took place; kept for attendance and reports.
    Completed,
}

// `ALL` is in life order.
text_enum!(EventStatus {
    Draft => "draft",
    Published => "published",
    Cancelled => "cancelled",
    Completed => "completed",
});

impl EventStatus {
    /// Cancelled and completed events never change status again: registrants, refunds and
    /// attendance records depend on that outcome staying put.
    pub fn is_final(self) -> bool {
        match self {
            Self::Cancelled | Self::Completed => true,
            Self::Draft | Self::Published => false,
        }
    }

    /// Only a published event takes registrations (its window permitting).
    pub fn accepts_registrations(self) -> bool {
        match self {
            Self::Published => true,
            Self::Draft | Self::Cancelled | Self::Completed => false,
        }
    }

    /// The statuses that may still change, for queries over stored rows: such an event
    /// may still be edited and still holds its venue.
    pub fn not_final() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|s| !s.is_final())
    }

    /// Whether people other than its organisers may see it: once published, and after
    /// (a cancelled or completed event stays visible so registrants see what happened).
    pub fn is_public(self) -> bool {
        match self {
            Self::Draft => false,
            Self::Published | Self::Cancelled | Self::Completed => true,
        }
    }

    /// Allowed changes: draft → published, draft → cancelled, published → cancelled,
    /// published → completed. Staying the same is allowed, so a repeated request is
    /// harmless; nothing leaves cancelled or completed.
    pub fn can_become(self, next: EventStatus) -> bool {
        use EventStatus::*;
        match self {
            Draft => matches!(next, Draft | Published | Cancelled),
            Published => matches!(next, Published | Cancelled | Completed),
            Cancelled => next == Cancelled,
            Completed => next == Completed,
        }
    }
}

/// An event's title: 3–120 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTitle(String);

impl EventTitle {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 120;

    /// Trims `raw` and checks its length and characters; errors are under `title`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let title = raw.trim();
        let n = title.chars().count();
        if n < Self::MIN_CHARS {
            return Err(DomainError::new(
                "title",
                "Give the event a title of at least 3 characters.",
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(DomainError::new(
                "title",
                "An event's title can be at most 120 characters long.",
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(DomainError::new(
                "title",
                "An event's title cannot contain line breaks or other control characters.",
            ));
        }
        Ok(EventTitle(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an event is about: up to 5000 characters, line breaks kept, may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDescription(String);

impl EventDescription {
    pub const MAX_CHARS: usize = 5000;

    /// Trims `raw` and checks its length and characters; errors are under `description`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        long_text(raw, Self::MAX_CHARS, "description", "description").map(EventDescription)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The terms for cancelling a registration (refunds, deadlines): up to 2000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationPolicy(String);

impl CancellationPolicy {
    pub const MAX_CHARS: usize = 2000;

    /// Trims `raw` and checks it; errors are under `cancellation_policy`. An event need not
    /// have a policy, so blank input is `Ok(None)` rather than an empty policy, which would
    /// read as "no cancellations" on the event page.
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let text = long_text(
            raw,
            Self::MAX_CHARS,
            "cancellation_policy",
            "cancellation policy",
        )?;
        Ok((!text.is_empty()).then_some(CancellationPolicy(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed free text of at most `max` characters; tabs and line breaks are fine, other
/// control characters are refused because they cannot be shown.
fn long_text(
    raw: &str,
    max: usize,
    field: &'static str,
    what: &str,
) -> Result<String, DomainError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(DomainError::new(
            field,
            format!("Keep the {what} to {max} characters."),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DomainError::new(
            field,
            format!("The {what} contains characters that cannot be shown."),
        ));
    }
    Ok(text.to_owned())
}

/// When an event happens: its start and end as UTC instants, and the IANA zone its
/// organisers entered them in (DESIGN.md §4 keeps the zone so pages show local times).
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

/// Why someone cannot register for an event right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationClosed {
    /// Registration opens later, at `opens_at`.
    #[error("Registration for this event has not opened yet.")]
    NotYetOpen { opens_at: DateTime<Utc> },
    /// Registration closed at `closed_at`, before the event.
    #[error("Registration for this event has closed.")]
    Closed { closed_at: DateTime<Utc> },
    /// The event has begun; nobody registers for something already under way.
    #[error("This event has already started.")]
    Started,
}

impl RegistrationClosed {
    /// A stable code for the API: `not_yet_open`, `closed` or `started`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotYetOpen { .. } => "not_yet_open",
            Self::Closed { .. } => "closed",
            Self::Started => "started",
        }
    }
}

/// When people may register for an event: from `opens_at` (inclusive; none means as soon
/// as it is published) until `closes_at` (exclusive; none means until the event starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegistrationWindow {
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
}

impl RegistrationWindow {
    /// Checks that registration opens before it closes and closes no later than the event
    /// starts (`opens_at < closes_at ≤ starts_at`, for whichever bounds are given), so the
    /// window is never empty. Problems are under `registration_opens_at` or
    /// `registration_closes_at`.
    pub fn new(
        opens_at: Option<DateTime<Utc>>,
        closes_at: Option<DateTime<Utc>>,
        starts_at: DateTime<Utc>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut errors = Vec::new();
        for (field, bound) in [
            ("registration_opens_at", opens_at),
            ("registration_closes_at", closes_at),
        ] {
            if let Some(Err(e)) = bound.map(|at| crate::dates::instant(field, at)) {
                errors.push(e);
            }
        }
        if opens_at.is_some_and(|o| o >= starts_at) {
            errors.push(DomainError::new(
                "registration_opens_at",
                "Registration must open before the event starts.",
            ));
        }
        if let (Some(o), Some(c)) = (opens_at, closes_at) {
            if c <= o {
                errors.push(DomainError::new(
                    "registration_closes_at",
                    "Registration must close after it opens.",
                ));
            }
        }
        if closes_at.is_some_and(|c| c > starts_at) {
            errors.push(DomainError::new(
                "registration_closes_at",
                "Registration must close no later than the event starts.",
            ));
        }
        if errors.is_empty() {
            Ok(RegistrationWindow {
                opens_at,
                closes_at,
            })
        } else {
            Err(errors)
        }
    }

    pub fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.opens_at
    }

    pub fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.closes_at
    }

    /// Whether someone may register at `now` for an event starting at `starts_at`.
    ///
    /// Takes the raw stored bounds rather than a window, so rows written before a rule
    /// changed are still judged. A started event reports [`RegistrationClosed::Started`]
    /// whatever the bounds say, since that is the reason people can act on.
    pub fn check(
        opens_at: Option<DateTime<Utc>>,
        closes_at: Option<DateTime<Utc>>,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RegistrationClosed> {
        if now >= starts_at {
            return Err(RegistrationClosed::Started);
        }
        if let Some(opens_at) = opens_at.filter(|o| now < *o) {
            return Err(RegistrationClosed::NotYetOpen { opens_at });
        }
        if let Some(closed_at) = closes_at.filter(|c| now >= *c) {
            return Err(RegistrationClosed::Closed { closed_at });
        }
        Ok(())
    }

    /// [`RegistrationWindow::check`] with this window's bounds.
    pub fn admits(
        &self,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RegistrationClosed> {
        Self::check(self.opens_at, self.closes_at, starts_at, now)
    }
}

/// Whether `[a_start, a_end)` and `[b_start, b_end)` share any moment. Intervals are
/// half-open, so an event ending at 12:00 does not clash with one starting at 12:00; an
/// empty interval (start ≥ end) overlaps nothing.
pub fn overlaps<T: Ord>(a_start: T, a_end: T, b_start: T, b_end: T) -> bool {
    a_start < a_end && b_start < b_end && a_start < b_end && b_start < a_end
}

/// Where a registration landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A seat is held.
    Confirmed,
    /// No seat free: in line at `position` (1 = next to get a seat).
    Waitlisted { position: usize },
    /// The person already holds a seat or a place in line; nothing changed.
    AlreadyRegistered,
}

/// A waitlisted person who just got a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promoted<Id>(pub Id);

/// Seats and waitlist of one event: the model the database's registration code follows.
///
/// Invariants, after every operation: at most `capacity` confirmed; nobody both confirmed
/// and waiting, nor twice in either; the waitlist in arrival order; and no seat idle while
/// someone waits (a freed seat goes to the head of the waitlist at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster<Id> {
    capacity: u32,
    confirmed: Vec<Id>,
    waitlist: VecDeque<Id>,
}

impl<Id: Clone + Eq> Roster<Id> {
    /// An empty roster with `capacity` seats.
    pub fn new(capacity: u32) -> Self {
        Roster {
            capacity,
            confirmed: Vec::new(),
            waitlist: VecDeque::new(),
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Who holds a seat, in the order they got it.
    pub fn confirmed(&self) -> &[Id] {
        &self.confirmed
    }

    /// Who is waiting, first in line first.
    pub fn waitlist(&self) -> &VecDeque<Id> {
        &self.waitlist
    }

    /// Registers `id`: a seat if one is free, otherwise the end of the waitlist. Someone
    /// already registered keeps their place, so a double-submitted form is harmless.
    pub fn register(&mut self, id: Id) -> Placement {
        if self.confirmed.contains(&id) || self.waitlist.contains(&id) {
            return Placement::AlreadyRegistered;
        }
        if self.has_free_seat() {
            self.confirmed.push(id);
            Placement::Confirmed
        } else {
            self.waitlist.push_back(id);
            Placement::Waitlisted {
                position: self.waitlist.len(),
            }
        }
    }

    /// Cancels `id`'s registration. A freed seat goes to the head of the waitlist, who is
    /// returned; leaving the waitlist, or cancelling someone not registered, promotes
    /// nobody.
    pub fn cancel(&mut self, id: &Id) -> Option<Promoted<Id>> {
        if let Some(i) = self.waitlist.iter().position(|w| w == id) {
            self.waitlist.remove(i);
            return None;
        }
        let i = self.confirmed.iter().position(|c| c == id)?;
        self.confirmed.remove(i);
        self.fill_seats().into_iter().next()
    }

    /// Changes the number of seats. More seats go to the head of the waitlist at once (the
    /// promoted are returned, first in line first). Fewer seats than are already confirmed
    /// is refused under `capacity`: taking a confirmed seat away is a decision for a
    /// person (cancel someone), not a side effect of editing a number.
    pub fn set_capacity(&mut self, capacity: u32) -> Result<Vec<Promoted<Id>>, DomainError> {
        if seats(capacity) < self.confirmed.len() {
            return Err(DomainError::new(
                "capacity",
                format!(
                    "{} people already have a seat, so the capacity cannot go below {}. \
                     Cancel registrations first if fewer places are needed.",
                    self.confirmed.len(),
                    self.confirmed.len()
                ),
            ));
        }
        self.capacity = capacity;
        Ok(self.fill_seats())
    }

    fn has_free_seat(&self) -> bool {
        self.confirmed.len() < seats(self.capacity)
    }

    /// Moves people from the head of the waitlist into free seats.
    fn fill_seats(&mut self) -> Vec<Promoted<Id>> {
        let mut promoted = Vec::new();
        while self.has_free_seat() {
            let Some(next) = self.waitlist.pop_front() else {
                break;
            };
            self.confirmed.push(next.clone());
            promoted.push(Promoted(next));
        }
        promoted
    }
}

/// A capacity as a count of seats; saturating so a huge capacity on a 16-bit target
/// still means "plenty" rather than wrapping.
fn seats(capacity: u32) -> usize {
    usize::try_from(capacity).unwrap_or(usize::MAX)
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
    fn stored_names_round_trip() {
        use crate::vocabulary::assert_text_round_trips;
        assert_text_round_trips(&EventKind::ALL, EventKind::as_str, EventKind::parse);
        assert_text_round_trips(&EventStatus::ALL, EventStatus::as_str, EventStatus::parse);
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
            assert_eq!(
                serde_json::from_str::<EventKind>(&format!("\"{}\"", k.as_str())).unwrap(),
                k
            );
        }
        for s in EventStatus::ALL {
            assert_eq!(EventStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(
            EventKind::parse("multi_day_retreat"),
            Some(EventKind::MultiDayRetreat)
        );
        assert_eq!(
            EventKind::parse("circle_meeting"),
            Some(EventKind::CircleMeeting)
        );
        assert_eq!(EventKind::parse("Workshop"), None);
        assert_eq!(EventKind::parse("retreat"), None);
        assert_eq!(EventStatus::parse("canceled"), None);
        assert_eq!(EventKind::MultiDayRetreat.label(), "multi-day retreat");
        assert!(EventKind::MultiDayRetreat.spans_days());
        assert!(!EventKind::DayRetreat.spans_days());
    }

    #[test]
    fn status_changes_follow_the_life_of_an_event() {
        use EventStatus::*;
        let allowed = [
            (Draft, Published),
            (Draft, Cancelled),
            (Published, Cancelled),
            (Published, Completed),
        ];
        for from in EventStatus::ALL {
            for to in EventStatus::ALL {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from:?} → {to:?}");
            }
        }
        for s in [Cancelled, Completed] {
            assert!(s.is_final());
            assert!(s.can_become(s));
            assert!(!s.can_become(Draft) && !s.can_become(Published));
        }
        assert!(!Draft.is_final() && !Published.is_final());
        assert_eq!(
            EventStatus::not_final().collect::<Vec<_>>(),
            [Draft, Published]
        );
        // Only a draft is hidden; what happened to a cancelled event stays visible.
        for s in EventStatus::ALL {
            assert_eq!(s.is_public(), s != Draft, "{s:?}");
            assert_eq!(s.accepts_registrations(), s == Published, "{s:?}");
        }
        assert!(!Draft.can_become(Completed));
        assert!(!Published.can_become(Draft));
        assert!(Published.accepts_registrations());
        assert!(!Draft.accepts_registrations() && !Cancelled.accepts_registrations());
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            EventTitle::parse("  Autumn Retreat \n").unwrap().as_str(),
            "Autumn Retreat"
        );
        assert_eq!(
            EventTitle::parse(" ab ").unwrap_err(),
            DomainError::new("title", "Give the event a title of at least 3 characters.")
        );
        assert!(EventTitle::parse("abc").is_ok());
        assert!(EventTitle::parse(&"é".repeat(120)).is_ok());
        assert_eq!(
            EventTitle::parse(&"x".repeat(121)).unwrap_err().message,
            "An event's title can be at most 120 characters long."
        );
        let e = EventTitle::parse("Movie\nNight").unwrap_err();
        assert_eq!(e.field, "title");
        assert_eq!(
            e.message,
            "An event's title cannot contain line breaks or other control characters."
        );
        assert!(EventTitle::parse("Tea\u{7}time").is_err());
    }

    #[test]
    fn descriptions_may_be_empty_and_keep_line_breaks() {
        assert_eq!(EventDescription::parse("   ").unwrap().as_str(), "");
        assert_eq!(
            EventDescription::parse(" Bring:\n\t- a blanket\r\n ")
                .unwrap()
                .as_str(),
            "Bring:\n\t- a blanket"
        );
        assert!(EventDescription::parse(&"y".repeat(5000)).is_ok());
        assert_eq!(
            EventDescription::parse(&"y".repeat(5001)).unwrap_err(),
            DomainError::new("description", "Keep the description to 5000 characters.")
        );
        assert_eq!(
            EventDescription::parse("bell \u{7}").unwrap_err(),
            DomainError::new(
                "description",
                "The description contains characters that cannot be shown."
            )
        );
    }

    #[test]
    fn cancellation_policy_is_optional_and_bounded() {
        assert_eq!(CancellationPolicy::parse("").unwrap(), None);
        assert_eq!(CancellationPolicy::parse(" \n ").unwrap(), None);
        assert_eq!(
            CancellationPolicy::parse(" Full refund until 7 days before. ")
                .unwrap()
                .unwrap()
                .as_str(),
            "Full refund until 7 days before."
        );
        assert!(CancellationPolicy::parse(&"z".repeat(2000))
            .unwrap()
            .is_some());
        assert_eq!(
            CancellationPolicy::parse(&"z".repeat(2001)).unwrap_err(),
            DomainError::new(
                "cancellation_policy",
                "Keep the cancellation policy to 2000 characters."
            )
        );
        assert_eq!(
            CancellationPolicy::parse("no\u{0}refunds").unwrap_err(),
            DomainError::new(
                "cancellation_policy",
                "The cancellation policy contains characters that cannot be shown."
            )
        );
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
    fn registration_window_bounds_are_ordered() {
        let starts = utc("2026-06-01T18:00:00Z");
        let opens = utc("2026-05-01T08:00:00Z");
        let closes = utc("2026-05-31T22:00:00Z");
        let w = RegistrationWindow::new(Some(opens), Some(closes), starts).unwrap();
        assert_eq!((w.opens_at(), w.closes_at()), (Some(opens), Some(closes)));
        assert!(RegistrationWindow::new(None, None, starts).is_ok());
        assert!(RegistrationWindow::new(None, Some(starts), starts).is_ok());
        assert!(RegistrationWindow::new(Some(opens), None, starts).is_ok());

        assert_eq!(
            RegistrationWindow::new(Some(closes), Some(opens), starts).unwrap_err(),
            [DomainError::new(
                "registration_closes_at",
                "Registration must close after it opens."
            )]
        );
        assert_eq!(
            fields(&RegistrationWindow::new(Some(opens), Some(opens), starts).unwrap_err()),
            ["registration_closes_at"]
        );
        assert_eq!(
            RegistrationWindow::new(None, Some(starts + TimeDelta::seconds(1)), starts)
                .unwrap_err(),
            [DomainError::new(
                "registration_closes_at",
                "Registration must close no later than the event starts."
            )]
        );
        assert_eq!(
            RegistrationWindow::new(Some(starts), None, starts).unwrap_err(),
            [DomainError::new(
                "registration_opens_at",
                "Registration must open before the event starts."
            )]
        );
        let late = starts + TimeDelta::days(1);
        assert_eq!(
            fields(&RegistrationWindow::new(Some(late), Some(late), starts).unwrap_err()),
            [
                "registration_opens_at",
                "registration_closes_at",
                "registration_closes_at"
            ]
        );
    }

    #[test]
    fn registration_bounds_outside_1900_to_2200_are_refused() {
        let starts = utc("2026-06-01T18:00:00Z");
        let ancient = utc("0202-05-01T08:00:00Z");
        let errors = RegistrationWindow::new(Some(ancient), None, starts).unwrap_err();
        assert_eq!(fields(&errors), ["registration_opens_at"]);
        assert!(errors[0].message.contains("1900"), "{}", errors[0].message);
    }

    #[test]
    fn registration_is_open_between_the_bounds() {
        let starts = utc("2026-06-01T18:00:00Z");
        let opens = utc("2026-05-01T08:00:00Z");
        let closes = utc("2026-05-31T22:00:00Z");
        let check =
            |now: &str| RegistrationWindow::check(Some(opens), Some(closes), starts, utc(now));
        assert_eq!(
            check("2026-05-01T07:59:59Z"),
            Err(RegistrationClosed::NotYetOpen { opens_at: opens })
        );
        assert_eq!(check("2026-05-01T08:00:00Z"), Ok(()));
        assert_eq!(check("2026-05-31T21:59:59Z"), Ok(()));
        assert_eq!(
            check("2026-05-31T22:00:00Z"),
            Err(RegistrationClosed::Closed { closed_at: closes })
        );
        assert_eq!(
            check("2026-06-01T18:00:00Z"),
            Err(RegistrationClosed::Started)
        );
        assert_eq!(
            check("2026-07-01T00:00:00Z"),
            Err(RegistrationClosed::Started)
        );

        // No bounds: open until the event starts.
        let now = utc("2026-01-01T00:00:00Z");
        assert_eq!(RegistrationWindow::check(None, None, starts, now), Ok(()));
        assert_eq!(
            RegistrationWindow::check(None, None, starts, starts),
            Err(RegistrationClosed::Started)
        );
        // A stored row with bounds the other way round still never admits anyone late.
        assert_eq!(
            RegistrationWindow::check(Some(starts + TimeDelta::days(1)), None, starts, starts),
            Err(RegistrationClosed::Started)
        );
        let w = RegistrationWindow::new(Some(opens), Some(closes), starts).unwrap();
        assert_eq!(w.admits(starts, utc("2026-05-10T00:00:00Z")), Ok(()));
        assert_eq!(
            RegistrationWindow::default().admits(starts, starts),
            Err(RegistrationClosed::Started)
        );
    }

    #[test]
    fn registration_closed_reasons_have_codes_and_messages() {
        let t = utc("2026-05-01T08:00:00Z");
        let cases = [
            (
                RegistrationClosed::NotYetOpen { opens_at: t },
                "not_yet_open",
                "Registration for this event has not opened yet.",
            ),
            (
                RegistrationClosed::Closed { closed_at: t },
                "closed",
                "Registration for this event has closed.",
            ),
            (
                RegistrationClosed::Started,
                "started",
                "This event has already started.",
            ),
        ];
        for (reason, code, message) in cases {
            assert_eq!(reason.as_str(), code);
            assert_eq!(reason.to_string(), message);
        }
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

    #[test]
    fn roster_confirms_then_waitlists() {
        let mut r = Roster::new(2);
        assert_eq!(r.register("ann"), Placement::Confirmed);
        assert_eq!(r.register("bob"), Placement::Confirmed);
        assert_eq!(r.register("cal"), Placement::Waitlisted { position: 1 });
        assert_eq!(r.register("dan"), Placement::Waitlisted { position: 2 });
        assert_eq!(r.register("ann"), Placement::AlreadyRegistered);
        assert_eq!(r.register("dan"), Placement::AlreadyRegistered);
        assert_eq!(r.confirmed(), ["ann", "bob"]);
        assert_eq!(r.waitlist(), &["cal", "dan"]);
        assert_eq!(r.capacity(), 2);
    }

    #[test]
    fn a_freed_seat_goes_to_the_head_of_the_waitlist() {
        let mut r = Roster::new(1);
        r.register(1);
        r.register(2);
        r.register(3);
        r.register(4);
        // Leaving the waitlist frees no seat.
        assert_eq!(r.cancel(&3), None);
        assert_eq!(r.waitlist(), &[2, 4]);
        assert_eq!(r.cancel(&1), Some(Promoted(2)));
        assert_eq!(r.confirmed(), [2]);
        assert_eq!(r.waitlist(), &[4]);
        // Not registered (any more): nothing happens.
        assert_eq!(r.cancel(&1), None);
        assert_eq!(r.cancel(&99), None);
        assert_eq!(r.cancel(&2), Some(Promoted(4)));
        assert_eq!(r.cancel(&4), None);
        assert!(r.confirmed().is_empty() && r.waitlist().is_empty());
        // Someone who cancelled joins the end of the line when they come back.
        r.register(5);
        r.register(6);
        r.register(1);
        assert_eq!(r.waitlist(), &[6, 1]);
    }

    #[test]
    fn capacity_changes_promote_or_are_refused() {
        let mut r = Roster::new(1);
        for id in 1..=4 {
            r.register(id);
        }
        assert_eq!(r.set_capacity(3).unwrap(), [Promoted(2), Promoted(3)]);
        assert_eq!(r.confirmed(), [1, 2, 3]);
        assert_eq!(r.waitlist(), &[4]);
        assert_eq!(
            r.set_capacity(2).unwrap_err(),
            DomainError::new(
                "capacity",
                "3 people already have a seat, so the capacity cannot go below 3. \
                 Cancel registrations first if fewer places are needed."
            )
        );
        assert_eq!(r.capacity(), 3);
        assert!(r.set_capacity(3).unwrap().is_empty());
        assert_eq!(r.set_capacity(10).unwrap(), [Promoted(4)]);
        assert!(r.set_capacity(4).unwrap().is_empty());
        // A capacity of 0 puts everyone in line.
        let mut none = Roster::new(0);
        assert_eq!(none.register('a'), Placement::Waitlisted { position: 1 });
        assert_eq!(none.set_capacity(1).unwrap(), [Promoted('a')]);
    }

    mod properties {
        use super::super::*;
        use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Register(u8),
            Cancel(u8),
            SetCapacity(u32),
        }

        fn op() -> impl Strategy<Value = Op> {
            // Few ids so the same person registers, cancels and comes back often.
            prop_oneof![
                4 => (0u8..10).prop_map(Op::Register),
                3 => (0u8..10).prop_map(Op::Cancel),
                1 => (0u32..7).prop_map(Op::SetCapacity),
            ]
        }

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
            fn roster_invariants_hold_under_any_interleaving(
                capacity in 0u32..5,
                ops in prop::collection::vec(op(), 0..80),
            ) {
                let mut r = Roster::new(capacity);
                // When each id last joined (register after a cancel is a new arrival).
                let mut arrival: std::collections::HashMap<u8, usize> = Default::default();
                for (step, op) in ops.into_iter().enumerate() {
                    let waiting_before: Vec<u8> = r.waitlist().iter().copied().collect();
                    match op {
                        Op::Register(id) => {
                            let known = r.confirmed().contains(&id) || r.waitlist().contains(&id);
                            let placement = r.register(id);
                            if known {
                                prop_assert_eq!(placement, Placement::AlreadyRegistered);
                            } else {
                                arrival.insert(id, step);
                                match placement {
                                    Placement::Confirmed => prop_assert!(waiting_before.is_empty()),
                                    Placement::Waitlisted { position } => {
                                        prop_assert_eq!(position, r.waitlist().len());
                                        prop_assert_eq!(r.waitlist().back(), Some(&id));
                                    }
                                    Placement::AlreadyRegistered => prop_assert!(false, "new id {id}"),
                                }
                            }
                        }
                        Op::Cancel(id) => {
                            let was_confirmed = r.confirmed().contains(&id);
                            let promoted = r.cancel(&id);
                            prop_assert!(!r.confirmed().contains(&id) && !r.waitlist().contains(&id));
                            match promoted {
                                Some(Promoted(p)) => {
                                    prop_assert!(was_confirmed);
                                    // The earliest still waiting, by arrival.
                                    let head = waiting_before.iter().min_by_key(|w| arrival[*w]);
                                    prop_assert_eq!(Some(&p), head);
                                }
                                None => prop_assert!(!was_confirmed || waiting_before.is_empty()),
                            }
                        }
                        Op::SetCapacity(n) => {
                            let held = r.confirmed().len();
                            match r.set_capacity(n) {
                                Ok(promoted) => {
                                    let ids: Vec<u8> = promoted.into_iter().map(|p| p.0).collect();
                                    prop_assert_eq!(&ids[..], &waiting_before[..ids.len()]);
                                    prop_assert_eq!(r.capacity(), n);
                                }
                                Err(e) => {
                                    prop_assert!((n as usize) < held);
                                    prop_assert_eq!(e.field, "capacity");
                                }
                            }
                        }
                    }
                    let seats = r.capacity() as usize;
                    prop_assert!(r.confirmed().len() <= seats);
                    prop_assert!(r.waitlist().is_empty() || r.confirmed().len() == seats);
                    for id in r.confirmed() {
                        prop_assert!(!r.waitlist().contains(id));
                        prop_assert_eq!(r.confirmed().iter().filter(|c| *c == id).count(), 1);
                    }
                    let order: Vec<usize> = r.waitlist().iter().map(|w| arrival[w]).collect();
                    prop_assert!(order.windows(2).all(|w| w[0] < w[1]), "{:?}", order);
                }
            }

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
