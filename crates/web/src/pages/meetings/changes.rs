//! Changing a circle's planned meetings: generating them from its cadence, adding one,
//! moving one and cancelling one (which asks first: every member is emailed).

use super::{starts_at, MeetingsPage};
use crate::pages::confirm;
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::Actor;
use app::circles;
use app::circles::meetings;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::Duration;
use serde::Deserialize;
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/meetings/generate", post(generate))
        .route("/circles/{id}/meetings/add", post(add))
        .route("/meetings/{id}/move", post(move_meeting))
        .route("/meetings/{id}/cancel", post(cancel))
}

#[derive(Deserialize)]
struct GenerateInput {
    #[serde(default)]
    weeks: String,
}

async fn generate(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<GenerateInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let weeks: i64 = input.weeks.trim().parse().unwrap_or(8);
    let until = s.ctx.now() + Duration::weeks(weeks);
    let back = format!("/circles/{id}/meetings");
    match meetings::generate_meetings(&s.ctx, &m.request, &lead, until).await {
        Ok(g) if g.created == 0 => respond::done(&back, "generated_none", "upcoming"),
        Ok(_) => respond::done(&back, "generated", "upcoming"),
        Err(e) => refused(&s, &actor, m.csrf, id, e).await,
    }
}

/// The meetings page again with the use case's refusal at the top.
async fn refused(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    circle_id: Uuid,
    e: app::Error,
) -> PageResult<Response> {
    let problem = FormState::default().absorb(e)?.summary;
    let mut page = MeetingsPage::load(s, actor, csrf, circle_id).await?;
    page.problem = problem;
    render(page)
}

#[derive(Deserialize)]
struct AddInput {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    note: respond::FormText,
}

impl AddInput {
    fn state(&self) -> FormState {
        FormState::default()
            .with("date", &self.date)
            .with("time", &self.time)
            .with("duration_minutes", &self.duration_minutes)
            .with("note", &self.note)
    }

    /// The length typed, if any (blank: the circle's usual length), or what to say.
    fn duration(&self) -> Result<Option<i32>, &'static str> {
        match self.duration_minutes.trim() {
            "" => Ok(None),
            raw => raw
                .parse()
                .map(Some)
                .map_err(|_| "Enter the length in minutes, for example 90."),
        }
    }
}

async fn add(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<AddInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let zone = lead.circle().time_zone.clone();
    // Both read before either is reported, so every problem shows at once.
    let read = match (
        starts_at(input.state(), &input.date, &input.time, &zone),
        input.duration(),
    ) {
        (Ok(at), Ok(d)) => Ok((at, d)),
        (Ok(_), Err(msg)) => Err(input.state().field_error("duration_minutes", msg)),
        (Err(form), Ok(_)) => Err(form),
        (Err(form), Err(msg)) => Err(form.field_error("duration_minutes", msg)),
    };
    let result = match read {
        Ok((at, duration)) => {
            meetings::add_meeting(&s.ctx, &m.request, &lead, at, duration, Some(&input.note))
                .await
                .map_err(|e| input.state().absorb(e))
        }
        Err(form) => Err(Ok(form)),
    };
    match result {
        Ok(_) => respond::done(&format!("/circles/{id}/meetings"), "added", "upcoming"),
        Err(form) => {
            let mut page = MeetingsPage::load(&s, &actor, m.csrf, id).await?;
            page.add = form?;
            render(page)
        }
    }
}

#[derive(Deserialize)]
struct MoveInput {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
}

async fn move_meeting(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(mid): Path<Uuid>,
    Form(input): Form<MoveInput>,
) -> PageResult<Response> {
    let circle_id = meetings::circle_of(&s.ctx, mid).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    let state = || {
        FormState::default()
            .with("date", &input.date)
            .with("time", &input.time)
    };
    let result = match starts_at(state(), &input.date, &input.time, &lead.circle().time_zone) {
        Ok(at) => meetings::move_meeting(&s.ctx, &m.request, &lead, mid, at)
            .await
            .map_err(|e| state().absorb(e)),
        Err(form) => Err(Ok(form)),
    };
    match result {
        Ok(_) => respond::done(&format!("/circles/{circle_id}/meetings"), "moved", ""),
        Err(form) => {
            let form = form?;
            let mut page = MeetingsPage::load(&s, &actor, m.csrf, circle_id).await?;
            page.problem = form.summary.clone();
            page.move_for = Some(mid);
            page.moving = form;
            render(page)
        }
    }
}

#[derive(Deserialize)]
struct CancelInput {
    /// `yes` from the confirmation page.
    confirm: Option<String>,
}

async fn cancel(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(mid): Path<Uuid>,
    Form(input): Form<CancelInput>,
) -> PageResult<Response> {
    let circle_id = meetings::circle_of(&s.ctx, mid).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    if !confirm::confirmed(&input.confirm) {
        let page = MeetingsPage::load(&s, &actor, m.csrf.clone(), circle_id).await?;
        let when = page
            .upcoming
            .iter()
            .chain(&page.past)
            .find(|l| l.id == mid)
            .map_or_else(String::new, |l| l.when.clone());
        let heading = format!("Cancel the meeting of {when}?");
        return confirm::ask(
            Layout::new(heading.clone(), m.csrf, Some(&actor), &m.path),
            confirm::Ask {
                heading,
                consequences: vec![
                    format!(
                        "Every member of {} is emailed that this meeting is cancelled.",
                        page.circle_name
                    ),
                    "The meeting stays listed as cancelled and cannot be brought back; to meet after all, add a new meeting.".to_owned(),
                ],
                action: format!("/meetings/{mid}/cancel"),
                fields: Vec::new(),
                button: "Yes, cancel the meeting",
                back: format!("/circles/{circle_id}/meetings"),
                keep: "Keep the meeting",
            },
        );
    }
    match meetings::cancel_meeting(&s.ctx, &m.request, &lead, mid).await {
        Ok(_) => respond::done(&format!("/circles/{circle_id}/meetings"), "cancelled", ""),
        Err(e) => refused(&s, &actor, m.csrf, circle_id, e).await,
    }
}
