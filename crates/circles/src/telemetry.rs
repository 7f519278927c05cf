//! Structured logs: readable in development, JSON in production. Every line inside a
//! request carries its request id, route and user (the `request` span), every line of a
//! background job its id and kind (the `job` span), and the use cases add their ids.

use app::config::{LogFormat, Settings};
use tracing_subscriber::{fmt, EnvFilter};

pub fn init(settings: &Settings) {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&settings.log.level));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match settings.log_format() {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            // The whole chain, so a line logged deep in a use case still carries the
            // request (id, route, user) or the job (id, kind) it belongs to.
            .with_span_list(true)
            .init(),
        LogFormat::Pretty => builder.init(),
    }
}
