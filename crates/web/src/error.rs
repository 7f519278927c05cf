//! One error type for the HTTP layer, answered as `application/problem+json` (RFC 9457)
//! with a stable `code`. Unexpected errors are logged with their cause chain and shown
//! only as an opaque 500 with the request id.

use app::codes::Kind;
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

/// The HTTP status that answers each kind of failure.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::BadToken => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        Kind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> Self {
        use app::Error as E;
        let e = e.or_busy();
        let detail = e.to_string();
        let code = e.code();
        let status = status_of(code.kind());
        if let E::Internal(cause) = &e {
            tracing::error!(error = %format!("{cause:#}"), "request failed");
        }
        let mut p = Problem::new(status, code.as_str(), detail);
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

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p, None)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The (heading, code, status) rows of the error tables in `docs/api.md`.
    fn documented() -> HashSet<(String, String, u16)> {
        let doc = include_str!("../../../docs/api.md");
        let mut heading = String::new();
        let mut rows = HashSet::new();
        for line in doc.lines() {
            if let Some(h) = line.strip_prefix("### ") {
                heading = h.trim().to_owned();
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, code, status, ..] = cells.as_slice() {
                if let (Some(code), Ok(status)) = (
                    code.strip_prefix('`').and_then(|c| c.strip_suffix('`')),
                    status.parse::<u16>(),
                ) {
                    rows.insert((heading.clone(), code.to_owned(), status));
                }
            }
        }
        rows
    }

    #[test]
    fn every_code_the_use_cases_answer_with_is_documented() {
        let documented = documented();
        let mut missing = Vec::new();
        for l in app::codes::all() {
            let status = status_of(l.code.kind()).as_u16();
            let row = (l.feature.to_owned(), l.code.as_str().to_owned(), status);
            if !documented.contains(&row) {
                missing.push(format!(
                    "| `{}` | {status} | {} |  (under ### {})",
                    l.code.as_str(),
                    l.meaning,
                    l.feature
                ));
            }
        }
        assert!(
            missing.is_empty(),
            "docs/api.md lacks these rows:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn the_documented_codes_of_use_cases_exist() {
        let listed: HashSet<(String, String)> = app::codes::all()
            .into_iter()
            .map(|l| (l.feature.to_owned(), l.code.as_str().to_owned()))
            .collect();
        for (heading, code, _) in documented() {
            // Answered by the web layer itself, before any use case runs.
            if heading == "Requests" {
                continue;
            }
            assert!(
                listed.contains(&(heading.clone(), code.clone())),
                "docs/api.md lists `{code}` under {heading}, but no use case answers with it"
            );
        }
    }

    #[test]
    fn a_rule_answers_with_its_own_code_and_status() {
        let e: app::Error = app::circles::CircleError::Full.into();
        let ApiError(p, _) = ApiError::from(e);
        assert_eq!((p.status, p.code.as_str()), (409, "circle_full"));
        let e: app::Error = app::circles::CircleError::CannotAddSelf.into();
        let ApiError(p, _) = ApiError::from(e);
        assert_eq!((p.status, p.code.as_str()), (403, "cannot_add_self"));
        let ApiError(p, _) = ApiError::from(app::Error::NotFound("circle"));
        assert_eq!((p.status, p.code.as_str()), (404, "not_found"));
    }
}
