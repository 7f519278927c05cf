//! The security page: change password, two-step verification (set up, confirm, turn off,
//! new recovery codes) and the devices signed in to the account.

use super::layout::Layout;
use super::respond::{self, rename_field, render, DoneQuery, Empty};
use super::session::{Form, PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::accounts::{self, SessionInfo, TotpSetup};
use app::authz::Actor;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/security", get(show))
        .route("/security/password", post(change_password))
        .route("/security/mfa/start", post(start_mfa))
        .route("/security/mfa/cancel", post(cancel_mfa))
        .route("/security/mfa/confirm", post(confirm_mfa))
        .route("/security/mfa/disable", post(disable_mfa))
        .route("/security/mfa/recovery-codes", post(regenerate_codes))
        .route("/security/sessions/revoke-others", post(revoke_others))
        .route("/security/sessions/{id}/revoke", post(revoke_session))
}

/// What a change tells at the top of the page. Starting two-step set-up has none: the
/// set-up section itself says to scan the code, and one message is said once.
const NOTICES: &[(&str, &str)] = &[
    (
        "password_changed",
        "Your password is changed. Every other device was signed out.",
    ),
    (
        "mfa_cancelled",
        "Set-up cancelled. Two-step verification is still off.",
    ),
    ("mfa_disabled", "Two-step verification is now off."),
    ("session_revoked", "That device is signed out."),
    ("others_revoked", "Every other device is signed out."),
];

/// The QR code and secret of a set-up waiting for its first code.
struct SetupView {
    secret: String,
    /// The QR code as a `data:` URI: an `<img>` never runs what an SVG might carry, and the
    /// CSP allows `img-src data:`.
    qr_src: String,
}

