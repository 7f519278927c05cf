//! Who comes into a circle: the facilitators' queue of join requests (approve, decline),
//! invitations by email (invite, revoke), and the page the emailed invitation link opens.

mod accept;

use crate::pages::conversation::ModuleTags;
use crate::pages::format::local;
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, DoneQuery, Empty};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::Actor;
use app::circles::{self, invitations, membership, Invitation, JoinQueue, Leading, NewInvitation};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

/// The queue, invitation and accept pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/requests", get(queue))
        .route("/circles/{id}/requests/{mid}/approve", post(approve))
        .route("/circles/{id}/requests/{mid}/decline", post(decline))
        .route(
            "/circles/{id}/invitations",
            get(invitations_page).post(invite),
        )
        .route("/circles/{id}/invitations/{iid}/revoke", post(revoke))
        .merge(accept::routes())
}

// --- The queue ---------------------------------------------------------------------------

const QUEUE_NOTICES: &[(&str, &str)] = &[
    (
        "approved",
        "The request is approved: they are now a member.",
    ),
    (
        "declined",
        "The request is declined; they are told by email.",
    ),
];

/// A request as the queue shows it.
struct RequestLine {
    membership_id: Uuid,
    user_id: Uuid,
    name: String,
    /// A message sent without sealing (kept encrypted at rest by the server).
    message: Option<String>,
    /// A message sealed to the leaders' devices, as JSON for the page's script to open.
    sealed: Option<String>,
    when: String,
    /// Phone, city, bio and photo, shared with the circle's leaders.
    profile: app::accounts::SharedProfile,
}

#[derive(Template)]
#[template(path = "circles/requests.html")]
struct QueuePage {
    layout: Layout,
    /// Opens sealed messages with this browser's device key.
    module: ModuleTags,
    /// The viewer, whose keys this browser may hold.
    me: Uuid,
    notice: Option<&'static str>,
    circle_id: Uuid,
    circle_name: String,
    circle_full: bool,
    open_seats: i32,
    requests: Vec<RequestLine>,
    /// A refused approval or decline, in the use case's words.
    problem: Option<String>,
    /// The request whose decline form `decline` belongs to.
    decline_for: Option<Uuid>,
    decline: FormState,
}

impl QueuePage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, lead: &Leading) -> PageResult<Self> {
        let q: JoinQueue = membership::queue(&s.ctx, lead).await?;
        let circle = lead.circle();
        let path = format!("/circles/{}/requests", circle.id);
        Ok(QueuePage {
            layout: Layout::new(
                format!("Requests · {}", circle.name),
                csrf,
                Some(actor),
                &path,
            ),
            module: ModuleTags::of("e2e/requests.js"),
            me: actor.id(),
            notice: None,
            circle_id: circle.id,
            circle_name: circle.name.clone(),
            circle_full: q.circle_full,
            open_seats: q.open_seats,
            requests: q
                .requests
                .into_iter()
                .map(|r| RequestLine {
                    membership_id: r.membership_id,
                    user_id: r.user_id,
                    name: r.display_name,
                    message: r.message,
                    sealed: r
                        .message_sealed
                        .and_then(|sealed| serde_json::to_string(&sealed).ok()),
                    when: local(r.requested_at, &circle.time_zone),
                    profile: r.profile,
                })
                .collect(),
            problem: None,
            decline_for: None,
            decline: FormState::default(),
        })
    }

    fn declining(&self, id: &Uuid) -> bool {
        self.decline_for == Some(*id)
    }

    fn decline_error(&self, id: &Uuid) -> Option<&str> {
        (self.decline_for == Some(*id))
            .then(|| self.decline.error("reason"))
            .flatten()
    }

    fn decline_value(&self, id: &Uuid) -> &str {
        if self.decline_for == Some(*id) {
            self.decline.value("reason")
        } else {
            ""
        }
    }
}

async fn queue(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let mut page = QueuePage::load(&s, &actor, m.csrf, &lead).await?;
    page.notice = respond::notice(q.done.as_deref(), QUEUE_NOTICES);
    render(page)
}

