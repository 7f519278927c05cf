//! "Are you coming?" on the pages: a member's next meetings (on Home and My circles) with
//! buttons to answer, the leaders' summary of the answers on the meetings page, and
//! "Mark all present" on the attendance sheet. The rules are in `app::circles::rsvp`.

use super::format::local;
use super::respond::{self, Empty};
use super::session::{Form, PageMeta, SignedIn};
use super::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::authz::Actor;
use app::circles::meetings;
use app::circles::rsvp::{self, NextMeeting};
use app::circles::{self, Leading};
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use domain::meeting::RsvpAnswer;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/meetings/{id}/rsvp", post(answer))
        .route("/meetings/{id}/attendance/all-present", post(all_present))
}

/// The next meeting of one of the viewer's circles, as Home and My circles show it.
pub struct NextMeetingLine {
    pub meeting_id: Uuid,
    pub circle_id: Uuid,
    pub circle_name: String,
    /// On the viewer's clock, naming the zone: "Tue 3 Mar 2026, 19:30 (Europe/Berlin)".
    pub when: String,
    pub answer: Option<RsvpAnswer>,
    pub rsvp_open: bool,
}

impl NextMeetingLine {
    pub fn answer_words(&self) -> &'static str {
        match self.answer {
            Some(a) => a.label(),
            None => "Not answered yet",
        }
    }

    pub fn says(&self, a: &RsvpAnswer) -> bool {
        self.answer == Some(*a)
    }
}

/// The viewer's next meetings, on his own time zone (his profile's, or else the circle's).
pub async fn next_meetings(
    s: &AppState,
    actor: &Actor,
    viewer_zone: Option<&str>,
) -> PageResult<Vec<NextMeetingLine>> {
    let next: Vec<NextMeeting> = rsvp::next_meetings(&s.ctx, actor).await?;
    Ok(next
        .into_iter()
        .map(|n| {
            let zone = viewer_zone.unwrap_or(&n.circle_time_zone);
            NextMeetingLine {
                when: format!("{} ({zone})", local(n.starts_at, zone)),
                meeting_id: n.meeting_id,
                circle_id: n.circle_id,
                circle_name: n.circle_name,
                answer: n.my_answer,
                rsvp_open: n.rsvp_open,
            }
        })
        .collect())
}

/// "Coming: Ali, Ben · Not coming: Carl · No answer yet: Dan" for each of the led
/// circle's meetings in `ids`.
pub async fn summaries(
    s: &AppState,
    lead: &Leading,
    ids: &[Uuid],
) -> PageResult<HashMap<Uuid, String>> {
    let names: HashMap<Uuid, String> = circles::manage::members(&s.ctx, &lead.in_circle())
        .await?
        .into_iter()
        .map(|p| (p.user_id, p.display_name))
        .collect();
    let given = rsvp::answers_by_meeting(&s.ctx, lead, ids).await?;
    let mut out = HashMap::new();
    for id in ids {
        let answers = given.get(id).map(Vec::as_slice).unwrap_or_default();
        let of = |wanted: RsvpAnswer| {
            let mut who: Vec<&str> = answers
                .iter()
                .filter(|(_, a)| *a == wanted)
                .filter_map(|(u, _)| names.get(u).map(String::as_str))
                .collect();
            who.sort_unstable();
            who
        };
        let mut silent: Vec<&str> = names
            .iter()
            .filter(|(u, _)| !answers.iter().any(|(who, _)| who == *u))
            .map(|(_, n)| n.as_str())
            .collect();
        silent.sort_unstable();
        let mut parts = Vec::new();
        for (label, who) in [
            (RsvpAnswer::Coming.label(), of(RsvpAnswer::Coming)),
            (RsvpAnswer::NotComing.label(), of(RsvpAnswer::NotComing)),
            ("No answer yet", silent),
        ] {
            if !who.is_empty() {
                parts.push(format!("{label}: {}", who.join(", ")));
            }
        }
        out.insert(*id, parts.join(" · "));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct AnswerInput {
    #[serde(default)]
    answer: String,
    /// Which page the form was on: `home` or `circles`.
    #[serde(default)]
    back: String,
}

async fn answer(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<AnswerInput>,
) -> PageResult<Response> {
    let answer = RsvpAnswer::parse_input(&input.answer).map_err(app::Error::from)?;
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let inside = circles::enter(&s.ctx, &actor, circle_id).await?;
    rsvp::answer(&s.ctx, &m.request, &inside, id, answer).await?;
    // Only these two pages carry the form, so a crafted `back` cannot send anyone away.
    let back = match input.back.as_str() {
        "circles" => "/me/circles",
        _ => "/home",
    };
    respond::done(back, "rsvp", "next-meetings")
}

async fn all_present(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(_): Form<Empty>,
) -> PageResult<Response> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    rsvp::mark_all_present(&s.ctx, &m.request, &lead, id).await?;
    respond::done(&format!("/meetings/{id}/attendance"), "all_present", "")
}
