//! How the audit log classifies its entries: who may read one, and how much of it.

use crate::vocabulary::text_enum;
use serde::{Deserialize, Serialize};

/// Who may read an entry, and how much of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Signing in, account safety, roles, support and step-ins: read in full by Leadership
    /// and Admins.
    Security,
    /// Running the organisation: circles and events created and changed, certifications.
    Administration,
    /// One person's place in a circle (asked, joined, left, removed, invited) or a circle's
    /// own activity. Recorded without a person, an address or any words: only the circle,
    /// the time and counts. The reasons stay with the circle.
    Circle,
}

text_enum!(Classification {
    Security => "security",
    Administration => "administration",
    Circle => "circle",
});

impl Classification {
    /// Whether entries of this class are recorded and shown without the people in them.
    pub fn hides_people(self) -> bool {
        match self {
            Self::Circle => true,
            Self::Security | Self::Administration => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Classification;
    use crate::vocabulary::assert_text_round_trips;

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(
            &Classification::ALL,
            Classification::as_str,
            Classification::parse,
        );
        assert!(Classification::Circle.hides_people());
        assert!(!Classification::Security.hides_people());
    }
}
