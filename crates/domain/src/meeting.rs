//! A circle's meetings: whether one still takes place, and who was there.

use crate::vocabulary::text_enum;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// Whether a meeting takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// Takes place as planned (possibly moved).
    Scheduled,
    /// Called off; it stays listed so members see it will not happen.
    Cancelled,
}

text_enum!(MeetingStatus {
    Scheduled => "scheduled",
    Cancelled => "cancelled",
});

impl MeetingStatus {
    /// A cancelled meeting is not moved, cancelled again, or given attendance.
    pub fn is_cancelled(self) -> bool {
        match self {
            Self::Cancelled => true,
            Self::Scheduled => false,
        }
    }

    /// Only a scheduled meeting is cancelled; nothing brings a cancelled one back (a new
    /// meeting is added instead). Staying the same is not a change.
    pub fn can_become(self, next: MeetingStatus) -> bool {
        match self {
            Self::Scheduled => next == Self::Cancelled,
            Self::Cancelled => false,
        }
    }
}

/// Whether a member was at a meeting, as its leaders record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    Present,
    Absent,
    /// Absent, having said so beforehand.
    Excused,
}

text_enum!(AttendanceStatus {
    Present => "present",
    Absent => "absent",
    Excused => "excused",
});

impl AttendanceStatus {
    /// Reads a mark as a form or the API sends it; errors are under `status`.
    pub fn parse_input(raw: &str) -> Result<Self, DomainError> {
        Self::parse(raw)
            .ok_or_else(|| DomainError::new("status", "Attendance is present, absent or excused."))
    }

    /// Where the mark is counted in a `[present, absent, excused]` tally (what an
    /// archived circle keeps of its meetings, and what reports add up).
    pub fn tally_index(self) -> usize {
        match self {
            Self::Present => 0,
            Self::Absent => 1,
            Self::Excused => 2,
        }
    }

    /// The words a page shows for the mark.
    pub fn label(self) -> &'static str {
        match self {
            Self::Present => "Present",
            Self::Absent => "Absent",
            Self::Excused => "Excused",
        }
    }
}

/// What a member says about coming to a meeting before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RsvpAnswer {
    Coming,
    NotComing,
}

text_enum!(RsvpAnswer {
    Coming => "coming",
    NotComing => "not_coming",
});

impl RsvpAnswer {
    /// Reads an answer as a form or the API sends it; errors are under `answer`.
    pub fn parse_input(raw: &str) -> Result<Self, DomainError> {
        Self::parse(raw)
            .ok_or_else(|| DomainError::new("answer", "The answer is coming or not_coming."))
    }

    /// The words a page shows for the answer.
    pub fn label(self) -> &'static str {
        match self {
            Self::Coming => "Coming",
            Self::NotComing => "Not coming",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::assert_text_round_trips;

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(
            &MeetingStatus::ALL,
            MeetingStatus::as_str,
            MeetingStatus::parse,
        );
        assert_text_round_trips(
            &AttendanceStatus::ALL,
            AttendanceStatus::as_str,
            AttendanceStatus::parse,
        );
        assert_text_round_trips(&RsvpAnswer::ALL, RsvpAnswer::as_str, RsvpAnswer::parse);
    }

    #[test]
    fn an_rsvp_is_coming_or_not_coming() {
        assert_eq!(
            RsvpAnswer::parse_input("not_coming"),
            Ok(RsvpAnswer::NotComing)
        );
        for bad in ["", "maybe", "Coming"] {
            assert!(RsvpAnswer::parse_input(bad).is_err(), "{bad:?}");
        }
        assert_eq!(RsvpAnswer::NotComing.label(), "Not coming");
    }

    #[test]
    fn only_a_scheduled_meeting_is_cancelled() {
        use MeetingStatus::*;
        assert!(Cancelled.is_cancelled() && !Scheduled.is_cancelled());
        assert!(Scheduled.can_become(Cancelled));
        assert!(!Cancelled.can_become(Scheduled));
        assert!(!Scheduled.can_become(Scheduled) && !Cancelled.can_become(Cancelled));
    }

    #[test]
    fn attendance_input_is_one_of_three_marks() {
        assert_eq!(
            AttendanceStatus::parse_input("excused"),
            Ok(AttendanceStatus::Excused)
        );
        for bad in ["", "Present", "late", " present"] {
            assert_eq!(
                AttendanceStatus::parse_input(bad),
                Err(DomainError::new(
                    "status",
                    "Attendance is present, absent or excused."
                )),
                "{bad:?}"
            );
        }
        assert_eq!(AttendanceStatus::Excused.label(), "Excused");
        for (i, a) in AttendanceStatus::ALL.into_iter().enumerate() {
            assert_eq!(a.tally_index(), i, "{a:?}");
        }
    }
}
