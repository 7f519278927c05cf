//! A member's own circles, the next meeting of each with his answer, and his attendance
//! history, each time on its circle's clock.

use crate::pages::circles::{role_words, status_words};
use crate::pages::format::{day, local};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, DoneQuery};
use crate::pages::session::{PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::meetings;
use app::circles::{manage, membership};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::circle::CircleStatus;
use std::collections::HashMap;
use uuid::Uuid;

struct MyCircleLine {
    id: Uuid,
    name: String,
    role: &'static str,
    status: CircleStatus,
    status_label: &'static str,
    pending: bool,
    /// When they joined (or asked to), in words.
    since: String,
}

struct MyAttendanceLine {
    circle_id: Uuid,
    circle_name: String,
    when: String,
    mark: String,
}

#[derive(Template)]
#[template(path = "circles/mine.html")]
struct MinePage {
    layout: Layout,
    notice: Option<&'static str>,
    /// The next meeting of each circle, with the viewer's answer.
    next_meetings: Vec<crate::pages::rsvp::NextMeetingLine>,
    rsvp_back: &'static str,
    rsvp_answers: [domain::meeting::RsvpAnswer; 2],
    circles: Vec<MyCircleLine>,
    attendance: Vec<MyAttendanceLine>,
}

/// The time zone of each circle the person can still look at (UTC for the others).
async fn zones_of(
    s: &AppState,
    actor: &Actor,
    ids: impl Iterator<Item = Uuid>,
) -> PageResult<HashMap<Uuid, String>> {
    let mut zones = HashMap::new();
    for id in ids {
        if zones.contains_key(&id) {
            continue;
        }
        match manage::get(&s.ctx, actor, id).await {
            Ok(c) => zones.insert(id, c.time_zone),
            Err(e @ app::Error::Internal(_)) => return Err(e.into()),
            Err(_) => zones.insert(id, "UTC".to_owned()),
        };
    }
    Ok(zones)
}

pub(super) async fn mine(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    actor.require::<can::Participate>()?;
    let circles = membership::my_circles(&s.ctx, &actor).await?;
    let viewer_zone = app::accounts::me(&s.ctx, &actor).await?.time_zone;
    let next_meetings =
        crate::pages::rsvp::next_meetings(&s, &actor, viewer_zone.as_deref()).await?;
    let history = meetings::my_attendance(&s.ctx, &actor).await?;
    let zones = zones_of(&s, &actor, history.iter().map(|a| a.circle_id)).await?;
    let zone = |id: &Uuid| zones.get(id).map(String::as_str).unwrap_or("UTC");
    render(MinePage {
        layout: Layout::new("My circles", m.csrf, Some(&actor), &m.path),
        notice: respond::notice(q.done.as_deref(), &[("rsvp", "Your answer is saved.")]),
        next_meetings,
        rsvp_back: "circles",
        rsvp_answers: domain::meeting::RsvpAnswer::ALL,
        circles: circles
            .into_iter()
            .map(|c| {
                let pending = c.membership_status.is_pending();
                let since = c.joined_at.unwrap_or(c.requested_at);
                MyCircleLine {
                    id: c.circle_id,
                    name: c.name,
                    role: role_words(c.role),
                    status: c.status,
                    status_label: status_words(c.status),
                    pending,
                    since: day(since),
                }
            })
            .collect(),
        attendance: history
            .into_iter()
            .map(|a| MyAttendanceLine {
                when: local(a.starts_at, zone(&a.circle_id)),
                circle_id: a.circle_id,
                circle_name: a.circle_name,
                mark: a.status.label().to_owned(),
            })
            .collect(),
    })
}
