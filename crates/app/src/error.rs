//! What can go wrong in a use case, in the user's terms. Each failure has a stable code
//! from the lists in [`crate::codes`]; the web layer answers its kind with an HTTP status.

use crate::codes::{Code, General};
use domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Some input is invalid")]
    Invalid(Vec<DomainError>),
    #[error("The email or password is not correct")]
    InvalidCredentials,
    #[error("Confirm your email address first: follow the link we sent you")]
    EmailNotVerified,
    #[error("This account is suspended; contact support")]
    AccountSuspended,
    #[error("The code is not correct or has expired")]
    InvalidMfaCode,
    #[error("Two-step verification is not enabled")]
    MfaNotEnabled,
    #[error("Two-step verification is already enabled")]
    MfaAlreadyEnabled,
    #[error("Too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Work the server does only a little of at a time (decoding photos) is queued full.
    #[error("The server is busy; try again in {retry_after_secs} seconds")]
    Busy { retry_after_secs: u64 },
    #[error("Sign in to continue")]
    Unauthenticated,
    #[error("You do not have permission to do this")]
    Forbidden,
    #[error("This {0} does not exist.")]
    NotFound(&'static str),
    /// A rule of a feature refused: a conflict with the state of things, or a refusal the
    /// person can act on, with its code from the feature's list (`CircleError::Full` …).
    #[error("{message}")]
    Rule { code: Code, message: String },
    #[error("This link is invalid, already used or expired")]
    InvalidToken,
    #[error("This session has ended; sign in again")]
    SessionRevoked,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code of this failure (its kind decides the HTTP status).
    pub fn code(&self) -> Code {
        let general = match self {
            Error::Rule { code, .. } => return *code,
            Error::Invalid(_) => General::ValidationFailed,
            Error::InvalidCredentials => General::InvalidCredentials,
            Error::EmailNotVerified => General::EmailNotVerified,
            Error::AccountSuspended => General::AccountSuspended,
            Error::InvalidMfaCode => General::InvalidMfaCode,
            Error::MfaNotEnabled => General::MfaNotEnabled,
            Error::MfaAlreadyEnabled => General::MfaAlreadyEnabled,
            Error::TooManyAttempts { .. } => General::TooManyAttempts,
            Error::Busy { .. } => General::Busy,
            Error::Unauthenticated => General::Unauthenticated,
            Error::Forbidden => General::Forbidden,
            Error::NotFound(_) => General::NotFound,
            Error::InvalidToken => General::InvalidToken,
            Error::SessionRevoked => General::SessionRevoked,
            Error::Internal(_) => General::Internal,
        };
        general.code()
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![DomainError::new(field, message)])
    }
}

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Self {
        Error::Invalid(vec![e])
    }
}

/// How long to tell a client to wait when every pooled connection is taken.
pub const POOL_RETRY_AFTER_SECS: u64 = 2;

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        match e {
            // Every connection is busy for longer than the acquire timeout: a load
            // problem that passes, not a fault; the client should come back shortly.
            sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout) => {
                tracing::warn!("database pool exhausted");
                Error::Busy {
                    retry_after_secs: POOL_RETRY_AFTER_SECS,
                }
            }
            e => Error::Internal(anyhow::Error::new(e)),
        }
    }
}

impl Error {
    /// This error, or "busy" when its cause is a pool that had no connection to give:
    /// for the failures that reach the edge as `anyhow` chains rather than as `DbErr`.
    pub fn or_busy(self) -> Self {
        match self {
            Error::Internal(cause) => {
                let exhausted = cause.chain().any(|c| {
                    matches!(
                        c.downcast_ref::<sea_orm::DbErr>(),
                        Some(sea_orm::DbErr::ConnectionAcquire(
                            sea_orm::error::ConnAcquireErr::Timeout
                        ))
                    ) || matches!(
                        c.downcast_ref::<sea_orm::SqlxError>(),
                        Some(sea_orm::SqlxError::PoolTimedOut)
                    )
                });
                if exhausted {
                    Error::Busy {
                        retry_after_secs: POOL_RETRY_AFTER_SECS,
                    }
                } else {
                    Error::Internal(cause)
                }
            }
            other => other,
        }
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(e: sea_orm::TransactionError<Error>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// Collects every broken rule of a form instead of stopping at the first.
#[derive(Default)]
pub struct Checks(Vec<DomainError>);

impl Checks {
    pub fn check<T>(&mut self, r: std::result::Result<T, DomainError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// The collected problems as one error (for when a value that failed is needed).
    pub fn into_error(self) -> Error {
        Error::Invalid(self.0)
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
