//! The free text of an event: its title, description and cancellation policy.

use crate::DomainError;

/// An event's title: 3–120 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTitle(String);

impl EventTitle {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 120;

    /// Trims `raw` and checks its length and characters; errors are under `title`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let title = raw.trim();
        let n = title.chars().count();
        if n < Self::MIN_CHARS {
            return Err(DomainError::new(
                "title",
                "Give the event a title of at least 3 characters.",
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(DomainError::new(
                "title",
                "An event's title can be at most 120 characters long.",
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(DomainError::new(
                "title",
                "An event's title cannot contain line breaks or other control characters.",
            ));
        }
        Ok(EventTitle(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an event is about: up to 5000 characters, line breaks kept, may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDescription(String);

impl EventDescription {
    pub const MAX_CHARS: usize = 5000;

    /// Trims `raw` and checks its length and characters; errors are under `description`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        long_text(raw, Self::MAX_CHARS, "description", "description").map(EventDescription)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The terms for cancelling a registration (refunds, deadlines): up to 2000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationPolicy(String);

impl CancellationPolicy {
    pub const MAX_CHARS: usize = 2000;

    /// Trims `raw` and checks it; errors are under `cancellation_policy`. An event need not
    /// have a policy, so blank input is `Ok(None)` rather than an empty policy, which would
    /// read as "no cancellations" on the event page.
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let text = long_text(
            raw,
            Self::MAX_CHARS,
            "cancellation_policy",
            "cancellation policy",
        )?;
        Ok((!text.is_empty()).then_some(CancellationPolicy(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed free text of at most `max` characters; tabs and line breaks are fine, other
/// control characters are refused because they cannot be shown.
fn long_text(
    raw: &str,
    max: usize,
    field: &'static str,
    what: &str,
) -> Result<String, DomainError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(DomainError::new(
            field,
            format!("Keep the {what} to {max} characters."),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DomainError::new(
            field,
            format!("The {what} contains characters that cannot be shown."),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            EventTitle::parse("  Autumn Retreat \n").unwrap().as_str(),
            "Autumn Retreat"
        );
        assert_eq!(
            EventTitle::parse(" ab ").unwrap_err(),
            DomainError::new("title", "Give the event a title of at least 3 characters.")
        );
        assert!(EventTitle::parse("abc").is_ok());
        assert!(EventTitle::parse(&"é".repeat(120)).is_ok());
        assert_eq!(
            EventTitle::parse(&"x".repeat(121)).unwrap_err().message,
            "An event's title can be at most 120 characters long."
        );
        let e = EventTitle::parse("Movie\nNight").unwrap_err();
        assert_eq!(e.field, "title");
        assert_eq!(
            e.message,
            "An event's title cannot contain line breaks or other control characters."
        );
        assert!(EventTitle::parse("Tea\u{7}time").is_err());
    }

    #[test]
    fn descriptions_may_be_empty_and_keep_line_breaks() {
        assert_eq!(EventDescription::parse("   ").unwrap().as_str(), "");
        assert_eq!(
            EventDescription::parse(" Bring:\n\t- a blanket\r\n ")
                .unwrap()
                .as_str(),
            "Bring:\n\t- a blanket"
        );
        assert!(EventDescription::parse(&"y".repeat(5000)).is_ok());
        assert_eq!(
            EventDescription::parse(&"y".repeat(5001)).unwrap_err(),
            DomainError::new("description", "Keep the description to 5000 characters.")
        );
        assert_eq!(
            EventDescription::parse("bell \u{7}").unwrap_err(),
            DomainError::new(
                "description",
                "The description contains characters that cannot be shown."
            )
        );
    }

    #[test]
    fn cancellation_policy_is_optional_and_bounded() {
        assert_eq!(CancellationPolicy::parse("").unwrap(), None);
        assert_eq!(CancellationPolicy::parse(" \n ").unwrap(), None);
        assert_eq!(
            CancellationPolicy::parse(" Full refund until 7 days before. ")
                .unwrap()
                .unwrap()
                .as_str(),
            "Full refund until 7 days before."
        );
        assert!(CancellationPolicy::parse(&"z".repeat(2000))
            .unwrap()
            .is_some());
        assert_eq!(
            CancellationPolicy::parse(&"z".repeat(2001)).unwrap_err(),
            DomainError::new(
                "cancellation_policy",
                "Keep the cancellation policy to 2000 characters."
            )
        );
        assert_eq!(
            CancellationPolicy::parse("no\u{0}refunds").unwrap_err(),
            DomainError::new(
                "cancellation_policy",
                "The cancellation policy contains characters that cannot be shown."
            )
        );
    }
}
