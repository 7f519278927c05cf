//! The `credentials` database: secrets only, stored as hashes or ciphertext.

pub mod attempt_counters;
pub mod calendar_feeds;
pub mod invitation_tokens;
pub mod mfa_secrets;
mod migrations;
pub mod one_time_tokens;
pub mod password_credentials;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod sessions;

pub use migrations::Migrator;
