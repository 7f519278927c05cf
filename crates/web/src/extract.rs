//! Extractors: the signed-in user, request facts for the audit log, and JSON / query /
//! path parsing whose failures become problem documents instead of plain-text errors.

use crate::error::{ApiError, FieldProblem, Problem};
use crate::state::AppState;
use app::authz::Actor;
use app::RequestMeta;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use domain::network::{client_address, IpRange};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// Facts about the request: client address, request id, user agent.
pub struct Meta(pub RequestMeta);

impl FromRequestParts<AppState> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Meta(request_meta(
            parts,
            &state.ctx.settings.server.trusted_proxies,
        )))
    }
}

/// The request's facts; the client address is the connection's peer, or what trusted
/// proxies say it is (see `domain::network::client_address`).
pub fn request_meta(parts: &Parts, trusted_proxies: &[IpRange]) -> RequestMeta {
    let header_str = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_address(c.0.ip(), &forwarded, trusted_proxies).to_string());
    RequestMeta {
        ip,
        request_id: header_str("x-request-id"),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect()),
    }
}

/// Puts the signed-in user's id on the request's span, so every line logged for the
/// request names whom it served (never an email or a name).
pub fn mark_user(actor: &Actor) {
    tracing::Span::current().record("user_id", tracing::field::display(actor.id()));
}

/// The signed-in user, from `Authorization: Bearer <access token>`.
pub struct CurrentUser(pub Actor);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(app::Error::Unauthenticated)?;
        let actor = app::accounts::authenticate(&state.ctx, token).await?;
        mark_user(&actor);
        Ok(CurrentUser(actor))
    }
}

/// JSON body whose problems are answered as problem documents.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => {
            let source = std::error::Error::source(&e);
            if let Some(failed) = find_cause::<serde_path_to_error::Error<serde_json::Error>>(&e) {
                // serde_json ends its message with where in the text it failed; the field's
                // path says that better.
                let message = failed.inner().to_string();
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(m, _)| m);
                return field_problem(
                    "invalid_body",
                    &failed.path().to_string(),
                    message,
                    "The request body does not fit",
                );
            }
            // serde's message names the field and the expected type: useful to a developer.
            let detail = source
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text());
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("The request body does not fit: {detail}"),
            )
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The request body is not valid JSON.",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large.",
            )
        }
        other => ApiError::new(other.status(), "invalid_body", other.body_text()),
    }
}

/// Query string, answered as a problem document when it does not parse.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                if let Some(failed) =
                    find_cause::<serde_path_to_error::Error<serde_urlencoded::de::Error>>(&e)
                {
                    let message = failed.inner().to_string();
                    if domain::TextError::is_its_message(&message) {
                        return field_problem(
                            "invalid_query",
                            &failed.path().to_string(),
                            &message,
                            "The query string does not fit",
                        );
                    }
                }
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("The query string does not fit: {}", e.body_text()),
                )
            })
    }
}

/// The first error of type `E` in `e`'s chain of causes (axum wraps the deserialiser's).
fn find_cause<'a, E: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(found) = c.downcast_ref::<E>() {
            return Some(found);
        }
        cause = c.source();
    }
    None
}

/// A field that failed to deserialise, as a 422 naming the field. A refused text (a
/// control character, too long) is the same validation problem a use case would report,
/// so it carries that code; any other mismatch keeps `fallback_code`.
fn field_problem(fallback_code: &str, field: &str, message: &str, context: &str) -> ApiError {
    let code = if domain::TextError::is_its_message(message) {
        "validation_failed"
    } else {
        fallback_code
    };
    let mut problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        format!("{context}: {field}: {message}"),
    );
    problem.errors.push(FieldProblem {
        field: field.to_owned(),
        message: message.to_owned(),
    });
    ApiError::from(problem)
}

/// Path parameters, answered as a 404 problem when they do not parse (e.g. a bad id).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("Nothing lives at this address: {}", e.body_text()),
                )
            })
    }
}

/// The signed-in user for endpoints the pages' own scripts call as well as API clients:
/// from `Authorization: Bearer <access token>`, or else from the browser's session cookie
/// together with the page's CSRF token in `X-CSRF-Token` (the page carries it in
/// `<meta name="csrf-token">`). Without the header a cookie alone authorises nothing, so
/// another site cannot make a signed-in browser call these endpoints.
pub struct Caller(pub Actor);

/// The header the pages' scripts send their CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let CurrentUser(actor) = CurrentUser::from_request_parts(parts, state).await?;
            return Ok(Caller(actor));
        }
        use crate::pages::session::{check_csrf_headers, cookie, session_cookie};
        let token =
            cookie(&parts.headers, session_cookie(state)).ok_or(app::Error::Unauthenticated)?;
        let submitted = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        check_csrf_headers(&parts.headers, state, submitted).map_err(|_| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "Send the page's CSRF token in the X-CSRF-Token header with the session cookie.",
            )
        })?;
        let actor = app::accounts::authenticate_browser(&state.ctx, &token).await?;
        mark_user(&actor);
        Ok(Caller(actor))
    }
}
