//! What can go wrong in a use case, in the user's terms. The web layer maps each variant
//! to an HTTP status and a stable `code`.

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
    /// Forbidden for a reason the person can act on, with its own stable code.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("This {0} does not exist.")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("This link is invalid, already used or expired")]
    InvalidToken,
    #[error("This session has ended; sign in again")]
    SessionRevoked,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Error::Refused {
            code,
            message: message.into(),
        }
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

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        Error::Internal(anyhow::Error::new(e))
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
