//! Sign-in settings: token and encryption keys, token and session lifetimes.

use super::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HMAC key for access tokens (at least 32 bytes). Generated into the data folder in
    /// development; required in production.
    pub token_signing_key: Option<Secret>,
    pub token_signing_key_file: Option<PathBuf>,
    /// Field-encryption keys as `version:base64-32-bytes`, comma separated; the highest
    /// version encrypts, all decrypt. Generated in development; required in production.
    pub encryption_keys: Option<Secret>,
    pub encryption_keys_file: Option<PathBuf>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u64,
    pub verification_ttl_hours: u64,
    pub reset_ttl_minutes: u64,
    /// A session unused for this long ends, whatever its absolute lifetime.
    pub session_idle_minutes: u64,
    pub mfa_issuer: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            token_signing_key: None,
            token_signing_key_file: None,
            encryption_keys: None,
            encryption_keys_file: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            verification_ttl_hours: 48,
            reset_ttl_minutes: 60,
            session_idle_minutes: 12 * 60,
            mfa_issuer: "Men's Circles".into(),
        }
    }
}
