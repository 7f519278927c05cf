//! The support page (needs `AssistAccounts`): look up an account by email, see its state,
//! and resend the verification email, lift a lockout or reset two-step verification.
//! Every look-up and action is audited by the use cases.

use super::confirm;
use super::format::filters;
use super::layout::Layout;
use super::respond::{self, given, render, DoneQuery, Empty};
use super::session::{Form, PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::{self, can};
use app::support::{self, AccountStatus};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/support", get(find))
        .route("/support/accounts/{id}", get(show))
        .route(
            "/support/accounts/{id}/resend-verification",
            post(resend_verification),
        )
        .route("/support/accounts/{id}/unlock", post(unlock))
        .route("/support/accounts/{id}/reset-mfa", post(reset_mfa))
}

const NOTICES: &[(&str, &str)] = &[
    (
        "verification_sent",
        "A new confirmation email is on its way to this address.",
    ),
    (
        "unlocked",
        "The account is unlocked: they can try signing in again now.",
    ),
    (
        "mfa_reset",
        "Two-step verification is removed. They can sign in with their password and set it up again.",
    ),
];

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    layout: Layout,
    notice: Option<&'static str>,
    lookup: FormState,
    account: Option<AccountStatus>,
    /// A refused action (already verified, no two-step verification to reset…).
    problem: Option<String>,
}

impl SupportPage {
    fn new(actor: &app::authz::Actor, csrf: String) -> SupportPage {
        SupportPage {
            layout: Layout::new("Support", csrf, Some(actor), "/support"),
            notice: None,
            lookup: FormState::default(),
            account: None,
            problem: None,
        }
    }
}

#[derive(Deserialize)]
struct FindQuery {
    email: Option<String>,
}

async fn find(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<FindQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::AssistAccounts>()?;
    let mut page = SupportPage::new(&actor, m.csrf);
    if let Some(email) = given(&q.email) {
        page.lookup = page.lookup.with("email", email);
        match support::find_by_email(&s.ctx, &actor, g, &m.request, email).await {
            Ok(account) => page.account = Some(account),
            Err(app::Error::NotFound(_)) => {
                page.lookup = page
                    .lookup
                    .field_error("email", "No account uses this email address.");
            }
            Err(e) => page.lookup = page.lookup.absorb(e)?,
        }
    }
    render(page)
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let help = authz::assist(&s.ctx.main, &actor, actor.require()?, id).await?;
    let account = support::account_status(&s.ctx, &help, &m.request).await?;
    let mut page = SupportPage::new(&actor, m.csrf);
    page.lookup = page.lookup.with("email", &account.email);
    page.account = Some(account);
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

/// Which assistance a button asks for.
#[derive(Clone, Copy)]
enum Assist {
    ResendVerification,
    Unlock,
    ResetMfa,
}

async fn resend_verification(
    s: State<AppState>,
    actor: SignedIn,
    m: PageMeta,
    id: Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    assist(s, actor, m, id, Assist::ResendVerification).await
}

async fn unlock(
    s: State<AppState>,
    actor: SignedIn,
    m: PageMeta,
    id: Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    assist(s, actor, m, id, Assist::Unlock).await
}

#[derive(Deserialize)]
struct ResetMfaInput {
    /// `yes` from the confirmation page.
    confirm: Option<String>,
}

async fn reset_mfa(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<ResetMfaInput>,
) -> PageResult<Response> {
    if confirm::confirmed(&input.confirm) {
        return assist(State(s), SignedIn(actor), m, Path(id), Assist::ResetMfa).await;
    }
    let help = authz::assist(&s.ctx.main, &actor, actor.require()?, id).await?;
    let account = support::account_status(&s.ctx, &help, &m.request).await?;
    let heading = format!("Reset two-step verification for {}?", account.display_name);
    confirm::ask(
        Layout::new(heading.clone(), m.csrf, Some(&actor), &m.path),
        confirm::Ask {
            heading,
            consequences: vec![
                format!(
                    "Two-step verification is turned off for {}: their authenticator app and their recovery codes stop working.",
                    account.email
                ),
                "Until they turn it on again, their password alone signs them in. Do this only once you are sure who is asking.".to_owned(),
                format!("{} is emailed that support reset it.", account.email),
            ],
            action: format!("/support/accounts/{id}/reset-mfa"),
            fields: Vec::new(),
            button: "Yes, reset two-step verification",
            back: format!("/support/accounts/{id}"),
            keep: "Keep it on",
        },
    )
}

async fn assist(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    what: Assist,
) -> PageResult<Response> {
    let help = authz::assist(&s.ctx.main, &actor, actor.require()?, id).await?;
    let (result, done) = match what {
        Assist::ResendVerification => (
            support::resend_verification(&s.ctx, &help, &m.request).await,
            "verification_sent",
        ),
        Assist::Unlock => (support::unlock(&s.ctx, &help, &m.request).await, "unlocked"),
        Assist::ResetMfa => (
            support::reset_mfa(&s.ctx, &help, &m.request).await,
            "mfa_reset",
        ),
    };
    match result {
        Ok(()) => respond::done(&format!("/support/accounts/{id}"), done, ""),
        Err(e @ (app::Error::Rule { .. } | app::Error::MfaNotEnabled)) => {
            let account = support::account_status(&s.ctx, &help, &m.request).await?;
            let mut page = SupportPage::new(&actor, m.csrf);
            page.lookup = page.lookup.with("email", &account.email);
            page.account = Some(account);
            page.problem = Some(e.to_string());
            render(page)
        }
        Err(e) => Err(e.into()),
    }
}
