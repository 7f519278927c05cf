//! What a page can fail with, rendered as a page (never a bare status or JSON).

use super::layout::Layout;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug)]
pub enum PageError {
    /// A visitor asked for a members-only page.
    SignInRequired {
        next: String,
    },
    /// The form's CSRF token is missing or does not match.
    CsrfFailed,
    /// The form could not be read at all.
    BadForm(String),
    NotFound,
    App(app::Error),
    Internal(anyhow::Error),
}

impl From<app::Error> for PageError {
    fn from(e: app::Error) -> Self {
        match e.or_busy() {
            app::Error::Internal(e) => PageError::Internal(e),
            other => PageError::App(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            PageError::SignInRequired { next } => {
                return super::redirect(&format!("/login?next={}", super::encode(&next)));
            }
            PageError::CsrfFailed => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Go back, reload the page and send the form again.".to_owned(),
            ),
            PageError::BadForm(m) => (StatusCode::BAD_REQUEST, "That did not work", m),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address.".to_owned(),
            ),
            PageError::App(e) => {
                let api = crate::error::ApiError::from(e);
                let status = StatusCode::from_u16(api.0.status).unwrap_or(StatusCode::BAD_REQUEST);
                (status, "That did not work", api.0.detail)
            }
            PageError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. Try again in a moment.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            layout: Layout::bare(heading),
            heading,
            message,
        };
        let mut res = (
            status,
            Html(page.render().unwrap_or_else(|_| "Error".into())),
        )
            .into_response();
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res
    }
}

pub type PageResult<T> = Result<T, PageError>;
