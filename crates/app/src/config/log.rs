//! What the logs look like and how much they say.

use super::Settings;
use serde::{Deserialize, Serialize};

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

impl Default for LogSettings {
    fn default() -> Self {
        Settings::default().log
    }
}
