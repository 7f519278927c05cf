//! The landing page for visitors and the dashboard for signed-in people.

use super::layout::Layout;
use super::respond::{self, DoneQuery};
use super::session::{MaybeUser, PageMeta, SignedIn};
use super::PageResult;
use crate::state::AppState;
use app::accounts::{self, Profile};
use app::circles::{membership, MyCircle};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::circle::MembershipStatus;
use domain::meeting::RsvpAnswer;

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    layout: Layout,
}

pub async fn landing(MaybeUser(user): MaybeUser, m: PageMeta) -> PageResult<Response> {
    let page = Landing {
        layout: Layout::new("Men's Circles", m.csrf, user.as_ref(), &m.path),
    };
    Ok(Html(
        page.render()
            .map_err(|e| super::PageError::Internal(e.into()))?,
    )
    .into_response())
}

/// How many coming events the dashboard lists; the rest are on `/me/events`.
const DASHBOARD_EVENTS: u64 = 5;

#[derive(Template)]
#[template(path = "home.html")]
struct Dashboard {
    layout: Layout,
    profile: Profile,
    role_labels: Vec<&'static str>,
    sessions: usize,
    /// The person's circles and waiting requests.
    my_circles: Vec<MyCircle>,
    /// What he is registered or waiting for, soonest first.
    my_events: Vec<super::events::MyEvent>,
    /// The next meeting of each of his circles, with his answer.
    next_meetings: Vec<super::rsvp::NextMeetingLine>,
    rsvp_back: &'static str,
    rsvp_answers: [RsvpAnswer; 2],
    notice: Option<&'static str>,
}

pub async fn dashboard(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let profile = accounts::me(&s.ctx, &actor).await?;
    let next_meetings =
        super::rsvp::next_meetings(&s, &actor, profile.time_zone.as_deref()).await?;
    let sessions = accounts::list_sessions(&s.ctx, &actor).await?.len();
    let role_labels = actor.roles.iter().map(|r| r.label()).collect();
    let my_circles = membership::my_circles(&s.ctx, &actor).await?;
    let (my_events, _) = super::events::my_events(
        &s,
        &actor,
        app::events::registration::When::Upcoming,
        &super::events::first(DASHBOARD_EVENTS),
    )
    .await?;
    let page = Dashboard {
        layout: Layout::new("Home", m.csrf, Some(&actor), &m.path),
        profile,
        role_labels,
        sessions,
        my_circles,
        my_events,
        next_meetings,
        rsvp_back: "home",
        rsvp_answers: RsvpAnswer::ALL,
        notice: respond::notice(q.done.as_deref(), &[("rsvp", "Your answer is saved.")]),
    };
    let mut res = Html(
        page.render()
            .map_err(|e| super::PageError::Internal(e.into()))?,
    )
    .into_response();
    // Like every signed-in page, not for the browser's HTTP cache; the service worker
    // keeps its own offline copy, which the sign-out clears.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    // The dashboard is what someone at a retreat without signal wants to look at.
    super::pwa::keep_offline(&mut res);
    Ok(res)
}
