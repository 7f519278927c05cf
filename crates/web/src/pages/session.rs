//! Browser sessions and CSRF protection for the pages.
//!
//! The session cookie holds a random token whose hash the session row keeps; it is
//! HttpOnly and SameSite=Lax. Every form carries a CSRF token: an HMAC, under the server
//! key, of the random CSRF cookie and of the session cookie, so a page from another site
//! can neither read nor forge it, and a token taken from one session is worthless in
//! another.
//!
//! Over HTTPS both cookies are `Secure` and named with the `__Host-` prefix, which
//! browsers accept only from this very host, with `Path=/` and no `Domain`: a sibling
//! subdomain cannot plant either cookie to fix a session or a CSRF seed.

use crate::pages::error::PageError;
use crate::state::AppState;
use app::authz::Actor;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The session cookie's name over plain HTTP (development).
pub const SESSION_COOKIE: &str = "circles_session";
/// The CSRF cookie's name over plain HTTP (development).
pub const CSRF_COOKIE: &str = "circles_csrf";

/// The name of the session cookie for this server.
pub fn session_cookie(state: &AppState) -> &'static str {
    if is_https(state) {
        "__Host-circles_session"
    } else {
        SESSION_COOKIE
    }
}

fn csrf_cookie(state: &AppState) -> &'static str {
    if is_https(state) {
        "__Host-circles_csrf"
    } else {
        CSRF_COOKIE
    }
}

/// The value of cookie `name`, if the request sent it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether the request carries a session cookie of either name (valid or not).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    ["__Host-circles_session", SESSION_COOKIE]
        .iter()
        .any(|name| cookie(headers, name).is_some())
}

/// A `Set-Cookie` value with the platform's attributes. Never `Domain`: the cookie stays
/// with this host (which the `__Host-` prefix requires).
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<u64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are URL-safe")
}

/// The session cookie for a signed-in browser (or, with an empty value and no age left,
/// the one that signs it out).
pub fn session_set_cookie(state: &AppState, value: &str, max_age_secs: u64) -> HeaderValue {
    set_cookie(
        session_cookie(state),
        value,
        Some(max_age_secs),
        is_https(state),
    )
}

pub fn is_https(state: &AppState) -> bool {
    state.ctx.settings.server.public_url.starts_with("https://") || state.tls
}

/// The CSRF cookie value the request carries (or was just given by `ensure_csrf_cookie`).
#[derive(Clone)]
struct CsrfSeed(String);

/// Gives every browser a CSRF cookie on its first page.
pub async fn ensure_csrf_cookie(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let existing = cookie(req.headers(), csrf_cookie(&state)).filter(|v| v.len() >= 32);
    let fresh = existing.is_none();
    let seed = existing.unwrap_or_else(app::token::new_token);
    req.extensions_mut().insert(CsrfSeed(seed.clone()));
    let mut res = next.run(req).await;
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(csrf_cookie(&state), &seed, None, is_https(&state)),
        );
    }
    res
}

/// The token for forms: the CSRF seed and the session (none for visitors), under the key.
fn csrf_for(state: &AppState, seed: &str, session: Option<&str>) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.ctx.keys.token_signing).expect("any key length");
    mac.update(b"csrf\0");
    mac.update(seed.as_bytes());
    mac.update(b"\0");
    // Hashed, so the HMAC input never holds the session secret itself.
    mac.update(app::token::hash(session.unwrap_or_default()).as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The CSRF token to embed in this page's forms.
pub fn csrf_token(parts: &Parts, state: &AppState) -> String {
    let seed = parts
        .extensions
        .get::<CsrfSeed>()
        .map(|s| s.0.clone())
        .unwrap_or_default();
    let session = cookie(&parts.headers, session_cookie(state));
    csrf_for(state, &seed, session.as_deref())
}

/// The CSRF token for a page rendered outside a handler (an error page): from the cookies
/// alone, as a browser that has been here before holds them.
pub fn csrf_for_headers(state: &AppState, headers: &HeaderMap) -> String {
    let seed = cookie(headers, csrf_cookie(state)).unwrap_or_default();
    let session = cookie(headers, session_cookie(state));
    csrf_for(state, &seed, session.as_deref())
}

/// Checks a submitted CSRF token against the request's cookies.
pub fn check_csrf(parts: &Parts, state: &AppState, submitted: &str) -> Result<(), PageError> {
    check_csrf_headers(&parts.headers, state, submitted)
}

/// Like [`check_csrf`], for handlers that read the body themselves (multipart uploads)
/// and so hold the headers rather than the request parts.
pub fn check_csrf_headers(
    headers: &HeaderMap,
    state: &AppState,
    submitted: &str,
) -> Result<(), PageError> {
    let seed = cookie(headers, csrf_cookie(state)).ok_or(PageError::CsrfFailed)?;
    let session = cookie(headers, session_cookie(state));
    let expected = csrf_for(state, &seed, session.as_deref());
    if subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), submitted.as_bytes()).into() {
        Ok(())
    } else {
        Err(PageError::CsrfFailed)
    }
}

