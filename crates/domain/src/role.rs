//! The six global roles a user can hold.

use serde::{Deserialize, Serialize};

/// A global role. A user may hold several; every user is at least a [`Role::Member`].
/// Standing inside one circle (facilitator of circle X) is a relationship, not a role.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Facilitator,
    ProgramTeamMember,
    Leadership,
    Admin,
    Support,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Member,
        Role::Facilitator,
        Role::ProgramTeamMember,
        Role::Leadership,
        Role::Admin,
        Role::Support,
    ];

    /// The stable name stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Facilitator => "facilitator",
            Role::ProgramTeamMember => "program_team_member",
            Role::Leadership => "leadership",
            Role::Admin => "admin",
            Role::Support => "support",
        }
    }

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

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
