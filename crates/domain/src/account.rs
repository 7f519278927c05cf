//! Accounts: email addresses, display names, new passwords, and whether an account may
//! be used.

use crate::vocabulary::text_enum;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// Whether an account may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Stopped by an Admin: cannot sign in, and every session has ended.
    Suspended,
}

text_enum!(UserStatus {
    Active => "active",
    Suspended => "suspended",
});

impl UserStatus {
    /// Whether the person may sign in (and stay signed in).
    pub fn may_sign_in(self) -> bool {
        match self {
            Self::Active => true,
            Self::Suspended => false,
        }
    }

    /// Whether the account is suspended.
    pub fn is_suspended(self) -> bool {
        !self.may_sign_in()
    }
}

/// A syntactically valid, normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim().to_lowercase();
        let err = |m: &str| Err(DomainError::new("email", m));
        if email.is_empty() {
            return err("Enter your email address.");
        }
        if email.chars().count() > Self::MAX_LEN {
            return err("An email address can be at most 254 characters long.");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("An email address cannot contain spaces.");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return err("Enter an email address like name@example.org.");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return err("Enter an email address like name@example.org.");
        }
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !domain.contains('.')
            || !labels_ok
            || domain.contains(['(', ')', '<', '>', ',', ';', ':', '"', '[', ']', '\\'])
        {
            return err("Enter an email address like name@example.org.");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name other people see: 1–64 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

/// Whether `c` shows as something on screen: not a space, not a zero-width or formatting
/// character, not a blank "filler" letter, and not a mark that only decorates another.
fn visible(c: char) -> bool {
    const BLANK: &[char] = &[
        '\u{00AD}', '\u{034F}', '\u{115F}', '\u{1160}', '\u{17B4}', '\u{17B5}', '\u{180E}',
        '\u{2800}', '\u{3164}', '\u{FEFF}', '\u{FFA0}',
    ];
    let u = u32::from(c);
    let zero_width_or_format = matches!(u, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F);
    let combining = matches!(
        u,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
    );
    let selector = matches!(u, 0xFE00..=0xFE0F | 0xE0000..=0xE0FFF);
    !c.is_whitespace()
        && !c.is_control()
        && !BLANK.contains(&c)
        && !zero_width_or_format
        && !combining
        && !selector
}

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(DomainError::new(
                "display_name",
                "Enter the name other members will see.",
            ));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::new(
                "display_name",
                "A display name can be at most 64 characters long.",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::new(
                "display_name",
                "A display name cannot contain control characters.",
            ));
        }
        if !name.chars().any(visible) {
            return Err(DomainError::new(
                "display_name",
                "A display name needs at least one letter, digit or sign that can be seen.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password that satisfies the policy (NIST SP 800-63B): 12–256 characters of any kind,
/// and not rated weak or common by the zxcvbn strength estimator.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;
    /// zxcvbn scores 0–4; 3 is "safely unguessable: moderate protection from offline attacks".
    const MIN_SCORE: u8 = 3;

    /// Checks the policy. `context` holds words the password must not lean on (the user's
    /// email, name), as the estimator penalises them.
    pub fn parse(raw: &str, context: &[&str]) -> Result<Self, DomainError> {
        let chars = raw.chars().count();
        let err = |m: String| Err(DomainError::new("password", m));
        if chars < Self::MIN_CHARS {
            return err(format!(
                "Use at least {} characters; a few unrelated words work well.",
                Self::MIN_CHARS
            ));
        }
        if chars > Self::MAX_CHARS {
            return err(format!("Use at most {} characters.", Self::MAX_CHARS));
        }
        if contains_own_details(raw, context) {
            return err(
                "Do not use your email address or your name in your password; choose unrelated words."
                    .to_owned(),
            );
        }
        // zxcvbn's cost grows quickly with length; a long password's strength is decided
        // by its first hundred characters anyway.
        let sample: String = raw.chars().take(100).collect();
        let words = context_words(context);
        let context: Vec<&str> = words.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(&sample, &context);
        if u8::from(estimate.score()) < Self::MIN_SCORE {
            // The estimator's warning is a sentence of its own: set beside ours, never
            // inside it, so the message has no brackets within a sentence.
            let hint = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| {
                    let w = w.to_string();
                    let stop = if w.ends_with('.') { "" } else { "." };
                    format!(" {w}{stop}")
                })
                .unwrap_or_default();
            return err(format!(
                "This password is too easy to guess.{hint} Try a longer phrase of unrelated words."
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether the password holds one of the user's details as such: the whole email address,
/// the part before its `@`, or the display name, compared without case, spaces and
/// punctuation ("Robert.Miller!2024" holds "Robert Miller"). zxcvbn only lowers its score
/// for them, which a long password can make up for; the rule is that they are not used.
fn contains_own_details(raw: &str, context: &[&str]) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let password = squash(raw);
    context
        .iter()
        .flat_map(|item| {
            let local = item.split_once('@').map(|(local, _)| local);
            [Some(*item), local]
        })
        .flatten()
        .map(squash)
        // Two letters are part of too many words to forbid.
        .filter(|detail| detail.chars().count() >= 3)
        .any(|detail| password.contains(&detail))
}

/// The user's own details as the estimator should see them: whole, and split into the
/// words a person would reuse ("robert", "miller" from "robert.miller@example.org").
fn context_words(context: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for item in context {
        let lower = item.to_lowercase();
        words.extend(
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3)
                .map(str::to_owned),
        );
        if let Some((local, _)) = lower.split_once('@') {
            words.push(local.chars().filter(|c| c.is_alphanumeric()).collect());
        }
        words.push(lower.chars().filter(|c| c.is_alphanumeric()).collect());
    }
    words.retain(|w| !w.is_empty());
    words.sort();
    words.dedup();
    words
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_display_name_needs_something_visible() {
        for blank in [
            "\u{200B}",
            "\u{200B}\u{200D}\u{FEFF}",
            "\u{3164}\u{3164}",
            "\u{2800}",
            "\u{0301}\u{0301}",
            "\u{202E}\u{2060}",
        ] {
            let e = DisplayName::parse(blank).unwrap_err();
            assert_eq!(e.field, "display_name", "{blank:?}");
            assert!(
                e.message.contains("can be seen"),
                "{blank:?}: {}",
                e.message
            );
        }
        for fine in ["Jürgen", "李雷", "J.", "\u{200B}Ali", "😀"] {
            assert!(DisplayName::parse(fine).is_ok(), "{fine:?}");
        }
    }

    use super::*;

    #[test]
    fn user_status_names_round_trip() {
        crate::vocabulary::assert_text_round_trips(
            &UserStatus::ALL,
            UserStatus::as_str,
            UserStatus::parse,
        );
        assert!(UserStatus::Active.may_sign_in() && !UserStatus::Active.is_suspended());
        assert!(!UserStatus::Suspended.may_sign_in() && UserStatus::Suspended.is_suspended());
    }

    #[test]
    fn emails_are_normalised() {
        let e = Email::parse("  Ali.Baba@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "ali.baba@example.org");
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.org",
            "a b@example.org",
            "a@example..org",
            "a@-x.org",
            "a@x\u{0}.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@example.org", "a".repeat(300));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn non_ascii_emails_are_accepted() {
        assert!(Email::parse("jürgen@bücher.de").is_ok());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Sam ").unwrap().as_str(), "Sam");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"ö".repeat(64)).is_ok());
        assert!(DisplayName::parse(&"ö".repeat(65)).is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn password_policy_follows_nist() {
        assert!(NewPassword::parse("short", &[]).is_err());
        assert!(
            NewPassword::parse("password1234", &[]).is_err(),
            "common password accepted"
        );
        assert!(
            NewPassword::parse("aaaaaaaaaaaaaaaa", &[]).is_err(),
            "repetition accepted"
        );
        assert!(NewPassword::parse("correct horse battery staple", &[]).is_ok());
        let common = NewPassword::parse("password1234", &[]).unwrap_err().message;
        assert!(!common.contains('(') && !common.contains(".."), "{common}");
        assert!(
            common.starts_with("This password is too easy to guess. "),
            "{common}"
        );
        assert!(
            NewPassword::parse("Grüße aus dem Bärenwald 42", &[]).is_ok(),
            "non-ASCII refused"
        );
        let long = "the quiet river carries 7 old lanterns past midnight toward ".repeat(4);
        assert!(long.chars().count() >= 200);
        assert!(
            NewPassword::parse(&long, &[]).is_ok(),
            "a 200+ character passphrase was refused"
        );
        assert!(NewPassword::parse(&"x".repeat(257), &[]).is_err());
    }

    #[test]
    fn surrounding_whitespace_is_trimmed_from_emails() {
        assert_eq!(Email::parse("a@x.org\n").unwrap().as_str(), "a@x.org");
    }

    #[test]
    fn passwords_built_from_the_users_own_details_are_weak() {
        let ctx = ["robert.miller@example.org", "Robert Miller"];
        assert!(NewPassword::parse("robertmiller2024", &ctx).is_err());
    }

    #[test]
    fn passwords_holding_the_users_email_or_name_are_refused() {
        let ctx = ["jordan.lee@example.org", "Jordan Lee"];
        // Long and otherwise strong, so only the rule refuses them.
        for holding in [
            "quiet lantern seven rivers jordan.lee@example.org",
            "quiet lantern seven rivers jordanlee",
            "Jordan.Lee walks past seven quiet lanterns",
            "seven quiet lanterns for JORDAN LEE",
        ] {
            let e = NewPassword::parse(holding, &ctx).err();
            assert!(
                e.as_ref()
                    .is_some_and(|e| e.message.contains("your email address or your name")),
                "{holding:?}: {e:?}"
            );
        }
        assert!(NewPassword::parse("quiet lantern seven rivers", &ctx).is_ok());
        // Very short details are not forbidden words.
        assert!(NewPassword::parse("quiet lantern seven rivers", &["al@x.org", "Al"]).is_ok());
    }
}
