//! Circles and membership: browse, create and edit circles, join requests and the
//! facilitators' queue, invitations, leaving and removal. Who may act is decided by
//! `app::circles::lead` / `standing` and the global grants, never here.

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, CurrentUser, Json, Meta, Path, Query};
use crate::state::AppState;
use app::authz::can;
use app::circles::membership::{JoinMessage, LeaderDevice, SealedJoinMessage};
use app::circles::{
    self, invitations, manage, membership, ArchiveReport, CircleFilter, CircleInput, CirclePatch,
    CircleView, Invitation, JoinQueue, Membership, MyCircle, NewInvitation, Person,
};
use app::page::{Page, PageRequest};
use axum::extract::State;
use axum::http::StatusCode;
use domain::MultiLine;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, browse))
        .routes(routes!(get_circle, update))
        .routes(routes!(members))
        .routes(routes!(add_co_facilitator))
        .routes(routes!(remove_co_facilitator))
        .routes(routes!(request_join, queue))
        .routes(routes!(leader_devices))
        .routes(routes!(approve))
        .routes(routes!(decline))
        .routes(routes!(leave))
        .routes(routes!(remove_member))
        .routes(routes!(invite, list_invitations))
        .routes(routes!(revoke_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(my_circles))
        .routes(routes!(archive))
}

/// Create a circle (certified Facilitators and Admins); the creator facilitates it.
#[utoipa::path(post, path = "/circles", tag = "circles", security(("bearer" = [])), request_body = CircleInput,
    responses((status = 201, body = CircleView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<CircleInput>,
) -> ApiResult<(StatusCode, axum::Json<CircleView>)> {
    let g = actor.require::<can::CreateCircles>()?;
    let view = manage::create(&s.ctx, &meta, &actor, g, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// Browse circles (forming and active by default), with search and filters.
#[utoipa::path(get, path = "/circles", tag = "circles", security(("bearer" = [])), params(CircleFilter, PageRequest),
    responses((status = 200, body = Page<CircleView>), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn browse(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(filter): Query<CircleFilter>,
    Query(page): Query<PageRequest>,
) -> ApiResult<axum::Json<Page<CircleView>>> {
    let g = actor.require::<can::Participate>()?;
    Ok(axum::Json(manage::browse(&s.ctx, g, &filter, &page).await?))
}

/// One circle; member names and the online link only for its members and leaders.
#[utoipa::path(get, path = "/circles/{id}", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CircleView), (status = 404, body = Problem)))]
async fn get_circle(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<CircleView>> {
    actor.require::<can::Participate>()?;
    Ok(axum::Json(manage::get(&s.ctx, &actor, id).await?))
}

/// Edit a circle (its leaders): any field, and its status.
#[utoipa::path(patch, path = "/circles/{id}", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CirclePatch,
    responses((status = 200, body = CircleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CirclePatch>,
) -> ApiResult<axum::Json<CircleView>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        manage::update(&s.ctx, &meta, &actor, &lead, &body).await?,
    ))
}

/// Who is in the circle (its members and leaders only).
#[utoipa::path(get, path = "/circles/{id}/members", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Person>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn members(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<Person>>> {
    let inside = circles::enter(&s.ctx, &actor, id).await?;
    Ok(axum::Json(manage::members(&s.ctx, &inside).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CoFacilitatorBody {
    /// Someone holding the Facilitator role.
    pub user_id: Uuid,
}

/// Make a facilitator co-facilitate the circle (its leaders).
#[utoipa::path(post, path = "/circles/{id}/co-facilitators", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CoFacilitatorBody,
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn add_co_facilitator(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CoFacilitatorBody>,
) -> ApiResult<axum::Json<Membership>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        membership::add_co_facilitator(&s.ctx, &meta, &lead, body.user_id).await?,
    ))
}

/// End a co-facilitator's role in the circle (its leaders).
#[utoipa::path(post, path = "/circles/{id}/co-facilitators/{user_id}/remove", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_co_facilitator(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Membership>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        membership::remove_co_facilitator(&s.ctx, &meta, &lead, user_id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct JoinBody {
    /// A few words for the facilitators, in plain text: the server encrypts it at rest with
    /// its field key. Prefer `message_sealed`.
    pub message: Option<MultiLine<500>>,
    /// The message sealed to the leaders' devices (see `GET /circles/{id}/leader-devices`);
    /// never together with `message`.
    pub message_sealed: Option<SealedJoinMessage>,
}

/// Ask to join an open circle, with a message for its leaders, sealed or plain.
#[utoipa::path(post, path = "/circles/{id}/join-requests", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = JoinBody,
    responses((status = 201, body = Membership), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn request_join(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<JoinBody>,
) -> ApiResult<(StatusCode, axum::Json<Membership>)> {
    let g = actor.require::<can::Participate>()?;
    let message = JoinMessage::from_parts(body.message.as_deref(), body.message_sealed)?;
    let m = membership::request_join(&s.ctx, &meta, g, id, message).await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

/// The public keys and certificates of the circle leaders' devices, to seal a join-request
/// message to (anyone who may ask to join this circle; nothing but public keys).
#[utoipa::path(get, path = "/circles/{id}/leader-devices", tag = "circles", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<LeaderDevice>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn leader_devices(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<LeaderDevice>>> {
    let asking = circles::ask(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        membership::leader_devices(&s.ctx, &asking).await?,
    ))
}

/// Pending requests in arrival order (its leaders).
#[utoipa::path(get, path = "/circles/{id}/join-requests", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = JoinQueue), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn queue(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<JoinQueue>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(membership::queue(&s.ctx, &lead).await?))
}

