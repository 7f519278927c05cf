//! Joining, leaving and removal from one circle's page: asking to join (with a message),
//! leaving, and a leader removing a member (which asks first).

use super::ShowPage;
use crate::pages::confirm;
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::membership::JoinMessage;
use app::circles::{self, membership};
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/join", post(join))
        .route("/circles/{id}/leave", post(leave))
        .route("/circles/{id}/members/{user_id}/remove", post(remove))
}

#[derive(Deserialize)]
struct JoinInput {
    #[serde(default)]
    message: respond::FormText,
    /// The message sealed to the leaders' devices (JSON), which the page's script puts here
    /// instead of sending `message`.
    #[serde(default)]
    message_sealed: String,
}

async fn join(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<JoinInput>,
) -> PageResult<Response> {
    let g = actor.require::<can::Participate>()?;
    let asked = match JoinMessage::parse_sealed(&input.message_sealed)
        .and_then(|sealed| JoinMessage::from_parts(Some(&input.message), sealed))
    {
        Ok(message) => membership::request_join(&s.ctx, &m.request, g, id, message).await,
        Err(e) => Err(e),
    };
    match asked {
        Ok(_) => respond::done(&format!("/circles/{id}"), "requested", ""),
        Err(e) => {
            let join = FormState::default()
                .with("message", &input.message)
                .absorb(e)?;
            let mut page = ShowPage::load(&s, &actor, m.csrf, id).await?;
            page.join = join;
            render(page)
        }
    }
}

/// Leaves the circle, or withdraws a waiting request (the same use case).
async fn leave(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<respond::Empty>,
) -> PageResult<Response> {
    let g = actor.require::<can::Participate>()?;
    match membership::leave(&s.ctx, &m.request, g, id).await {
        // A withdrawn request never joined; after leaving, the circle's page may no
        // longer be the person's to see in full, so the list is where they land.
        Ok(left) if left.joined_at.is_none() => respond::done("/circles", "withdrawn", ""),
        Ok(_) => respond::done(&format!("/circles/{id}"), "left", ""),
        Err(e) => {
            let problem = FormState::default().absorb(e)?.summary;
            let mut page = ShowPage::load(&s, &actor, m.csrf, id).await?;
            page.problem = problem;
            render(page)
        }
    }
}

#[derive(Deserialize)]
struct RemoveInput {
    #[serde(default)]
    reason: respond::FormText,
    /// `yes` from the confirmation page.
    confirm: Option<String>,
}

async fn remove(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
    Form(input): Form<RemoveInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    if !confirm::confirmed(&input.confirm) {
        let mut page = ShowPage::load(&s, &actor, m.csrf.clone(), id).await?;
        if input.reason.trim().is_empty() {
            // Nothing to confirm yet: the reason is what they are told.
            page.remove_for = Some(user_id);
            page.remove = FormState::default().field_error(
                "reason",
                "Give a reason for removing them: they are told it by email.",
            );
            return render(page);
        }
        return ask_to_remove(&actor, m, &page, id, user_id, &input.reason);
    }
    match membership::remove(&s.ctx, &m.request, &lead, user_id, &input.reason).await {
        Ok(_) => respond::done(&format!("/circles/{id}"), "removed", "members"),
        Err(e) => {
            let remove = FormState::default()
                .with("reason", &input.reason)
                .absorb(e)?;
            let mut page = ShowPage::load(&s, &actor, m.csrf, id).await?;
            page.remove_for = Some(user_id);
            page.problem = remove.summary.clone();
            page.remove = remove;
            render(page)
        }
    }
}

/// The step before removing a member: who is removed, that they lose access, and that the
/// reason is emailed to them.
fn ask_to_remove(
    actor: &Actor,
    m: PageMeta,
    page: &ShowPage,
    id: Uuid,
    user_id: Uuid,
    reason: &str,
) -> PageResult<Response> {
    let name = page
        .circle
        .members
        .iter()
        .flatten()
        .find(|p| p.user_id == user_id)
        .map_or_else(|| "this member".to_owned(), |p| p.display_name.clone());
    let circle = &page.circle.name;
    let heading = format!("Remove {name} from {circle}?");
    let told = format!(
        "{name} is emailed that they were removed, with your reason: “{}”.",
        reason.trim()
    );
    confirm::ask(
        Layout::new(heading.clone(), m.csrf, Some(actor), &m.path),
        confirm::Ask {
            heading,
            consequences: vec![
                format!("{name} leaves the circle at once: no more meetings, conversation or notes of {circle}."),
                told,
                "To have them back later, they ask to join again or you invite them.".to_owned(),
            ],
            action: format!("/circles/{id}/members/{user_id}/remove"),
            fields: vec![("reason", reason.to_owned())],
            button: "Yes, remove them",
            back: format!("/circles/{id}#members"),
            keep: "Keep them in the circle",
        },
    )
}
