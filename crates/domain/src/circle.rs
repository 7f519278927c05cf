//! Circles: small peer groups of 2–10 men led by certified facilitators. These are the
//! rules a circle's own data must obey; who may change it lives in `app::circles`.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone may ask to join; a facilitator decides.
    Open,
    /// Only people the facilitators invite.
    InvitationOnly,
}

/// Where a circle is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
        matches!(self, CircleStatus::Forming | CircleStatus::Active)
    }

    /// Archived circles are read-only.
    pub fn is_read_only(self) -> bool {
        self == CircleStatus::Archived
    }

    /// Allowed changes: forming ⇄ active, either → closed, closed → active (reopen),
    /// anything but archived → archived. Nothing leaves archived.
    pub fn can_become(self, next: CircleStatus) -> bool {
        use CircleStatus::*;
        match (self, next) {
            (Archived, _) => false,
            (a, b) if a == b => true,
            (_, Archived) => true,
            (Forming, Active)
            | (Active, Forming)
            | (Forming, Closed)
            | (Active, Closed)
            | (Closed, Active) => true,
            _ => false,
        }
    }
}

/// A person's standing in one circle (a relationship, not a global role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CircleRole {
    Facilitator,
    CoFacilitator,
    Member,
}

impl CircleRole {
    /// Facilitators and co-facilitators run the circle; they do not take member seats.
    pub fn leads(self) -> bool {
        matches!(self, CircleRole::Facilitator | CircleRole::CoFacilitator)
    }
}

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// Asked to join; waiting for a facilitator (in order, when the circle is full).
    Requested,
    Active,
    Declined,
    Left,
    Removed,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }
    };
}

text_enum!(Visibility { Open => "open", InvitationOnly => "invitation_only" });
text_enum!(CircleStatus { Forming => "forming", Active => "active", Closed => "closed", Archived => "archived" });
text_enum!(CircleRole { Facilitator => "facilitator", CoFacilitator => "co_facilitator", Member => "member" });
text_enum!(MembershipStatus { Requested => "requested", Active => "active", Declined => "declined", Left => "left", Removed => "removed" });

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
    }

    #[test]
    fn stored_names_round_trip() {
        for s in [
            CircleStatus::Forming,
            CircleStatus::Active,
            CircleStatus::Closed,
            CircleStatus::Archived,
        ] {
            assert_eq!(CircleStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            Visibility::parse("invitation_only"),
            Some(Visibility::InvitationOnly)
        );
        assert_eq!(MembershipStatus::parse("gone"), None);
        assert!(CircleRole::CoFacilitator.leads() && !CircleRole::Member.leads());
    }
}
