//! What every page shares: its title, the CSRF token for its forms, and the navigation the
//! signed-in user's roles allow.

use super::format::filters::Instant;
use super::format::for_viewer;
use app::authz::Actor;
use domain::Permission;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// A link a role opens (Users, Audit log …): these sit in the "More" menu, so a
    /// person with several roles still has a header that fits a phone.
    pub gated: bool,
}

pub struct Layout {
    pub title: String,
    pub csrf: String,
    /// Present when someone is signed in.
    pub user_name: Option<String>,
    /// The signed-in user's id: the sign-out script finds his conversation keys by it.
    pub user_id: Option<uuid::Uuid>,
    pub nav: Vec<NavLink>,
    /// The path of this page, to mark the current link.
    pub path: String,
    /// The time zone the reader's profile names, which times that belong to no circle or
    /// event (sign-ins, locks, devices) are shown in.
    pub viewer_zone: Option<String>,
}

impl Layout {
    /// A page for whoever is looking (visitor or member).
    pub fn new(
        title: impl Into<String>,
        csrf: String,
        actor: Option<&Actor>,
        path: &str,
    ) -> Layout {
        Layout {
            title: title.into(),
            csrf,
            user_name: actor.map(|a| a.user.display_name.clone()),
            user_id: actor.map(Actor::id),
            nav: actor.map(nav_for).unwrap_or_default(),
            path: path.to_owned(),
            viewer_zone: actor.and_then(|a| a.user.time_zone.clone()),
        }
    }

    /// Error pages: no user context.
    pub fn bare(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            csrf: String::new(),
            user_name: None,
            user_id: None,
            nav: Vec::new(),
            path: String::new(),
            viewer_zone: None,
        }
    }

    /// The sign-out form's script: it sends this browser's conversation device along, so
    /// the server revokes it as the browser's storage (its keys) is cleared.
    pub fn sign_out_module(&self) -> super::conversation::ModuleTags {
        super::conversation::ModuleTags::of("e2e/signout.js")
    }

    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }

    /// `at` in the reader's own time zone, naming it ("3 Mar 2026, 20:30 CET
    /// (Europe/Berlin)"), or in UTC, saying so, when his profile names none.
    pub fn at(&self, at: impl Instant) -> String {
        for_viewer(at.instant(), self.viewer_zone.as_deref())
    }

    /// The links everyone signed in has.
    pub fn main_links(&self) -> impl Iterator<Item = &NavLink> {
        self.nav.iter().filter(|l| !l.gated)
    }

    /// The links the reader's roles open, for the "More" menu.
    pub fn role_links(&self) -> Vec<&NavLink> {
        self.nav.iter().filter(|l| l.gated).collect()
    }

    /// Whether the current page is one of the menu's, so the menu says so when closed.
    pub fn in_role_links(&self) -> bool {
        self.role_links().iter().any(|l| self.is_current(l.href))
    }

    pub fn is_current(&self, href: &str) -> bool {
        self.path == href || (href != "/home" && self.path.starts_with(href))
    }
}

/// The links a person's roles open, in the order people use them.
pub fn nav_for(actor: &Actor) -> Vec<NavLink> {
    let mut links = vec![
        NavLink {
            href: "/home",
            label: "Home",
            gated: false,
        },
        NavLink {
            href: "/circles",
            label: "Circles",
            gated: false,
        },
        NavLink {
            href: "/events",
            label: "Events",
            gated: false,
        },
        NavLink {
            href: "/profile",
            label: "Profile",
            gated: false,
        },
        NavLink {
            href: "/security",
            label: "Security",
            gated: false,
        },
    ];
    let gated = [
        (Permission::ManageUsers, "/admin/users", "Users"),
        (
            Permission::ManageMemberships,
            "/admin/memberships",
            "Memberships",
        ),
        (
            Permission::CertifyFacilitators,
            "/certifications",
            "Certifications",
        ),
        (
            Permission::CertifyFacilitators,
            "/facilitators",
            "Facilitators",
        ),
        (Permission::IssueRefunds, "/admin/payments", "Refunds"),
        (
            Permission::ReviewScholarships,
            "/scholarships",
            "Scholarships",
        ),
        (Permission::AssistAccounts, "/support", "Support"),
        (
            Permission::ViewOrgReports,
            "/reports/circles",
            "Circle overview",
        ),
        (
            Permission::ViewFinancialReports,
            "/reports/finance",
            "Finances",
        ),
        (Permission::ReadAuditLog, "/audit", "Audit log"),
    ];
    for (permission, href, label) in gated {
        if actor.can(permission) {
            links.push(NavLink {
                href,
                label,
                gated: true,
            });
        }
    }
    links
}
