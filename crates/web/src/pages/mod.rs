//! The server-rendered web application. Every form works without JavaScript; pages call
//! the same `app` use cases as the JSON API and hold no rule of their own.

mod account;
mod admin;
pub mod assets;
mod audit;
mod card_form;
mod certifications;
mod chart;
mod circles;
mod confirm;
mod conversation;
mod error;
mod events;
mod facilitators;
mod finance;
mod format;
mod giving;
mod health;
mod home;
mod layout;
mod meetings;
mod memberships;
mod path;
mod paying;
mod payments;
mod profile;
pub mod pwa;
mod refunds;
mod reports;
mod respond;
mod rsvp;
mod scholarships;
mod security;
pub mod session;
mod subscribing;
mod support;

pub use error::{html_errors, PageError, PageResult};
pub use layout::Layout;
pub use path::Path;

use crate::state::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::local_path::LocalPath;
use std::collections::HashMap;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home::landing))
        .route("/home", get(home::dashboard))
        .merge(account::routes())
        .merge(security::routes())
        .merge(profile::routes())
        .merge(admin::routes())
        .merge(certifications::routes())
        .merge(facilitators::routes())
        .merge(support::routes())
        .merge(audit::routes())
        .merge(circles::routes())
        .merge(events::routes())
        .merge(payments::routes())
        .merge(paying::routes())
        .merge(giving::routes())
        .merge(refunds::routes())
        .merge(scholarships::routes())
        .merge(memberships::routes())
        .merge(subscribing::routes())
        .merge(finance::routes())
        .merge(meetings::routes())
        .merge(rsvp::routes())
        .merge(conversation::routes())
        .merge(health::routes())
        .layer(axum::middleware::from_fn_with_state(
            state,
            session::ensure_csrf_cookie,
        ))
        .route("/static/{name}", get(assets::serve))
        .route("/static/e2e/{name}", get(assets::serve_module))
        // Outside the CSRF-cookie layer: the same for everyone, and the offline page is
        // stored by the service worker, which must not keep a Set-Cookie.
        .merge(pwa::routes())
}

/// Percent-encodes a value for a query string.
pub fn encode(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only paths on this site may be returned to after signing in (no open redirects);
/// anything else (see `domain::local_path`) goes to the home page.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(LocalPath::parse)
        .map_or_else(|| "/home".to_owned(), |p| p.as_str().to_owned())
}

/// A "303 See Other" to `location`. Unlike axum's `Redirect`, it cannot panic: a value
/// that is no valid header sends the browser to the home page instead.
pub fn redirect(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/home"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
}

/// What a form shows: the values typed (kept after an error) and a message per field.
#[derive(Default)]
pub struct FormState {
    values: HashMap<&'static str, String>,
    errors: HashMap<String, String>,
    /// A problem that belongs to no single field.
    pub summary: Option<String>,
}

impl FormState {
    pub fn with(mut self, field: &'static str, value: &str) -> Self {
        self.values.insert(field, value.to_owned());
        self
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Every problem in one line, for a page with no field to put them next to.
    pub fn all_problems(&self) -> Option<String> {
        let mut fields: Vec<&String> = self.errors.values().collect();
        fields.sort();
        let all: Vec<&str> = self
            .summary
            .iter()
            .chain(fields)
            .map(String::as_str)
            .collect();
        (!all.is_empty()).then(|| all.join(" "))
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.summary.is_some()
    }

    /// Files a use-case error under its fields (or the summary); unexpected errors are
    /// passed on to become an error page.
    pub fn absorb(mut self, e: app::Error) -> Result<Self, PageError> {
        match e {
            app::Error::Invalid(problems) => {
                for p in problems {
                    self.errors.entry(p.field.to_owned()).or_insert(p.message);
                }
            }
            app::Error::Internal(e) => return Err(PageError::Internal(e)),
            other => self.summary = Some(other.to_string()),
        }
        Ok(self)
    }

    /// Adds the use case's problems (from a check that changes nothing) to those the page
    /// found itself, so the form shows them all at once; the page's own stay first.
    pub fn also(self, checked: app::Result<()>) -> Result<Self, PageError> {
        match checked {
            Ok(()) => Ok(self),
            Err(e) => self.absorb(e),
        }
    }

    pub fn field_error(mut self, field: &str, message: &str) -> Self {
        self.errors.insert(field.to_owned(), message.to_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/security")), "/security");
        assert_eq!(safe_next(Some("//evil.example")), "/home");
        assert_eq!(safe_next(Some("https://evil.example")), "/home");
        assert_eq!(safe_next(Some("/\\evil.example")), "/home");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/home");
        assert_eq!(safe_next(Some("/\r/x")), "/home");
        assert_eq!(safe_next(None), "/home");
    }

    #[test]
    fn redirects_never_panic() {
        for location in ["/circles?x=1", "/\r/x", "/\n", "/caf\u{e9}", "\u{0}"] {
            let res = redirect(location);
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert!(res.headers().contains_key(header::LOCATION), "{location:?}");
        }
        assert_eq!(redirect("/\r/x").headers()[header::LOCATION], "/home");
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(
            encode("/admin/users?q=a b&x"),
            "/admin/users%3Fq%3Da%20b%26x"
        );
    }
}
