//! How email leaves the platform: an outbox folder or an SMTP relay.

use super::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransportKind {
    /// Write each message as an `.eml` file into the outbox folder.
    Outbox,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    pub transport: EmailTransportKind,
    /// Sender, e.g. `Men's Circles <no-reply@example.org>`.
    pub from: String,
    /// Defaults to `<data.dir>/outbox`.
    pub outbox_dir: Option<PathBuf>,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    /// PEM file of an extra certificate authority to trust (a private relay).
    pub ca_file: Option<PathBuf>,
    pub timeout_secs: u64,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            transport: EmailTransportKind::Outbox,
            from: "Men's Circles <no-reply@localhost>".into(),
            outbox_dir: None,
            smtp: SmtpSettings::default(),
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            password_file: None,
            ca_file: None,
            timeout_secs: 20,
        }
    }
}
