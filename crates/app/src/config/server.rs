//! Where the server listens, how it is reached, and which proxies it believes.

use domain::network::IpRange;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The address people use to reach the platform; links in emails start with it.
    pub public_url: String,
    /// Largest accepted request body for the JSON API, in bytes.
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// Proxies (addresses or CIDR networks) whose `X-Forwarded-For` is believed: the
    /// client is the right-most hop that is not one of them. Empty: the connection's peer.
    pub trusted_proxies: Vec<IpRange>,
    /// Replaced by `trusted_proxies`; kept only to name the replacement when it is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_forwarded_for: Option<bool>,
    /// PEM certificate chain: with `tls_key_file`, the server terminates TLS itself.
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) belonging to `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            public_url: "http://127.0.0.1:8080".into(),
            body_limit_bytes: 64 * 1024,
            request_timeout_secs: 30,
            trusted_proxies: Vec::new(),
            trust_forwarded_for: None,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl ServerSettings {
    /// The removed `trust_forwarded_for` switch, named with its replacement.
    pub(super) fn forwarding_problems(&self) -> Vec<String> {
        match self.trust_forwarded_for {
            None => Vec::new(),
            Some(_) => vec!["server.trust_forwarded_for: replaced by server.trusted_proxies, the addresses of your own proxies, e.g. trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]; remove the old setting".into()],
        }
    }

    /// The certificate and key files when the server is to terminate TLS itself, or
    /// `None` for plain HTTP (behind a proxy that terminates TLS, or in development).
    /// Both must be set or neither, and both must exist; whether they parse is checked
    /// when the server starts.
    pub fn tls_files(&self) -> Result<Option<(&Path, &Path)>, String> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                let missing: Vec<String> = [("server.tls_cert_file", cert), ("server.tls_key_file", key)]
                    .into_iter()
                    .filter(|(_, path)| !path.is_file())
                    .map(|(name, path)| format!("{name} = {:?}", path.display().to_string()))
                    .collect();
                if missing.is_empty() {
                    Ok(Some((cert.as_path(), key.as_path())))
                } else {
                    Err(format!("{}: no such file", missing.join(", ")))
                }
            }
            _ => Err("server.tls_cert_file and server.tls_key_file: set both to serve HTTPS, or neither to serve plain HTTP".into()),
        }
    }
}
