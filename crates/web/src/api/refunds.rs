//! Refunds (Admin): one payment with its refunds, and refunding it in full or in part with
//! a reason (safely retried with `Idempotency-Key`). Who may act is decided in
//! `app::authz`, the rules in `app::payments::refunds`, never here.

use super::idempotent;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::authz::can;
use app::idempotency;
use app::payments::refunds::{
    admin, policy, AdminPayment, CancellationRefund, RefundRequest, RefundView,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_payment))
        .routes(routes!(refund_payment))
        .routes(routes!(refund_on_cancelling))
}

/// What the caller would get back if he cancelled his paid registration for the event now,
/// under its refund policy (the cancellation itself refunds it automatically). Not found
/// without a paid seat (a free event, a seat not paid for yet).
#[utoipa::path(get, path = "/events/{id}/registration/refund", tag = "payments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CancellationRefund), (status = 404, body = Problem)))]
async fn refund_on_cancelling(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<CancellationRefund>> {
    let due = policy::on_cancelling(&s.ctx, &actor, id)
        .await?
        .ok_or(app::Error::NotFound("paid registration"))?;
    Ok(axum::Json(due))
}

/// One payment (any member's) with its refunds and what remains to refund: Admin only.
#[utoipa::path(get, path = "/payments/{id}", tag = "payments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = AdminPayment), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_payment(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<AdminPayment>> {
    let g = actor.require::<can::IssueRefunds>()?;
    Ok(axum::Json(admin::payment(&s.ctx, &g, id).await?))
}

/// Refund a payment, in full (no amount) or in part, with a reason the member sees on his
/// refund receipt: Admin only. Several partial refunds add up and never exceed what was
/// paid: more than remains, zero, or another currency is a 422; a payment that did not
/// succeed is `payment_not_refundable`, one refunded in full `nothing_left_to_refund`, and a
/// card payment `card_refunds_unavailable` until Stripe is configured. Offline payments are
/// refunded at once (the organisation hands the money back). The member is emailed. Send an
/// `Idempotency-Key` header to retry safely: the same key gives the first answer.
#[utoipa::path(post, path = "/payments/{id}/refunds", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried refund safe")),
    request_body = RefundRequest,
    responses((status = 201, body = RefundView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn refund_payment(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<RefundRequest>,
) -> ApiResult<Response> {
    let g = actor.require::<can::IssueRefunds>()?;
    let path = format!("/api/v1/payments/{id}/refunds");
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(&headers, actor.id(), &path, &fingerprint)?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let made = admin::refund_as_admin(&s.ctx, &meta, &g, id, &body).await?;
        idempotent::answer(StatusCode::CREATED, &made)
    })
    .await?;
    Ok(idempotent::respond(kept))
}
