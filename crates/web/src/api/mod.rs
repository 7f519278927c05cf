//! The JSON API under `/api/v1`. Every handler is in the OpenAPI document.

mod account;
mod admin;
mod audit;
mod auth;
mod certifications;
mod circle_health;
mod circles;
mod conversation;
mod events;
mod finance;
mod idempotent;

pub use conversation::live_routes;
pub use events::feed_routes;
pub use webhooks::webhook_routes;
mod meetings;
mod memberships;
mod problems;
mod refunds;
mod rsvp;
mod safeguarding;
mod scholarships;
mod support;
mod webhooks;

use crate::error::Problem;
use crate::state::AppState;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Men's Circle Management Platform API", description = "Accounts, roles, circles, events and payments for organisations that run men's circles."),
    modifiers(&BearerAuth),
    // Schemas only named by query parameters are not collected from the handlers.
    components(schemas(Problem, Message, app::circles::CircleOrder, app::events::registration::When)),
    tags(
        (name = "auth", description = "Registration, verification, sign-in, tokens, password reset"),
        (name = "account", description = "The signed-in user's profile, password, sessions and MFA"),
        (name = "admin", description = "User administration (Admin)"),
        (name = "support", description = "Account assistance (Support, Admin)"),
        (name = "certifications", description = "Facilitator certifications (Program Team, Admin)"),
        (name = "audit", description = "The audit log (Leadership, Admin)"),
        (name = "circles", description = "Circles, membership, join requests and invitations"),
        (name = "meetings", description = "Meetings generated from a circle's cadence, and attendance"),
        (name = "events", description = "Events, registration, waitlists and venues"),
        (name = "payments", description = "Paying for events: offline payments recorded by organisers, each member's payments and receipts, and refunds (Admin)"),
        (name = "scholarships", description = "Scholarships asked for and reviewed privately, the scholarship fund, and donations to it"),
        (name = "memberships", description = "Membership plans, memberships recorded by Admins, and each member's own membership"),
        (name = "reports", description = "Financial reports (Leadership, Admin): totals only, never a person"),
        (name = "circle health", description = "Circle health figures and the organisation overview (no names)"),
        (name = "conversation", description = "A circle's end-to-end encrypted conversation: keys, devices, rosters, epochs and ciphertext (the server never reads a message)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // The pages' scripts: the session cookie, with the page's CSRF token in a header.
        components.add_security_scheme(
            "browser_session",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The page's CSRF token (from <meta name=\"csrf-token\">), sent with the session cookie.",
            ))),
        );
    }
}

/// A short confirmation for actions whose result is "we did it" (or "we would have").
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub message: String,
}

impl Message {
    pub fn new(m: &str) -> axum::Json<Message> {
        axum::Json(Message {
            message: m.to_owned(),
        })
    }
}

/// All API routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .merge(auth::routes())
            .merge(account::routes())
            .merge(admin::routes())
            .merge(support::routes())
            .merge(certifications::routes())
            .merge(audit::routes())
            .merge(circles::routes())
            .merge(safeguarding::routes())
            .merge(meetings::routes())
            .merge(rsvp::routes())
            .merge(circle_health::routes())
            .merge(conversation::routes())
            .merge(events::routes())
            .merge(refunds::routes())
            .merge(scholarships::routes())
            .merge(memberships::routes())
            .merge(finance::routes()),
    )
}

/// The API's routes and its complete OpenAPI document: the failures every operation can
/// meet at the edge are added once all paths are known (`problems`).
pub fn router_and_document() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = router().split_for_parts();
    problems::ProblemResponses.modify(&mut doc);
    (routes, doc)
}

/// The OpenAPI document as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router_and_document().1
}
