//! Liveness, readiness and Prometheus metrics.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use db::sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

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

/// Prometheus text format.
pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    if let Ok(counts) = app::jobs::queue_depth(&s.ctx).await {
        metrics::gauge!("circles_jobs_pending").set(counts.pending as f64);
        metrics::gauge!("circles_jobs_failed").set(counts.failed as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}