/// Approve a request; a full circle answers 409 `circle_full` and the request stays queued.
#[utoipa::path(post, path = "/circles/{id}/join-requests/{membership_id}/approve", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("membership_id" = Uuid, Path)),
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, membership_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Membership>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        membership::approve(&s.ctx, &meta, &lead, membership_id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct ReasonBody {
    /// Told to the person.
    pub reason: Option<MultiLine<500>>,
}

/// Decline a request, optionally with a reason.
#[utoipa::path(post, path = "/circles/{id}/join-requests/{membership_id}/decline", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("membership_id" = Uuid, Path)), request_body = ReasonBody,
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decline(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, membership_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<ReasonBody>,
) -> ApiResult<axum::Json<Membership>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        membership::decline(&s.ctx, &meta, &lead, membership_id, body.reason.as_deref()).await?,
    ))
}

/// Leave the circle (or withdraw a pending request); a member's seat is freed.
#[utoipa::path(post, path = "/circles/{id}/leave", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Membership), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn leave(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Membership>> {
    let g = actor.require::<can::Participate>()?;
    Ok(axum::Json(membership::leave(&s.ctx, &meta, g, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RemoveBody {
    /// Required; told to the person and kept in the audit log.
    pub reason: MultiLine<500>,
}

/// Remove a member (its leaders), with a reason.
#[utoipa::path(post, path = "/circles/{id}/members/{user_id}/remove", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = RemoveBody,
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn remove_member(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<RemoveBody>,
) -> ApiResult<axum::Json<Membership>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        membership::remove(&s.ctx, &meta, &lead, user_id, &body.reason).await?,
    ))
}

/// Archive the circle (its leaders): read-only for good; pending requests are declined,
/// invitations deleted and attendance reduced to counts per meeting.
#[utoipa::path(post, path = "/circles/{id}/archive", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ArchiveReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn archive(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ArchiveReport>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(circles::archive(&s.ctx, &meta, &lead).await?))
}

/// Invite an email address (its leaders); the link expires in 14 days.
#[utoipa::path(post, path = "/circles/{id}/invitations", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = NewInvitation,
    responses((status = 201, body = Invitation), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn invite(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<NewInvitation>,
) -> ApiResult<(StatusCode, axum::Json<Invitation>)> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let inv = invitations::invite(&s.ctx, &meta, &lead, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(inv)))
}

/// Pending invitations (its leaders).
#[utoipa::path(get, path = "/circles/{id}/invitations", tag = "circles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Invitation>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_invitations(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<Invitation>>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(invitations::list(&s.ctx, &lead).await?))
}

/// Revoke a pending invitation (its leaders).
#[utoipa::path(post, path = "/circles/{id}/invitations/{invitation_id}/revoke", tag = "circles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("invitation_id" = Uuid, Path)),
    responses((status = 200, body = Invitation), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn revoke_invitation(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Path((id, invitation_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Invitation>> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    Ok(axum::Json(
        invitations::revoke(&s.ctx, &meta, &lead, invitation_id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AcceptBody {
    /// The token from the invitation link.
    pub token: String,
}

/// Accept an invitation sent to the signed-in user's email address.
#[utoipa::path(post, path = "/circle-invitations/accept", tag = "circles", security(("bearer" = [])), request_body = AcceptBody,
    responses((status = 200, body = Membership), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn accept_invitation(
    State(s): State<AppState>,
    Meta(meta): Meta,
    CurrentUser(actor): CurrentUser,
    Json(body): Json<AcceptBody>,
) -> ApiResult<axum::Json<Membership>> {
    let g = actor.require::<can::Participate>()?;
    Ok(axum::Json(
        invitations::accept(&s.ctx, &meta, &actor, g, &body.token).await?,
    ))
}

/// The signed-in user's circles and pending requests.
#[utoipa::path(get, path = "/me/circles", tag = "circles", security(("bearer" = [])),
    responses((status = 200, body = Vec<MyCircle>), (status = 401, body = Problem)))]
async fn my_circles(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> ApiResult<axum::Json<Vec<MyCircle>>> {
    actor.require::<can::Participate>()?;
    Ok(axum::Json(membership::my_circles(&s.ctx, &actor).await?))
}
