//! What each global role may do. This table is the single source of truth for global
//! grants; resource checks (is this user facilitator of that circle?) build on it in `app`.
//!
//! Reading a circle's messages is deliberately absent: no global role grants it. Only the
//! members and facilitators of that circle may, which is a relationship, not a permission.

use crate::Role;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Own profile, own sessions, own data export and deletion.
    ManageOwnAccount,
    /// Browse circles, request to join, register for events, pay.
    Participate,
    /// Create circles and manage the circles one facilitates.
    CreateCircles,
    /// Create programme events (workshops, retreats).
    CreateProgrammeEvents,
    /// Record and revoke facilitator certifications.
    CertifyFacilitators,
    /// Organisation-wide reports and analytics (aggregates only).
    ViewOrgReports,
    /// Financial reports.
    ViewFinancialReports,
    /// Issue refunds.
    IssueRefunds,
    /// List users, assign and remove roles, suspend and reactivate accounts.
    ManageUsers,
    /// Account assistance: status, resend verification, unlock, reset MFA.
    AssistAccounts,
    /// Read the audit log and check its integrity.
    ReadAuditLog,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::ManageOwnAccount,
        Permission::Participate,
        Permission::CreateCircles,
        Permission::CreateProgrammeEvents,
        Permission::CertifyFacilitators,
        Permission::ViewOrgReports,
        Permission::ViewFinancialReports,
        Permission::IssueRefunds,
        Permission::ManageUsers,
        Permission::AssistAccounts,
        Permission::ReadAuditLog,
    ];
}

/// The permissions one role grants.
pub fn grants(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Member => &[ManageOwnAccount, Participate],
        Role::Facilitator => &[ManageOwnAccount, Participate, CreateCircles],
        Role::ProgramTeamMember => &[
            ManageOwnAccount,
            Participate,
            CreateProgrammeEvents,
            CertifyFacilitators,
            ViewOrgReports,
        ],
        Role::Leadership => &[
            ManageOwnAccount,
            Participate,
            ViewOrgReports,
            ViewFinancialReports,
            ReadAuditLog,
        ],
        Role::Admin => &[
            ManageOwnAccount,
            Participate,
            CreateCircles,
            CreateProgrammeEvents,
            CertifyFacilitators,
            ViewOrgReports,
            ViewFinancialReports,
            IssueRefunds,
            ManageUsers,
            AssistAccounts,
            ReadAuditLog,
        ],
        Role::Support => &[ManageOwnAccount, Participate, AssistAccounts],
    }
}

/// Whether any of `roles` grants `permission`.
pub fn allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| grants(*r).contains(&permission))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    /// The whole role × permission table, written out so that a change to a grant has to
    /// change this test too.
    #[test]
    fn role_permission_matrix() {
        let expected: &[(Role, &[Permission])] = &[
            (Role::Member, &[ManageOwnAccount, Participate]),
            (
                Role::Facilitator,
                &[ManageOwnAccount, Participate, CreateCircles],
            ),
            (
                Role::ProgramTeamMember,
                &[
                    ManageOwnAccount,
                    Participate,
                    CreateProgrammeEvents,
                    CertifyFacilitators,
                    ViewOrgReports,
                ],
            ),
            (
                Role::Leadership,
                &[
                    ManageOwnAccount,
                    Participate,
                    ViewOrgReports,
                    ViewFinancialReports,
                    ReadAuditLog,
                ],
            ),
            (Role::Admin, &Permission::ALL),
            (
                Role::Support,
                &[ManageOwnAccount, Participate, AssistAccounts],
            ),
        ];
        for (role, allowed) in expected {
            for p in Permission::ALL {
                assert_eq!(
                    allows(&[*role], p),
                    allowed.contains(&p),
                    "{role:?} × {p:?}"
                );
            }
        }
    }

    #[test]
    fn several_roles_combine() {
        assert!(allows(&[Role::Member, Role::Support], AssistAccounts));
        assert!(!allows(&[Role::Member, Role::Support], ManageUsers));
        assert!(!allows(&[], ManageOwnAccount));
    }
}
