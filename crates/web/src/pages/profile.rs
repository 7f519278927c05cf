//! The profile page: the details other members and facilitators see, and the photo.
//!
//! The photo form is a plain multipart POST that comes back to the page with a notice; with
//! `static/profile.js` the same form uploads in the background with a progress bar and asks
//! for JSON (`Accept: application/json`) instead of a redirect.

use super::format::{unlisted_zone, zone_groups, ZoneGroup};
use super::layout::Layout;
use super::respond::{self, render, DoneQuery};
use super::session::{check_csrf_headers, Form, PageMeta, SignedIn};
use super::Path;
use super::{FormState, PageError, PageResult};
use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::state::AppState;
use crate::upload::{read_limited, ReadError, PHOTO_BODY_LIMIT, PHOTO_TOO_LARGE};
use app::accounts::{self, Profile, ProfileChanges, MAX_PHOTO_BYTES};
use app::authz::Actor;
use askama::Template;
use axum::body::Body;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Query, Request, State,
};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/profile", get(show).post(save))
        .route(
            "/profile/photo",
            // The photo itself may be 10 MB; the slack covers the multipart framing and the
            // CSRF field, so a file just over the limit gets the photo's own message.
            post(upload_photo).layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
        )
        .route("/profile/photo/remove", post(remove_photo))
        .route("/users/{id}/photo", get(serve_photo))
}

const NOTICES: &[(&str, &str)] = &[
    ("saved", "Your profile is saved."),
    ("photo", "Your photo is updated."),
    ("photo_removed", "Your photo is removed."),
];

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    notice: Option<&'static str>,
    email: String,
    details: FormState,
    photo: FormState,
    photo_url: Option<String>,
    zone_groups: Vec<ZoneGroup>,
    /// A zone that is not in the list (a stored legacy alias, or what was typed), as
    /// (value, label), kept selected so the person sees what they have.
    unknown_zone: Option<(String, String)>,
    max_photo_bytes: usize,
}

impl ProfilePage {
    fn new(m: PageMeta, actor: &Actor, profile: &Profile, details: FormState) -> Self {
        let unknown_zone = unlisted_zone(details.value("time_zone"), m.now);
        ProfilePage {
            layout: Layout::new("Your profile", m.csrf, Some(actor), "/profile"),
            notice: None,
            email: profile.email.clone(),
            details,
            photo: FormState::default(),
            photo_url: profile.photo_url.clone(),
            zone_groups: zone_groups(m.now),
            unknown_zone,
            max_photo_bytes: MAX_PHOTO_BYTES,
        }
    }
}

/// The form filled with what is stored.
fn stored_values(p: &Profile) -> FormState {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    FormState::default()
        .with("display_name", &p.display_name)
        .with("full_name", &opt(&p.full_name))
        .with("phone", &opt(&p.phone))
        .with("city", &opt(&p.city))
        .with("time_zone", &opt(&p.time_zone))
        .with("bio", &opt(&p.bio))
}

async fn show(
    State(s): State<AppState>,
    m: PageMeta,
    SignedIn(actor): SignedIn,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let profile = accounts::me(&s.ctx, &actor).await?;
    let plain = q.done.is_none();
    let mut page = ProfilePage::new(m, &actor, &profile, stored_values(&profile));
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    let mut res = render(page)?;
    // Someone's own profile is worth reading offline (docs/architecture.md); the copy
    // with a one-off "saved" notice is not.
    if plain {
        super::pwa::keep_offline(&mut res);
    }
    Ok(res)
}

#[derive(Deserialize)]
struct DetailsInput {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    bio: String,
}

async fn save(
    State(s): State<AppState>,
    m: PageMeta,
    SignedIn(actor): SignedIn,
    Form(input): Form<DetailsInput>,
) -> PageResult<Response> {
    // The form always sends every field: a blank optional field clears it.
    let changes = ProfileChanges {
        display_name: Some(input.display_name.clone()),
        full_name: Some(input.full_name.clone()),
        phone: Some(input.phone.clone()),
        city: Some(input.city.clone()),
        time_zone: Some(input.time_zone.clone()),
        bio: Some(input.bio.clone()),
    };
    match accounts::update_profile(&s.ctx, &m.request, &actor, &changes).await {
        Ok(_) => respond::done("/profile", "saved", ""),
        Err(e) => {
            let details = FormState::default()
                .with("display_name", &input.display_name)
                .with("full_name", &input.full_name)
                .with("phone", &input.phone)
                .with("city", &input.city)
                .with("time_zone", &input.time_zone)
                .with("bio", &input.bio)
                .absorb(e)?;
            let profile = accounts::me(&s.ctx, &actor).await?;
            render(ProfilePage::new(m, &actor, &profile, details))
        }
    }
}

