//! "Your events" (`/me/events`): what a person is registered or waiting for, the events
//! he organises, and his private calendar feed — made, shown once, renewed or revoked.

use super::{my_status_words, EventCard};
use crate::pages::layout::Layout;
use crate::pages::respond::{notice, render, Empty};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::state::AppState;
use app::authz::Actor;
use app::events::registration::{MineFilter, When};
use app::events::{feed, registration, view};
use app::page::PageRequest;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::event::EventStatus;
use domain::SingleLine;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/events", get(mine))
        .route("/me/events/feed", post(renew_feed))
        .route("/me/events/feed/revoke", post(revoke_feed))
}

/// How many past registrations the page lists.
const PAST_SHOWN: u64 = 10;
/// How many upcoming registrations one page lists.
const UPCOMING_SHOWN: u64 = 50;

/// A registration as a line: the event and the person's place in it.
pub(in crate::pages) struct MyEvent {
    pub card: EventCard,
    pub place: String,
}

/// A page of the person's registrations (`when`: coming up, or over): the lines, and the
/// cursor of the next page when there is one.
pub(in crate::pages) async fn my_events(
    s: &AppState,
    actor: &Actor,
    when: When,
    page: &PageRequest,
) -> PageResult<(Vec<MyEvent>, Option<String>)> {
    let filter = MineFilter { when: Some(when) };
    let found = registration::mine(&s.ctx, actor, &filter, page).await?;
    let lines = found
        .items
        .into_iter()
        .map(|(event, r)| {
            let mut place = my_status_words(r.status).to_owned();
            if let Some(p) = r.waitlist_position {
                place = format!("{place} (number {p})");
            }
            MyEvent {
                card: EventCard::from(&event),
                place,
            }
        })
        .collect();
    Ok((lines, found.next_cursor))
}

/// The first `n` of a person's registrations.
pub(in crate::pages) fn first(n: u64) -> PageRequest {
    PageRequest {
        limit: Some(n),
        cursor: None,
    }
}

/// `?cursor=` (the next page of upcoming events) and `?done=` (a notice).
#[derive(serde::Deserialize)]
struct MineQuery {
    done: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "events/mine.html")]
struct MinePage {
    layout: Layout,
    upcoming: Vec<MyEvent>,
    /// The address of the next page of upcoming events, when there are more.
    later: Option<String>,
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
    async fn load(
        s: &AppState,
        actor: &Actor,
        csrf: String,
        cursor: Option<&str>,
    ) -> PageResult<MinePage> {
        let cursor = cursor
            .map(SingleLine::try_from)
            .transpose()
            .map_err(|_| app::page::invalid_cursor())?;
        let page = PageRequest {
            limit: Some(UPCOMING_SHOWN),
            cursor,
        };
        let (upcoming, later) = my_events(s, actor, When::Upcoming, &page).await?;
        let later = later.map(|c| format!("/me/events?cursor={}", crate::pages::encode(&c)));
        let (past, _) = my_events(s, actor, When::Past, &first(PAST_SHOWN)).await?;
        let organising = view::organising(&s.ctx, actor)
            .await?
            .iter()
            .map(EventCard::from)
            .collect();
        Ok(MinePage {
            layout: Layout::new("Your events", csrf, Some(actor), "/events"),
            upcoming,
            later,
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
    Query(q): Query<MineQuery>,
) -> PageResult<Response> {
    let mut page = MinePage::load(&s, &actor, m.csrf, q.cursor.as_deref()).await?;
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
    let mut page = MinePage::load(&s, &actor, m.csrf, None).await?;
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
