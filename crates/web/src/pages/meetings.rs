//! Meeting pages: a circle's meetings (generate from the cadence, add, move, cancel),
//! taking attendance on a phone, and a member's own circles and attendance history.
//!
//! Times are shown and typed on the circle's wall clock (its IANA zone) and stored in UTC;
//! `app::circles::meetings` decides everything else (who may, when attendance can be taken).

mod attendance;
mod changes;
mod mine;

use super::conversation::ModuleTags;
use super::format::{local, local_inputs};
use super::layout::Layout;
use super::respond::{self, render, DoneQuery};
use super::session::{PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::Actor;
use app::circles::meetings::{self, Meeting};
use app::circles::{self, manage, CircleView, Standing};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeZone as _, Utc};
use domain::TimeZone;
use uuid::Uuid;

/// The meetings, attendance and "my circles" pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/meetings", get(list))
        .route(
            "/meetings/{id}/attendance",
            get(attendance::attendance_page).post(attendance::save_attendance),
        )
        .route("/me/circles", get(mine::mine))
        .route(
            "/me/attendance",
            get(|| async { Redirect::to("/me/circles#attendance").into_response() }),
        )
        .merge(changes::routes())
}

/// A meeting as the pages show it, on the circle's wall clock.
struct MeetingLine {
    id: Uuid,
    when: String,
    /// The local date and time, for the move form's inputs.
    date: String,
    time: String,
    duration: i32,
    cancelled: bool,
    started: bool,
    /// The note pending sealing, in clear (see `app::circles::meetings`).
    note: Option<String>,
    /// `pending`, `sealed` or `none`: what the note box shows before the page's script
    /// (`e2e/notes.js`) opens sealed notes with this device's keys.
    note_state: &'static str,
    /// Who said they are coming (the leaders' view of a coming meeting).
    rsvp: Option<String>,
}

impl MeetingLine {
    fn new(m: &Meeting, zone: &str, now: DateTime<Utc>) -> MeetingLine {
        let (date, time) = local_inputs(m.starts_at, zone);
        MeetingLine {
            id: m.id,
            when: local(m.starts_at, zone),
            date,
            time,
            duration: m.duration_minutes,
            cancelled: m.status.is_cancelled(),
            started: m.starts_at <= now,
            note: m.note.clone(),
            note_state: match (&m.note_sealed, &m.note) {
                (Some(_), _) => "sealed",
                (None, Some(_)) => "pending",
                (None, None) => "none",
            },
            rsvp: None,
        }
    }
}

/// A date and a wall-clock time in the circle's zone as a UTC instant, or the form with a
/// message next to the field at fault. A time the clocks skip that day is refused (rather
/// than moved for the person); a repeated one is the earlier, as the cadence reads it.
fn starts_at(
    state: FormState,
    date: &str,
    time: &str,
    zone: &str,
) -> Result<DateTime<Utc>, FormState> {
    let mut state = state;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d");
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"));
    if date.is_err() {
        state = state.field_error("date", "Enter the date, for example 2026-03-03.");
    }
    if time.is_err() {
        state = state.field_error(
            "time",
            "Enter the start time on a 24-hour clock, for example 19:30.",
        );
    }
    let (Ok(date), Ok(time)) = (date, time) else {
        return Err(state);
    };
    if let Err(e) = domain::dates::date("date", date) {
        return Err(state.field_error("date", &e.message));
    }
    let Ok(zone_tz) = TimeZone::parse(zone) else {
        return Ok(date.and_time(time).and_utc());
    };
    match zone_tz.tz().from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.min(b).with_timezone(&Utc)),
        LocalResult::None => Err(state.field_error(
            "time",
            &format!("The clocks change at this time in {zone}, so it does not exist that day: choose another time."),
        )),
    }
}

// --- A circle's meetings -----------------------------------------------------------------

const NOTICES: &[(&str, &str)] = &[
    (
        "generated",
        "Meetings are planned from the circle's schedule.",
    ),
    (
        "generated_none",
        "Every meeting in that period was already planned.",
    ),
    ("added", "The meeting is added."),
    (
        "moved",
        "The meeting is moved; the circle is told by email.",
    ),
    (
        "cancelled",
        "The meeting is cancelled; the circle is told by email.",
    ),
];

/// How far ahead "Plan meetings" may reach, in weeks (the use case caps it at 26).
const AHEAD_CHOICES: [u32; 4] = [4, 8, 13, 26];

#[derive(Template)]
#[template(path = "circles/meetings.html")]
struct MeetingsPage {
    layout: Layout,
    notice: Option<&'static str>,
    circle_id: Uuid,
    circle_name: String,
    zone: String,
    leads: bool,
    /// The viewer is one of the circle's own people (not a stepped-in Admin): the page
    /// loads `e2e/notes.js` to open and seal notes with his conversation keys.
    notes_module: Option<ModuleTags>,
    user_id: Uuid,
    upcoming: Vec<MeetingLine>,
    /// Newest first.
    past: Vec<MeetingLine>,
    ahead_choices: [u32; 4],
    add: FormState,
    /// The meeting whose move form `moving` belongs to.
    move_for: Option<Uuid>,
    moving: FormState,
    /// A refused change, in the use case's words.
    problem: Option<String>,
}

impl MeetingsPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, id: Uuid) -> PageResult<Self> {
        let circle: CircleView = manage::get(&s.ctx, actor, id).await?;
        let inside = circles::enter(&s.ctx, actor, id).await?;
        let all = meetings::list_meetings(&s.ctx, &inside, None, None).await?;
        let now = s.ctx.now();
        let lines: Vec<MeetingLine> = all
            .iter()
            .map(|m| MeetingLine::new(m, &circle.time_zone, now))
            .collect();
        let (mut past, mut upcoming): (Vec<_>, Vec<_>) = lines.into_iter().partition(|m| m.started);
        past.reverse();
        if circle.viewer_leads {
            let lead = circles::lead(&s.ctx, actor, id).await?;
            let ids: Vec<Uuid> = upcoming.iter().map(|m| m.id).collect();
            let mut said = super::rsvp::summaries(s, &lead, &ids).await?;
            for m in upcoming.iter_mut().filter(|m| !m.cancelled) {
                m.rsvp = said.remove(&m.id).filter(|t| !t.is_empty());
            }
        }
        let add = FormState::default().with("time", &circle.meeting_time);
        Ok(MeetingsPage {
            layout: Layout::new(
                format!("Meetings · {}", circle.name),
                csrf,
                Some(actor),
                &format!("/circles/{id}/meetings"),
            ),
            notice: None,
            circle_id: id,
            circle_name: circle.name,
            zone: circle.time_zone,
            leads: circle.viewer_leads,
            notes_module: matches!(inside.standing(), Standing::Leader | Standing::Member)
                .then(|| ModuleTags::of("e2e/notes.js")),
            user_id: actor.id(),
            upcoming,
            past,
            ahead_choices: AHEAD_CHOICES,
            add,
            move_for: None,
            moving: FormState::default(),
            problem: None,
        })
    }

    fn moving(&self, id: &Uuid) -> bool {
        self.move_for == Some(*id)
    }

    fn move_error(&self, id: &Uuid, field: &str) -> Option<&str> {
        (self.move_for == Some(*id))
            .then(|| self.moving.error(field))
            .flatten()
    }
}

async fn list(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = MeetingsPage::load(&s, &actor, m.csrf, id).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}