/// Whether the request came from `profile.js`, which wants JSON rather than a page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// What a multipart photo form carried.
struct PhotoUpload {
    csrf_token: String,
    photo: Vec<u8>,
}

/// Reads the multipart form: the body in full first (see `crate::upload` for why an
/// oversized one is still read), then its fields.
async fn read_upload(s: &AppState, request: Request) -> Result<PhotoUpload, ReadError> {
    let (parts, body) = request.into_parts();
    let bytes = read_limited(body, PHOTO_BODY_LIMIT).await?;
    let mut multipart = Multipart::from_request(Request::from_parts(parts, Body::from(bytes)), s)
        .await
        .map_err(|e| ReadError::Failed(e.body_text()))?;
    let fail = |e: axum::extract::multipart::MultipartError| ReadError::Failed(e.body_text());
    let mut upload = PhotoUpload {
        csrf_token: String::new(),
        photo: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(fail)? {
        match field.name() {
            Some("csrf_token") => upload.csrf_token = field.text().await.map_err(fail)?,
            Some("photo") => upload.photo = field.bytes().await.map_err(fail)?.into(),
            // Anything else a browser adds is not ours to read.
            _ => {}
        }
    }
    Ok(upload)
}

async fn upload_photo(
    State(s): State<AppState>,
    m: PageMeta,
    SignedIn(actor): SignedIn,
    headers: HeaderMap,
    request: Request,
) -> PageResult<Response> {
    let json = wants_json(&headers);
    let upload = match read_upload(&s, request).await {
        Ok(u) => u,
        Err(ReadError::TooLarge) => {
            // Nothing is stored, so no CSRF token is needed to say so.
            let e = app::Error::invalid("photo", PHOTO_TOO_LARGE);
            return photo_failed(&s, m, &actor, json, e).await;
        }
        Err(ReadError::Failed(detail)) => {
            return Err(PageError::BadForm(format!(
                "The photo could not be read ({detail}). Choose it again and upload it with the form on the profile page."
            )))
        }
    };
    if let Err(e) = check_csrf_headers(&headers, &s, &upload.csrf_token) {
        if json {
            return Ok(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "This form has expired: reload the page and upload the photo again.",
            )
            .into_response());
        }
        return Err(e);
    }
    match accounts::set_photo(&s.ctx, &m.request, &actor, upload.photo).await {
        Ok(profile) if json => Ok(axum::Json(serde_json::json!({
            "photo_url": profile.photo_url,
            "message": "Your photo is updated.",
        }))
        .into_response()),
        Ok(_) => respond::done("/profile", "photo", "photo"),
        Err(e) => photo_failed(&s, m, &actor, json, e).await,
    }
}

/// Answers a refused upload: a problem document for `profile.js`, else the page with the
/// message next to the photo field.
async fn photo_failed(
    s: &AppState,
    m: PageMeta,
    actor: &Actor,
    json: bool,
    e: app::Error,
) -> PageResult<Response> {
    if json {
        if let app::Error::Internal(e) = e {
            return Err(PageError::Internal(e));
        }
        return Ok(ApiError::from(e).into_response());
    }
    let profile = accounts::me(&s.ctx, actor).await?;
    let mut page = ProfilePage::new(m, actor, &profile, stored_values(&profile));
    page.photo = FormState::default().absorb(e)?;
    render(page)
}

async fn remove_photo(
    State(s): State<AppState>,
    m: PageMeta,
    SignedIn(actor): SignedIn,
    _form: Form<respond::Empty>,
) -> PageResult<Response> {
    accounts::remove_photo(&s.ctx, &m.request, &actor).await?;
    respond::done("/profile", "photo_removed", "photo")
}

#[derive(Deserialize)]
struct VersionQuery {
    v: Option<String>,
}

/// A member's photo, for signed-in people only: the browser session, or a bearer token for
/// API clients that follow `photo_url`. Visitors are sent to sign in.
async fn serve_photo(
    State(s): State<AppState>,
    Path(id): Path<Uuid>,
    Query(q): Query<VersionQuery>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let actor = if parts.headers.contains_key(header::AUTHORIZATION) {
        match CurrentUser::from_request_parts(&mut parts, &s).await {
            Ok(CurrentUser(actor)) => actor,
            Err(e) => return e.into_response(),
        }
    } else {
        match SignedIn::from_request_parts(&mut parts, &s).await {
            Ok(SignedIn(actor)) => actor,
            Err(e) => return e.into_response(),
        }
    };
    let photo = match accounts::photo(&s.ctx, &actor, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return PageError::NotFound.into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    // The versioned URL changes with the photo, so its answer can be kept for good, but
    // only by this person's browser: it is not for shared caches.
    let cache = if q.v.is_some() {
        "private, max-age=31536000, immutable"
    } else {
        "private, no-cache"
    };
    let content_type = HeaderValue::from_str(&photo.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        photo.bytes,
    )
        .into_response()
}
