//! Events: circle meetings, movie nights, workshops, day retreats and multi-day retreats.
//!
//! These are the rules an event's own data must obey (title, price, when it happens, when
//! people may register) and the seat-allocation model that registrations follow. Who may
//! create or change an event lives in `app`; the database enforces the same seat rules with
//! conditional updates (docs/architecture.md, "Concurrency"), and [`Roster`] is the
//! executable spec it is tested against.

mod roster;
mod schedule;
mod text;
mod window;

pub use crate::event_registration::RegistrationStatus;
pub use roster::{Placement, Promoted, Roster};
pub use schedule::{overlaps, EventSchedule};
pub use text::{CancellationPolicy, EventDescription, EventTitle};
pub use window::{RegistrationClosed, RegistrationWindow};

use crate::vocabulary::text_enum;
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
