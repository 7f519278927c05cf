//! Builds the whole application from settings. The binary and the tests both use this:
//! `Application::build(settings)` binds the port (0 for a random one), connects and
//! migrates both databases, and wires state; `run_until_stopped` serves (and runs the
//! in-process job worker) until the shutdown signal. With `server.tls_cert_file` and
//! `server.tls_key_file` set it serves HTTPS itself; otherwise plain HTTP (development, or
//! behind a reverse proxy that terminates TLS).

use crate::state::AppState;
use crate::tls::TlsListener;
use crate::{api, health, middleware};
use anyhow::{anyhow, Context as _};
use app::config::Settings;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub struct Application {
    listener: Listener,
    router: Router,
    ctx: app::Context,
    /// `metrics.listen`: a plain-HTTP listener serving only `/metrics`.
    metrics: Option<(TcpListener, Router)>,
}

enum Listener {
    Plain(TcpListener),
    Tls(TlsListener, SocketAddr),
}

impl Listener {
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Listener::Plain(l) => l.local_addr(),
            Listener::Tls(_, addr) => Ok(*addr),
        }
    }
}

/// The process-wide metrics recorder (one per process, shared by every app in tests).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only when another recorder is installed; then metrics go there.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, app::Clock::system()).await
    }

    /// [`Application::build`] with the clock every use case reads (tests move time with an
    /// adjustable one).
    pub async fn build_with_clock(
        settings: Settings,
        clock: app::Clock,
    ) -> anyhow::Result<Application> {
        let addr = format!("{}:{}", settings.server.host, settings.server.port);
        // Certificate problems stop start-up before anything touches the databases.
        let tls_config = match settings.server.tls_files().map_err(|p| anyhow!(p))? {
            Some((cert, key)) => Some(crate::tls::server_config(cert, key)?),
            None => None,
        };
        let ctx = app::Context::build(settings).await?.with_clock(clock);
        let tcp = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let tls = tls_config.is_some();
        let listener = match tls_config {
            Some(config) => {
                let local = tcp.local_addr()?;
                Listener::Tls(TlsListener::new(tcp, config), local)
            }
            None => Listener::Plain(tcp),
        };
        let state = AppState {
            ctx: ctx.clone(),
            metrics: metrics_handle(),
            tls,
        };
        let metrics = match ctx.settings.metrics.listen_addr() {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (metrics.listen)"))?;
                Some((listener, metrics_router(state.clone())))
            }
            None => None,
        };
        Ok(Application {
            listener,
            router: router(state),
            ctx,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn context(&self) -> &app::Context {
        &self.ctx
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and stops the
    /// worker.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self.ctx.settings.jobs.in_process_worker.then(|| {
            let mut rx = stop_rx.clone();
            tokio::spawn(app::jobs::run_worker(self.ctx.clone(), async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }))
        });
        let metrics = self.metrics.map(|(listener, router)| {
            let mut rx = stop_rx.clone();
            tokio::spawn(async move {
                let stop = async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                };
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::error!(error = %e, "metrics listener failed");
                }
            })
        });
        let shutdown = async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
        };
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = match self.listener {
            Listener::Plain(listener) => {
                tracing::info!(address = %listener.local_addr()?, "serving HTTP");
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Listener::Tls(listener, addr) => {
                tracing::info!(address = %addr, "serving HTTPS");
                // `tap_io` changes nothing on the connection; it is what gives a custom
                // listener axum's `ConnectInfo<SocketAddr>` (client addresses for the
                // audit log and rate limits).
                axum::serve(listener.tap_io(|_| {}), service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
        let _ = stop_tx.send(true);
        for task in worker.into_iter().chain(metrics) {
            let _ = task.await;
        }
        tracing::info!("server stopped");
        served.context("server error")
    }
}

/// The separate metrics listener: `/metrics` and nothing else.
fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics_private))
        .with_state(state)
}

/// The complete router with every layer.
pub fn router(state: AppState) -> Router {
    let settings = state.ctx.settings.clone();
    let state_tls = state.tls;
    let (api_router, openapi) = api::router_and_document();
    let openapi_json = std::sync::Arc::new(openapi.to_pretty_json().expect("OpenAPI serialises"));
    let request_id = HeaderName::from_static("x-request-id");
    let mut router = Router::new()
        .merge(api_router)
        .merge(crate::pages::router(state.clone()))
        .merge(crate::api::feed_routes())
        .merge(crate::api::live_routes())
        .merge(crate::api::webhook_routes())
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        doc.as_ref().clone(),
                    )
                }
            }),
        )
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::pages::html_errors,
        ))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state,
            middleware::record_metrics,
        ))
        .layer(axum::middleware::from_fn(middleware::name_route));
    router = router.layer(
        ServiceBuilder::new()
            .layer(axum::middleware::from_fn(middleware::screen_request_id))
            .layer(axum::middleware::from_fn(middleware::no_store_when_personal))
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            // The route and the user are filled in once known (`middleware::name_route`, the
            // sign-in extractors); the raw path is never logged, as some carry a secret.
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), route = tracing::field::Empty, user_id = tracing::field::Empty, request_id = %id)
            }))
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(CatchPanicLayer::new())
            .layer(axum::middleware::from_fn(middleware::problem_details))
            .layer(CompressionLayer::new())
            .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(settings.server.request_timeout_secs)))
            .layer(DefaultBodyLimit::max(settings.server.body_limit_bytes)),
    );
    // Outermost, so that responses made by the layers above (problem documents for 404 and
    // 405, timeouts, caught panics) carry them too.
    // HSTS when people reach the platform over HTTPS: through a proxy (the public URL
    // says so) or because this server terminates TLS itself.
    let https = settings.server.public_url.starts_with("https://") || state_tls;
    for (name, value) in middleware::security_headers(https) {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
}
