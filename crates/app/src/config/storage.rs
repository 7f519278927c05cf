//! Where the data lives: the data folder, the two databases and the optional Redis.

use super::{Secret, Settings};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
    /// Pool size of each of the two databases (so up to twice this per instance).
    pub max_connections: u32,
    /// How long a request waits for a free pooled connection before it is answered 503
    /// with `Retry-After`; by default 30 s on SQLite (a writer waits its turn) and 10 s
    /// on PostgreSQL.
    pub acquire_timeout_secs: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://host:6379/0`; when set, rate limits are shared through Redis and every
    /// instance hears the others' bell (live conversations, session changes).
    pub url: Option<Secret>,
    /// Prefix of every key, so several deployments can share one Redis.
    pub key_prefix: String,
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
