//! Browsing circles: search and filters, a page of cards at a time, full and
//! invitation-only circles only when asked for.

use super::{may_create, CircleCard, WEEKDAYS};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, given, render};
use crate::pages::session::{PageMeta, SignedIn};
use crate::pages::{encode, FormState, PageResult};
use crate::state::AppState;
use app::authz::can;
use app::circles::{self, manage, CircleFilter};
use app::page::PageRequest;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/circles", get(browse))
}

const CIRCLES_PER_PAGE: u64 = 20;

#[derive(Template)]
#[template(path = "circles/browse.html")]
struct BrowsePage {
    layout: Layout,
    notice: Option<&'static str>,
    form: FormState,
    weekdays: [(&'static str, &'static str); 7],
    circles: Vec<CircleCard>,
    next: Option<String>,
    can_create: bool,
}

impl BrowsePage {
    /// Whether a filter beyond the search words is set (its fields are then shown open).
    fn narrowed(&self) -> bool {
        ["city", "place", "weekday", "open", "all"]
            .iter()
            .any(|f| !self.form.value(f).is_empty() || self.form.error(f).is_some())
    }
}

/// The filters as typed: blank fields mean "any".
#[derive(Deserialize)]
struct BrowseQuery {
    q: Option<String>,
    city: Option<String>,
    /// `online`, `in_person` or blank.
    place: Option<String>,
    weekday: Option<String>,
    /// `1` for circles with a free seat only.
    open: Option<String>,
    /// `1` to list full and invitation-only circles too.
    all: Option<String>,
    /// `next_meeting` for the circle meeting soonest first; blank: oldest first.
    sort: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

impl BrowseQuery {
    fn state(&self) -> FormState {
        let v = |o: &Option<String>| o.clone().unwrap_or_default();
        FormState::default()
            .with("q", &v(&self.q))
            .with("city", &v(&self.city))
            .with("place", given(&self.place).unwrap_or(""))
            .with("weekday", given(&self.weekday).unwrap_or(""))
            .with("open", given(&self.open).unwrap_or(""))
            .with("all", given(&self.all).unwrap_or(""))
            .with("sort", given(&self.sort).unwrap_or(""))
    }

    fn filter(&self, form: &mut FormState) -> CircleFilter {
        CircleFilter {
            q: respond::checked_text(form, "q", &self.q),
            city: respond::checked_text(form, "city", &self.city),
            online: match given(&self.place) {
                Some("online") => Some(true),
                Some("in_person") => Some(false),
                _ => None,
            },
            weekday: respond::checked_text(form, "weekday", &self.weekday),
            has_open_seats: given(&self.open).map(|_| true),
            status: None,
            include_full_and_invitation_only: given(&self.all).map(|_| true),
            sort: match given(&self.sort) {
                Some("next_meeting") => Some(circles::CircleOrder::NextMeeting),
                _ => None,
            },
        }
    }
}

fn next_link(form: &FormState, cursor: &str) -> String {
    let mut link = String::from("/circles?");
    for field in ["q", "city", "place", "weekday", "open", "all", "sort"] {
        link.push_str(&format!("{field}={}&", encode(form.value(field))));
    }
    link.push_str(&format!("cursor={}", encode(cursor)));
    link
}

const BROWSE_NOTICES: &[(&str, &str)] = &[("withdrawn", "Your request to join is withdrawn.")];

async fn browse(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<BrowseQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::Participate>()?;
    let mut form = q.state();
    let page = PageRequest {
        limit: Some(CIRCLES_PER_PAGE),
        cursor: respond::checked_text(&mut form, "cursor", &q.cursor),
    };
    let filter = q.filter(&mut form);
    let found = if form.has_errors() {
        Ok(app::page::Page {
            items: Vec::new(),
            next_cursor: None,
        })
    } else {
        manage::browse(&s.ctx, g, &filter, &page).await
    };
    let (circles, next) = match found {
        Ok(p) => (
            p.items.iter().map(CircleCard::from).collect(),
            p.next_cursor.map(|c| next_link(&form, &c)),
        ),
        Err(e) => {
            form = form.absorb(e)?;
            (Vec::new(), None)
        }
    };
    render(BrowsePage {
        layout: Layout::new("Circles", m.csrf, Some(&actor), &m.path),
        notice: respond::notice(q.done.as_deref(), BROWSE_NOTICES),
        form,
        weekdays: WEEKDAYS,
        circles,
        next,
        can_create: may_create(&s, &actor).await?,
    })
}
