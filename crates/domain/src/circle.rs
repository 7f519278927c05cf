//! Circles: small peer groups of 2–10 men led by certified facilitators. These are the
//! rules a circle's own data must obey; who may change it lives in `app::circles`.

use crate::vocabulary::text_enum;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// How many active members a circle may hold: 2 to 10, facilitators not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct CircleCapacity(u8);

impl CircleCapacity {
    pub const MIN: u8 = 2;
    pub const MAX: u8 = 10;

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for CircleCapacity {
    type Error = DomainError;

    fn try_from(n: i64) -> Result<Self, Self::Error> {
        if (Self::MIN as i64..=Self::MAX as i64).contains(&n) {
            Ok(CircleCapacity(n as u8))
        } else {
            Err(DomainError::new(
                "capacity",
                "A circle holds between 2 and 10 members.",
            ))
        }
    }
}

impl From<CircleCapacity> for i64 {
    fn from(c: CircleCapacity) -> i64 {
        c.0 as i64
    }
}

/// A circle's name: 3–80 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircleName(String);

impl CircleName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        let n = name.chars().count();
        if n < 3 {
            return Err(DomainError::new(
                "name",
                "Give the circle a name of at least 3 characters.",
            ));
        }
        if n > 80 {
            return Err(DomainError::new(
                "name",
                "A circle's name can be at most 80 characters long.",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::new(
                "name",
                "A circle's name cannot contain control characters.",
            ));
        }
        Ok(CircleName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a circle is about: up to 2000 characters, line breaks kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircleDescription(String);

impl CircleDescription {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::new(
                "description",
                "Keep the description to 2000 characters.",
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(DomainError::new(
                "description",
                "The description contains characters that cannot be shown.",
            ));
        }
        Ok(CircleDescription(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may ask to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone may ask to join; a facilitator decides.
    Open,
    /// Only people the facilitators invite.
    InvitationOnly,
}

/// Where a circle is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircleStatus {
    /// Gathering members; not meeting yet.
    Forming,
    Active,
    /// No longer meeting or taking members; history kept and still editable.
    Closed,
    /// Read-only for good: history kept for reports, personal details removed.
    Archived,
}

impl CircleStatus {
    /// Whether people can join (by request or invitation).
    pub fn accepts_members(self) -> bool {
        match self {
            Self::Forming | Self::Active => true,
            Self::Closed | Self::Archived => false,
        }
    }

    /// The statuses that take members, for queries over stored rows.
    pub fn accepting() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|s| s.accepts_members())
    }

    /// Archived circles are read-only.
    pub fn is_read_only(self) -> bool {
        match self {
            Self::Archived => true,
            Self::Forming | Self::Active | Self::Closed => false,
        }
    }

    /// Allowed changes: forming ⇄ active, either → closed, closed → active (reopen),
    /// anything but archived → archived. Staying the same is allowed, so a repeated
    /// request is harmless; nothing leaves archived.
    pub fn can_become(self, next: CircleStatus) -> bool {
        use CircleStatus::*;
        match self {
            Forming => matches!(next, Forming | Active | Closed | Archived),
            Active => matches!(next, Active | Forming | Closed | Archived),
            Closed => matches!(next, Closed | Active | Archived),
            Archived => false,
        }
    }
}

/// A person's standing in one circle (a relationship, not a global role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircleRole {
    Facilitator,
    CoFacilitator,
    Member,
}

impl CircleRole {
    /// Facilitators and co-facilitators run the circle; they do not take member seats.
    pub fn leads(self) -> bool {
        match self {
            Self::Facilitator | Self::CoFacilitator => true,
            Self::Member => false,
        }
    }

    /// Whether this standing takes one of the circle's member seats.
    pub fn takes_seat(self) -> bool {
        !self.leads()
    }

    /// The roles that lead a circle, for queries over stored rows.
    pub fn leading() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|r| r.leads())
    }
}

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// Asked to join; waiting for a facilitator (in order, when the circle is full).
    Requested,
    Active,
    Declined,
    Left,
    Removed,
}

impl MembershipStatus {
    /// In the circle now.
    pub fn is_active(self) -> bool {
        match self {
            Self::Active => true,
            Self::Requested | Self::Declined | Self::Left | Self::Removed => false,
        }
    }

    /// Asked to join and not decided yet.
    pub fn is_pending(self) -> bool {
        match self {
            Self::Requested => true,
            Self::Active | Self::Declined | Self::Left | Self::Removed => false,
        }
    }

    /// In the circle, or asking to be: the memberships a person can leave or withdraw, and
    /// that count as "my circles".
    pub fn is_current(self) -> bool {
        match self {
            Self::Requested | Self::Active => true,
            Self::Declined | Self::Left | Self::Removed => false,
        }
    }

    /// The current statuses, for queries over stored rows.
    pub fn current() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|s| s.is_current())
    }

    /// Allowed changes of a stored membership:
    ///
    /// - a request is approved, declined (also when the circle is archived) or withdrawn;
    /// - a member leaves or is removed;
    /// - someone who was declined, left or was removed asks again, or joins by an
    ///   invitation or as a co-facilitator.
    ///
    /// Staying the same is not a change.
    pub fn can_become(self, next: MembershipStatus) -> bool {
        use MembershipStatus::*;
        match self {
            Requested => matches!(next, Active | Declined | Left),
            Active => matches!(next, Left | Removed),
            Declined | Left | Removed => matches!(next, Requested | Active),
        }
    }
}

