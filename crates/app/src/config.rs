//! Settings: defaults, then `circles.toml`, then `CIRCLES_*` environment variables
//! (`CIRCLES_SERVER__PORT=9000` sets `server.port`). Validated once at start, with one
//! clear message per problem.
mod auth;
mod email;
mod limits;
mod log;
mod metrics;
mod organisation;
mod server;
mod storage;
mod stripe;

pub use auth::AuthSettings;
pub use email::{EmailSettings, EmailTransportKind, SmtpSettings, SmtpTls};
pub use limits::{
    CircleSettings, ConversationSettings, JobSettings, PaymentSettings, RateLimitSettings,
};
pub use log::{LogFormat, LogSettings};
pub(crate) use metrics::min_token_len as metrics_token_min_len;
pub use metrics::MetricsSettings;
pub use organisation::OrganisationSettings;
pub use server::ServerSettings;
pub use storage::{DataSettings, DatabaseSettings, RedisSettings};
pub use stripe::StripeSettings;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A value that must never be printed: `Debug` shows `<redacted>`.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<empty>"
        } else {
            "<redacted>"
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Production,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `development` (default) or `production`, which refuses insecure settings.
    pub env: Environment,
    pub server: ServerSettings,
    pub data: DataSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub email: EmailSettings,
    pub rate_limit: RateLimitSettings,
    pub jobs: JobSettings,
    pub circles: CircleSettings,
    pub conversation: ConversationSettings,
    pub payments: PaymentSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub organisation: OrganisationSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            server: ServerSettings::default(),
            data: DataSettings {
                dir: PathBuf::from("data"),
            },
            database: DatabaseSettings {
                main_url: None,
                credentials_url: None,
                max_connections: 16,
                acquire_timeout_secs: None,
            },
            redis: RedisSettings {
                url: None,
                key_prefix: "circles:".into(),
            },
            auth: AuthSettings::default(),
            email: EmailSettings::default(),
            rate_limit: RateLimitSettings::default(),
            jobs: JobSettings {
                in_process_worker: true,
                poll_interval_ms: 500,
                max_attempts: 8,
            },
            circles: CircleSettings::default(),
            conversation: ConversationSettings::default(),
            payments: PaymentSettings::default(),
            log: LogSettings {
                format: None,
                level: "info,sqlx=warn,sea_orm=warn".into(),
            },
            metrics: MetricsSettings::default(),
            organisation: OrganisationSettings::default(),
        }
    }
}
/// Everything wrong with the configuration, one line per problem.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Settings {
    /// Loads defaults < `config_file` (when it exists) < `CIRCLES_*` environment, then
    /// validates. `CIRCLES_CONFIG` names another file.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let file = config_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CIRCLES_CONFIG").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("circles.toml"));
        let figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("CIRCLES_").split("__").ignore(&["config"]));
        let settings: Settings = figment.extract().map_err(|e| ConfigError {
            problems: e.into_iter().map(describe_figment_error).collect(),
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values the types alone cannot, and refuses insecure production set-ups.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p = Vec::new();
        match url::Url::parse(&self.server.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => p.push(format!(
                "server.public_url = {:?}: must be an absolute http(s) URL such as https://circles.example.org",
                self.server.public_url
            )),
        }
        if let Err(problem) = self.server.tls_files() {
            p.push(problem);
        }
        p.extend(self.server.forwarding_problems());
        if self.server.body_limit_bytes < 1024 {
            p.push("server.body_limit_bytes: must be at least 1024".into());
        }
        if !(1..=1000).contains(&self.database.max_connections) {
            p.push("database.max_connections: must be between 1 and 1000".into());
        }
        if matches!(self.database.acquire_timeout_secs, Some(s) if !(1..=300).contains(&s)) {
            p.push("database.acquire_timeout_secs: must be between 1 and 300".into());
        }
        for (name, url) in [
            ("database.main_url", &self.database.main_url),
            ("database.credentials_url", &self.database.credentials_url),
        ] {
            if let Some(url) = url {
                if db::Backend::of_url(url.expose()).is_none() {
                    p.push(format!("{name}: must start with sqlite:// or postgres://"));
                }
            }
        }
        if let Some(url) = &self.redis.url {
            if !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://")) {
                p.push("redis.url: must start with redis:// or rediss://".into());
            }
        }
        if self.auth.access_token_ttl_secs < 30 || self.auth.access_token_ttl_secs > 3600 {
            p.push("auth.access_token_ttl_secs: must be between 30 and 3600".into());
        }
        if self.auth.refresh_token_ttl_days == 0 || self.auth.refresh_token_ttl_days > 365 {
            p.push("auth.refresh_token_ttl_days: must be between 1 and 365".into());
        }
        p.extend(self.session_problems());
        p.extend(self.metrics.problems());
        p.extend(self.organisation.problems());
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            p.push(format!(
                "email.from = {:?}: must be an address like \"Circles <no-reply@example.org>\"",
                self.email.from
            ));
        }
        if self.rate_limit.window_secs == 0 || self.rate_limit.lockout_free_attempts == 0 {
            p.push(
                "rate_limit.window_secs and rate_limit.lockout_free_attempts: must be at least 1"
                    .into(),
            );
        }
        if self.jobs.max_attempts < 1 {
            p.push("jobs.max_attempts: must be at least 1".into());
        }
        if !(1..=30).contains(&self.circles.step_in_days) {
            p.push("circles.step_in_days: must be between 1 and 30".into());
        }
        if !(1..=10080).contains(&self.payments.hold_minutes) {
            p.push("payments.hold_minutes: must be between 1 and 10080 (a week)".into());
        }
        p.extend(self.payments.stripe.problems(self.env));
        if self.payments.membership_grace_days > 365 {
            p.push("payments.membership_grace_days: must be between 0 and 365".into());
        }
        if !(1..=3650).contains(&self.conversation.archive_retention_days) {
            p.push("conversation.archive_retention_days: must be between 1 and 3650".into());
        }
        if self.env == Environment::Production {
            p.extend(self.production_problems());
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems: p })
        }
    }

    fn session_problems(&self) -> Vec<String> {
        let idle = self.auth.session_idle_minutes;
        // Activity is noted every few minutes, and an access token must not outlive it.
        if idle < 15 || idle * 60 <= self.auth.access_token_ttl_secs {
            vec![format!(
                "auth.session_idle_minutes = {idle}: must be at least 15 and longer than auth.access_token_ttl_secs"
            )]
        } else {
            Vec::new()
        }
    }

    fn production_problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.server.public_url.starts_with("https://") {
            p.push("server.public_url: production requires an https:// address".into());
        }
        if self.auth.token_signing_key.is_none() && self.auth.token_signing_key_file.is_none() {
            p.push("auth.token_signing_key (or CIRCLES_AUTH__TOKEN_SIGNING_KEY_FILE): production requires a configured key; generate one with `openssl rand -base64 48`".into());
        }
        if self.auth.encryption_keys.is_none() && self.auth.encryption_keys_file.is_none() {
            p.push("auth.encryption_keys (or CIRCLES_AUTH__ENCRYPTION_KEYS_FILE): production requires a configured key, e.g. \"1:$(openssl rand -base64 32)\"".into());
        }
        if self.email.transport == EmailTransportKind::Outbox {
            p.push(
                "email.transport: production requires smtp; the outbox folder delivers nothing"
                    .into(),
            );
        }
        if self.email.transport == EmailTransportKind::Smtp
            && self.email.smtp.tls == SmtpTls::None
            && !is_loopback(&self.email.smtp.host)
        {
            p.push("email.smtp.tls = none: production allows unencrypted SMTP only to a relay on this host".into());
        }
        p
    }

    pub fn main_database_url(&self) -> String {
        self.database
            .main_url
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_else(|| sqlite_url(&self.data.dir, "main.db"))
    }

    pub fn credentials_database_url(&self) -> String {
        self.database
            .credentials_url
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_else(|| sqlite_url(&self.data.dir, "credentials.db"))
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.email
            .outbox_dir
            .clone()
            .unwrap_or_else(|| self.data.dir.join("outbox"))
    }

    pub fn log_format(&self) -> LogFormat {
        self.log.format.unwrap_or(match self.env {
            Environment::Production => LogFormat::Json,
            Environment::Development => LogFormat::Pretty,
        })
    }
}