/// The signed-in user, if any (pages that look different for visitors).
pub struct MaybeUser(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, session_cookie(state)) else {
            return Ok(MaybeUser(None));
        };
        match app::accounts::authenticate_browser(&state.ctx, &token).await {
            Ok(actor) => {
                crate::extract::mark_user(&actor);
                Ok(MaybeUser(Some(actor)))
            }
            Err(app::Error::Internal(e)) => Err(PageError::Internal(e)),
            Err(_) => Ok(MaybeUser(None)),
        }
    }
}

/// The signed-in user; visitors are sent to the sign-in page and brought back after.
pub struct SignedIn(pub Actor);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, session_cookie(state));
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/home".into());
        let Some(token) = token else {
            return Err(PageError::SignInRequired { next });
        };
        match app::accounts::authenticate_browser(&state.ctx, &token).await {
            Ok(actor) => {
                crate::extract::mark_user(&actor);
                Ok(SignedIn(actor))
            }
            Err(app::Error::AccountSuspended) => Err(PageError::App(app::Error::AccountSuspended)),
            Err(app::Error::Internal(e)) => Err(PageError::Internal(e)),
            Err(_) => Err(PageError::SignInRequired { next }),
        }
    }
}

/// A URL-encoded form whose CSRF token has been checked.
pub struct Form<T>(pub T);

#[derive(serde::Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    inner: T,
}

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequest<AppState> for Form<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (form, _) = read_form(req, state).await?;
        Ok(Form(form))
    }
}

/// A checked form that also keeps the values of fields sent more than once (a group of
/// checkboxes), which `serde_urlencoded` cannot read into the form's type.
pub struct FormWithLists<T>(pub T, pub FormLists);

/// Every (name, value) pair a form sent, in order.
pub struct FormLists(Vec<(String, String)>);

impl FormLists {
    /// Every value sent under `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequest<AppState>
    for FormWithLists<T>
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (form, bytes) = read_form(req, state).await?;
        let pairs = form_urlencoded::parse(&bytes).into_owned().collect();
        Ok(FormWithLists(form, FormLists(pairs)))
    }
}

/// Reads a URL-encoded form and checks its CSRF token: the form and its raw body.
async fn read_form<T: serde::de::DeserializeOwned>(
    req: Request,
    state: &AppState,
) -> Result<(T, axum::body::Bytes), PageError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, state.ctx.settings.server.body_limit_bytes)
        .await
        .map_err(|_| PageError::BadForm("The form is too large.".into()))?;
    let parsed: WithCsrf<T> = serde_path_to_error::deserialize(
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes)),
    )
    .map_err(|e| {
        let message = e.inner().to_string();
        if domain::TextError::is_its_message(&message) {
            // A refused text (a control character, too long) is the person's input
            // to fix, like any other validation problem: a 422 naming the field.
            let field = e.path().to_string();
            let field = field
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .replace('_', " ");
            PageError::App(app::Error::Invalid(vec![domain::DomainError::new(
                "form",
                format!("{field}: {message}"),
            )]))
        } else {
            PageError::BadForm(format!("The form could not be read ({message})."))
        }
    })?;
    check_csrf(&parts, state, &parsed.csrf_token)?;
    Ok((parsed.inner, bytes))
}

/// What every page handler needs about its request: the CSRF token for its forms, its
/// path (to mark the current link) and the facts the audit log records.
pub struct PageMeta {
    pub csrf: String,
    pub path: String,
    pub request: app::RequestMeta,
    /// When the request is served, on the context clock (tests move it), for what a page
    /// computes about "now", such as the offsets in the time-zone list.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl FromRequestParts<AppState> for PageMeta {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(PageMeta {
            csrf: csrf_token(parts, state),
            path: parts.uri.path().to_owned(),
            request: crate::extract::request_meta(
                parts,
                &state.ctx.settings.server.trusted_proxies,
            ),
            now: state.ctx.now(),
        })
    }
}
