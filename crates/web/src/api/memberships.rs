//! Membership plans (Admins define them; everyone reads those on offer), memberships an
//! Admin records when a member paid offline (safely retried with `Idempotency-Key`), the
//! Admin's list of memberships, and each member's own membership. Who may act is decided
//! in `app`, never here.

use super::idempotent;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::authz::can;
use app::idempotency;
use app::memberships::stripe::{
    ConfirmSubscription, StartSubscription, SubscriptionStart, SubscriptionView,
};
use app::memberships::{plans, recording, standing, stripe};
use app::memberships::{
    MembershipFilter, MembershipInput, MembershipLine, MembershipView, MyMembership, PlanInput,
    PlanView,
};
use app::page::{Page, PageRequest};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan, update_plan, delete_plan))
        .routes(routes!(record_membership, member_memberships))
        .routes(routes!(list_memberships))
        .routes(routes!(my_membership))
        .routes(routes!(start_subscription))
        .routes(routes!(confirm_subscription))
        .routes(routes!(cancel_subscription))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PlanListQuery {
    /// Also plans no longer offered (Admins only).
    #[serde(default)]
    include_archived: bool,
}

/// The membership plans on offer, cheapest first (any signed-in person); Admins may ask
/// for archived plans too.
#[utoipa::path(get, path = "/membership-plans", tag = "memberships", security(("bearer" = [])), params(PlanListQuery),
    responses((status = 200, body = Vec<PlanView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_plans(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<PlanListQuery>,
) -> ApiResult<axum::Json<Vec<PlanView>>> {
    Ok(axum::Json(
        plans::list(&s.ctx, &actor, q.include_archived).await?,
    ))
}

/// Add a membership plan (Admins).
#[utoipa::path(post, path = "/membership-plans", tag = "memberships", security(("bearer" = [])), request_body = PlanInput,
    responses((status = 201, body = PlanView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_plan(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<PlanInput>,
) -> ApiResult<(StatusCode, axum::Json<PlanView>)> {
    let g = actor.require::<can::ManageMemberships>()?;
    let plan = plans::create(&s.ctx, &meta, &g, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)))
}

/// One plan (an archived one for Admins only).
#[utoipa::path(get, path = "/membership-plans/{id}", tag = "memberships", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)))]
async fn get_plan(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<PlanView>> {
    Ok(axum::Json(plans::get(&s.ctx, &actor, id).await?))
}

/// Change a plan: name, price, interval, or archive it (`archived: true`). Periods
/// already recorded keep what was paid.
#[utoipa::path(put, path = "/membership-plans/{id}", tag = "memberships", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_plan(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<PlanInput>,
) -> ApiResult<axum::Json<PlanView>> {
    let g = actor.require::<can::ManageMemberships>()?;
    Ok(axum::Json(
        plans::update(&s.ctx, &meta, &g, id, &body).await?,
    ))
}

/// Delete a plan no membership was recorded on (`plan_in_use` otherwise: archive it).
#[utoipa::path(delete, path = "/membership-plans/{id}", tag = "memberships", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_plan(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let g = actor.require::<can::ManageMemberships>()?;
    plans::delete(&s.ctx, &meta, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a membership a member paid offline (Admins): a period on a plan, a payment and
/// its ledger row, an emailed receipt and an audit record. Without `period_start` the
/// period carries on from his current one (or starts now); without `period_end` it lasts
/// one interval of the plan; without `amount_minor` the plan's amount was paid. Send an
/// `Idempotency-Key` header to retry safely.
#[utoipa::path(post, path = "/users/{id}/memberships", tag = "memberships", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried record safe")),
    request_body = MembershipInput,
    responses((status = 201, body = MembershipView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn record_membership(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<MembershipInput>,
) -> ApiResult<Response> {
    let g = actor.require::<can::ManageMemberships>()?;
    let path = format!("/api/v1/users/{id}/memberships");
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(&headers, actor.id(), &path, &fingerprint)?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let m = recording::record_offline(&s.ctx, &meta, &g, id, &body).await?;
        idempotent::answer(StatusCode::CREATED, &m)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// One member's standing and membership history (Admins).
#[utoipa::path(get, path = "/users/{id}/memberships", tag = "memberships", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MyMembership), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn member_memberships(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<MyMembership>> {
    let g = actor.require::<can::ManageMemberships>()?;
    Ok(axum::Json(
        standing::of_member(&s.ctx, &actor, &g, id).await?,
    ))
}

/// Every recorded membership period, latest recorded first, with its member and where he
/// stands now (Admins); filter by the period's `status`.
#[utoipa::path(get, path = "/memberships", tag = "memberships", security(("bearer" = [])), params(MembershipFilter, PageRequest),
    responses((status = 200, body = Page<MembershipLine>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_memberships(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(filter): Query<MembershipFilter>,
    Query(page): Query<PageRequest>,
) -> ApiResult<axum::Json<Page<MembershipLine>>> {
    let g = actor.require::<can::ManageMemberships>()?;
    Ok(axum::Json(
        standing::list(&s.ctx, &g, &filter, &page).await?,
    ))
}

/// The caller's own membership: his standing (active, in grace, lapsed, none), the plans
/// on offer and his history.
#[utoipa::path(get, path = "/me/membership", tag = "memberships", security(("bearer" = [])),
    responses((status = 200, body = MyMembership), (status = 401, body = Problem)))]
async fn my_membership(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<MyMembership>> {
    Ok(axum::Json(standing::mine(&s.ctx, &actor).await?))
}

/// Start paying for a plan by card: a SetupIntent for Stripe.js's `confirmCardSetup`
/// (card details go to Stripe, never to us). `card_subscriptions_unavailable` when Stripe
/// is not set up; `already_subscribed` while another subscription of his runs. Send an
/// `Idempotency-Key` header to retry safely.
#[utoipa::path(post, path = "/me/membership/subscription", tag = "memberships", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried start safe")),
    request_body = StartSubscription,
    responses((status = 201, body = SubscriptionStart), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn start_subscription(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    Json(body): Json<StartSubscription>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let key = idempotent::key(
        &headers,
        actor.id(),
        "/api/v1/me/membership/subscription",
        &fingerprint,
    )?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let started = stripe::start(&s.ctx, &actor, &body).await?;
        idempotent::answer(StatusCode::CREATED, &started)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// Subscribe once Stripe.js saved the card: the SetupIntent is read back from Stripe, the
/// subscription created and its first invoice recorded (a membership period, its payment,
/// a receipt by email). Confirming the same SetupIntent again returns the same
/// subscription; someone else's is not found.
#[utoipa::path(post, path = "/me/membership/subscription/confirm", tag = "memberships", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried confirmation safe")),
    request_body = ConfirmSubscription,
    responses((status = 200, body = SubscriptionView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn confirm_subscription(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    headers: HeaderMap,
    Json(body): Json<ConfirmSubscription>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::to_vec(&body).map_err(|e| app::Error::Internal(e.into()))?;
    let path = "/api/v1/me/membership/subscription/confirm";
    let key = idempotent::key(&headers, actor.id(), path, &fingerprint)?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let sub = stripe::confirm(&s.ctx, &meta, &actor, &body).await?;
        idempotent::answer(StatusCode::OK, &sub)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// Cancel his card subscription at the end of the period paid for: it is not renewed,
/// and the membership ends then. Cancelling again changes nothing.
#[utoipa::path(post, path = "/membership-subscriptions/{id}/cancel", tag = "memberships", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried cancellation safe")),
    responses((status = 200, body = SubscriptionView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn cancel_subscription(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let path = format!("/api/v1/membership-subscriptions/{id}/cancel");
    let key = idempotent::key(&headers, actor.id(), &path, b"")?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let sub = stripe::cancel(&s.ctx, &meta, &actor, id).await?;
        idempotent::answer(StatusCode::OK, &sub)
    })
    .await?;
    Ok(idempotent::respond(kept))
}
