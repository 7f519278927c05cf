//! User administration pages (need `ManageUsers`): the searchable list of users and one
//! user's page with roles, suspension and certifications.

use super::format::filters;
use super::layout::Layout;
use super::respond::{self, given, render, DoneQuery, Empty};
use super::session::{Form, PageMeta, SignedIn};
use super::{encode, FormState, PageError, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::admin::{self, UserDetail, UserFilter, UserSummary};
use app::authz::{can, Actor, Granted};
use app::page::PageRequest;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::{Permission, Role, UserStatus};
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list))
        .route("/admin/users/{id}", get(show))
        .route("/admin/users/{id}/roles/{role}/grant", post(grant_role))
        .route("/admin/users/{id}/roles/{role}/remove", post(remove_role))
        .route("/admin/users/{id}/suspend", post(suspend))
        .route("/admin/users/{id}/reactivate", post(reactivate))
}

const USERS_PER_PAGE: u64 = 25;

/// The account statuses the list can be narrowed to, as the filter names them.
const STATUSES: [(UserStatus, &str); 2] = [
    (UserStatus::Active, "Active"),
    (UserStatus::Suspended, "Suspended"),
];

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    form: FormState,
    roles: [Role; 6],
    statuses: [(UserStatus, &'static str); 2],
    users: Vec<UserSummary>,
    /// The link to the following page, when there is one.
    next: Option<String>,
}

/// The filters as typed: blank fields mean "any".
#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(input): Query<ListQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageUsers>()?;
    let mut form = FormState::default()
        .with("q", input.q.as_deref().unwrap_or(""))
        .with("role", given(&input.role).unwrap_or(""))
        .with("status", given(&input.status).unwrap_or(""));
    let role = match given(&input.role) {
        None => None,
        Some(r) => match Role::parse(r) {
            Some(role) => Some(role),
            None => {
                form = form.field_error("role", "Choose a role from the list.");
                None
            }
        },
    };
    let filter = UserFilter {
        q: respond::checked_text(&mut form, "q", &input.q),
        role,
        status: respond::checked_text(&mut form, "status", &input.status),
    };
    let page = PageRequest {
        limit: Some(USERS_PER_PAGE),
        cursor: respond::checked_text(&mut form, "cursor", &input.cursor),
    };
    let (users, next) = if form.has_errors() {
        (Vec::new(), None)
    } else {
        match admin::list_users(&s.ctx, g, &filter, &page).await {
            Ok(p) => {
                let next = p.next_cursor.map(|c| {
                    format!(
                        "/admin/users?q={}&role={}&status={}&cursor={}",
                        encode(form.value("q")),
                        encode(form.value("role")),
                        encode(form.value("status")),
                        encode(&c)
                    )
                });
                (p.items, next)
            }
            Err(e) => {
                form = form.absorb(e)?;
                (Vec::new(), None)
            }
        }
    };
    render(UsersPage {
        layout: Layout::new("Users", m.csrf, Some(&actor), &m.path),
        form,
        roles: Role::ALL,
        statuses: STATUSES,
        users,
        next,
    })
}

const NOTICES: &[(&str, &str)] = &[
    ("role_granted", "The role is granted."),
    ("role_removed", "The role is removed."),
    (
        "suspended",
        "The account is suspended and every one of its sessions has ended.",
    ),
    ("reactivated", "The account is active again."),
];

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    notice: Option<&'static str>,
    user: UserDetail,
    roles: [Role; 6],
    /// A refused role change, shown beside the roles.
    roles_problem: Option<String>,
    suspend: FormState,
    /// Whether to link to the certifications page (a separate permission).
    can_certify: bool,
}

impl UserPage {
    fn new(actor: &Actor, csrf: String, user: UserDetail) -> UserPage {
        let path = format!("/admin/users/{}", user.summary.id);
        UserPage {
            layout: Layout::new(user.summary.display_name.clone(), csrf, Some(actor), &path),
            notice: None,
            user,
            roles: Role::ALL,
            roles_problem: None,
            suspend: FormState::default(),
            can_certify: actor.can(Permission::CertifyFacilitators),
        }
    }

    fn holds(&self, role: &Role) -> bool {
        self.user.summary.roles.contains(role)
    }
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageUsers>()?;
    let user = admin::get_user(&s.ctx, g, id).await?;
    let mut page = UserPage::new(&actor, m.csrf, user);
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

fn parse_role(raw: &str) -> PageResult<Role> {
    Role::parse(raw).ok_or(PageError::NotFound)
}

async fn grant_role(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, role)): Path<(Uuid, String)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageUsers>()?;
    let role = parse_role(&role)?;
    match admin::assign_role(&s.ctx, &m.request, g, id, role).await {
        Ok(_) => respond::done(&format!("/admin/users/{id}"), "role_granted", "roles"),
        Err(e) => role_refused(&s, &actor, g, m.csrf, id, e).await,
    }
}

async fn remove_role(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, role)): Path<(Uuid, String)>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageUsers>()?;
    let role = parse_role(&role)?;
    match admin::remove_role(&s.ctx, &m.request, g, id, role).await {
        Ok(_) => respond::done(&format!("/admin/users/{id}"), "role_removed", "roles"),
        Err(e) => role_refused(&s, &actor, g, m.csrf, id, e).await,
    }
}

/// Shows why a role change was refused (the use case's own words, such as the
/// certification a Facilitator needs) next to the roles.
async fn role_refused(
    s: &AppState,
    actor: &Actor,
    g: Granted<can::ManageUsers>,
    csrf: String,
    id: Uuid,
    e: app::Error,
) -> PageResult<Response> {
    let message = match e {
        app::Error::Rule { message, .. } => message,
        other => return Err(other.into()),
    };
    let user = admin::get_user(&s.ctx, g, id).await?;
    let mut page = UserPage::new(actor, csrf, user);
    page.roles_problem = Some(message);
    render(page)
}

#[derive(Deserialize)]
struct SuspendInput {
    #[serde(default)]
    reason: respond::FormText,
}

async fn suspend(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<SuspendInput>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageUsers>()?;
    match admin::suspend(&s.ctx, &m.request, g, id, &input.reason).await {
        Ok(_) => respond::done(&format!("/admin/users/{id}"), "suspended", "status"),
        Err(e) => {
            let suspend = FormState::default()
                .with("reason", &input.reason)
                .absorb(e)?;
            let user = admin::get_user(&s.ctx, g, id).await?;
            let mut page = UserPage::new(&actor, m.csrf, user);
            page.suspend = suspend;
            render(page)
        }
    }
}

async fn reactivate(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageUsers>()?;
    admin::reactivate(&s.ctx, &m.request, g, id).await?;
    respond::done(&format!("/admin/users/{id}"), "reactivated", "status")
}
