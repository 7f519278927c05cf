//! Events and registration: create, edit and publish events, browse them, register (safely
//! retried with `Idempotency-Key`), cancel, accept an offered seat, the organiser's list,
//! and venues. Who may act is decided in `app::events`, never here.

mod calendars;
mod organising;
mod payments;
mod venues;

use super::idempotent;
use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::events::{self, registration};
use app::events::{edit, manage, view};
use app::events::{EventFilter, EventInput, EventView, Registration, RegistrationOutcome};
use app::idempotency;
use app::page::{Page, PageRequest};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::event::EventStatus;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, browse))
        .routes(routes!(get_event, update_event))
        .routes(routes!(set_status))
        .routes(routes!(register, organising::roster))
        .routes(routes!(cancel_registration))
        .routes(routes!(accept_offer))
        .routes(routes!(my_registrations))
        .routes(routes!(venues::create_venue, venues::list_venues))
        .routes(routes!(venues::update_venue))
        .routes(routes!(organising::roster_csv))
        .routes(routes!(organising::set_note))
        .routes(routes!(organising::move_to_front))
        .routes(routes!(organising::check_in))
        .routes(routes!(organising::counts))
        .routes(routes!(calendars::event_ics))
        .routes(routes!(calendars::renew_feed, calendars::revoke_feed))
        .routes(routes!(payments::record_payment))
        .routes(routes!(payments::start_card_payment))
        .routes(routes!(payments::my_payments))
        .routes(routes!(payments::my_receipt))
}

/// The public calendar feed, outside `/api` (calendar apps fetch it without signing in:
/// the secret address is the credential).
pub fn feed_routes() -> axum::Router<AppState> {
    axum::Router::new().route("/calendar/{file}", axum::routing::get(calendars::feed))
}

/// Create a draft event: Facilitators for a circle they lead (`circle_id`), the Program
/// Team and Admins for everyone or chosen circles. Warnings name clashes with the
/// organiser's own circle meetings; a venue already booked then is refused.
#[utoipa::path(post, path = "/events", tag = "events", security(("bearer" = [])), request_body = EventInput,
    responses((status = 201, body = EventView), (status = 403, body = Problem), (status = 404, body = Problem, description = "The circle or venue named does not exist."), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<EventInput>,
) -> ApiResult<(StatusCode, axum::Json<EventView>)> {
    let view = manage::create(&s.ctx, &meta, &actor, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// Upcoming published events meant for the caller, soonest first.
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])), params(EventFilter),
    responses((status = 200, body = Vec<EventView>), (status = 401, body = Problem)))]
async fn browse(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(filter): Query<EventFilter>,
) -> ApiResult<axum::Json<Vec<EventView>>> {
    Ok(axum::Json(view::browse(&s.ctx, &actor, &filter).await?))
}

/// One event; drafts only for their organisers, the online link only for those registered.
#[utoipa::path(get, path = "/events/{id}", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = EventView), (status = 404, body = Problem)))]
async fn get_event(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<EventView>> {
    Ok(axum::Json(view::get(&s.ctx, &actor, id).await?))
}

/// Edit a draft or published event (its organisers): the whole description is replaced,
/// checked as on creation. The audience is fixed (`circle_id`, `circle_ids`); capacity
/// cannot drop below the seats held; the price is fixed once anyone registered
/// (`price_locked`); cancelled and completed events are closed (`event_closed`). Moving a
/// published event emails everyone registered or waiting; new seats go to the waitlist.
#[utoipa::path(put, path = "/events/{id}", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = EventInput,
    responses((status = 200, body = EventView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_event(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<EventInput>,
) -> ApiResult<axum::Json<EventView>> {
    Ok(axum::Json(
        edit::update(
            &s.ctx,
            &meta,
            &actor,
            &events::organise(&s.ctx, &actor, id).await?,
            &body,
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// `published`, `cancelled` or `completed`.
    #[schema(value_type = app::api_schema::EventStatus)]
    pub status: EventStatus,
}

/// Publish, cancel or complete an event (its organisers). Cancelling emails everyone
/// registered or waiting.
#[utoipa::path(post, path = "/events/{id}/status", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = StatusBody,
    responses((status = 200, body = EventView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn set_status(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<StatusBody>,
) -> ApiResult<axum::Json<EventView>> {
    Ok(axum::Json(
        manage::set_status(
            &s.ctx,
            &meta,
            &actor,
            &events::organise(&s.ctx, &actor, id).await?,
            body.status,
        )
        .await?,
    ))
}

/// Register: a seat when one is free, otherwise the waitlist (`event_full` when the event
/// keeps none). Send an `Idempotency-Key` header to retry safely: the same key gets the
/// first answer again, also when sent simultaneously (a duplicate waits up to 5 s for the
/// first answer, then gets 409 `in_progress`).
#[utoipa::path(post, path = "/events/{id}/registrations", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried registration safe")),
    responses((status = 201, body = RegistrationOutcome), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn register(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let path = format!("/api/v1/events/{id}/registrations");
    let key = idempotent::key(&headers, actor.id(), &path, b"")?;
    let kept = idempotency::once(&s.ctx, key.as_ref(), || async {
        let outcome = registration::register(&s.ctx, &meta, &actor, id).await?;
        idempotent::answer(StatusCode::CREATED, &outcome)
    })
    .await?;
    Ok(idempotent::respond(kept))
}

/// Cancel the caller's registration; a seat he held goes to the first on the waitlist.
#[utoipa::path(post, path = "/events/{id}/registration/cancel", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Registration), (status = 404, body = Problem)))]
async fn cancel_registration(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Registration>> {
    Ok(axum::Json(
        registration::cancel(&s.ctx, &meta, &actor, id).await?,
    ))
}

/// Accept a seat offered from the waitlist before the offer runs out.
#[utoipa::path(post, path = "/events/{id}/registration/accept-offer", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Registration), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn accept_offer(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Registration>> {
    Ok(axum::Json(
        registration::accept_offer(&s.ctx, &meta, &actor, id).await?,
    ))
}

/// One of the caller's registrations, with its event.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyRegistration {
    pub event: EventView,
    pub registration: Registration,
}

/// The caller's registrations that are not cancelled, a page at a time: by default those
/// whose event is not over yet, soonest first; `when=past` those over, most recent first.
#[utoipa::path(get, path = "/me/registrations", tag = "events", security(("bearer" = [])), params(registration::MineFilter, PageRequest),
    responses((status = 200, body = Page<MyRegistration>), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn my_registrations(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(filter): Query<registration::MineFilter>,
    Query(page): Query<PageRequest>,
) -> ApiResult<axum::Json<Page<MyRegistration>>> {
    let mine = registration::mine(&s.ctx, &actor, &filter, &page).await?;
    Ok(axum::Json(mine.map(|(event, registration)| {
        MyRegistration {
            event,
            registration,
        }
    })))
}
