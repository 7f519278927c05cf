//! Account pages: register, check your email, verify, sign in (with the MFA step), forgot
//! and reset password, sign out.

mod password;

use super::layout::Layout;
use super::respond::render;
use super::session::{session_set_cookie, Form, MaybeUser, PageMeta, SignedIn};
use super::{safe_next, FormState, PageResult};
use crate::state::AppState;
use app::accounts::{self, BrowserLogin, BrowserSession, Registration};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::local_path::LocalPath;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(register_form).post(register))
        .route("/check-email", get(check_email))
        .route("/resend-verification", post(resend_verification))
        .route("/verify-email", get(verify_form).post(verify))
        .route("/login", get(login_form).post(login))
        .route("/login/mfa", post(login_mfa))
        .route("/logout", post(logout))
        .merge(password::routes())
}

#[derive(Template)]
#[template(path = "account/register.html")]
struct RegisterPage {
    layout: Layout,
    form: FormState,
    /// Where to continue after confirming the address and signing in (`/home` when the
    /// person came from nowhere in particular).
    next: String,
}

async fn register_form(
    MaybeUser(user): MaybeUser,
    m: PageMeta,
    Query(q): Query<NextQuery>,
) -> PageResult<Response> {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(super::redirect(&next));
    }
    render(RegisterPage {
        layout: Layout::new("Create your account", m.csrf, None, &m.path),
        form: FormState::default(),
        next,
    })
}

#[derive(Deserialize)]
struct RegisterInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn register(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<RegisterInput>,
) -> PageResult<Response> {
    let registration = Registration {
        email: input.email.clone(),
        password: input.password,
        display_name: input.display_name.clone(),
    };
    // Only a page that leads somewhere rides along in the verification email.
    let next = input
        .next
        .as_deref()
        .and_then(LocalPath::parse)
        .filter(|p| p.as_str() != "/home");
    let next_field = safe_next(input.next.as_deref());
    match accounts::register_then(&s.ctx, &m.request, &registration, next.as_ref()).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/check-email?email={}",
            super::encode(input.email.trim())
        ))
        .into_response()),
        Err(e) => {
            let form = FormState::default()
                .with("email", &input.email)
                .with("display_name", &input.display_name)
                .absorb(e)?;
            render(RegisterPage {
                layout: Layout::new("Create your account", m.csrf, None, &m.path),
                form,
                next: next_field,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "account/check_email.html")]
struct CheckEmailPage {
    layout: Layout,
    email: String,
    resent: bool,
}

#[derive(Deserialize)]
struct EmailQuery {
    email: Option<String>,
    resent: Option<String>,
}

async fn check_email(m: PageMeta, Query(q): Query<EmailQuery>) -> PageResult<Response> {
    render(CheckEmailPage {
        layout: Layout::new("Check your email", m.csrf, None, &m.path),
        email: q.email.unwrap_or_default(),
        resent: q.resent.is_some(),
    })
}

#[derive(Deserialize)]
struct EmailInput {
    #[serde(default)]
    email: String,
}

async fn resend_verification(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<EmailInput>,
) -> PageResult<Response> {
    match accounts::resend_verification(&s.ctx, &m.request, &input.email).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/check-email?resent=1&email={}",
            super::encode(input.email.trim())
        ))
        .into_response()),
        Err(app::Error::Internal(e)) => Err(super::PageError::Internal(e)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "account/verify_email.html")]
struct VerifyPage {
    layout: Layout,
    token: String,
    /// Where signing in leads afterwards (the invitation someone registered from).
    next: String,
    outcome: Option<Result<(), String>>,
}

