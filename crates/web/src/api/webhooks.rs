//! `POST /webhooks/stripe`: Stripe's deliveries, outside `/api/v1` (no session, no CSRF
//! token: the `Stripe-Signature` header is the credential). The raw body is checked as
//! it arrived, since the signature covers its exact bytes; the work is done in a job.

use crate::state::AppState;
use app::payments::stripe::{webhooks, Delivery};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

pub fn webhook_routes() -> Router<AppState> {
    Router::new().route("/webhooks/stripe", post(stripe))
}

/// 200 for a delivery recorded now or before; 400, saying nothing more, for one that is
/// not signed by Stripe with a configured secret or is too old.
async fn stripe(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match webhooks::receive(&s.ctx, signature, &body).await {
        Ok(Delivery::Accepted | Delivery::Repeated) => StatusCode::OK,
        Ok(Delivery::Refused) => StatusCode::BAD_REQUEST,
        Err(e) => {
            tracing::error!(error = ?e, "Stripe webhook could not be recorded");
            // Stripe delivers again later.
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
