//! Checked text: the one type every free-text input passes through at the edge.
//!
//! A NUL byte cannot be stored in PostgreSQL (`invalid byte sequence for encoding "UTF8":
//! 0x00`), and escape sequences or bidirectional overrides stored in text that an admin
//! later reads can rewrite what the admin sees. So every text a person or a client sends —
//! a request body, a query filter, a page form — is deserialised into [`SingleLine`] or
//! [`MultiLine`], which refuse such characters and bound the length, before any use case
//! sees it. Rules about meaning (a circle's name is 3–80 characters, …) stay with their own
//! types; these only guarantee that the text is text.
//!
//! Lengths count characters (Unicode scalar values), as JSON Schema's `maxLength` does.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;

/// Why a text was refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("Use at most {max} characters.")]
    TooLong { max: usize },
    #[error("Remove the line breaks: this field takes one line.")]
    LineBreak,
    #[error("Remove the control characters (such as NUL or escape) from this text.")]
    ControlCharacter,
}

impl TextError {
    /// Whether `message` is what one of these errors says: deserialisers report a
    /// failed `try_from` only as its message, and the edge answers those as a field's
    /// validation problem rather than as a malformed request.
    pub fn is_its_message(message: &str) -> bool {
        message == TextError::LineBreak.to_string()
            || message == TextError::ControlCharacter.to_string()
            || message
                .strip_prefix("Use at most ")
                .and_then(|m| m.strip_suffix(" characters."))
                .is_some_and(|n| n.parse::<usize>().is_ok())
    }
}

