//! What every page shares: its title, the CSRF token for its forms, and the navigation the
//! signed-in user's roles allow.

use app::authz::Actor;
use domain::Permission;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

pub struct Layout {
    pub title: String,
    pub csrf: String,
    /// Present when someone is signed in.
    pub user_name: Option<String>,
    pub nav: Vec<NavLink>,
    /// The path of this page, to mark the current link.
    pub path: String,
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
            nav: actor.map(nav_for).unwrap_or_default(),
            path: path.to_owned(),
        }
    }

    /// Error pages: no user context.
    pub fn bare(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            csrf: String::new(),
            user_name: None,
            nav: Vec::new(),
            path: String::new(),
        }
    }

    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
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
        },
        NavLink {
            href: "/circles",
            label: "Circles",
        },
        NavLink {
            href: "/events",
            label: "Events",
        },
        NavLink {
            href: "/profile",
            label: "Profile",
        },
        NavLink {
            href: "/security",
            label: "Security",
        },
    ];
    let gated = [
        (Permission::ManageUsers, "/admin/users", "Users"),
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
        (Permission::AssistAccounts, "/support", "Support"),
        (
            Permission::ViewOrgReports,
            "/reports/circles",
            "Circle overview",
        ),
        (Permission::ReadAuditLog, "/audit", "Audit log"),
    ];
    for (permission, href, label) in gated {
        if actor.can(permission) {
            links.push(NavLink { href, label });
        }
    }
    links
}
