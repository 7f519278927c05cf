//! The list of upcoming events: search, kind, city and "online" filters, a page at a time.

use super::{kind_words, EventCard};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, given, render};
use crate::pages::session::{PageMeta, SignedIn};
use crate::pages::{encode, FormState, PageResult};
use crate::state::AppState;
use app::events::{view, EventFilter};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use domain::event::EventKind;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/events", get(browse))
}

const EVENTS_PER_PAGE: u64 = 20;

#[derive(Deserialize, Default)]
struct BrowseQuery {
    q: Option<String>,
    kind: Option<String>,
    city: Option<String>,
    /// `online`, `in_person` or blank (anywhere).
    place: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "events/browse.html")]
struct BrowsePage {
    layout: Layout,
    form: FormState,
    kinds: Vec<(&'static str, String)>,
    events: Vec<EventCard>,
    next: Option<String>,
    may_create: bool,
    /// May add and change venues (Program Team, Admins).
    manages_venues: bool,
    /// Showing a later page: offer the way back to the start.
    later_page: bool,
}

async fn browse(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<BrowseQuery>,
) -> PageResult<Response> {
    let mut form = FormState::default()
        .with("q", q.q.as_deref().unwrap_or(""))
        .with("kind", q.kind.as_deref().unwrap_or(""))
        .with("city", q.city.as_deref().unwrap_or(""))
        .with("place", given(&q.place).unwrap_or(""));
    let online = match given(&q.place) {
        None => None,
        Some("online") => Some(true),
        Some("in_person") => Some(false),
        Some(_) => {
            form = form.field_error("place", "Choose online, in person or anywhere.");
            None
        }
    };
    let kind = match given(&q.kind) {
        None => None,
        Some(k) => match EventKind::parse(k) {
            Some(k) => Some(k),
            None => {
                form = form.field_error("kind", "Choose a kind of event from the list.");
                None
            }
        },
    };
    // A cursor from our own links; anything else starts from the first page.
    let after = given(&q.after)
        .and_then(|a| a.parse::<DateTime<Utc>>().ok())
        .and_then(|a| domain::dates::instant("after", a).ok());
    let filter = EventFilter {
        q: respond::checked_text(&mut form, "q", &q.q),
        kind,
        limit: Some(EVENTS_PER_PAGE + 1),
        after,
        city: given(&q.city).map(str::to_owned),
        online,
    };
    let mut found = if form.has_errors() {
        Vec::new()
    } else {
        match view::browse(&s.ctx, &actor, &filter).await {
            Ok(v) => v,
            Err(e) => {
                form = form.absorb(e)?;
                Vec::new()
            }
        }
    };
    let next = (found.len() as u64 > EVENTS_PER_PAGE).then(|| {
        found.truncate(EVENTS_PER_PAGE as usize);
        let last = found.last().map(|e| e.starts_at).unwrap_or_else(Utc::now);
        // Events starting at the very same instant as the last one shown are rare
        // (organisers pick minutes); a page boundary there would skip one, so step back
        // a second and let the page repeat it rather than lose it.
        let after = (last - chrono::Duration::seconds(1)).to_rfc3339();
        format!(
            "/events?q={}&kind={}&city={}&place={}&after={}",
            encode(given(&q.q).unwrap_or("")),
            encode(given(&q.kind).unwrap_or("")),
            encode(given(&q.city).unwrap_or("")),
            encode(given(&q.place).unwrap_or("")),
            encode(&after)
        )
    });
    render(BrowsePage {
        layout: Layout::new("Events", m.csrf, Some(&actor), &m.path),
        form,
        kinds: EventKind::ALL
            .iter()
            .filter(|k| **k != EventKind::CircleMeeting)
            .map(|k| (k.as_str(), kind_words(*k)))
            .collect(),
        events: found.iter().map(EventCard::from).collect(),
        next,
        may_create: app::events::audience::may_create(&s.ctx, &actor).await?,
        manages_venues: actor.can(domain::Permission::CreateProgrammeEvents),
        later_page: after.is_some(),
    })
}