/// Characters no text may hold: C0 controls, DEL, C1 controls, and the bidirectional
/// embeddings, overrides and isolates that make text display differently from what it is.
/// Line breaks and tabs are decided per type.
fn refused(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The JSON Schema `pattern` of what [`refused`] lets through, with or without `\n`/`\t`.
pub const SINGLE_LINE_PATTERN: &str = "^[^\\x00-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069]*$";
/// As [`SINGLE_LINE_PATTERN`], but line feeds and tabs are allowed.
pub const MULTI_LINE_PATTERN: &str =
    "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069]*$";

fn check_length(text: &str, max: usize) -> Result<(), TextError> {
    // Cheap bound first: a text of at most `max` bytes has at most `max` characters.
    if text.len() > max && text.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(())
}

/// One line of text of at most `MAX` characters: no line breaks, tabs or other control
/// characters, no bidirectional overrides. Kept exactly as sent (no trimming): a rule
/// about meaning trims if it wants to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SingleLine<const MAX: usize>(String);

impl<const MAX: usize> SingleLine<MAX> {
    /// The most characters the text may have.
    pub const MAX_CHARS: usize = MAX;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> SingleLine<MAX> {
    /// Text read back from storage, to be edited and saved again: what was stored before
    /// these checks existed may hold refused characters, which are dropped (and the text
    /// cut to `MAX`) rather than making the record uneditable.
    pub fn from_stored(text: &str) -> Self {
        SingleLine(
            text.chars()
                .filter(|&c| !(c == '\t' || c == '\n' || c == '\r' || refused(c)))
                .take(MAX)
                .collect(),
        )
    }
}

impl<const MAX: usize> TryFrom<String> for SingleLine<MAX> {
    type Error = TextError;

    fn try_from(text: String) -> Result<Self, TextError> {
        if text.contains(['\n', '\r']) {
            return Err(TextError::LineBreak);
        }
        if text.chars().any(|c| c == '\t' || refused(c)) {
            return Err(TextError::ControlCharacter);
        }
        check_length(&text, MAX)?;
        Ok(SingleLine(text))
    }
}

impl<const MAX: usize> TryFrom<&str> for SingleLine<MAX> {
    type Error = TextError;

    fn try_from(text: &str) -> Result<Self, TextError> {
        Self::try_from(text.to_owned())
    }
}

/// Text of at most `MAX` characters that may span lines: line feeds and tabs are kept,
/// `\r\n` and a lone `\r` become `\n`, every other control character and the
/// bidirectional overrides are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MultiLine<const MAX: usize>(String);

impl<const MAX: usize> MultiLine<MAX> {
    /// The most characters the text may have (after line breaks are normalised).
    pub const MAX_CHARS: usize = MAX;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> MultiLine<MAX> {
    /// Text read back from storage, to be edited and saved again: what was stored before
    /// these checks existed may hold refused characters, which are dropped (and the text
    /// cut to `MAX`) rather than making the record uneditable.
    pub fn from_stored(text: &str) -> Self {
        MultiLine(
            text.chars()
                .filter(|&c| !(c == '\r' || refused(c)))
                .take(MAX)
                .collect(),
        )
    }
}

impl<const MAX: usize> TryFrom<String> for MultiLine<MAX> {
    type Error = TextError;

    fn try_from(text: String) -> Result<Self, TextError> {
        let text = if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text
        };
        if text.chars().any(refused) {
            return Err(TextError::ControlCharacter);
        }
        check_length(&text, MAX)?;
        Ok(MultiLine(text))
    }
}

impl<const MAX: usize> TryFrom<&str> for MultiLine<MAX> {
    type Error = TextError;

    fn try_from(text: &str) -> Result<Self, TextError> {
        Self::try_from(text.to_owned())
    }
}

macro_rules! text_traits {
    ($ty:ident) => {
        impl<const MAX: usize> Deref for $ty<MAX> {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> AsRef<str> for $ty<MAX> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> From<$ty<MAX>> for String {
            fn from(t: $ty<MAX>) -> String {
                t.0
            }
        }

        impl<const MAX: usize> fmt::Display for $ty<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_traits!(SingleLine);
text_traits!(MultiLine);

/// The OpenAPI schemas: a string with `maxLength` and the `pattern` of allowed
/// characters, so the document states the rule instead of describing it.
#[cfg(feature = "utoipa")]
mod schema {
    use super::*;
    use std::borrow::Cow;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};

    fn string(max: usize, pattern: &str, description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(max))
            .pattern(Some(pattern))
            .description(Some(description))
            .into()
    }

    impl<const MAX: usize> utoipa::PartialSchema for SingleLine<MAX> {
        fn schema() -> RefOr<Schema> {
            string(
                MAX,
                SINGLE_LINE_PATTERN,
                "One line of text: no line breaks, control characters or bidirectional overrides.",
            )
        }
    }

    impl<const MAX: usize> utoipa::ToSchema for SingleLine<MAX> {
        fn name() -> Cow<'static, str> {
            Cow::Owned(format!("SingleLine{MAX}"))
        }
    }

    impl<const MAX: usize> utoipa::PartialSchema for MultiLine<MAX> {
        fn schema() -> RefOr<Schema> {
            string(
                MAX,
                MULTI_LINE_PATTERN,
                "Text that may span lines: no control characters other than line feeds and tabs, no bidirectional overrides.",
            )
        }
    }

    impl<const MAX: usize> utoipa::ToSchema for MultiLine<MAX> {
        fn name() -> Cow<'static, str> {
            Cow::Owned(format!("MultiLine{MAX}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Line = SingleLine<10>;
    type Lines = MultiLine<10>;

    #[test]
    fn plain_text_is_kept_as_sent() {
        assert_eq!(Line::try_from(" Zürich ").unwrap().as_str(), " Zürich ");
        assert_eq!(Line::try_from("").unwrap().as_str(), "");
        assert_eq!(Lines::try_from("a\n\tb").unwrap().as_str(), "a\n\tb");
    }

    #[test]
    fn nul_escape_del_and_c1_are_refused_everywhere() {
        for bad in ["a\0b", "\u{1b}[31mred", "x\u{7f}", "x\u{85}", "x\u{9b}2J"] {
            assert_eq!(
                Line::try_from(bad),
                Err(TextError::ControlCharacter),
                "{bad:?}"
            );
            assert_eq!(
                Lines::try_from(bad),
                Err(TextError::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bidi_overrides_are_refused() {
        for bad in ["\u{202E}gnp.exe", "a\u{2066}b"] {
            assert_eq!(Line::try_from(bad), Err(TextError::ControlCharacter));
            assert_eq!(Lines::try_from(bad), Err(TextError::ControlCharacter));
        }
    }

    #[test]
    fn one_line_refuses_line_breaks_and_tabs() {
        assert_eq!(Line::try_from("a\nb"), Err(TextError::LineBreak));
        assert_eq!(Line::try_from("a\r\nb"), Err(TextError::LineBreak));
        assert_eq!(Line::try_from("a\tb"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn several_lines_normalise_carriage_returns() {
        assert_eq!(Lines::try_from("a\r\nb\rc").unwrap().as_str(), "a\nb\nc");
        // Normalising first means a CRLF counts as one character.
        assert!(Lines::try_from("123456789\r\n").is_ok());
    }

    #[test]
    fn stored_text_is_cleaned_not_refused() {
        assert_eq!(Line::from_stored("a\0b\u{1b}[1m\nc").as_str(), "ab[1mc");
        assert_eq!(Lines::from_stored("a\r\nb\u{202e}").as_str(), "a\nb");
        assert_eq!(Line::from_stored("12345678901").as_str(), "1234567890");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(Line::try_from("ééééééééé é".replace(' ', "")).is_ok());
        assert_eq!(
            Line::try_from("ééééééééééé"),
            Err(TextError::TooLong { max: 10 })
        );
        assert_eq!(
            Lines::try_from("12345678901"),
            Err(TextError::TooLong { max: 10 })
        );
    }

    #[test]
    fn serde_checks_on_the_way_in() {
        let ok: Line = serde_json::from_str("\"hello\"").unwrap();
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"hello\"");
        let err = serde_json::from_str::<Line>("\"a\\u0000b\"").unwrap_err();
        assert!(err.to_string().contains("control characters"), "{err}");
        let err = serde_json::from_str::<Line>("\"12345678901\"").unwrap_err();
        assert!(err.to_string().contains("at most 10"), "{err}");
        for e in [
            TextError::LineBreak,
            TextError::ControlCharacter,
            TextError::TooLong { max: 7 },
        ] {
            assert!(TextError::is_its_message(&e.to_string()));
        }
        assert!(!TextError::is_its_message("invalid type: integer"));
    }

    proptest! {
        #[test]
        fn what_is_accepted_holds_no_refused_character(s in "\\PC{0,12}|[\\x00-\\x{ff}\\x{202A}-\\x{202E}]{0,12}") {
            if let Ok(t) = Line::try_from(s.as_str()) {
                prop_assert!(!t.chars().any(|c| c.is_control() || refused(c)));
                prop_assert!(t.chars().count() <= 10);
                prop_assert_eq!(t.as_str(), s.as_str());
            }
            if let Ok(t) = Lines::try_from(s.as_str()) {
                prop_assert!(!t.chars().any(refused));
                prop_assert!(!t.contains('\r'));
                prop_assert!(t.chars().count() <= 10);
            }
        }

        #[test]
        fn printable_text_within_the_limit_is_accepted(s in "[^\\p{C}\\u{2066}-\\u{2069}\\u{202A}-\\u{202E}]{0,10}") {
            prop_assert_eq!(Line::try_from(s.as_str()).map(String::from), Ok(s.clone()));
            prop_assert_eq!(Lines::try_from(s.as_str()).map(String::from), Ok(s));
        }

        #[test]
        fn one_control_character_is_enough_to_refuse(
            a in "[a-z]{0,4}",
            c in prop::sample::select(vec!['\0', '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}', '\u{202e}', '\u{2067}']),
            b in "[a-z]{0,4}",
        ) {
            let s = format!("{a}{c}{b}");
            prop_assert!(Line::try_from(s.as_str()).is_err());
            prop_assert!(Lines::try_from(s.as_str()).is_err());
        }
    }
}
