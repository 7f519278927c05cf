//! The organisation's name and colour, which its emails carry, and its rules for members
//! (`[organisation]`).

use domain::membership::LapsedMembershipBlocks;
use serde::{Deserialize, Serialize};

/// Longest organisation name accepted: it heads every email.
const MAX_NAME: usize = 80;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OrganisationSettings {
    /// Shown at the top of every email, e.g. "Brotherhood Berlin".
    pub name: String,
    /// The accent colour of emails, as `#rrggbb`.
    pub colour: String,
    /// What someone whose paid membership lapsed may no longer register for: `none`
    /// (the default), `paid_events` or `all_events`.
    pub lapsed_membership_blocks: LapsedMembershipBlocks,
}

impl Default for OrganisationSettings {
    fn default() -> Self {
        OrganisationSettings {
            name: "Men's Circles".into(),
            colour: "#2f5d50".into(),
            lapsed_membership_blocks: LapsedMembershipBlocks::None,
        }
    }
}

impl OrganisationSettings {
    pub(super) fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            p.push(format!(
                "organisation.name = {:?}: must be 1 to {MAX_NAME} characters on one line",
                self.name
            ));
        }
        if !is_hex_colour(&self.colour) {
            p.push(format!(
                "organisation.colour = {:?}: must be a colour like \"#2f5d50\"",
                self.colour
            ));
        }
        p
    }
}

/// `#` and six hexadecimal digits: the only form put into an email's style attribute, so
/// nothing else can reach the HTML.
fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert!(OrganisationSettings::default().problems().is_empty());
    }

    #[test]
    fn a_name_and_a_colour_are_checked() {
        let bad = OrganisationSettings {
            name: " ".into(),
            colour: "red;background:url(x)".into(),
            ..OrganisationSettings::default()
        };
        let p = bad.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("organisation.name"));
        assert!(p[1].starts_with("organisation.colour"));
        for ok in ["#000000", "#A1b2C3"] {
            assert!(is_hex_colour(ok), "{ok}");
        }
        for no in ["#abc", "abcdef0", "#ggg000", "#12345678"] {
            assert!(!is_hex_colour(no), "{no}");
        }
    }
}
