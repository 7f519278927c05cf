//! Who may read `/metrics`: nobody on the public listener unless a bearer token is set;
//! or everybody who can reach a separate, private listen address.

use super::Secret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Shortest token accepted: it guards operational detail about every request.
const MIN_TOKEN_LEN: usize = 16;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Prometheus sends it as `Authorization: Bearer <token>`. Without a token (and
    /// without `listen`) `/metrics` answers 404.
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    /// A separate address such as `127.0.0.1:9100` that serves only `/metrics`; the
    /// public listener then answers 404 there.
    pub listen: Option<String>,
    /// Answer every request with `X-Db-Statements: <n>`, the statements it sent to the
    /// databases (tests and benchmarks read it). Off by default: it tells any client
    /// something about how the server works.
    pub statements_header: bool,
}

impl MetricsSettings {
    /// The separate listen address, once validated.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.as_deref().and_then(|l| l.parse().ok())
    }

    pub(super) fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(listen) = &self.listen {
            if listen.parse::<SocketAddr>().is_err() {
                p.push(format!(
                    "metrics.listen = {listen:?}: must be an address and port such as \"127.0.0.1:9100\""
                ));
            }
        }
        if self.token.is_some() && self.token_file.is_some() {
            p.push("metrics.token and metrics.token_file: set one of them, not both".into());
        }
        if self
            .token
            .as_ref()
            .is_some_and(|t| t.expose().trim().len() < MIN_TOKEN_LEN)
        {
            p.push(format!(
                "metrics.token: must be at least {MIN_TOKEN_LEN} characters; generate one with `openssl rand -hex 24`"
            ));
        }
        p
    }
}

pub(crate) fn min_token_len() -> usize {
    MIN_TOKEN_LEN
}
