//! The page an emailed invitation link opens: who invited whom to which circle, and
//! accepting it (signed out, the page offers to create an account or sign in first).

use crate::pages::layout::Layout;
use crate::pages::respond::{self, render};
use crate::pages::session::{Form, MaybeUser, PageMeta, SignedIn};
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::invitations;
use app::circles::invitations::InvitationPreview;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/circles/invitations/accept", get(accept_page).post(accept))
}

#[derive(Template)]
#[template(path = "circles/accept.html")]
struct AcceptPage {
    layout: Layout,
    token: String,
    /// Who invited to which circle, when the link names an invitation.
    invitation: Option<InvitationPreview>,
    /// Nobody is signed in: the page offers to create an account or sign in, and both
    /// come back here.
    visitor: bool,
    /// This page's own address, for the way back after signing in or registering.
    here: String,
    /// Why accepting did not work, in the use case's words.
    problem: Option<String>,
}

impl AcceptPage {
    async fn load(
        s: &AppState,
        actor: Option<&Actor>,
        csrf: String,
        token: &str,
    ) -> PageResult<Self> {
        let invitation = invitations::preview(&s.ctx, token).await?;
        Ok(AcceptPage {
            layout: Layout::new(
                "Invitation to a circle",
                csrf,
                actor,
                "/circles/invitations/accept",
            ),
            token: token.to_owned(),
            invitation,
            visitor: actor.is_none(),
            here: crate::pages::encode(&format!(
                "/circles/invitations/accept?token={}",
                crate::pages::encode(token)
            )),
            problem: None,
        })
    }
}

#[derive(Deserialize)]
struct TokenInput {
    #[serde(default)]
    token: String,
}

/// The emailed link. Visitors see who invited them where, and may create an account or
/// sign in, both of which lead back here; opening the page changes nothing, so a mail
/// scanner cannot use the link up.
async fn accept_page(
    State(s): State<AppState>,
    MaybeUser(actor): MaybeUser,
    m: PageMeta,
    Query(q): Query<TokenInput>,
) -> PageResult<Response> {
    if let Some(actor) = &actor {
        actor.require::<can::Participate>()?;
    }
    render(AcceptPage::load(&s, actor.as_ref(), m.csrf, q.token.trim()).await?)
}

async fn accept(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(input): Form<TokenInput>,
) -> PageResult<Response> {
    let g = actor.require::<can::Participate>()?;
    match invitations::accept(&s.ctx, &m.request, &actor, g, &input.token).await {
        Ok(joined) => respond::done(&format!("/circles/{}", joined.circle_id), "joined", ""),
        Err(e) => {
            let problem = FormState::default().absorb(e)?.summary;
            let mut page = AcceptPage::load(&s, Some(&actor), m.csrf, input.token.trim()).await?;
            page.problem = problem;
            render(page)
        }
    }
}
