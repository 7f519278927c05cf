//! The facilitators' list for the Program Team and Admins: every certified facilitator,
//! the circles he leads (names only) and whose certification runs out within 60 days.

use super::format::day;
use super::layout::Layout;
use super::respond::render;
use super::session::{PageMeta, SignedIn};
use super::PageResult;
use crate::state::AppState;
use app::authz::can;
use app::certification::directory::{self, EXPIRING_WITHIN_DAYS};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/facilitators", get(list))
}

struct Line {
    /// His certifications page.
    link: String,
    name: String,
    email: String,
    /// "Runs out 3 Mar 2027", or "Does not run out".
    certified_until: String,
    expiring_soon: bool,
    circles: String,
}

#[derive(Template)]
#[template(path = "facilitators.html")]
struct FacilitatorsPage {
    layout: Layout,
    lines: Vec<Line>,
    expiring_only: bool,
    within_days: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    /// `1`: only certifications running out soon.
    expiring: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::CertifyFacilitators>()?;
    let expiring_only = q.expiring.as_deref().is_some_and(|v| !v.trim().is_empty());
    let lines = directory::facilitators(&s.ctx, g, expiring_only)
        .await?
        .into_iter()
        .map(|f| Line {
            link: format!("/certifications?email={}", super::encode(&f.email)),
            name: f.display_name,
            email: f.email,
            certified_until: match f.expires_at {
                Some(at) => format!("Runs out {}", day(at)),
                None => "Does not run out".to_owned(),
            },
            expiring_soon: f.expiring_soon,
            circles: if f.circles.is_empty() {
                "None".to_owned()
            } else {
                f.circles.join(", ")
            },
        })
        .collect();
    render(FacilitatorsPage {
        layout: Layout::new("Facilitators", m.csrf, Some(&actor), &m.path),
        lines,
        expiring_only,
        within_days: EXPIRING_WITHIN_DAYS,
    })
}
