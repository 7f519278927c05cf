//! The years a date or time typed into the platform may fall in: 1900 to 2200.
//!
//! Outside them a date is a typo (`0202`, `20260`), and some would not even fit a database
//! column. Every date or time parsed from input passes here, whatever its source: a JSON
//! body, a query string or a form. Rules with a narrower range of their own (event times,
//! a circle's first meeting) check that too.

use crate::DomainError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

pub const EARLIEST_YEAR: i32 = 1900;
pub const LATEST_YEAR: i32 = 2200;

fn in_range(year: i32) -> bool {
    (EARLIEST_YEAR..=LATEST_YEAR).contains(&year)
}

fn out_of_range(field: &'static str) -> DomainError {
    DomainError::new(
        field,
        format!("Enter a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}."),
    )
}

/// The instant, if its year is in range; otherwise a problem under `field`.
pub fn instant(field: &'static str, at: DateTime<Utc>) -> Result<DateTime<Utc>, DomainError> {
    if in_range(at.year()) {
        Ok(at)
    } else {
        Err(out_of_range(field))
    }
}

/// The calendar date, if its year is in range; otherwise a problem under `field`.
pub fn date(field: &'static str, d: NaiveDate) -> Result<NaiveDate, DomainError> {
    if in_range(d.year()) {
        Ok(d)
    } else {
        Err(out_of_range(field))
    }
}

/// For `#[serde(deserialize_with = "domain::dates::de_instant")]`: an RFC 3339 instant in
/// range, or an error that says which years are accepted.
pub fn de_instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let at = DateTime::<Utc>::deserialize(d)?;
    instant("date", at).map_err(|e| serde::de::Error::custom(e.message))
}

/// Like [`de_instant`] for an optional field (add `#[serde(default)]` beside it).
pub fn de_optional_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<DateTime<Utc>>::deserialize(d)?
        .map(|at| instant("date", at).map_err(|e| serde::de::Error::custom(e.message)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn years_from_1900_to_2200_pass() {
        assert!(instant("x", at("1900-01-01T00:00:00Z")).is_ok());
        assert!(instant("x", at("2200-12-31T23:59:59Z")).is_ok());
        assert!(date("x", NaiveDate::from_ymd_opt(2026, 3, 3).unwrap()).is_ok());
    }

    #[test]
    fn other_years_are_refused_under_the_field() {
        let e = instant("since", at("1899-12-31T23:59:59Z")).unwrap_err();
        assert_eq!(e.field, "since");
        assert!(
            e.message.contains("1900") && e.message.contains("2200"),
            "{}",
            e.message
        );
        assert!(instant("x", at("2201-01-01T00:00:00Z")).is_err());
        assert!(instant("x", DateTime::<Utc>::MIN_UTC).is_err());
        assert!(date("x", NaiveDate::MAX).is_err());
    }

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "de_instant")]
        starts_at: DateTime<Utc>,
        #[serde(default, deserialize_with = "de_optional_instant")]
        until: Option<DateTime<Utc>>,
    }

    #[test]
    fn serde_fields_are_checked() {
        let ok: Body = serde_json::from_str(r#"{"starts_at":"2026-03-03T19:30:00Z"}"#).unwrap();
        assert_eq!((ok.starts_at.year(), ok.until), (2026, None));
        let err = serde_json::from_str::<Body>(r#"{"starts_at":"0001-03-03T19:30:00Z"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("between the years 1900 and 2200"), "{err}");
        let err = serde_json::from_str::<Body>(
            r#"{"starts_at":"2026-03-03T19:30:00Z","until":"9999-01-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("1900"), "{err}");
        let none: Body =
            serde_json::from_str(r#"{"starts_at":"2026-03-03T19:30:00Z","until":null}"#).unwrap();
        assert_eq!(none.until, None);
    }
}