fn sqlite_url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.join(file).display())
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

fn describe_figment_error(e: figment::Error) -> String {
    let key = if e.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", e.path.join("."))
    };
    let source = e
        .metadata
        .as_ref()
        .map(|m| format!(" (from {})", m.name))
        .unwrap_or_default();
    format!("{key}{}{source}", e.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prod() -> Settings {
        Settings {
            env: Environment::Production,
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().unwrap();
    }

    #[test]
    fn production_names_every_missing_secret_and_insecure_setting() {
        let err = prod().validate().unwrap_err().to_string();
        for needle in [
            "server.public_url",
            "auth.token_signing_key",
            "auth.encryption_keys",
            "email.transport",
        ] {
            assert!(err.contains(needle), "{needle} missing from: {err}");
        }
    }

    #[test]
    fn bad_values_name_the_setting() {
        let mut s = Settings::default();
        s.server.public_url = "not a url".into();
        s.database.main_url = Some(Secret::new("mysql://x"));
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("server.public_url"), "{err}");
        assert!(err.contains("database.main_url"), "{err}");
    }

    #[test]
    fn tls_needs_both_files_and_they_must_exist() {
        let mut s = Settings::default();
        s.server.tls_cert_file = Some(PathBuf::from("/nonexistent/cert.pem"));
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("server.tls_cert_file") && err.contains("server.tls_key_file"),
            "{err}"
        );
        s.server.tls_key_file = Some(PathBuf::from("/nonexistent/key.pem"));
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("no such file"), "{err}");
    }

    #[test]
    // figment's `Jail` API fixes the closure's error type; it is not ours to shrink.
    #[allow(clippy::result_large_err)]
    fn trusted_proxies_parse_and_the_old_switch_names_its_replacement() {
        let mut s = Settings::default();
        s.server.trust_forwarded_for = Some(true);
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("server.trusted_proxies"), "{err}");
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "CIRCLES_SERVER__TRUSTED_PROXIES",
                r#"["127.0.0.1", "10.0.0.0/8"]"#,
            );
            let s = Settings::load(None).unwrap();
            let shown: Vec<String> = s
                .server
                .trusted_proxies
                .iter()
                .map(|r| r.to_string())
                .collect();
            assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8"]);
            jail.set_env("CIRCLES_SERVER__TRUSTED_PROXIES", r#"["proxy.internal"]"#);
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(
                err.contains("server.trusted_proxies") && err.contains("CIDR"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn idle_timeout_and_metrics_settings_are_checked() {
        let mut s = Settings::default();
        assert_eq!(s.auth.session_idle_minutes, 720);
        s.auth.session_idle_minutes = 10;
        s.metrics.listen = Some("everywhere".into());
        s.metrics.token = Some(Secret::new("short"));
        let err = s.validate().unwrap_err().to_string();
        for needle in [
            "auth.session_idle_minutes",
            "metrics.listen",
            "metrics.token",
        ] {
            assert!(err.contains(needle), "{needle} missing from: {err}");
        }
        s.auth.session_idle_minutes = 60;
        s.metrics.listen = Some("127.0.0.1:9100".into());
        s.metrics.token = Some(Secret::new("a-token-long-enough-to-pass"));
        s.validate().unwrap();
        assert_eq!(s.metrics.listen_addr().unwrap().port(), 9100);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<redacted>");
    }

    #[test]
    // figment's `Jail` API fixes the closure's error type; it is not ours to shrink.
    #[allow(clippy::result_large_err)]
    fn environment_overrides_file_and_wrong_types_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("circles.toml", "[server]\nport = 9000\nhost = \"0.0.0.0\"")?;
            jail.set_env("CIRCLES_SERVER__PORT", "9100");
            let s = Settings::load(None).unwrap();
            assert_eq!((s.server.host.as_str(), s.server.port), ("0.0.0.0", 9100));
            jail.set_env("CIRCLES_SERVER__PORT", "lots");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("server.port"), "{err}");
            Ok(())
        });
    }
}
