//! Pure types and rules of the Men's Circle platform.
//!
//! Everything here is checked once, at the edge, and then carried in types that can only
//! hold valid data ("parse, don't validate"). No I/O and no async live in this crate.

pub mod account;
pub mod audit;
pub mod cadence;
pub mod circle;
pub mod conversation;
pub mod csv;
pub mod dates;
pub mod event;
mod event_registration;
pub mod finance;
pub mod job;
pub mod local_path;
pub mod lockout;
pub mod meeting;
pub mod membership;
pub mod money;
pub mod network;
pub mod payment;
pub mod permission;
pub mod price;
pub mod profile;
pub mod refund;
pub mod report;
pub mod role;
pub mod scholarship;
#[cfg(feature = "sea-orm")]
pub mod stored;
pub mod text;
mod vocabulary;

pub use account::{DisplayName, Email, NewPassword, UserStatus};
pub use money::{Currency, Money};
pub use permission::Permission;
pub use price::Price;
pub use profile::{Bio, City, FullName, Phone, TimeZone};
pub use role::Role;
pub use text::{MultiLine, SingleLine, TextError};

/// A rule of the domain that some input broke, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DomainError {
    /// The input field the rule applies to (`email`, `password`, …).
    pub field: &'static str,
    /// What is wrong and how to fix it, in plain language.
    pub message: String,
}

impl DomainError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
