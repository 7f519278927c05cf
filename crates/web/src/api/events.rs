//! Events and registration: create, edit and publish events, browse them, register (safely
//! retried with `Idempotency-Key`), cancel, accept an offered seat, the organiser's list,
//! and venues. Who may act is decided in `app::events`, never here.

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::events::{self, registration};
use app::events::{edit, manage, view};
use app::events::{
    feed as calendar, roster as organiser, Counts, EventFilter, EventInput, EventView, NewVenue,
    Registration, RegistrationOutcome, RosterEntry, Venue,
};
use app::idempotency::{self, Key, Stored};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::event::EventStatus;
use domain::{MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, browse))
        .routes(routes!(get_event, update_event))
        .routes(routes!(set_status))
        .routes(routes!(register, roster))
        .routes(routes!(cancel_registration))
        .routes(routes!(accept_offer))
        .routes(routes!(my_registrations))
        .routes(routes!(create_venue, list_venues))
        .routes(routes!(update_venue))
        .routes(routes!(roster_csv))
        .routes(routes!(set_note))
        .routes(routes!(move_to_front))
        .routes(routes!(check_in))
        .routes(routes!(counts))
        .routes(routes!(event_ics))
        .routes(routes!(renew_feed, revoke_feed))
}

/// The public calendar feed, outside `/api` (calendar apps fetch it without signing in:
/// the secret address is the credential).
pub fn feed_routes() -> axum::Router<AppState> {
    axum::Router::new().route("/calendar/{file}", axum::routing::get(feed))
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
/// first answer again.
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
    let key = match headers.get("idempotency-key") {
        Some(raw) => {
            let raw = raw.to_str().unwrap_or("\u{0}");
            let path = format!("/api/v1/events/{id}/registrations");
            Some(Key::new(actor.id(), raw, "POST", &path, b"")?)
        }
        None => None,
    };
    if let Some(key) = &key {
        if let Some(kept) = idempotency::replay(&s.ctx, key).await? {
            return Ok(stored(kept));
        }
    }
    let outcome = registration::register(&s.ctx, &meta, &actor, id).await?;
    let answer = Stored {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&outcome).map_err(|e| app::Error::Internal(e.into()))?,
    };
    Ok(match &key {
        Some(key) => stored(idempotency::keep(&s.ctx, key, answer).await?),
        None => stored(answer),
    })
}

fn stored(kept: Stored) -> Response {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        kept.body,
    )
        .into_response()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Part of a name or email address (for check-in at the door).
    #[param(inline)]
    pub name: Option<SingleLine<254>>,
}

