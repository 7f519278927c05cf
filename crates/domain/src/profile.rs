//! Profile inputs: full name, phone, city, time zone and a short bio.
//!
//! Every field is optional on the profile; these types hold a present, valid value. The
//! caller decides what an empty input means (the profile use case treats it as "clear").
//! Errors are filed under the form field names (`full_name`, `phone`, …).

use crate::DomainError;

/// Trims `raw` and checks the rules every short free-text field shares.
fn short_text(
    raw: &str,
    field: &'static str,
    what: &str,
    max_chars: usize,
) -> Result<String, DomainError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(DomainError::new(field, format!("Enter {what}.")));
    }
    if text.chars().count() > max_chars {
        return Err(DomainError::new(
            field,
            format!("Use at most {max_chars} characters."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(DomainError::new(
            field,
            "Use letters, digits and punctuation only (no line breaks or control characters).",
        ));
    }
    Ok(text.to_owned())
}

/// A person's full (legal or preferred) name, for facilitators and retreat lists: 1–100
/// characters, any script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        short_text(raw, "full_name", "your full name", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number as people write it: digits, spaces, `+` (leading only), `-` and
/// parentheses; 6–32 characters with at least six digits. Kept as typed (trimmed), since
/// formats differ by country and a facilitator reads it, no machine dials it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub const MIN_CHARS: usize = 6;
    pub const MAX_CHARS: usize = 32;
    const MIN_DIGITS: usize = 6;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let phone = raw.trim();
        let err = |m: &str| Err(DomainError::new("phone", m));
        if phone.is_empty() {
            return err("Enter a phone number.");
        }
        if phone
            .chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')')))
        {
            return err(
                "Use digits, spaces, + - and parentheses only, for example +49 30 1234567.",
            );
        }
        if phone.rfind('+').is_some_and(|i| i > 0) {
            return err("A + may only stand at the start, for example +49 30 1234567.");
        }
        let chars = phone.chars().count();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if chars < Self::MIN_CHARS || digits < Self::MIN_DIGITS {
            return err("This number is too short: enter at least 6 digits.");
        }
        if chars > Self::MAX_CHARS {
            return err("Use at most 32 characters.");
        }
        Ok(Self(phone.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The city a person lives in or near: 1–100 characters, any script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City(String);

impl City {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        short_text(raw, "city", "your city", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An IANA time zone name known to the bundled tz database, e.g. `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// The regions of the zones a person picks from (`Europe/Berlin`, not `CET` or
    /// `US/Eastern`, which the database keeps for backward compatibility).
    const REGIONS: [&'static str; 9] = [
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ];

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(DomainError::new("time_zone", "Choose a time zone."));
        }
        name.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            DomainError::new(
                "time_zone",
                "Choose a time zone from the list, for example Europe/Berlin.",
            )
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    /// `Region/City` names the tz database keeps only as links to a current zone: old
    /// spellings ("Asia/Calcutta"), pre-1995 two-part names ("America/Buenos_Aires"),
    /// places that duplicate another since 1970 ("America/Montreal") and the pre-1993
    /// Australian state names — the tzdata `backward` file, less its "Pre-2013 practice"
    /// section, whose names (Europe/Amsterdam, Europe/Oslo) are still one per country in
    /// `zone.tab` and what people there look for. Offering both the link and its target
    /// would list one clock twice under two names.
    const LEGACY_NAMES: [&'static str; 71] = [
        "Africa/Asmera",
        "Africa/Timbuktu",
        "America/Argentina/ComodRivadavia",
        "America/Atka",
        "America/Buenos_Aires",
        "America/Catamarca",
        "America/Coral_Harbour",
        "America/Cordoba",
        "America/Ensenada",
        "America/Fort_Wayne",
        "America/Godthab",
        "America/Indianapolis",
        "America/Jujuy",
        "America/Knox_IN",
        "America/Louisville",
        "America/Mendoza",
        "America/Montreal",
        "America/Nipigon",
        "America/Pangnirtung",
        "America/Porto_Acre",
        "America/Rainy_River",
        "America/Rosario",
        "America/Santa_Isabel",
        "America/Shiprock",
        "America/Thunder_Bay",
        "America/Virgin",
        "America/Yellowknife",
        "Antarctica/South_Pole",
        "Asia/Ashkhabad",
        "Asia/Calcutta",
        "Asia/Choibalsan",
        "Asia/Chongqing",
        "Asia/Chungking",
        "Asia/Dacca",
        "Asia/Harbin",
        "Asia/Istanbul",
        "Asia/Kashgar",
        "Asia/Katmandu",
        "Asia/Macao",
        "Asia/Rangoon",
        "Asia/Saigon",
        "Asia/Tel_Aviv",
        "Asia/Thimbu",
        "Asia/Ujung_Pandang",
        "Asia/Ulan_Bator",
        "Atlantic/Faeroe",
        "Atlantic/Jan_Mayen",
        "Australia/ACT",
        "Australia/Canberra",
        "Australia/Currie",
        "Australia/LHI",
        "Australia/NSW",
        "Australia/North",
        "Australia/Queensland",
        "Australia/South",
        "Australia/Tasmania",
        "Australia/Victoria",
        "Australia/West",
        "Australia/Yancowinna",
        "Europe/Belfast",
        "Europe/Kiev",
        "Europe/Nicosia",
        "Europe/Tiraspol",
        "Europe/Uzhgorod",
        "Europe/Zaporozhye",
        "Pacific/Enderbury",
        "Pacific/Johnston",
        "Pacific/Ponape",
        "Pacific/Samoa",
        "Pacific/Truk",
        "Pacific/Yap",
    ];

    /// The zones to offer in a picker, sorted: `UTC` first, then current `Region/City`
    /// names. Any other name the database knows (a legacy alias someone saved earlier)
    /// still parses, so nothing stored is refused.
    pub fn choices() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|n| {
                n.split_once('/')
                    .is_some_and(|(region, _)| Self::REGIONS.contains(&region))
                    && !Self::LEGACY_NAMES.contains(n)
            })
            .collect();
        names.sort_unstable();
        names.insert(0, "UTC");
        names
    }
}

/// A few words about oneself: up to 500 characters. Line breaks are kept (as `\n`); other
/// control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        // Browsers send textarea line breaks as CRLF; store one form so the count is fair.
        let bio = raw.replace("\r\n", "\n").replace('\r', "\n");
        let bio = bio.trim();
        if bio.is_empty() {
            return Err(DomainError::new("bio", "Write a few words about yourself."));
        }
        let chars = bio.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(DomainError::new(
                "bio",
                format!(
                    "Use at most {} characters; this has {chars}.",
                    Self::MAX_CHARS
                ),
            ));
        }
        if bio
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(DomainError::new(
                "bio",
                "Remove the control characters from your bio.",
            ));
        }
        Ok(Self(bio.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_are_trimmed_bounded_and_any_script() {
        assert_eq!(
            FullName::parse("  Jürgen Müller ").unwrap().as_str(),
            "Jürgen Müller"
        );
        assert!(FullName::parse("李小龍").is_ok());
        assert!(FullName::parse(&"ö".repeat(100)).is_ok());
        let e = FullName::parse(&"ö".repeat(101)).unwrap_err();
        assert_eq!(e.field, "full_name");
        assert!(FullName::parse("   ").is_err());
        assert!(FullName::parse("a\nb").is_err());
    }

    #[test]
    fn phones_accept_common_formats() {
        for ok in [
            "+49 30 1234567",
            "(030) 123-4567",
            "0301234567",
            "+1 (555) 010-9999",
            "123456",
        ] {
            assert_eq!(Phone::parse(ok).unwrap().as_str(), ok, "{ok:?} refused");
        }
        assert_eq!(Phone::parse(" 123456 ").unwrap().as_str(), "123456");
    }

    #[test]
    fn phones_refuse_letters_short_long_and_inner_plus() {
        for bad in [
            "",
            "12345",
            "+1 (2) 3",
            "call me",
            "0301234567x",
            "030/1234567",
            "12+3456789",
            "+４９１２３４５６",
        ] {
            let e = Phone::parse(bad).unwrap_err();
            assert_eq!(e.field, "phone", "{bad:?}");
        }
        assert!(Phone::parse(&"1".repeat(32)).is_ok());
        assert!(Phone::parse(&"1".repeat(33)).is_err());
    }

    #[test]
    fn cities_are_bounded() {
        assert_eq!(City::parse(" Zürich ").unwrap().as_str(), "Zürich");
        assert!(City::parse(&"a".repeat(101)).is_err());
        assert_eq!(City::parse("").unwrap_err().field, "city");
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(TimeZone::parse(" UTC ").unwrap().name(), "UTC");
        assert!(TimeZone::parse("America/Argentina/Buenos_Aires").is_ok());
        for bad in ["", "Europe/Atlantis", "GMT+2", "europe berlin", "+01:00"] {
            assert_eq!(
                TimeZone::parse(bad).unwrap_err().field,
                "time_zone",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn time_zone_choices_are_regional_sorted_and_parse() {
        let choices = TimeZone::choices();
        assert_eq!(choices[0], "UTC");
        assert!(choices.contains(&"Europe/Berlin"));
        assert!(choices.contains(&"Pacific/Auckland"));
        assert!(!choices.contains(&"US/Eastern"));
        assert!(!choices.contains(&"CET"));
        for alias in [
            "Asia/Calcutta",
            "Europe/Kiev",
            "America/Buenos_Aires",
            "Australia/NSW",
        ] {
            assert!(!choices.contains(&alias), "{alias} is offered");
            assert!(TimeZone::parse(alias).is_ok(), "{alias} no longer parses");
        }
        assert!(choices.contains(&"Asia/Kolkata"));
        assert!(choices.contains(&"Europe/Kyiv"));
        assert!(choices.contains(&"Europe/Amsterdam"));
        assert!(choices[1..].windows(2).all(|w| w[0] < w[1]));
        assert!(choices.iter().all(|c| TimeZone::parse(c).is_ok()));
    }

    #[test]
    fn every_legacy_name_is_one_the_database_knows() {
        // A name the bundled database dropped would make the list silently stale.
        for name in TimeZone::LEGACY_NAMES {
            assert!(TimeZone::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn bios_keep_line_breaks_and_count_characters() {
        let bio = Bio::parse("Hallo!\r\nIch bin Jörg.\r\n").unwrap();
        assert_eq!(bio.as_str(), "Hallo!\nIch bin Jörg.");
        assert!(Bio::parse(&"ß".repeat(500)).is_ok());
        let e = Bio::parse(&"ß".repeat(501)).unwrap_err();
        assert_eq!(e.field, "bio");
        assert!(e.message.contains("501"), "{}", e.message);
        assert!(Bio::parse("bell\u{7}").is_err());
        assert!(Bio::parse(" \n ").is_err());
    }
}
