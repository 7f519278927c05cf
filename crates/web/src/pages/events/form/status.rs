//! The organiser's publish / complete / cancel buttons; cancelling asks first.

use crate::pages::confirm;
use crate::pages::layout::Layout;
use crate::pages::respond;
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::authz::Actor;
use app::events::{self, manage, view, EventView};
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use domain::event::EventStatus;
use serde::Deserialize;
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/events/{id}/status", post(set_status))
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    to: String,
    /// `yes` from the confirmation page (cancelling asks first).
    confirm: Option<String>,
}

async fn set_status(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<StatusForm>,
) -> PageResult<Response> {
    let to = EventStatus::parse(input.to.trim())
        .ok_or_else(|| crate::pages::PageError::BadForm("Choose a status.".into()))?;
    let org = events::organise(&s.ctx, &actor, id).await?;
    if to == EventStatus::Cancelled && !confirm::confirmed(&input.confirm) {
        let v = view::get(&s.ctx, &actor, id).await?;
        return ask_to_cancel(&actor, m, &v);
    }
    match manage::set_status(&s.ctx, &m.request, &actor, &org, to).await {
        Ok(_) => {
            // The notice names the new status in plain words.
            let done = match to {
                EventStatus::Draft => "event_draft",
                EventStatus::Published => "event_published",
                EventStatus::Cancelled => "event_cancelled",
                EventStatus::Completed => "event_completed",
            };
            respond::done(&format!("/events/{id}"), done, "")
        }
        Err(e) => crate::pages::events::with_problem(&s, &actor, m.csrf, id, e).await,
    }
}

/// The step before cancelling an event: who is emailed, and that it cannot be undone.
fn ask_to_cancel(actor: &Actor, m: PageMeta, v: &EventView) -> PageResult<Response> {
    let registered = (v.capacity - v.seats_left).max(0);
    let heading = format!("Cancel {}?", v.title);
    confirm::ask(
        Layout::new(heading.clone(), m.csrf, Some(actor), &m.path),
        confirm::Ask {
            heading,
            consequences: vec![
                format!(
                    "Everyone registered ({registered}) and everyone on the waitlist ({}) is emailed that the event is cancelled.",
                    v.waitlisted
                ),
                "Nobody can register any more. The event stays listed as cancelled, and this cannot be undone.".to_owned(),
            ],
            action: format!("/events/{}/status", v.id),
            fields: vec![("to", EventStatus::Cancelled.as_str().to_owned())],
            button: "Yes, cancel the event",
            back: format!("/events/{}", v.id),
            keep: "Keep the event",
        },
    )
}
