//! Liveness, readiness and Prometheus metrics.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use db::sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use subtle::ConstantTimeEq;

/// The process is up.
pub async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn ping(db: &db::sea_orm::DatabaseConnection) -> Result<(), String> {
    let backend = db.get_database_backend();
    db.execute(Statement::from_string(backend, "SELECT 1"))
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Both databases (and Redis, when configured) answer.
pub async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    let main = ping(&s.ctx.main).await;
    let creds = ping(&s.ctx.creds).await;
    let limiter = s.ctx.limiter.ping().await.map_err(|e| e.to_string());
    let ok = main.is_ok() && creds.is_ok() && limiter.is_ok();
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_owned()
        }
    };
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "checks": { "main_database": show(&main), "credentials_database": show(&creds), "rate_limiter": show(&limiter) }
    });
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

/// `/metrics` on the public listener: only with the bearer token from `metrics.token`,
/// and not at all when metrics have a listener of their own (`metrics.listen`) or no
/// token is configured; then it answers 404 like any unknown address.
pub async fn metrics(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if s.ctx.settings.metrics.listen.is_some() || s.ctx.keys.metrics_token.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    guarded(&s, &headers).await
}

/// `/metrics` on the separate metrics listener: open to whoever can reach it, unless a
/// token is configured as well.
pub async fn metrics_private(State(s): State<AppState>, headers: HeaderMap) -> Response {
    guarded(&s, &headers).await
}

async fn guarded(s: &AppState, headers: &HeaderMap) -> Response {
    if let Some(expected) = &s.ctx.keys.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let ok: bool = sent.as_bytes().ct_eq(expected.expose().as_bytes()).into();
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response();
        }
    }
    render(s).await
}

/// Prometheus text format.
async fn render(s: &AppState) -> Response {
    if let Ok(counts) = app::jobs::queue_depth(&s.ctx).await {
        metrics::gauge!("circles_jobs_pending").set(counts.pending as f64);
        metrics::gauge!("circles_jobs_failed").set(counts.failed as f64);
    }
    metrics::counter!("circles_db_statements_total").absolute(db::statements::total());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
