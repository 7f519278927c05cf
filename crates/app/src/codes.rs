//! The stable error codes clients depend on, each listed once, with what it means.
//!
//! Each feature declares its refusals with [`error_codes!`] in its own `errors` module
//! (`circles::CircleError`, `events::EventError`, …): a variant per refusal, its code,
//! whether it is a conflict with the state (409) or a refusal the person can act on (403),
//! and what it tells him. A use case returns `Err(CircleError::Full.into())`, or
//! `CircleError::CapacityBelowMembers.with(message)` when the words name what was found.
//! The failures every feature shares are [`General`]. [`all`] is the whole list, which
//! `docs/api.md` must document (a test in the web crate checks it).

/// What sort of failure a code names; the web layer answers each with one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Input that breaks a rule of its own (422).
    Invalid,
    /// A link or token that is unknown, used or expired (400).
    BadToken,
    /// Nobody is signed in, or the credentials are wrong (401).
    Unauthenticated,
    /// The actor may not do this (403).
    Forbidden,
    NotFound,
    /// The state of things does not allow it now (409).
    Conflict,
    /// Too many attempts; try again later (429).
    TooManyAttempts,
    /// The server is busy; try again later (503).
    Busy,
    /// Something went wrong on the server (500).
    Internal,
}

/// A listed code: only an [`error_codes!`] list makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    code: &'static str,
    kind: Kind,
}

impl Code {
    #[doc(hidden)]
    pub(crate) const fn listed(code: &'static str, kind: Kind) -> Code {
        Code { code, kind }
    }

    pub const fn as_str(self) -> &'static str {
        self.code
    }

    pub const fn kind(self) -> Kind {
        self.kind
    }
}

/// One line of the documented list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    /// The heading it is documented under in `docs/api.md`.
    pub feature: &'static str,
    pub code: Code,
    pub meaning: &'static str,
}

/// Declares a feature's error codes: a fieldless enum whose variants each name a code,
/// its [`Kind`] and the message it gives (or, for codes whose message names what was
/// found, what it means). Every variant converts into `crate::Error::Rule`.
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $feature:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $kind:ident($code:literal, $message:literal), )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every code of the feature, as `docs/api.md` lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub const fn code(self) -> $crate::codes::Code {
                match self {
                    $( $name::$variant => $crate::codes::Code::listed($code, $crate::codes::Kind::$kind), )*
                }
            }

            /// The message the code gives, or what it means when [`Self::with`] words it.
            pub const fn message(self) -> &'static str {
                match self {
                    $( $name::$variant => $message, )*
                }
            }

            /// The failure in words that name what was found.
            pub fn with(self, message: impl Into<String>) -> $crate::Error {
                $crate::Error::Rule {
                    code: self.code(),
                    message: message.into(),
                }
            }

            pub(crate) fn listed() -> impl Iterator<Item = $crate::codes::Listed> {
                Self::ALL.iter().map(|c| $crate::codes::Listed {
                    feature: $feature,
                    code: c.code(),
                    meaning: c.message(),
                })
            }
        }

        impl From<$name> for $crate::Error {
            fn from(c: $name) -> Self {
                c.with(c.message())
            }
        }
    };
}
pub(crate) use error_codes;

error_codes! {
    /// The failures every feature shares (the variants of `crate::Error` but `Rule`).
    pub enum General in "Common" {
        ValidationFailed = Invalid("validation_failed", "Some input breaks a rule; `errors` names each field and what to change."),
        InvalidCredentials = Unauthenticated("invalid_credentials", "The email or password is not correct."),
        EmailNotVerified = Forbidden("email_not_verified", "The address is not confirmed yet: follow the emailed link first."),
        AccountSuspended = Forbidden("account_suspended", "The account is suspended; support can say why."),
        InvalidMfaCode = Unauthenticated("invalid_mfa_code", "The two-step verification code is not correct or has expired."),
        MfaNotEnabled = Conflict("mfa_not_enabled", "Two-step verification is not enabled."),
        MfaAlreadyEnabled = Conflict("mfa_already_enabled", "Two-step verification is already enabled."),
        TooManyAttempts = TooManyAttempts("too_many_attempts", "Too many attempts; `Retry-After` says when to try again."),
        Busy = Busy("busy", "The server is busy (every database connection is taken, or work it does a little at a time, such as photos, is queued full); `Retry-After` says when to try again."),
        Unauthenticated = Unauthenticated("unauthenticated", "Sign in (send an access token) to continue."),
        Forbidden = Forbidden("forbidden", "The signed-in person may not do this."),
        NotFound = NotFound("not_found", "There is no such thing, or the signed-in person may not see it."),
        InvalidToken = BadToken("invalid_or_expired_token", "The link or token is unknown, already used or expired."),
        SessionRevoked = Unauthenticated("session_revoked", "The session has ended (signed out, revoked or expired): sign in again."),
        Internal = Internal("internal_error", "Something went wrong on the server; quote the request id to support."),
    }
}

/// Every code the use cases can answer with, feature by feature.
pub fn all() -> Vec<Listed> {
    General::listed()
        .chain(crate::accounts::errors::AccountError::listed())
        .chain(crate::admin::AdminError::listed())
        .chain(crate::authz::AssistError::listed())
        .chain(crate::certification::CertificationError::listed())
        .chain(crate::circles::errors::CircleError::listed())
        .chain(crate::conversation::errors::ConversationError::listed())
        .chain(crate::demo::DemoError::listed())
        .chain(crate::events::errors::EventError::listed())
        .chain(crate::idempotency::IdempotencyError::listed())
        .chain(crate::payments::PaymentError::listed())
        .chain(crate::payments::refunds::RefundError::listed())
        .chain(crate::payments::scholarships::ScholarshipError::listed())
        .chain(crate::memberships::MembershipError::listed())
        .chain(crate::support::SupportError::listed())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_code_means_one_kind_of_failure_within_a_feature() {
        let mut seen: HashMap<(&str, &str), Kind> = HashMap::new();
        for l in all() {
            let kind = *seen
                .entry((l.feature, l.code.as_str()))
                .or_insert(l.code.kind());
            assert_eq!(kind, l.code.kind(), "{} in {}", l.code.as_str(), l.feature);
        }
    }

    #[test]
    fn codes_are_snake_case_and_feature_codes_are_refusals() {
        for l in all() {
            let code = l.code.as_str();
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            if l.feature != "Common" {
                assert!(
                    matches!(l.code.kind(), Kind::Conflict | Kind::Forbidden),
                    "{code} in {} is a {:?}",
                    l.feature,
                    l.code.kind()
                );
            }
        }
    }

    #[test]
    fn a_variant_becomes_a_rule_error_with_its_code_and_words() {
        let e: crate::Error = General::Busy.into();
        assert_eq!(e.code().as_str(), "busy");
        assert_eq!(e.to_string(), General::Busy.message());
        let e = General::Busy.with("Come back in a minute.");
        assert_eq!(e.to_string(), "Come back in a minute.");
    }
}
