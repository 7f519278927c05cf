//! Structured logs: readable in development, JSON in production. Every line inside a
//! request carries its request id (the `request` span).

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
            .with_span_list(false)
            .init(),
        LogFormat::Pretty => builder.init(),
    }
}
