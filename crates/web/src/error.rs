//! One error type for the HTTP layer, answered as `application/problem+json` (RFC 9457)
//! with a stable `code`. Unexpected errors are logged with their cause chain and shown
//! only as an opaque 500 with the request id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What happened and what to do about it, for a person.
    pub detail: String,
    /// Stable, machine-readable: `validation_failed`, `invalid_credentials`, …
    pub code: String,
    /// Field-level problems for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Quote it when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
            request_id: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

/// Anything a handler can fail with.
#[derive(Debug)]
pub struct ApiError(pub Problem, Option<u64>);

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError(Problem::new(status, code, detail), None)
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> Self {
        use app::Error as E;
        let detail = e.to_string();
        let (status, code) = match &e {
            E::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            E::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            E::EmailNotVerified => (StatusCode::FORBIDDEN, "email_not_verified"),
            E::AccountSuspended => (StatusCode::FORBIDDEN, "account_suspended"),
            E::InvalidMfaCode => (StatusCode::UNAUTHORIZED, "invalid_mfa_code"),
            E::MfaNotEnabled => (StatusCode::CONFLICT, "mfa_not_enabled"),
            E::MfaAlreadyEnabled => (StatusCode::CONFLICT, "mfa_already_enabled"),
            E::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            E::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            E::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            E::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            E::Refused { code, .. } => (StatusCode::FORBIDDEN, *code),
            E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            E::Conflict { code, .. } => (StatusCode::CONFLICT, *code),
            E::InvalidToken => (StatusCode::BAD_REQUEST, "invalid_or_expired_token"),
            E::SessionRevoked => (StatusCode::UNAUTHORIZED, "session_revoked"),
            E::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        };
        let mut p = Problem::new(status, code, detail);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            p.detail = "Something went wrong on our side. Try again; if it keeps happening, contact support with the request id.".into();
        }
        if let E::Invalid(errors) = &e {
            p.detail = errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            p.errors = errors
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.to_owned(),
                    message: e.message.clone(),
                })
                .collect();
        }
        let retry = match e {
            E::TooManyAttempts { retry_after_secs } | E::Busy { retry_after_secs } => {
                Some(retry_after_secs)
            }
            _ => None,
        };
        ApiError(p, retry)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.0.into_response();
        if let Some(secs) = self.1 {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if res.status() == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
