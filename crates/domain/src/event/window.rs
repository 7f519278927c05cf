//! When people may register for an event, and why they cannot right now.

use crate::DomainError;
use chrono::{DateTime, Utc};

/// Why someone cannot register for an event right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationClosed {
    /// Registration opens later, at `opens_at`.
    #[error("Registration for this event has not opened yet.")]
    NotYetOpen { opens_at: DateTime<Utc> },
    /// Registration closed at `closed_at`, before the event.
    #[error("Registration for this event has closed.")]
    Closed { closed_at: DateTime<Utc> },
    /// The event has begun; nobody registers for something already under way.
    #[error("This event has already started.")]
    Started,
}

impl RegistrationClosed {
    /// A stable code for the API: `not_yet_open`, `closed` or `started`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotYetOpen { .. } => "not_yet_open",
            Self::Closed { .. } => "closed",
            Self::Started => "started",
        }
    }
}

/// When people may register for an event: from `opens_at` (inclusive; none means as soon
/// as it is published) until `closes_at` (exclusive; none means until the event starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegistrationWindow {
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
}

impl RegistrationWindow {
    /// Checks that registration opens before it closes and closes no later than the event
    /// starts (`opens_at < closes_at ≤ starts_at`, for whichever bounds are given), so the
    /// window is never empty. Problems are under `registration_opens_at` or
    /// `registration_closes_at`.
    pub fn new(
        opens_at: Option<DateTime<Utc>>,
        closes_at: Option<DateTime<Utc>>,
        starts_at: DateTime<Utc>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut errors = Vec::new();
        for (field, bound) in [
            ("registration_opens_at", opens_at),
            ("registration_closes_at", closes_at),
        ] {
            if let Some(Err(e)) = bound.map(|at| crate::dates::instant(field, at)) {
                errors.push(e);
            }
        }
        if opens_at.is_some_and(|o| o >= starts_at) {
            errors.push(DomainError::new(
                "registration_opens_at",
                "Registration must open before the event starts.",
            ));
        }
        if let (Some(o), Some(c)) = (opens_at, closes_at) {
            if c <= o {
                errors.push(DomainError::new(
                    "registration_closes_at",
                    "Registration must close after it opens.",
                ));
            }
        }
        if closes_at.is_some_and(|c| c > starts_at) {
            errors.push(DomainError::new(
                "registration_closes_at",
                "Registration must close no later than the event starts.",
            ));
        }
        if errors.is_empty() {
            Ok(RegistrationWindow {
                opens_at,
                closes_at,
            })
        } else {
            Err(errors)
        }
    }