impl From<TotpSetup> for SetupView {
    fn from(s: TotpSetup) -> Self {
        SetupView {
            secret: s.secret,
            qr_src: format!(
                "data:image/svg+xml;base64,{}",
                STANDARD.encode(s.qr_svg.as_bytes())
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    layout: Layout,
    notice: Option<&'static str>,
    password: FormState,
    mfa_enabled: bool,
    setup: Option<SetupView>,
    /// Fresh recovery codes: shown this once.
    recovery_codes: Vec<String>,
    mfa: FormState,
    sessions: Vec<SessionInfo>,
}

impl SecurityPage {
    /// "Firefox on Android": what the owner calls the device, not its raw user agent.
    fn device(&self, user_agent: &Option<String>) -> String {
        accounts::device::describe(user_agent.as_deref())
    }

    /// The page as it stands for `actor`, with empty forms.
    async fn load(s: &AppState, actor: &Actor, csrf: String) -> PageResult<SecurityPage> {
        let mfa_enabled = accounts::mfa_enabled(&s.ctx, actor.id()).await?;
        let setup = if mfa_enabled {
            None
        } else {
            accounts::pending_totp_setup(&s.ctx, actor)
                .await?
                .map(SetupView::from)
        };
        Ok(SecurityPage {
            layout: Layout::new("Security", csrf, Some(actor), "/security"),
            notice: None,
            password: FormState::default(),
            mfa_enabled,
            setup,
            recovery_codes: Vec::new(),
            mfa: FormState::default(),
            sessions: accounts::list_sessions(&s.ctx, actor).await?,
        })
    }
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = SecurityPage::load(&s, &actor, m.csrf).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

#[derive(Deserialize)]
struct PasswordInput {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<PasswordInput>,
) -> PageResult<Response> {
    match accounts::change_password(
        &s.ctx,
        &m.request,
        &actor,
        &input.current_password,
        &input.new_password,
    )
    .await
    {
        Ok(()) => respond::done("/security", "password_changed", "password"),
        Err(e) => {
            let mut page = SecurityPage::load(&s, &actor, m.csrf).await?;
            page.password = FormState::default().absorb(e)?;
            render(page)
        }
    }
}

async fn start_mfa(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    _form: Form<Empty>,
) -> PageResult<Response> {
    // The secret is kept (encrypted) until confirmed, so the GET after this redirect shows
    // it again and a reload does not replace what the authenticator app has scanned.
    match accounts::start_totp_setup(&s.ctx, &actor).await {
        Ok(_) => respond::done("/security", "mfa_started", "mfa"),
        Err(e) => mfa_problem(&s, &actor, m.csrf, e).await,
    }
}

async fn cancel_mfa(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    _form: Form<Empty>,
) -> PageResult<Response> {
    match accounts::cancel_totp_setup(&s.ctx, &m.request, &actor).await {
        Ok(()) => respond::done("/security", "mfa_cancelled", "mfa"),
        Err(e) => mfa_problem(&s, &actor, m.csrf, e).await,
    }
}

#[derive(Deserialize)]
struct ConfirmInput {
    #[serde(default)]
    setup_code: String,
}

async fn confirm_mfa(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<ConfirmInput>,
) -> PageResult<Response> {
    match accounts::confirm_totp(&s.ctx, &m.request, &actor, &input.setup_code).await {
        Ok(codes) => show_codes(&s, &actor, m.csrf, codes).await,
        Err(app::Error::InvalidMfaCode) => {
            let mut page = SecurityPage::load(&s, &actor, m.csrf).await?;
            page.mfa = FormState::default()
                .with("setup_code", &input.setup_code)
                .field_error(
                    "setup_code",
                    "That code is not right. Enter the six digits your app shows now.",
                );
            render(page)
        }
        Err(e) => mfa_problem(&s, &actor, m.csrf, e).await,
    }
}

/// Recovery codes are rendered in the answer to the POST, never behind a GET: they are
/// shown this once and nowhere else.
async fn show_codes(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    codes: Vec<String>,
) -> PageResult<Response> {
    let mut page = SecurityPage::load(s, actor, csrf).await?;
    page.recovery_codes = codes;
    render(page)
}

#[derive(Deserialize)]
struct DisableInput {
    #[serde(default)]
    disable_password: String,
    #[serde(default)]
    disable_code: String,
}

async fn disable_mfa(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<DisableInput>,
) -> PageResult<Response> {
    match accounts::disable_totp(
        &s.ctx,
        &m.request,
        &actor,
        &input.disable_password,
        &input.disable_code,
    )
    .await
    {
        Ok(()) => respond::done("/security", "mfa_disabled", "mfa"),
        Err(app::Error::InvalidMfaCode) => {
            let mut page = SecurityPage::load(&s, &actor, m.csrf).await?;
            page.mfa = FormState::default().field_error(
                "disable_code",
                "That code is not right. Enter the code your app shows now, or a recovery code.",
            );
            render(page)
        }
        Err(e) => {
            let e = rename_field(e, "password", "disable_password");
            mfa_problem(&s, &actor, m.csrf, e).await
        }
    }
}

#[derive(Deserialize)]
struct RegenerateInput {
    #[serde(default)]
    regen_code: String,
}

async fn regenerate_codes(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<RegenerateInput>,
) -> PageResult<Response> {
    match accounts::regenerate_recovery_codes(&s.ctx, &m.request, &actor, &input.regen_code).await {
        Ok(codes) => show_codes(&s, &actor, m.csrf, codes).await,
        Err(app::Error::InvalidMfaCode) => {
            let mut page = SecurityPage::load(&s, &actor, m.csrf).await?;
            page.mfa = FormState::default().field_error(
                "regen_code",
                "That code is not right. Enter the six digits your authenticator app shows now.",
            );
            render(page)
        }
        Err(e) => mfa_problem(&s, &actor, m.csrf, e).await,
    }
}

/// Re-renders the page with a two-step verification problem beside its forms.
async fn mfa_problem(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    e: app::Error,
) -> PageResult<Response> {
    let mut page = SecurityPage::load(s, actor, csrf).await?;
    page.mfa = FormState::default().absorb(e)?;
    render(page)
}

async fn revoke_session(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    accounts::revoke_session(&s.ctx, &m.request, &actor, id).await?;
    if id == actor.session_id {
        // Signing out this very device from the list is a sign-out.
        return Ok(Redirect::to("/login").into_response());
    }
    respond::done("/security", "session_revoked", "sessions")
}

async fn revoke_others(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    _form: Form<Empty>,
) -> PageResult<Response> {
    accounts::revoke_other_sessions(&s.ctx, &m.request, &actor).await?;
    respond::done("/security", "others_revoked", "sessions")
}
