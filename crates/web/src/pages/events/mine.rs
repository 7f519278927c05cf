//! "Your events" (`/me/events`): what a person is registered or waiting for, the events
//! he organises, and his private calendar feed — made, shown once, renewed or revoked.

use super::{my_status_words, EventCard};
use crate::pages::layout::Layout;
use crate::pages::respond::{notice, render, DoneQuery, Empty};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::state::AppState;
use app::authz::Actor;
use app::events::{feed, registration, view};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::event::EventStatus;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/events", get(mine))
        .route("/me/events/feed", post(renew_feed))
        .route("/me/events/feed/revoke", post(revoke_feed))
}

/// How many past registrations the page lists.
const PAST_SHOWN: usize = 10;

/// A registration as a line: the event and the person's place in it.
pub(in crate::pages) struct MyEvent {
    pub card: EventCard,
    pub place: String,
}

/// The person's registrations that are not over yet, soonest first, and the most recent
/// past ones.
pub(in crate::pages) async fn my_events(
    s: &AppState,
    actor: &Actor,
) -> PageResult<(Vec<MyEvent>, Vec<MyEvent>)> {
    let now = s.ctx.now();
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for (event, r) in registration::mine(&s.ctx, actor).await? {
        let mut place = my_status_words(r.status).to_owned();
        if let Some(p) = r.waitlist_position {
            place = format!("{place} (number {p})");
        }
        let line = MyEvent {
            card: EventCard::from(&event),
            place,
        };
        if event.ends_at > now {
            upcoming.push(line);
        } else {
            past.push(line);
        }
    }
    past.reverse();
    past.truncate(PAST_SHOWN);
    Ok((upcoming, past))
}

#[derive(Template)]
#[template(path = "events/mine.html")]
struct MinePage {
    layout: Layout,
    upcoming: Vec<MyEvent>,
    past: Vec<MyEvent>,
    organising: Vec<EventCard>,
    has_feed: bool,
    /// A feed address just made: shown this once.
    new_feed: Option<String>,
    notice: Option<&'static str>,
}

const NOTICES: [(&str, &str); 1] = [(
    "feed_revoked",
    "The calendar address is revoked: calendar apps using it get nothing more.",
)];

impl MinePage {
    async fn load(s: &AppState, actor: &Actor, csrf: String) -> PageResult<MinePage> {
        let (upcoming, past) = my_events(s, actor).await?;
        let organising = view::organising(&s.ctx, actor)
            .await?
            .iter()
            .map(EventCard::from)
            .collect();
        Ok(MinePage {
            layout: Layout::new("Your events", csrf, Some(actor), "/events"),
            upcoming,
            past,
            organising,
            has_feed: feed::has_feed(&s.ctx, actor).await?,
            new_feed: None,
            notice: None,
        })
    }

    /// The feed's address as a `webcal://` link, which calendar apps open as a
    /// subscription (the same address, its scheme swapped).
    fn webcal(&self, url: &str) -> String {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(url);
        format!("webcal://{rest}")
    }
}

async fn mine(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = MinePage::load(&s, &actor, m.csrf).await?;
    page.notice = notice(q.done.as_deref(), &NOTICES);
    render(page)
}

/// Makes a new feed address and shows it (the only time it can be shown: only its hash
/// is kept). The answer is the page itself, not a redirect, so the address never sits in
/// a URL or the browser's history.
async fn renew_feed(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let url = feed::renew_feed(&s.ctx, &actor).await?;
    let mut page = MinePage::load(&s, &actor, m.csrf).await?;
    page.new_feed = Some(url);
    render(page)
}

async fn revoke_feed(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    _form: Form<Empty>,
) -> PageResult<Response> {
    feed::revoke_feed(&s.ctx, &actor).await?;
    crate::pages::respond::done("/me/events", "feed_revoked", "calendar")
}