text_enum!(Visibility {
    Open => "open",
    InvitationOnly => "invitation_only",
});
text_enum!(CircleStatus {
    Forming => "forming",
    Active => "active",
    Closed => "closed",
    Archived => "archived",
});
text_enum!(CircleRole {
    Facilitator => "facilitator",
    CoFacilitator => "co_facilitator",
    Member => "member",
});
text_enum!(MembershipStatus {
    Requested => "requested",
    Active => "active",
    Declined => "declined",
    Left => "left",
    Removed => "removed",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_two_to_ten() {
        assert!(CircleCapacity::try_from(1).is_err());
        assert_eq!(CircleCapacity::try_from(2).unwrap().get(), 2);
        assert_eq!(CircleCapacity::try_from(10).unwrap().get(), 10);
        assert!(CircleCapacity::try_from(11).is_err());
        let e = CircleCapacity::try_from(0).unwrap_err();
        assert_eq!(e.field, "capacity");
        assert!(serde_json::from_str::<CircleCapacity>("12").is_err());
        assert_eq!(
            serde_json::from_str::<CircleCapacity>("8").unwrap().get(),
            8
        );
    }

    #[test]
    fn names_and_descriptions_are_bounded() {
        assert!(CircleName::parse("  ab ").is_err());
        assert_eq!(
            CircleName::parse(" Tuesday Men ").unwrap().as_str(),
            "Tuesday Men"
        );
        assert!(CircleName::parse(&"x".repeat(81)).is_err());
        assert!(CircleDescription::parse("line one\nline two").is_ok());
        assert!(CircleDescription::parse(&"y".repeat(2001)).is_err());
    }

    #[test]
    fn archived_is_final_and_closed_takes_no_members() {
        use CircleStatus::*;
        assert!(Archived.is_read_only());
        for s in [Forming, Active, Closed] {
            assert!(s.can_become(Archived));
            assert!(!Archived.can_become(s));
        }
        assert!(Closed.can_become(Active));
        assert!(!Closed.can_become(Forming));
        assert!(!Closed.accepts_members());
        assert!(Forming.accepts_members() && Active.accepts_members());
        assert_eq!(
            CircleStatus::accepting().collect::<Vec<_>>(),
            [Forming, Active]
        );
    }

    #[test]
    fn stored_names_round_trip() {
        use crate::vocabulary::assert_text_round_trips;
        assert_text_round_trips(
            &CircleStatus::ALL,
            CircleStatus::as_str,
            CircleStatus::parse,
        );
        assert_text_round_trips(&Visibility::ALL, Visibility::as_str, Visibility::parse);
        assert_text_round_trips(&CircleRole::ALL, CircleRole::as_str, CircleRole::parse);
        assert_text_round_trips(
            &MembershipStatus::ALL,
            MembershipStatus::as_str,
            MembershipStatus::parse,
        );
        assert_eq!(CircleRole::CoFacilitator.as_str(), "co_facilitator");
        assert_eq!(
            Visibility::parse("invitation_only"),
            Some(Visibility::InvitationOnly)
        );
        assert_eq!(MembershipStatus::parse("gone"), None);
        assert!(CircleRole::CoFacilitator.leads() && !CircleRole::Member.leads());
    }

    #[test]
    fn circle_status_changes_are_exactly_these() {
        use CircleStatus::*;
        let allowed = [
            (Forming, Active),
            (Active, Forming),
            (Forming, Closed),
            (Active, Closed),
            (Closed, Active),
            (Forming, Archived),
            (Active, Archived),
            (Closed, Archived),
        ];
        for from in CircleStatus::ALL {
            for to in CircleStatus::ALL {
                let expected = allowed.contains(&(from, to)) || (from == to && from != Archived);
                assert_eq!(from.can_become(to), expected, "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn leaders_take_no_seat() {
        assert_eq!(
            CircleRole::leading().collect::<Vec<_>>(),
            [CircleRole::Facilitator, CircleRole::CoFacilitator]
        );
        for r in CircleRole::ALL {
            assert_eq!(r.takes_seat(), !r.leads());
        }
    }

    #[test]
    fn membership_changes_follow_its_life() {
        use MembershipStatus::*;
        let allowed = [
            (Requested, Active),
            (Requested, Declined),
            (Requested, Left),
            (Active, Left),
            (Active, Removed),
            (Declined, Requested),
            (Declined, Active),
            (Left, Requested),
            (Left, Active),
            (Removed, Requested),
            (Removed, Active),
        ];
        for from in MembershipStatus::ALL {
            for to in MembershipStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
        assert_eq!(
            MembershipStatus::current().collect::<Vec<_>>(),
            [Requested, Active]
        );
        assert!(Active.is_active() && !Requested.is_active());
        assert!(Requested.is_pending() && !Active.is_pending());
        // Only what is current can end.
        for s in MembershipStatus::ALL {
            assert_eq!(s.is_current(), s.can_become(Left), "{s:?}");
        }
    }
}
