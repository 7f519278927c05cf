//! The circle conversation's JSON API (end-to-end encrypted; issue 12): the user's keys
//! and devices, a circle's conversation state, and its messages. Every endpoint takes a
//! bearer token or the browser's session cookie with the page's CSRF token ([`Caller`]);
//! who may do what is decided by `app::conversation`, never here.
//!
//! [`Caller`]: crate::extract::Caller

mod circle;
mod identity;
mod live;
mod messages;
mod notes;

pub use live::routes as live_routes;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(identity::routes())
        .merge(circle::routes())
        .merge(messages::routes())
        .merge(notes::routes())
}
