//! Archiving a circle from its page: a confirmation that says what will be removed, then
//! `app::circles::archive`, which decides who may and does the work.

use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, Empty};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::circles::{self, CircleView};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new().route("/circles/{id}/archive", get(confirm).post(archive))
}

#[derive(Template)]
#[template(path = "circles/archive.html")]
struct ArchivePage {
    layout: Layout,
    circle: CircleView,
    problem: Option<String>,
}

async fn confirm(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let circle = circles::manage::get(&s.ctx, &actor, lead.circle_id()).await?;
    render(ArchivePage {
        layout: Layout::new(
            format!("Archive {}", circle.name),
            m.csrf,
            Some(&actor),
            &format!("/circles/{id}"),
        ),
        circle,
        problem: None,
    })
}

async fn archive(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    match circles::archive(&s.ctx, &m.request, &lead).await {
        Ok(_) => respond::done(&format!("/circles/{id}"), "archived", ""),
        Err(e @ app::Error::Rule { .. }) => {
            let circle = circles::manage::get(&s.ctx, &actor, id).await?;
            render(ArchivePage {
                layout: Layout::new(
                    format!("Archive {}", circle.name),
                    m.csrf,
                    Some(&actor),
                    &format!("/circles/{id}"),
                ),
                circle,
                problem: Some(e.to_string()),
            })
        }
        Err(e) => Err(e.into()),
    }
}
