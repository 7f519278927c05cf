//! Forgotten passwords: asking for a reset link by email, and setting a new password with
//! its token.

use super::{EmailInput, TokenQuery};
use crate::pages::layout::Layout;
use crate::pages::respond::render;
use crate::pages::session::{Form, PageMeta};
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::accounts;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/forgot-password", get(forgot_form).post(forgot))
        .route("/reset-password", get(reset_form).post(reset))
}

#[derive(Template)]
#[template(path = "account/forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    form: FormState,
    sent: bool,
}

async fn forgot_form(m: PageMeta) -> PageResult<Response> {
    render(ForgotPage {
        layout: Layout::new("Forgot your password?", m.csrf, None, &m.path),
        form: FormState::default(),
        sent: false,
    })
}

async fn forgot(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<EmailInput>,
) -> PageResult<Response> {
    let (form, sent) =
        match accounts::request_password_reset(&s.ctx, &m.request, &input.email).await {
            Ok(()) => (FormState::default(), true),
            Err(e) => (
                FormState::default().with("email", &input.email).absorb(e)?,
                false,
            ),
        };
    render(ForgotPage {
        layout: Layout::new("Forgot your password?", m.csrf, None, &m.path),
        form,
        sent,
    })
}

#[derive(Template)]
#[template(path = "account/reset_password.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    form: FormState,
    done: bool,
}

async fn reset_form(m: PageMeta, Query(q): Query<TokenQuery>) -> PageResult<Response> {
    render(ResetPage {
        layout: Layout::new("Choose a new password", m.csrf, None, &m.path),
        token: q.token.unwrap_or_default(),
        form: FormState::default(),
        done: false,
    })
}

#[derive(Deserialize)]
struct ResetInput {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

async fn reset(
    State(s): State<AppState>,
    m: PageMeta,
    Form(input): Form<ResetInput>,
) -> PageResult<Response> {
    let (form, done) =
        match accounts::reset_password(&s.ctx, &m.request, &input.token, &input.new_password).await
        {
            Ok(()) => (FormState::default(), true),
            Err(e) => (FormState::default().absorb(e)?, false),
        };
    render(ResetPage {
        layout: Layout::new("Choose a new password", m.csrf, None, &m.path),
        token: input.token,
        form,
        done,
    })
}