async fn approve(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    match membership::approve(&s.ctx, &m.request, &lead, mid).await {
        Ok(_) => respond::done(&format!("/circles/{id}/requests"), "approved", ""),
        Err(e) => {
            // A full circle keeps the request in its place: the queue says why.
            let problem = FormState::default().absorb(e)?.summary;
            let mut page = QueuePage::load(&s, &actor, m.csrf, &lead).await?;
            page.problem = problem;
            render(page)
        }
    }
}

#[derive(Deserialize)]
struct ReasonInput {
    #[serde(default)]
    reason: respond::FormText,
}

async fn decline(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    Form(input): Form<ReasonInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    match membership::decline(&s.ctx, &m.request, &lead, mid, Some(&input.reason)).await {
        Ok(_) => respond::done(&format!("/circles/{id}/requests"), "declined", ""),
        Err(e) => {
            let decline = FormState::default()
                .with("reason", &input.reason)
                .absorb(e)?;
            let mut page = QueuePage::load(&s, &actor, m.csrf, &lead).await?;
            page.problem = decline.summary.clone();
            page.decline_for = Some(mid);
            page.decline = decline;
            render(page)
        }
    }
}

// --- Invitations -------------------------------------------------------------------------

const INVITATION_NOTICES: &[(&str, &str)] = &[
    ("invited", "The invitation is sent by email."),
    (
        "invited_full",
        "The invitation is sent by email, but the circle is full: they can accept only once a seat frees up.",
    ),
    (
        "revoked",
        "The invitation is revoked; its link no longer works.",
    ),
];

/// An invitation as the list shows it.
struct InvitationLine {
    id: Uuid,
    email: String,
    sent: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "circles/invitations.html")]
struct InvitationsPage {
    layout: Layout,
    notice: Option<&'static str>,
    circle_id: Uuid,
    circle_name: String,
    invitations: Vec<InvitationLine>,
    /// No seat is free: anyone invited can accept only once one frees up.
    circle_full: bool,
    form: FormState,
    /// A refused revocation.
    problem: Option<String>,
}

impl InvitationsPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, lead: &Leading) -> PageResult<Self> {
        let circle = lead.circle();
        let list: Vec<Invitation> = invitations::list(&s.ctx, lead).await?;
        let path = format!("/circles/{}/invitations", circle.id);
        Ok(InvitationsPage {
            layout: Layout::new(
                format!("Invitations · {}", circle.name),
                csrf,
                Some(actor),
                &path,
            ),
            notice: None,
            circle_id: circle.id,
            circle_name: circle.name.clone(),
            invitations: list
                .into_iter()
                .map(|i| InvitationLine {
                    id: i.id,
                    email: i.email,
                    sent: local(i.created_at, &circle.time_zone),
                    expires: local(i.expires_at, &circle.time_zone),
                })
                .collect(),
            circle_full: circle.active_members >= circle.capacity,
            form: FormState::default(),
            problem: None,
        })
    }
}

async fn invitations_page(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let mut page = InvitationsPage::load(&s, &actor, m.csrf, &lead).await?;
    page.notice = respond::notice(q.done.as_deref(), INVITATION_NOTICES);
    render(page)
}

#[derive(Deserialize)]
struct InviteInput {
    #[serde(default)]
    email: String,
}

async fn invite(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<InviteInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let new = NewInvitation {
        email: input.email.clone(),
    };
    match invitations::invite(&s.ctx, &m.request, &lead, &new).await {
        Ok(sent) => {
            let done = if sent.circle_full {
                "invited_full"
            } else {
                "invited"
            };
            respond::done(&format!("/circles/{id}/invitations"), done, "")
        }
        Err(e) => {
            let form = FormState::default().with("email", &input.email).absorb(e)?;
            let mut page = InvitationsPage::load(&s, &actor, m.csrf, &lead).await?;
            page.form = form;
            render(page)
        }
    }
}

async fn revoke(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, iid)): Path<(Uuid, Uuid)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    match invitations::revoke(&s.ctx, &m.request, &lead, iid).await {
        Ok(_) => respond::done(&format!("/circles/{id}/invitations"), "revoked", ""),
        Err(e) => {
            let problem = FormState::default().absorb(e)?.summary;
            let mut page = InvitationsPage::load(&s, &actor, m.csrf, &lead).await?;
            page.problem = problem;
            render(page)
        }
    }
}
