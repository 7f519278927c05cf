//! Paying for events: an organiser (or Admin) records an offline payment for a seat held
//! for payment (safely retried with `Idempotency-Key`), and each member reads his own
//! payments and receipts. Who may act is decided in `app::authz`, never here.

use super::super::idempotent;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::authz::event::record_payments;
use app::idempotency;
use app::payments::stripe::{self, CardPayment, CardPaymentRequest};
use app::payments::{receipts, recording, OfflinePayment, PaymentView, Receipt};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use uuid::Uuid;

/// Record an offline payment (cash or bank transfer) for a registration whose seat is held
/// for payment: the event's organisers or an Admin. The amount must fit the price (a fixed
/// price exactly; a sliding scale from its minimum to its maximum). The seat is confirmed,
/// the payment written to the ledger and the member emailed. A registration is paid once:
/// a second payment is refused (`already_paid`). Send an `Idempotency-Key` header to retry
/// safely.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/payments", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried payment record safe")),
    request_body = OfflinePayment,
    responses((status = 201, body = PaymentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn record_payment(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    Json(body): Json<OfflinePayment>,
) -> ApiResult<Response> {
    let path = format!("/api/v1/events/{id}/registrations/{registration_id}/payments");
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(&headers, actor.id(), &path, &fingerprint)?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let proof = record_payments(&s.ctx, &actor, id).await?;
        let paid = recording::record_offline(&s.ctx, &meta, &actor, &proof, registration_id, &body)
            .await?;
        idempotent::answer(StatusCode::CREATED, &paid)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// Start paying by card for the caller's own seat held for payment: creates a Stripe
/// PaymentIntent for the price (or, on a sliding scale, `amount_minor` from its minimum to
/// its maximum; the suggested amount when left out) and returns its client secret for
/// Stripe.js's `confirmCardPayment`, with the publishable key and where to load Stripe.js.
/// Asking again for the same amount resumes the same PaymentIntent. The seat is confirmed
/// once Stripe says the payment succeeded (the return page or the webhook). Refused with
/// `card_payments_unavailable` when Stripe is not set up. Send an `Idempotency-Key` header
/// to retry safely.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/payment-intent", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request safe")),
    request_body = CardPaymentRequest,
    responses((status = 201, body = CardPayment), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem, description = "Stripe could not be reached; try again.")))]
pub(super) async fn start_card_payment(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    Json(body): Json<CardPaymentRequest>,
) -> ApiResult<Response> {
    let path = format!("/api/v1/events/{id}/registrations/{registration_id}/payment-intent");
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(&headers, actor.id(), &path, &fingerprint)?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let started =
            stripe::start_card_payment(&s.ctx, &meta, &actor, id, registration_id, &body).await?;
        idempotent::answer(StatusCode::CREATED, &started)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// The caller's own payments, newest first.
#[utoipa::path(get, path = "/me/payments", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = Vec<PaymentView>)))]
pub(super) async fn my_payments(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<PaymentView>>> {
    Ok(axum::Json(receipts::mine(&s.ctx, &actor).await?))
}

/// The receipt of one of the caller's own payments (anyone else's is not found).
#[utoipa::path(get, path = "/me/payments/{id}", tag = "payments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Receipt), (status = 404, body = Problem)))]
pub(super) async fn my_receipt(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Receipt>> {
    Ok(axum::Json(receipts::receipt(&s.ctx, &actor, id).await?))
}
