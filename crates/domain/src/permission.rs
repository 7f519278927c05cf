//! What each global role may do. This table is the single source of truth for global
//! grants; resource checks (is this user facilitator of that circle?) build on it in `app`.
//!
//! Reading a circle's messages is deliberately absent: no global role grants it. Only the
//! members and facilitators of that circle may, which is a relationship, not a permission.

use crate::Role;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
    /// Record offline payments (cash, bank transfer) for any event; organisers record
    /// them for their own events without it.
    RecordPayments,
    /// Review requests for scholarships (reasons included), grant or decline them, and see
    /// the scholarship fund's balance. Leadership sees the fund in the financial reports only.
    ReviewScholarships,
    /// List users, assign and remove roles, suspend and reactivate accounts.
    ManageUsers,
    /// Account assistance: status, resend verification, unlock, reset MFA.
    AssistAccounts,
    /// Read the audit log and check its integrity.
    ReadAuditLog,
    /// Step in to one circle for safeguarding: time-limited and announced to its members.
    StepInToCircles,
    /// Define membership plans and record memberships paid offline.
    ManageMemberships,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::ManageOwnAccount,
        Permission::Participate,
        Permission::CreateCircles,
        Permission::CreateProgrammeEvents,
        Permission::CertifyFacilitators,
        Permission::ViewOrgReports,
        Permission::ViewFinancialReports,
        Permission::IssueRefunds,
        Permission::RecordPayments,
        Permission::ReviewScholarships,
        Permission::ManageUsers,
        Permission::AssistAccounts,
        Permission::ReadAuditLog,
        Permission::StepInToCircles,
        Permission::ManageMemberships,
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
            ReviewScholarships,
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
            RecordPayments,
            ReviewScholarships,
            ManageUsers,
            AssistAccounts,
            ReadAuditLog,
            StepInToCircles,
            ManageMemberships,
        ],
        Role::Support => &[ManageOwnAccount, Participate, AssistAccounts],
    }
}

/// Whether any of `roles` grants `permission`.
pub fn allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| grants(*r).contains(&permission))
}

/// Whether someone holding `helper` roles may assist (look up, unlock, reset two-step
/// verification for) an account holding `subject` roles. Support helps ordinary accounts —
/// Members and Facilitators — and nothing above; only an Admin assists every account.
pub fn may_assist(helper: &[Role], subject: &[Role]) -> bool {
    if helper.contains(&Role::Admin) {
        return true;
    }
    allows(helper, Permission::AssistAccounts)
        && subject
            .iter()
            .all(|r| matches!(r, Role::Member | Role::Facilitator))
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
                    ReviewScholarships,
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
    fn support_assists_ordinary_accounts_only() {
        let support = [Role::Member, Role::Support];
        assert!(may_assist(&support, &[Role::Member]));
        assert!(may_assist(&support, &[Role::Member, Role::Facilitator]));
        for above in [
            Role::ProgramTeamMember,
            Role::Leadership,
            Role::Admin,
            Role::Support,
        ] {
            assert!(!may_assist(&support, &[Role::Member, above]), "{above:?}");
            assert!(may_assist(
                &[Role::Member, Role::Admin],
                &[Role::Member, above]
            ));
        }
        assert!(!may_assist(
            &[Role::Member, Role::Leadership],
            &[Role::Member]
        ));
    }

    #[test]
    fn no_role_but_admin_steps_in_to_circles() {
        for role in Role::ALL {
            assert_eq!(
                allows(&[role], StepInToCircles),
                role == Role::Admin,
                "{role:?}"
            );
        }
    }

    #[test]
    fn several_roles_combine() {
        assert!(allows(&[Role::Member, Role::Support], AssistAccounts));
        assert!(!allows(&[Role::Member, Role::Support], ManageUsers));
        assert!(!allows(&[], ManageOwnAccount));
    }
}
