//! The six global roles a user can hold.

use crate::vocabulary::text_enum;
use serde::{Deserialize, Serialize};

/// A global role. A user may hold several; every user is at least a [`Role::Member`].
/// Standing inside one circle (facilitator of circle X) is a relationship, not a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Facilitator,
    ProgramTeamMember,
    Leadership,
    Admin,
    Support,
}

text_enum!(Role {
    Member => "member",
    Facilitator => "facilitator",
    ProgramTeamMember => "program_team_member",
    Leadership => "leadership",
    Admin => "admin",
    Support => "support",
});

impl Role {
    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Member => "Member",
            Role::Facilitator => "Facilitator",
            Role::ProgramTeamMember => "Program Team Member",
            Role::Leadership => "Leadership",
            Role::Admin => "Admin",
            Role::Support => "Support",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        crate::vocabulary::assert_text_round_trips(&Role::ALL, Role::as_str, Role::parse);
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::ProgramTeamMember.to_string(), "program_team_member");
    }
}
