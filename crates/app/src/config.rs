//! Settings: defaults, then `circles.toml`, then `CIRCLES_*` environment variables
//! (`CIRCLES_SERVER__PORT=9000` sets `server.port`). Validated once at start, with one
//! clear message per problem.

mod metrics;
mod organisation;
mod server;

pub(crate) use metrics::min_token_len as metrics_token_min_len;
pub use metrics::MetricsSettings;
pub use organisation::OrganisationSettings;
pub use server::ServerSettings;

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
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub organisation: OrganisationSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSettings {
    /// Folder for the SQLite files, generated secrets and the email outbox.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Defaults to `sqlite://<data.dir>/main.db`.
    pub main_url: Option<Secret>,
    /// Defaults to `sqlite://<data.dir>/credentials.db`.
    pub credentials_url: Option<Secret>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://host:6379/0`; when set, rate limits are shared through Redis.
    pub url: Option<Secret>,
    /// Prefix of every key, so several deployments can share one Redis.
    pub key_prefix: String,
}

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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Length of each counting window, in seconds.
    pub window_secs: u64,
    pub login_per_ip: u32,
    pub mfa_per_ip: u32,
    pub register_per_ip: u32,
    pub reset_per_ip: u32,
    pub reset_per_account: u32,
    pub verification_per_account: u32,
    /// Failed logins (or MFA codes) allowed before an account locks.
    pub lockout_free_attempts: u32,
    pub lockout_base_secs: u64,
    pub lockout_max_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// Run the job worker inside `circles serve` (the embedded default).
    pub in_process_worker: bool,
    pub poll_interval_ms: u64,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircleSettings {
    /// How long an Admin's safeguarding step-in into one circle lasts, in days (1–30).
    pub step_in_days: u32,
}

impl Default for CircleSettings {
    fn default() -> Self {
        Self { step_in_days: 7 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` for people, `json` for log collectors (the production default).
    pub format: Option<LogFormat>,
    /// A tracing filter such as `info` or `info,sqlx=warn`.
    pub level: String,
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
            log: LogSettings {
                format: None,
                level: "info,sqlx=warn,sea_orm=warn".into(),
            },
            metrics: MetricsSettings::default(),
            organisation: OrganisationSettings::default(),
        }
    }
}

impl Default for DataSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data"),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Settings::default().database
    }
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

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            window_secs: 15 * 60,
            login_per_ip: 50,
            mfa_per_ip: 50,
            register_per_ip: 30,
            reset_per_ip: 20,
            reset_per_account: 5,
            verification_per_account: 5,
            lockout_free_attempts: 5,
            lockout_base_secs: 60,
            lockout_max_secs: 3600,
        }
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        Settings::default().jobs
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Settings::default().log
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
