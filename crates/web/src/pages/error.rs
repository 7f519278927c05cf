//! What a page can fail with, rendered as a page (never a bare status or JSON), and
//! [`html_errors`], which gives browsers every error page in the site's layout with the
//! header of whoever is signed in.

use super::layout::Layout;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
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

/// What an error page says. Left on the response so that [`html_errors`], which knows who
/// is looking, can put it in the right layout.
#[derive(Clone, Debug)]
pub struct ErrorText {
    heading: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
    /// Where to go from here: home when signed in, the start page otherwise.
    onward: (&'static str, &'static str),
}

/// The words for an error status when nothing more specific is known.
fn text_for(status: StatusCode) -> ErrorText {
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address. Check it for typing mistakes, or use the links above.",
        ),
        StatusCode::FORBIDDEN => (
            "You cannot open this page",
            "Your account does not give access to it. If you think it should, ask the person who runs your circle or programme.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "That cannot be done here",
            "This address does not take that kind of request. Go back and use the page's own buttons and links.",
        ),
        StatusCode::CONFLICT => (
            "That did not work",
            "Something changed in the meantime. Go back, reload the page and try again.",
        ),
        s if s.is_server_error() => (
            "Something went wrong",
            "Something went wrong on our side. Try again in a moment.",
        ),
        _ => (
            "That did not work",
            "The request could not be handled. Go back and try again.",
        ),
    };
    ErrorText {
        heading,
        message: message.to_owned(),
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            PageError::SignInRequired { next } => {
                return super::redirect(&format!("/login?next={}", super::encode(&next)));
            }
            PageError::CsrfFailed => (
                StatusCode::FORBIDDEN,
                ErrorText {
                    heading: "This form has expired",
                    message: "Go back, reload the page and send the form again.".to_owned(),
                },
            ),
            PageError::BadForm(m) => (
                StatusCode::BAD_REQUEST,
                ErrorText {
                    heading: "That did not work",
                    message: m,
                },
            ),
            PageError::NotFound => (StatusCode::NOT_FOUND, text_for(StatusCode::NOT_FOUND)),
            PageError::App(e) => {
                let api = crate::error::ApiError::from(e);
                let status = StatusCode::from_u16(api.0.status).unwrap_or(StatusCode::BAD_REQUEST);
                let heading = text_for(status).heading;
                (
                    status,
                    ErrorText {
                        heading,
                        message: api.0.detail,
                    },
                )
            }
            PageError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    text_for(StatusCode::INTERNAL_SERVER_ERROR),
                )
            }
        };
        // Rendered for a visitor here; `html_errors` renders it again for who is signed in.
        let mut res = render(status, Layout::bare(text.heading), text.clone());
        res.extensions_mut().insert(text);
        res
    }
}

fn render(status: StatusCode, layout: Layout, text: ErrorText) -> Response {
    let onward = if layout.user_name.is_some() {
        ("/home", "Go to your home page")
    } else {
        ("/", "Go to the start page")
    };
    let page = ErrorPage {
        layout,
        heading: text.heading,
        message: text.message,
        onward,
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

/// Whether the request comes from a person's browser rather than an API client: not under
/// `/api/`, and asking for HTML before JSON.
fn wants_html(req: &Request) -> bool {
    if req.uri().path().starts_with("/api/") {
        return false;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match (accept.find("text/html"), accept.find("json")) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Turns every error answer a browser gets into a page in the site's layout, with the
/// header of whoever is signed in: the pages' own errors and the router's (an unknown
/// address, a method the address does not take). API clients keep their problem
/// documents.
pub async fn html_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let browser = wants_html(&req);
    let headers: HeaderMap = req.headers().clone();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let text = match res.extensions().get::<ErrorText>() {
        Some(t) => t.clone(),
        None if browser && !is_html(&res) => text_for(status),
        None => return res,
    };
    let layout = layout_for(&state, &headers, text.heading).await;
    let page = render(status, layout, text);
    // Keep what the original answer set (cookies, `Allow`), with the page as the body.
    let (mut parts, _) = res.into_parts();
    let (page_parts, body) = page.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for name in [header::CONTENT_TYPE, header::CACHE_CONTROL] {
        if let Some(v) = page_parts.headers.get(&name) {
            parts.headers.insert(name, v.clone());
        }
    }
    Response::from_parts(parts, body)
}

fn is_html(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// The layout for whoever sent `headers`: signed in (with the navigation and the sign-out
/// form) or a visitor.
async fn layout_for(state: &AppState, headers: &HeaderMap, title: &str) -> Layout {
    let token = super::session::cookie(headers, super::session::session_cookie(state));
    let actor = match token {
        Some(t) => app::accounts::authenticate_browser(&state.ctx, &t)
            .await
            .ok(),
        None => None,
    };
    let csrf = super::session::csrf_for_headers(state, headers);
    Layout::new(title, csrf, actor.as_ref(), "")
}

pub type PageResult<T> = Result<T, PageError>;
