//! Circle pages: browsing circles, one circle's page (what an outsider, a member and a
//! leader each see), asking to join, leaving and removal. The circle form, the
//! facilitators' queue and invitations live in the submodules; meetings and attendance in
//! `pages::meetings`.
//!
//! Who may do what is decided by `app::circles` (`lead`, `standing`, the use cases); these
//! pages only choose which forms to offer and show the use case's answer.

mod archive;
mod browse;
mod co_facilitators;
mod form;
mod joining;
mod people;
mod step_in;

use super::conversation::ModuleTags;
use super::format::local;
use super::layout::Layout;
use super::respond::{self, render, DoneQuery};
use super::session::{PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::meetings::{self as meeting_cases, Meeting};
use app::circles::step_in::{self as step_in_cases, StepIn};
use app::circles::{self, manage, membership, CircleView, InCircle, Person};
use app::events::manage::{self as event_cases, EventOffer};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use domain::cadence::Frequency;
use domain::circle::{CircleRole, CircleStatus, Visibility};
use uuid::Uuid;

/// The circle pages: browsing, a circle's page and its forms, the queue and invitations.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}", get(show))
        .merge(browse::routes())
        .merge(joining::routes())
        .merge(form::routes())
        .merge(archive::routes())
        .merge(co_facilitators::routes())
        .merge(people::routes())
        .merge(step_in::routes())
}

/// The days a circle can meet on, as stored and as shown.
pub(super) const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

fn weekday_name(code: &str) -> &str {
    WEEKDAYS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
        .unwrap_or(code)
}

/// "Every other Tuesday, 19:30–21:30 (Europe/Berlin)".
pub(super) fn cadence_words(v: &CircleView) -> String {
    let day = weekday_name(&v.weekday);
    let how = match v.frequency {
        Frequency::Weekly => format!("Every {day}"),
        Frequency::EveryTwoWeeks => format!("Every other {day}"),
        Frequency::Monthly => {
            // Worded from the first meeting, as the cadence counts it (5th week = last).
            let nth = ["first", "second", "third", "fourth"]
                .get(v.anchor_date.day0() as usize / 7)
                .copied()
                .unwrap_or("last");
            format!("Monthly, on the {nth} {day}")
        }
    };
    let end = NaiveTime::parse_from_str(&v.meeting_time, "%H:%M")
        .map(|t| {
            let end = t + Duration::minutes(v.duration_minutes.into());
            format!("–{}", end.format("%H:%M"))
        })
        .unwrap_or_default();
    format!("{how}, {}{end} ({})", v.meeting_time, v.time_zone)
}

/// Where a circle meets, in a word: its city, "Online", or both.
pub(super) fn place_words(v: &CircleView) -> String {
    match (v.city.as_deref(), v.has_online_meetings) {
        (Some(city), true) => format!("{city} and online"),
        (Some(city), false) => city.to_owned(),
        (None, true) => "Online".to_owned(),
        (None, false) => v
            .location
            .clone()
            .unwrap_or_else(|| "Place to be announced".to_owned()),
    }
}

fn visibility_words(v: Visibility) -> &'static str {
    match v {
        Visibility::Open => "Open to requests",
        Visibility::InvitationOnly => "Invitation only",
    }
}

/// A circle's status as the pages name it.
pub(super) fn status_words(s: CircleStatus) -> &'static str {
    match s {
        CircleStatus::Forming => "Forming",
        CircleStatus::Active => "Active",
        CircleStatus::Closed => "Closed",
        CircleStatus::Archived => "Archived",
    }
}

/// Someone's standing in a circle as the pages name it.
pub(super) fn role_words(r: CircleRole) -> &'static str {
    match r {
        CircleRole::Facilitator => "Facilitator",
        CircleRole::CoFacilitator => "Co-facilitator",
        CircleRole::Member => "Member",
    }
}

/// A circle as a line of the list or the head of its page.
struct CircleCard {
    id: Uuid,
    name: String,
    description: String,
    cadence: String,
    place: String,
    open_seats: i32,
    capacity: i32,
    visibility: &'static str,
    status: &'static str,
    facilitators: Vec<String>,
}

impl From<&CircleView> for CircleCard {
    fn from(v: &CircleView) -> Self {
        CircleCard {
            id: v.id,
            name: v.name.clone(),
            description: v.description.clone(),
            cadence: cadence_words(v),
            place: place_words(v),
            open_seats: v.open_seats,
            capacity: v.capacity,
            visibility: visibility_words(v.visibility),
            status: status_words(v.status),
            facilitators: v
                .facilitators
                .iter()
                .map(|p| p.display_name.clone())
                .collect(),
        }
    }
}

async fn may_create(s: &AppState, actor: &Actor) -> PageResult<bool> {
    Ok(circles::manage::may_create(&s.ctx, actor).await?)
}

// --- One circle --------------------------------------------------------------------------

