//! The pages of the end-to-end encrypted circle conversation. The server renders only a
//! frame: who is looking, which circle, the scripts (content-hashed, with Subresource
//! Integrity) and what to show without JavaScript. Everything about keys and messages
//! happens in the browser (`static/e2e/`), against the JSON API.
//!
//! - `/circles/{id}/conversation`: the conversation (members and leaders only);
//! - `/account/devices`: this person's conversation keys and devices;
//! - `/conversations/announce`: one announcement to several circles a facilitator leads;
//! - `/conversation/self-test`: the browser cryptography's unit tests, for anyone.

use super::assets::{self, Script};
use super::layout::Layout;
use super::respond::render;
use super::session::{MaybeUser, PageMeta, SignedIn};
use super::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::authz::can;
use app::circles::{self, Standing};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/conversation", get(conversation))
        .route("/account/devices", get(devices))
        .route("/conversations/announce", get(announce))
        .route("/conversation/self-test", get(self_test))
}

/// The tags a page needs for one entry module: the module and every module it imports,
/// each with its integrity hash.
pub struct ModuleTags {
    pub entry: Script,
    pub preloads: Vec<Script>,
}

impl ModuleTags {
    pub fn of(name: &str) -> ModuleTags {
        let (entry, preloads) = assets::module(name);
        ModuleTags { entry, preloads }
    }
}

#[derive(Template)]
#[template(path = "conversation/selftest.html")]
struct SelfTestPage {
    layout: Layout,
    module: ModuleTags,
}

async fn self_test(MaybeUser(actor): MaybeUser, m: PageMeta) -> PageResult<Response> {
    render(SelfTestPage {
        layout: Layout::new("Conversation self-test", m.csrf, actor.as_ref(), &m.path),
        module: ModuleTags::of("e2e/selftest.js"),
    })
}

#[derive(Template)]
#[template(path = "conversation/devices.html")]
struct DevicesPage {
    layout: Layout,
    module: ModuleTags,
    user_id: Uuid,
}

async fn devices(SignedIn(actor): SignedIn, m: PageMeta) -> PageResult<Response> {
    actor.require::<can::Participate>()?;
    render(DevicesPage {
        layout: Layout::new(
            "Conversation keys and devices",
            m.csrf,
            Some(&actor),
            &m.path,
        ),
        module: ModuleTags::of("e2e/keys.js"),
        user_id: actor.id(),
    })
}

#[derive(Template)]
#[template(path = "conversation/conversation.html")]
struct ConversationPage {
    layout: Layout,
    module: ModuleTags,
    user_id: Uuid,
    circle_id: Uuid,
    circle_name: String,
    leads: bool,
}

/// Members and leaders only: a stepped-in Admin reads the circle's other private data, but
/// he holds no key of the conversation and the API refuses him too.
async fn conversation(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    actor.require::<can::Participate>()?;
    let inside = circles::enter(&s.ctx, &actor, id).await?;
    let leads = match inside.standing() {
        Standing::Leader => true,
        Standing::Member => false,
        Standing::SteppedIn | Standing::Outsider => return Err(app::Error::Forbidden.into()),
    };
    let circle = circles::manage::get(&s.ctx, &actor, id).await?;
    render(ConversationPage {
        layout: Layout::new(
            format!("Conversation · {}", circle.name),
            m.csrf,
            Some(&actor),
            &m.path,
        ),
        module: ModuleTags::of("e2e/conversation.js"),
        user_id: actor.id(),
        circle_id: id,
        circle_name: circle.name,
        leads,
    })
}

struct LedCircle {
    id: Uuid,
    name: String,
}

#[derive(Template)]
#[template(path = "conversation/announce.html")]
struct AnnouncePage {
    layout: Layout,
    module: ModuleTags,
    user_id: Uuid,
    circles: Vec<LedCircle>,
}

/// The circles the facilitator leads now (and that are not archived): one announcement,
/// encrypted separately for each, pinned in each.
async fn announce(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
) -> PageResult<Response> {
    actor.require::<can::Participate>()?;
    let mut led = Vec::new();
    for c in circles::membership::my_circles(&s.ctx, &actor).await? {
        if c.role.leads()
            && !c.status.is_read_only()
            && circles::standing(&s.ctx, &actor, c.circle_id).await? == Standing::Leader
        {
            led.push(LedCircle {
                id: c.circle_id,
                name: c.name,
            });
        }
    }
    render(AnnouncePage {
        layout: Layout::new("Announce to your circles", m.csrf, Some(&actor), &m.path),
        module: ModuleTags::of("e2e/announce.js"),
        user_id: actor.id(),
        circles: led,
    })
}