    pub fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.opens_at
    }

    pub fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.closes_at
    }

    /// Whether someone may register at `now` for an event starting at `starts_at`.
    ///
    /// Takes the raw stored bounds rather than a window, so rows written before a rule
    /// changed are still judged. A started event reports [`RegistrationClosed::Started`]
    /// whatever the bounds say, since that is the reason people can act on.
    pub fn check(
        opens_at: Option<DateTime<Utc>>,
        closes_at: Option<DateTime<Utc>>,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RegistrationClosed> {
        if now >= starts_at {
            return Err(RegistrationClosed::Started);
        }
        if let Some(opens_at) = opens_at.filter(|o| now < *o) {
            return Err(RegistrationClosed::NotYetOpen { opens_at });
        }
        if let Some(closed_at) = closes_at.filter(|c| now >= *c) {
            return Err(RegistrationClosed::Closed { closed_at });
        }
        Ok(())
    }

    /// [`RegistrationWindow::check`] with this window's bounds.
    pub fn admits(
        &self,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RegistrationClosed> {
        Self::check(self.opens_at, self.closes_at, starts_at, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn fields(errors: &[DomainError]) -> Vec<&'static str> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn registration_window_bounds_are_ordered() {
        let starts = utc("2026-06-01T18:00:00Z");
        let opens = utc("2026-05-01T08:00:00Z");
        let closes = utc("2026-05-31T22:00:00Z");
        let w = RegistrationWindow::new(Some(opens), Some(closes), starts).unwrap();
        assert_eq!((w.opens_at(), w.closes_at()), (Some(opens), Some(closes)));
        assert!(RegistrationWindow::new(None, None, starts).is_ok());
        assert!(RegistrationWindow::new(None, Some(starts), starts).is_ok());
        assert!(RegistrationWindow::new(Some(opens), None, starts).is_ok());

        assert_eq!(
            RegistrationWindow::new(Some(closes), Some(opens), starts).unwrap_err(),
            [DomainError::new(
                "registration_closes_at",
                "Registration must close after it opens."
            )]
        );
        assert_eq!(
            fields(&RegistrationWindow::new(Some(opens), Some(opens), starts).unwrap_err()),
            ["registration_closes_at"]
        );
        assert_eq!(
            RegistrationWindow::new(None, Some(starts + TimeDelta::seconds(1)), starts)
                .unwrap_err(),
            [DomainError::new(
                "registration_closes_at",
                "Registration must close no later than the event starts."
            )]
        );
        assert_eq!(
            RegistrationWindow::new(Some(starts), None, starts).unwrap_err(),
            [DomainError::new(
                "registration_opens_at",
                "Registration must open before the event starts."
            )]
        );
        let late = starts + TimeDelta::days(1);
        assert_eq!(
            fields(&RegistrationWindow::new(Some(late), Some(late), starts).unwrap_err()),
            [
                "registration_opens_at",
                "registration_closes_at",
                "registration_closes_at"
            ]
        );
    }

    #[test]
    fn registration_bounds_outside_1900_to_2200_are_refused() {
        let starts = utc("2026-06-01T18:00:00Z");
        let ancient = utc("0202-05-01T08:00:00Z");
        let errors = RegistrationWindow::new(Some(ancient), None, starts).unwrap_err();
        assert_eq!(fields(&errors), ["registration_opens_at"]);
        assert!(errors[0].message.contains("1900"), "{}", errors[0].message);
    }

    #[test]
    fn registration_is_open_between_the_bounds() {
        let starts = utc("2026-06-01T18:00:00Z");
        let opens = utc("2026-05-01T08:00:00Z");
        let closes = utc("2026-05-31T22:00:00Z");
        let check =
            |now: &str| RegistrationWindow::check(Some(opens), Some(closes), starts, utc(now));
        assert_eq!(
            check("2026-05-01T07:59:59Z"),
            Err(RegistrationClosed::NotYetOpen { opens_at: opens })
        );
        assert_eq!(check("2026-05-01T08:00:00Z"), Ok(()));
        assert_eq!(check("2026-05-31T21:59:59Z"), Ok(()));
        assert_eq!(
            check("2026-05-31T22:00:00Z"),
            Err(RegistrationClosed::Closed { closed_at: closes })
        );
        assert_eq!(
            check("2026-06-01T18:00:00Z"),
            Err(RegistrationClosed::Started)
        );
        assert_eq!(
            check("2026-07-01T00:00:00Z"),
            Err(RegistrationClosed::Started)
        );

        // No bounds: open until the event starts.
        let now = utc("2026-01-01T00:00:00Z");
        assert_eq!(RegistrationWindow::check(None, None, starts, now), Ok(()));
        assert_eq!(
            RegistrationWindow::check(None, None, starts, starts),
            Err(RegistrationClosed::Started)
        );
        // A stored row with bounds the other way round still never admits anyone late.
        assert_eq!(
            RegistrationWindow::check(Some(starts + TimeDelta::days(1)), None, starts, starts),
            Err(RegistrationClosed::Started)
        );
        let w = RegistrationWindow::new(Some(opens), Some(closes), starts).unwrap();
        assert_eq!(w.admits(starts, utc("2026-05-10T00:00:00Z")), Ok(()));
        assert_eq!(
            RegistrationWindow::default().admits(starts, starts),
            Err(RegistrationClosed::Started)
        );
    }

    #[test]
    fn registration_closed_reasons_have_codes_and_messages() {
        let t = utc("2026-05-01T08:00:00Z");
        let cases = [
            (
                RegistrationClosed::NotYetOpen { opens_at: t },
                "not_yet_open",
                "Registration for this event has not opened yet.",
            ),
            (
                RegistrationClosed::Closed { closed_at: t },
                "closed",
                "Registration for this event has closed.",
            ),
            (
                RegistrationClosed::Started,
                "started",
                "This event has already started.",
            ),
        ];
        for (reason, code, message) in cases {
            assert_eq!(reason.as_str(), code);
            assert_eq!(reason.to_string(), message);
        }
    }
}