impl VerifyPage {
    /// The sign-in link, carrying `next` when it leads somewhere.
    fn sign_in_href(&self) -> String {
        if self.next == "/home" {
            "/login".to_owned()
        } else {
            format!("/login?next={}", super::encode(&self.next))
        }
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
    next: Option<String>,
}

/// The emailed link opens a page with a button: mail scanners that follow links must not
/// use the token up.
async fn verify_form(m: PageMeta, Query(q): Query<TokenQuery>) -> PageResult<Response> {
    render(VerifyPage {
        layout: Layout::new("Confirm your email", m.csrf, None, &m.path),
        token: q.token.unwrap_or_default(),
        next: safe_next(q.next.as_deref()),
        outcome: None,
    })
}

#[derive(Deserialize)]
struct TokenInput {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

async fn verify(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<TokenInput>,
) -> PageResult<Response> {
    let outcome = match accounts::verify_email(&s.ctx, &m.request, &input.token).await {
        Ok(()) => Ok(()),
        Err(app::Error::Internal(e)) => return Err(super::PageError::Internal(e)),
        Err(e) => Err(e.to_string()),
    };
    render(VerifyPage {
        layout: Layout::new("Confirm your email", m.csrf, None, &m.path),
        token: String::new(),
        next: safe_next(input.next.as_deref()),
        outcome: Some(outcome),
    })
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    layout: Layout,
    form: FormState,
    next: String,
    unverified: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    MaybeUser(user): MaybeUser,
    m: PageMeta,
    Query(q): Query<NextQuery>,
) -> PageResult<Response> {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(super::redirect(&next));
    }
    render(LoginPage {
        layout: Layout::new("Sign in", m.csrf, None, &m.path),
        form: FormState::default(),
        next,
        unverified: false,
    })
}

#[derive(Deserialize)]
struct LoginInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "account/login_mfa.html")]
struct MfaPage {
    layout: Layout,
    mfa_token: String,
    next: String,
    error: Option<String>,
    /// The person answered with a recovery code: show that form again.
    recovery: bool,
}

async fn login(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<LoginInput>,
) -> PageResult<Response> {
    let next = safe_next(input.next.as_deref());
    match accounts::login_browser(&s.ctx, &m.request, &input.email, &input.password).await {
        Ok(BrowserLogin::SignedIn(session)) => Ok(signed_in(&s, session, &next)),
        Ok(BrowserLogin::MfaRequired { mfa_token }) => render(MfaPage {
            layout: Layout::new("Two-step verification", m.csrf, None, "/login"),
            mfa_token,
            next,
            error: None,
            recovery: false,
        }),
        Err(e) => {
            let unverified = matches!(e, app::Error::EmailNotVerified);
            let form = FormState::default().with("email", &input.email).absorb(e)?;
            render(LoginPage {
                layout: Layout::new("Sign in", m.csrf, None, &m.path),
                form,
                next,
                unverified,
            })
        }
    }
}

#[derive(Deserialize)]
struct MfaInput {
    #[serde(default)]
    mfa_token: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
    /// Sent by the recovery-code form.
    recovery: Option<String>,
}

async fn login_mfa(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<MfaInput>,
) -> PageResult<Response> {
    let next = safe_next(input.next.as_deref());
    match accounts::login_mfa_browser(&s.ctx, &m.request, &input.mfa_token, &input.code).await {
        Ok(session) => Ok(signed_in(&s, session, &next)),
        Err(app::Error::Internal(e)) => Err(super::PageError::Internal(e)),
        Err(app::Error::InvalidToken) => {
            let form = FormState {
                summary: Some("That sign-in took too long. Please sign in again.".into()),
                ..FormState::default()
            };
            render(LoginPage {
                layout: Layout::new("Sign in", m.csrf, None, "/login"),
                form,
                next,
                unverified: false,
            })
        }
        Err(e) => render(MfaPage {
            layout: Layout::new("Two-step verification", m.csrf, None, "/login"),
            mfa_token: input.mfa_token,
            next,
            error: Some(e.to_string()),
            recovery: input.recovery.is_some(),
        }),
    }
}

fn signed_in(s: &AppState, session: BrowserSession, next: &str) -> Response {
    let mut res = super::redirect(next);
    let cookie = session_set_cookie(s, &session.cookie_token, session.max_age_secs);
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// The sign-out form: its script adds the id of this browser's conversation device, if it
/// has one (without JavaScript nothing is added and no device is revoked).
#[derive(Deserialize)]
struct SignOutInput {
    #[serde(default)]
    device_id: String,
}

async fn logout(
    State(s): State<AppState>,
    m: PageMeta,
    SignedIn(actor): SignedIn,
    Form(input): Form<SignOutInput>,
) -> PageResult<Response> {
    // Revoked before the session ends, while the request is still his. Any other text
    // than a device id is no device of his: nothing to revoke, the sign-out goes on.
    if let Ok(device_id) = input.device_id.trim().parse::<uuid::Uuid>() {
        app::conversation::devices::revoke_at_sign_out(&s.ctx, &m.request, &actor, device_id)
            .await?;
    }
    accounts::logout(&s.ctx, &m.request, &actor).await?;
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_set_cookie(&s, "", 0));
    // Pages saved for offline reading must not outlive the session. The service worker
    // forgets them when it sees this request; this header makes the browser drop them
    // (and the worker, which the next page registers again) even when no worker saw it.
    res.headers_mut().insert(
        header::HeaderName::from_static("clear-site-data"),
        header::HeaderValue::from_static("\"storage\""),
    );
    Ok(res)
}
