//! The certifications page (needs `CertifyFacilitators`): find a person by email, record
//! that they are a certified facilitator, revoke a certification. It stands on its own:
//! Program Team Members certify without being able to manage users.

use super::confirm;
use super::format::filters;
use super::layout::Layout;
use super::respond::{self, given, parse_date, rename_field, render};
use super::session::{Form, PageMeta, SignedIn};
use super::{encode, FormState, PageError, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::{can, Actor, Granted};
use app::certification::{self, Candidate, Certification, NewCertification};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::MultiLine;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/certifications", get(show).post(record))
        .route("/certifications/{id}/revoke", post(revoke))
}

const NOTICES: &[(&str, &str)] = &[
    ("certified", "The certification is recorded."),
    (
        "revoked",
        "The certification is revoked. Without a current one, the Facilitator role is removed too.",
    ),
];

#[derive(Template)]
#[template(path = "certifications.html")]
struct CertificationsPage {
    layout: Layout,
    notice: Option<&'static str>,
    /// The email search.
    lookup: FormState,
    candidate: Option<Candidate>,
    certs: Vec<Certification>,
    /// The "record a certification" form.
    form: FormState,
    /// A refused revocation.
    problem: Option<String>,
}

impl CertificationsPage {
    /// The page for `email` (when given), with empty forms.
    async fn load(
        s: &AppState,
        actor: &Actor,
        g: Granted<can::CertifyFacilitators>,
        csrf: String,
        email: Option<&str>,
    ) -> PageResult<CertificationsPage> {
        let mut page = CertificationsPage {
            layout: Layout::new("Certifications", csrf, Some(actor), "/certifications"),
            notice: None,
            lookup: FormState::default().with("email", email.unwrap_or("")),
            candidate: None,
            certs: Vec::new(),
            form: FormState::default(),
            problem: None,
        };
        let Some(email) = email else {
            return Ok(page);
        };
        match certification::find_candidate(&s.ctx, g, email).await {
            Ok(candidate) => {
                page.certs = certification::list(&s.ctx, g, candidate.user_id).await?;
                page.candidate = Some(candidate);
            }
            Err(app::Error::NotFound(_)) => {
                page.lookup = page
                    .lookup
                    .field_error("email", "No account uses this email address.");
            }
            Err(e) => page.lookup = page.lookup.absorb(e)?,
        }
        Ok(page)
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    email: Option<String>,
    done: Option<String>,
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    let mut page = CertificationsPage::load(&s, &actor, g, m.csrf, given(&q.email)).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

fn back_to(email: &str) -> String {
    format!("/certifications?email={}", encode(email))
}

#[derive(Deserialize)]
struct RecordInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    note: MultiLine<1000>,
}

async fn record(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<RecordInput>,
) -> PageResult<Response> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    let user_id: Uuid = input
        .user_id
        .parse()
        .map_err(|_| PageError::BadForm("Find the person by email first.".into()))?;
    let form = FormState::default()
        .with("expires_on", &input.expires_on)
        .with("note", &input.note);
    let expires_at = match input.expires_on.trim() {
        "" => None,
        raw => match parse_date(raw) {
            Ok(d) => Some(d),
            Err(message) => {
                let form = form.field_error("expires_on", &message);
                return rerender(&s, &actor, g, m.csrf, &input.email, form).await;
            }
        },
    };
    let new = NewCertification {
        user_id,
        expires_at,
        note: Some(input.note.clone()),
    };
    match certification::certify(&s.ctx, &m.request, g, &new).await {
        Ok(_) => respond::done(&back_to(&input.email), "certified", "certifications"),
        Err(e) => {
            let form = form.absorb(rename_field(e, "expires_at", "expires_on"))?;
            rerender(&s, &actor, g, m.csrf, &input.email, form).await
        }
    }
}

/// The page again with the record form's values and problems.
async fn rerender(
    s: &AppState,
    actor: &Actor,
    g: Granted<can::CertifyFacilitators>,
    csrf: String,
    email: &str,
    form: FormState,
) -> PageResult<Response> {
    let mut page = CertificationsPage::load(s, actor, g, csrf, Some(email)).await?;
    page.form = form;
    render(page)
}

#[derive(Deserialize)]
struct RevokeInput {
    #[serde(default)]
    email: String,
    /// `yes` from the confirmation page.
    confirm: Option<String>,
}

async fn revoke(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<RevokeInput>,
) -> PageResult<Response> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    if !confirm::confirmed(&input.confirm) {
        let who = given(&Some(input.email.clone()))
            .unwrap_or("this person")
            .to_owned();
        let heading = format!("Revoke the certification of {who}?");
        return confirm::ask(
            Layout::new(heading.clone(), m.csrf, Some(&actor), &m.path),
            confirm::Ask {
                heading,
                consequences: vec![
                    "The certification ends now and cannot be restored; a new one would have to be recorded.".to_owned(),
                    "Without another current certification, the Facilitator role is removed too: they can no longer create circles, and circles they lead without another certified leader are marked as needing one.".to_owned(),
                ],
                action: format!("/certifications/{id}/revoke"),
                fields: vec![("email", input.email.clone())],
                button: "Yes, revoke the certification",
                back: back_to(&input.email),
                keep: "Keep the certification",
            },
        );
    }
    match certification::revoke(&s.ctx, &m.request, g, id).await {
        Ok(_) => respond::done(&back_to(&input.email), "revoked", "certifications"),
        Err(app::Error::Rule { message, .. }) => {
            let mut page =
                CertificationsPage::load(&s, &actor, g, m.csrf, given(&Some(input.email))).await?;
            page.problem = Some(message);
            render(page)
        }
        Err(e) => Err(e.into()),
    }
}