/// Everyone registered, waiting or cancelled, in arrival order (its organisers).
#[utoipa::path(get, path = "/events/{id}/registrations", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path), RosterQuery),
    responses((status = 200, body = Vec<RosterEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn roster(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Query(q): Query<RosterQuery>,
) -> ApiResult<axum::Json<Vec<RosterEntry>>> {
    Ok(axum::Json(
        organiser::roster(
            &s.ctx,
            &events::organise(&s.ctx, &actor, id).await?,
            q.name.as_deref(),
        )
        .await?,
    ))
}

/// The list as a CSV file (its organisers).
#[utoipa::path(get, path = "/events/{id}/registrations.csv", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn roster_csv(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    let csv = organiser::roster_csv(&s.ctx, &org).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        organiser::roster_file_name(&org)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    /// Empty or absent clears it.
    pub note: Option<MultiLine<500>>,
}

/// Set the organiser's note on a registration.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/note", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)), request_body = NoteBody,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_note(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<NoteBody>,
) -> ApiResult<StatusCode> {
    organiser::set_note(
        &s.ctx,
        &meta,
        &events::organise(&s.ctx, &actor, id).await?,
        registration_id,
        body.note.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move someone on the waitlist to its front by hand (a free seat goes to him at once).
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/move-to-front", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn move_to_front(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    organiser::move_to_front(&s.ctx, &meta, &org, registration_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckInBody {
    /// `false` undoes a check-in.
    #[serde(default = "present")]
    pub present: bool,
}

fn present() -> bool {
    true
}

/// Check someone in at the door (its organisers); returns the live counts.
#[utoipa::path(post, path = "/events/{id}/registrations/{registration_id}/check-in", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("registration_id" = Uuid, Path)), request_body = CheckInBody,
    responses((status = 200, body = Counts), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn check_in(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, registration_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<CheckInBody>,
) -> ApiResult<axum::Json<Counts>> {
    Ok(axum::Json(
        organiser::check_in(
            &s.ctx,
            &meta,
            &events::organise(&s.ctx, &actor, id).await?,
            registration_id,
            body.present,
        )
        .await?,
    ))
}

/// Live counts (registered, checked in, waitlisted, cancelled; no-shows once it ended).
#[utoipa::path(get, path = "/events/{id}/counts", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Counts), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn counts(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Counts>> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    Ok(axum::Json(organiser::counts(&s.ctx, &org).await?))
}

fn ics(body: String, file: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The event as an iCalendar (`.ics`) file.
#[utoipa::path(get, path = "/events/{id}/calendar.ics", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
async fn event_ics(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let body = calendar::event_ics(&s.ctx, &actor, id).await?;
    Ok(ics(body, &format!("event-{id}.ics")))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedAddress {
    /// Subscribe to this address in a calendar app. Keep it private: anyone with it sees
    /// your events. It is shown only now.
    pub url: String,
}

/// Make a new secret calendar-feed address (the previous one stops working).
#[utoipa::path(post, path = "/me/calendar-feed", tag = "events", security(("bearer" = [])),
    responses((status = 201, body = FeedAddress)))]
async fn renew_feed(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<(StatusCode, axum::Json<FeedAddress>)> {
    let url = calendar::renew_feed(&s.ctx, &actor).await?;
    Ok((StatusCode::CREATED, axum::Json(FeedAddress { url })))
}

/// Revoke the calendar-feed address.
#[utoipa::path(delete, path = "/me/calendar-feed", tag = "events", security(("bearer" = [])),
    responses((status = 204)))]
async fn revoke_feed(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<StatusCode> {
    calendar::revoke_feed(&s.ctx, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /calendar/{token}.ics`: the feed behind a secret address.
async fn feed(
    State(s): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> ApiResult<Response> {
    let token = file
        .strip_suffix(".ics")
        .ok_or(app::Error::NotFound("calendar"))?;
    let body = calendar::feed(&s.ctx, token).await?;
    let mut res = ics(body, "circles.ics");
    // A private calendar: no shared cache may keep it.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
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

/// The caller's registrations that are not cancelled, soonest event first.
#[utoipa::path(get, path = "/me/registrations", tag = "events", security(("bearer" = [])),
    responses((status = 200, body = Vec<MyRegistration>)))]
async fn my_registrations(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<MyRegistration>>> {
    let mine = registration::mine(&s.ctx, &actor).await?;
    Ok(axum::Json(
        mine.into_iter()
            .map(|(event, registration)| MyRegistration {
                event,
                registration,
            })
            .collect(),
    ))
}

/// Add a venue (Program Team, Admins).
#[utoipa::path(post, path = "/venues", tag = "events", security(("bearer" = [])), request_body = NewVenue,
    responses((status = 201, body = Venue), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_venue(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<NewVenue>,
) -> ApiResult<(StatusCode, axum::Json<Venue>)> {
    let venue = manage::create_venue(&s.ctx, &meta, &actor, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(venue)))
}

/// Every venue (those who create events).
#[utoipa::path(get, path = "/venues", tag = "events", security(("bearer" = [])),
    responses((status = 200, body = Vec<Venue>), (status = 403, body = Problem)))]
async fn list_venues(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<Venue>>> {
    Ok(axum::Json(manage::venues(&s.ctx, &actor).await?))
}

/// Change a venue's name, address and capacity (Program Team, Admins).
#[utoipa::path(put, path = "/venues/{id}", tag = "events", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = NewVenue,
    responses((status = 200, body = Venue), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_venue(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<NewVenue>,
) -> ApiResult<axum::Json<Venue>> {
    Ok(axum::Json(
        app::events::venues::update_venue(&s.ctx, &meta, &actor, id, &body).await?,
    ))
}
