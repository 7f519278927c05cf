//! Middleware every response passes through.

use crate::error::Problem;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// Counts requests, their durations and the database statements they ran, by route and
/// status, for `/metrics` (and in `X-Db-Statements` when `metrics.statements_header` is on).
pub async fn record_metrics(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let (mut res, statements) = db::statements::counted(next.run(req)).await;
    if s.ctx.settings.metrics.statements_header {
        res.headers_mut()
            .insert("x-db-statements", HeaderValue::from(statements));
    }
    let labels = [
        ("method", method),
        ("path", path),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    metrics::histogram!("http_request_db_statements", &labels).record(statements as f64);
    res
}

/// Names the route on the request's span: its pattern (`/events/{id}`), never the path
/// itself, which may hold a secret (a calendar feed's token).
pub async fn name_route(req: Request, next: Next) -> Response {
    if let Some(route) = req.extensions().get::<MatchedPath>() {
        tracing::Span::current().record("route", route.as_str());
    }
    next.run(req).await
}

/// The longest client-chosen request id kept.
const MAX_REQUEST_ID_LEN: usize = 64;

/// Keeps a client's `X-Request-Id` only when it is one short token of `[A-Za-z0-9._-]`;
/// otherwise it is dropped and a fresh one issued, so what the audit log records and the
/// response echoes is never the client's arbitrary text (log injection, huge headers).
pub async fn screen_request_id(mut req: Request, next: Next) -> Response {
    let ids = req.headers().get_all("x-request-id");
    let mut values = ids.iter();
    let acceptable = match (values.next(), values.next()) {
        (Some(v), None) => is_acceptable_request_id(v.as_bytes()),
        _ => false,
    };
    if !acceptable {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

fn is_acceptable_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// `Cache-Control: no-store` on answers that belong to one person: the JSON API and
/// whatever a signed-in browser (or a bearer token) asks for. Responses that chose their
/// own caching (static assets, photos) keep it; public pages stay cacheable.
pub async fn no_store_when_personal(req: Request, next: Next) -> Response {
    let personal = req.uri().path().starts_with("/api/")
        || req.headers().contains_key(header::AUTHORIZATION)
        || crate::pages::session::has_session_cookie(req.headers());
    let mut res = next.run(req).await;
    if personal && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Turns bodiless error responses from the framework and layers (405, 408, 413 …) into
/// problem documents, and stamps the request id on every problem document.
pub async fn problem_details(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res.headers().get(header::CONTENT_TYPE);
    let is_problem =
        content_type.is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // Pages answer errors with an error page of their own; a browser shows that, not JSON.
    let is_page = content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_page {
        return res;
    }
    if is_problem {
        stamp_request_id(res, request_id).await
    } else {
        framework_problem(res, request_id)
    }
}

async fn stamp_request_id(res: Response, request_id: Option<String>) -> Response {
    let Some(id) = request_id else { return res };
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut obj)) => {
            obj.insert("request_id".into(), id.into());
            serde_json::to_vec(&obj).unwrap_or_default().into()
        }
        _ => bytes,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

fn framework_problem(res: Response, request_id: Option<String>) -> Response {
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("not_found", "Nothing lives at this address."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This address does not accept that method."),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "The request took too long; try again."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "This content type is not accepted."),
        s if s.is_server_error() => (
            "internal_error",
            "Something went wrong on our side. Try again; if it keeps happening, contact support with the request id.",
        ),
        _ => ("bad_request", "The request could not be handled."),
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut p = Problem::new(status, code, detail);
    p.request_id = request_id;
    let mut out = p.into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// Security headers (docs/admin/security.md). HSTS is added only when the platform is reached over
/// HTTPS: through a proxy (an `https://` public URL says so) or direct TLS.
pub fn security_headers(https: bool) -> Vec<(header::HeaderName, HeaderValue)> {
    let mut h = vec![
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
        ),
        (header::HeaderName::from_static("permissions-policy"), HeaderValue::from_static("camera=(), microphone=(), geolocation=()")),
        (header::HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
    ];
    if https {
        h.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::is_acceptable_request_id;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(is_acceptable_request_id(
            b"0190a7e2-7c1d-7000-8000-000000000000"
        ));
        assert!(is_acceptable_request_id(b"edge.lb-7_42"));
        assert!(is_acceptable_request_id(&[b'a'; 64]));
        for bad in [
            &b""[..],
            &[b'a'; 65],
            b"a b",
            b"a\nb",
            b"<script>",
            b"id;drop",
            "caf\u{e9}".as_bytes(),
        ] {
            assert!(
                !is_acceptable_request_id(bad),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