const NOTICES: &[(&str, &str)] = &[
    ("created", "The circle is created. You facilitate it."),
    (
        "archived",
        "The circle is archived. Its history stays; personal details no longer needed are deleted.",
    ),
    ("saved", "The circle is saved."),
    ("requested", "Your request is sent."),
    ("left", "You have left the circle."),
    ("removed", "The member is removed and told why."),
    ("joined", "Welcome: you are now a member of this circle."),
    (
        "stepped_in",
        "You have stepped in. Every member of the circle has been told.",
    ),
    ("stepped_out", "You have stepped out of the circle."),
    (
        "offer_accepted",
        "The event is offered to the circle: its members see it now.",
    ),
    ("offer_declined", "The event is not offered to this circle."),
];

/// How many upcoming meetings the circle's page lists.
const UPCOMING_ON_PAGE: usize = 3;

#[derive(Template)]
#[template(path = "circles/show.html")]
struct ShowPage {
    layout: Layout,
    notice: Option<&'static str>,
    card: CircleCard,
    circle: CircleView,
    /// The viewer, to mark them in the member list.
    me: Uuid,
    /// The viewer's own role, when they are in the circle.
    my_role: Option<CircleRole>,
    /// When the viewer asked to join, while the request waits.
    pending_since: Option<String>,
    upcoming: Vec<String>,
    join: FormState,
    /// The member whose removal form `remove` belongs to.
    remove_for: Option<Uuid>,
    remove: FormState,
    /// A refused leave (or other change), in the use case's words.
    problem: Option<String>,
    /// An Admin's safeguarding step-in running now: every page of the circle says so.
    step_in: Option<StepIn>,
    /// Programme events offered to the circle, for its leaders to accept or decline.
    offers: Vec<EventOffer>,
    /// The viewer is an Admin outside the circle who could step in.
    can_step_in: bool,
    /// Seals the join request's message to the leaders' devices.
    join_module: ModuleTags,
}

impl ShowPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, id: Uuid) -> PageResult<ShowPage> {
        let circle = manage::get(&s.ctx, actor, id).await?;
        // A member has no request waiting (his request became his membership).
        let pending_since = if circle.viewer_is_member {
            None
        } else {
            membership::pending_since(&s.ctx, actor, id)
                .await?
                .map(|at| local(at, &circle.time_zone))
        };
        let my_role = circle
            .members
            .iter()
            .flatten()
            .find(|p| p.user_id == actor.id())
            .map(|p| p.role);
        let inside = if circle.members.is_some() {
            Some(circles::enter(&s.ctx, actor, id).await?)
        } else {
            None
        };
        let (upcoming, step_in) = match &inside {
            Some(inside) => (
                upcoming_meetings(s, inside, &circle).await?,
                step_in_cases::running(&s.ctx, inside).await?,
            ),
            None => (Vec::new(), None),
        };
        let offers = if circle.viewer_leads {
            event_cases::offers(&s.ctx, &circles::lead(&s.ctx, actor, id).await?).await?
        } else {
            Vec::new()
        };
        let can_step_in = step_in_cases::may_start(&s.ctx, actor, id).await?;
        Ok(ShowPage {
            layout: Layout::new(
                circle.name.clone(),
                csrf,
                Some(actor),
                &format!("/circles/{id}"),
            ),
            notice: None,
            card: CircleCard::from(&circle),
            circle,
            me: actor.id(),
            my_role,
            pending_since,
            upcoming,
            join: FormState::default(),
            remove_for: None,
            remove: FormState::default(),
            problem: None,
            step_in,
            offers,
            can_step_in,
            join_module: ModuleTags::of("e2e/join.js"),
        })
    }

    fn when(&self, at: &DateTime<Utc>) -> String {
        local(*at, &self.circle.time_zone)
    }

    fn members(&self) -> &[Person] {
        self.circle.members.as_deref().unwrap_or_default()
    }

    /// Outsiders may ask when the circle takes requests and they have not asked yet.
    fn offers_join(&self) -> bool {
        !self.circle.viewer_is_member
            && self.pending_since.is_none()
            && self.circle.open_to_requests()
    }

    /// The facilitator cannot leave their own circle (they close it instead).
    fn offers_leave(&self) -> bool {
        matches!(
            self.my_role,
            Some(CircleRole::Member | CircleRole::CoFacilitator)
        )
    }

    fn role(&self, r: &CircleRole) -> &'static str {
        role_words(*r)
    }

    fn remove_error(&self, user_id: &Uuid) -> Option<&str> {
        (self.remove_for == Some(*user_id))
            .then(|| self.remove.error("reason"))
            .flatten()
    }

    fn remove_value(&self, user_id: &Uuid) -> &str {
        if self.remove_for == Some(*user_id) {
            self.remove.value("reason")
        } else {
            ""
        }
    }
}

/// The next scheduled meetings, in the circle's time zone (members and leaders only).
async fn upcoming_meetings(
    s: &AppState,
    inside: &InCircle,
    circle: &CircleView,
) -> PageResult<Vec<String>> {
    let all: Vec<Meeting> =
        meeting_cases::list_meetings(&s.ctx, inside, Some(s.ctx.now()), None).await?;
    Ok(all
        .iter()
        .filter(|m| !m.status.is_cancelled())
        .take(UPCOMING_ON_PAGE)
        .map(|m| local(m.starts_at, &circle.time_zone))
        .collect())
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    actor.require::<can::Participate>()?;
    let mut page = ShowPage::load(&s, &actor, m.csrf, id).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}
