//! Shared state handed to every handler.

use metrics_exporter_prometheus::PrometheusHandle;

#[derive(Clone)]
pub struct AppState {
    pub ctx: app::Context,
    pub metrics: PrometheusHandle,
    /// The server terminates TLS itself (cookies get `Secure`, responses HSTS).
    pub tls: bool,
}
