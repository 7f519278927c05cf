//! Scholarships and the scholarship fund: a member asks on his own registration and reads
//! the answer; Program Team Members and Admins review the queue, grant or decline, and see
//! the fund; Admins record donations given offline; members give by card; donors read
//! their own. Who may act is
//! decided in `app::authz` and the use cases, never here.

use super::idempotent;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path};
use crate::state::AppState;
use app::authz::can;
use app::idempotency;
use app::payments::donations::card::{self, CardGift, GiftRequest};
use app::payments::donations::{self, DonationInput, DonationView};
use app::payments::scholarships::{
    self, FundBalance, GrantOutcome, ScholarshipAsk, ScholarshipDecline, ScholarshipGrant,
    ScholarshipReview, ScholarshipView,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ask, my_request))
        .routes(routes!(queue))
        .routes(routes!(fund))
        .routes(routes!(review_one))
        .routes(routes!(grant))
        .routes(routes!(decline))
        .routes(routes!(record_donation))
        .routes(routes!(my_donations))
        .routes(routes!(give_by_card))
}

/// Ask privately for a scholarship (a reduced or zero price) on one's own registration
/// whose seat is held for payment, with an optional reason that only the reviewers read.
/// While the request is open the seat stays held until the event starts.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/scholarship", tag = "scholarships", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)),
    request_body = ScholarshipAsk,
    responses((status = 201, body = ScholarshipView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn ask(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<ScholarshipAsk>,
) -> ApiResult<(StatusCode, axum::Json<ScholarshipView>)> {
    let asked = scholarships::ask(&s.ctx, &meta, &actor, id, registration_id, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(asked)))
}

/// One's own request on a registration and where it stands (not found if none was made).
#[utoipa::path(get, path = "/events/{id}/registrations/{registration_id}/scholarship", tag = "scholarships", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)),
    responses((status = 200, body = ScholarshipView), (status = 404, body = Problem)))]
async fn my_request(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ScholarshipView>> {
    let found = scholarships::for_registration(&s.ctx, &actor, id, registration_id)
        .await?
        .ok_or(app::Error::NotFound("scholarship"))?;
    Ok(axum::Json(found))
}

/// The open requests, oldest first, with who asked and why: Program Team Members and Admins.
#[utoipa::path(get, path = "/scholarships", tag = "scholarships", security(("bearer" = [])),
    responses((status = 200, body = Vec<ScholarshipReview>), (status = 403, body = Problem)))]
async fn queue(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<ScholarshipReview>>> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    Ok(axum::Json(scholarships::queue(&s.ctx, &proof).await?))
}

/// The scholarship fund per currency: donations, scholarships drawn, the balance (a plain
/// sum of ledger rows), what granted scholarships still promise, and what is available.
#[utoipa::path(get, path = "/scholarships/fund", tag = "scholarships", security(("bearer" = [])),
    responses((status = 200, body = Vec<FundBalance>), (status = 403, body = Problem)))]
async fn fund(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<FundBalance>>> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    Ok(axum::Json(scholarships::balance(&s.ctx, &proof).await?))
}

/// One request, for a reviewer.
#[utoipa::path(get, path = "/scholarships/{id}", tag = "scholarships", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ScholarshipReview), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn review_one(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ScholarshipReview>> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    Ok(axum::Json(
        scholarships::review_one(&s.ctx, &proof, id).await?,
    ))
}

/// Grant a request: what the member pays from now on (0 up to below the price). Zero
/// confirms his seat at once. A grant beyond what the fund holds stands, with a warning.
#[utoipa::path(post, path = "/scholarships/{id}/grant", tag = "scholarships", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ScholarshipGrant,
    responses((status = 200, body = GrantOutcome), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn grant(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ScholarshipGrant>,
) -> ApiResult<axum::Json<GrantOutcome>> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    Ok(axum::Json(
        scholarships::grant(&s.ctx, &meta, &proof, id, &body).await?,
    ))
}

/// Decline a request: the full price applies and the seat is held for payment afresh.
#[utoipa::path(post, path = "/scholarships/{id}/decline", tag = "scholarships", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ScholarshipDecline,
    responses((status = 200, body = ScholarshipReview), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn decline(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ScholarshipDecline>,
) -> ApiResult<axum::Json<ScholarshipReview>> {
    let proof = actor.require::<can::ReviewScholarships>()?;
    Ok(axum::Json(
        scholarships::decline(&s.ctx, &meta, &proof, id, &body).await?,
    ))
}

/// Record a donation to the scholarship fund given offline (cash or bank transfer), with
/// the donor if known: Admins. Send an `Idempotency-Key` header to retry safely.
#[utoipa::path(post, path = "/donations", tag = "scholarships", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried donation record safe")),
    request_body = DonationInput,
    responses((status = 201, body = DonationView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn record_donation(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    Json(body): Json<DonationInput>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(&headers, actor.id(), "/api/v1/donations", &fingerprint)?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let proof = actor.require::<can::RecordPayments>()?;
        let given = donations::record_offline(&s.ctx, &meta, &actor, &proof, &body).await?;
        idempotent::answer(StatusCode::CREATED, &given)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// The caller's own donations, newest first (those paid forward with a payment too).
#[utoipa::path(get, path = "/me/donations", tag = "scholarships", security(("bearer" = [])),
    responses((status = 200, body = Vec<DonationView>)))]
async fn my_donations(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<DonationView>>> {
    Ok(axum::Json(donations::mine(&s.ctx, &actor).await?))
}

/// Give to the scholarship fund by card: creates a Stripe PaymentIntent for the gift and
/// returns its client secret for Stripe.js's `confirmCardPayment`, with the publishable key
/// and where to load Stripe.js. Asking again for the same amount resumes the same gift.
/// Once Stripe says it succeeded (the webhook, or reconciliation) the gift is a donation:
/// listed by `GET /me/donations`, thanked by email. Refused with
/// `card_payments_unavailable` when Stripe is not set up. Send an `Idempotency-Key` header
/// to retry safely.
#[utoipa::path(post, path = "/me/donations/card", tag = "scholarships", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request safe")),
    request_body = GiftRequest,
    responses((status = 201, body = CardGift), (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem, description = "Stripe could not be reached; try again.")))]
async fn give_by_card(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    Json(body): Json<GiftRequest>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(
        &headers,
        actor.id(),
        "/api/v1/me/donations/card",
        &fingerprint,
    )?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let started = card::start(&s.ctx, &meta, &actor, &body).await?;
        idempotent::answer(StatusCode::CREATED, &started)
    })
    .await?;
    Ok(idempotent::respond(kept))
}
