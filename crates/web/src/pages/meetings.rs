//! Meeting pages: a circle's meetings (generate from the cadence, add, move, cancel),
//! taking attendance on a phone, and a member's own circles and attendance history.
//!
//! Times are shown and typed on the circle's wall clock (its IANA zone) and stored in UTC;
//! `app::circles::meetings` decides everything else (who may, when attendance can be taken).

use super::circles::{role_words, status_words};
use super::confirm;
use super::format::{day, local, local_inputs};
use super::layout::Layout;
use super::respond::{self, render, DoneQuery};
use super::session::{Form, PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::{can, Actor};
use app::circles::attendance::attendance_sheet;
use app::circles::meetings::{self, Meeting};
use app::circles::{self, manage, membership, CircleView};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone as _, Utc};
use domain::circle::CircleStatus;
use domain::meeting::AttendanceStatus;
use domain::DomainError;
use domain::TimeZone;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The meetings, attendance and "my circles" pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/meetings", get(list))
        .route("/circles/{id}/meetings/generate", post(generate))
        .route("/circles/{id}/meetings/add", post(add))
        .route("/meetings/{id}/move", post(move_meeting))
        .route("/meetings/{id}/cancel", post(cancel))
        .route(
            "/meetings/{id}/attendance",
            get(attendance_page).post(save_attendance),
        )
        .route("/me/circles", get(mine))
        .route(
            "/me/attendance",
            get(|| async { Redirect::to("/me/circles#attendance").into_response() }),
        )
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
    note: Option<String>,
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

#[derive(Deserialize)]
struct GenerateInput {
    #[serde(default)]
    weeks: String,
}

async fn generate(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<GenerateInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let weeks: i64 = input.weeks.trim().parse().unwrap_or(8);
    let until = s.ctx.now() + Duration::weeks(weeks);
    let back = format!("/circles/{id}/meetings");
    match meetings::generate_meetings(&s.ctx, &m.request, &lead, until).await {
        Ok(g) if g.created == 0 => respond::done(&back, "generated_none", "upcoming"),
        Ok(_) => respond::done(&back, "generated", "upcoming"),
        Err(e) => refused(&s, &actor, m.csrf, id, e).await,
    }
}

/// The meetings page again with the use case's refusal at the top.
async fn refused(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    circle_id: Uuid,
    e: app::Error,
) -> PageResult<Response> {
    let problem = FormState::default().absorb(e)?.summary;
    let mut page = MeetingsPage::load(s, actor, csrf, circle_id).await?;
    page.problem = problem;
    render(page)
}

#[derive(Deserialize)]
struct AddInput {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    note: respond::FormText,
}

impl AddInput {
    fn state(&self) -> FormState {
        FormState::default()
            .with("date", &self.date)
            .with("time", &self.time)
            .with("duration_minutes", &self.duration_minutes)
            .with("note", &self.note)
    }

    /// The length typed, if any (blank: the circle's usual length), or what to say.
    fn duration(&self) -> Result<Option<i32>, &'static str> {
        match self.duration_minutes.trim() {
            "" => Ok(None),
            raw => raw
                .parse()
                .map(Some)
                .map_err(|_| "Enter the length in minutes, for example 90."),
        }
    }
}

async fn add(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(input): Form<AddInput>,
) -> PageResult<Response> {
    let lead = circles::lead(&s.ctx, &actor, id).await?;
    let zone = lead.circle().time_zone.clone();
    // Both read before either is reported, so every problem shows at once.
    let read = match (
        starts_at(input.state(), &input.date, &input.time, &zone),
        input.duration(),
    ) {
        (Ok(at), Ok(d)) => Ok((at, d)),
        (Ok(_), Err(msg)) => Err(input.state().field_error("duration_minutes", msg)),
        (Err(form), Ok(_)) => Err(form),
        (Err(form), Err(msg)) => Err(form.field_error("duration_minutes", msg)),
    };
    let result = match read {
        Ok((at, duration)) => {
            meetings::add_meeting(&s.ctx, &m.request, &lead, at, duration, Some(&input.note))
                .await
                .map_err(|e| input.state().absorb(e))
        }
        Err(form) => Err(Ok(form)),
    };
    match result {
        Ok(_) => respond::done(&format!("/circles/{id}/meetings"), "added", "upcoming"),
        Err(form) => {
            let mut page = MeetingsPage::load(&s, &actor, m.csrf, id).await?;
            page.add = form?;
            render(page)
        }
    }
}

#[derive(Deserialize)]
struct MoveInput {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
}

async fn move_meeting(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(mid): Path<Uuid>,
    Form(input): Form<MoveInput>,
) -> PageResult<Response> {
    let circle_id = meetings::circle_of(&s.ctx, mid).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    let state = || {
        FormState::default()
            .with("date", &input.date)
            .with("time", &input.time)
    };
    let result = match starts_at(state(), &input.date, &input.time, &lead.circle().time_zone) {
        Ok(at) => meetings::move_meeting(&s.ctx, &m.request, &lead, mid, at)
            .await
            .map_err(|e| state().absorb(e)),
        Err(form) => Err(Ok(form)),
    };
    match result {
        Ok(_) => respond::done(&format!("/circles/{circle_id}/meetings"), "moved", ""),
        Err(form) => {
            let form = form?;
            let mut page = MeetingsPage::load(&s, &actor, m.csrf, circle_id).await?;
            page.problem = form.summary.clone();
            page.move_for = Some(mid);
            page.moving = form;
            render(page)
        }
    }
}

#[derive(Deserialize)]
struct CancelInput {
    /// `yes` from the confirmation page.
    confirm: Option<String>,
}

async fn cancel(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(mid): Path<Uuid>,
    Form(input): Form<CancelInput>,
) -> PageResult<Response> {
    let circle_id = meetings::circle_of(&s.ctx, mid).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    if !confirm::confirmed(&input.confirm) {
        let page = MeetingsPage::load(&s, &actor, m.csrf.clone(), circle_id).await?;
        let when = page
            .upcoming
            .iter()
            .chain(&page.past)
            .find(|l| l.id == mid)
            .map_or_else(String::new, |l| l.when.clone());
        let heading = format!("Cancel the meeting of {when}?");
        return confirm::ask(
            Layout::new(heading.clone(), m.csrf, Some(&actor), &m.path),
            confirm::Ask {
                heading,
                consequences: vec![
                    format!(
                        "Every member of {} is emailed that this meeting is cancelled.",
                        page.circle_name
                    ),
                    "The meeting stays listed as cancelled and cannot be brought back; to meet after all, add a new meeting.".to_owned(),
                ],
                action: format!("/meetings/{mid}/cancel"),
                fields: Vec::new(),
                button: "Yes, cancel the meeting",
                back: format!("/circles/{circle_id}/meetings"),
                keep: "Keep the meeting",
            },
        );
    }
    match meetings::cancel_meeting(&s.ctx, &m.request, &lead, mid).await {
        Ok(_) => respond::done(&format!("/circles/{circle_id}/meetings"), "cancelled", ""),
        Err(e) => refused(&s, &actor, m.csrf, circle_id, e).await,
    }
}

// --- Attendance --------------------------------------------------------------------------

const ATTENDANCE_NOTICES: &[(&str, &str)] = &[
    ("saved", "Attendance is saved."),
    ("all_present", "Everyone not marked yet is marked present."),
];

/// One member's line of the attendance form.
struct AttendanceRow {
    user_id: Uuid,
    name: String,
    /// What was recorded before, if anything.
    mark: Option<AttendanceStatus>,
}

#[derive(Template)]
#[template(path = "circles/attendance.html")]
struct AttendancePage {
    layout: Layout,
    notice: Option<&'static str>,
    meeting_id: Uuid,
    circle_id: Uuid,
    circle_name: String,
    meeting: MeetingLine,
    rows: Vec<AttendanceRow>,
    /// The marks a leader can give, in the order the buttons show them.
    marks: [AttendanceStatus; 3],
    /// A refused save, in the use case's words.
    problem: Option<String>,
}

impl AttendancePage {
    /// How many members have no mark yet ("Mark all present" marks them).
    fn unmarked(&self) -> usize {
        self.rows.iter().filter(|r| r.mark.is_none()).count()
    }

    /// The form for `meeting_id`, for the circle's leaders only (`Forbidden` otherwise).
    async fn load(s: &AppState, actor: &Actor, csrf: String, meeting_id: Uuid) -> PageResult<Self> {
        let circle_id = meetings::circle_of(&s.ctx, meeting_id).await?;
        let lead = circles::lead(&s.ctx, actor, circle_id).await?;
        let circle = lead.circle();
        let (meeting, lines) = attendance_sheet(&s.ctx, &lead, meeting_id).await?;
        let rows = lines
            .into_iter()
            .map(|l| AttendanceRow {
                mark: l.mark,
                user_id: l.user_id,
                name: l.display_name,
            })
            .collect();
        Ok(AttendancePage {
            layout: Layout::new(
                format!("Attendance · {}", circle.name),
                csrf,
                Some(actor),
                &format!("/meetings/{meeting_id}/attendance"),
            ),
            notice: None,
            meeting_id,
            circle_id,
            circle_name: circle.name.clone(),
            meeting: MeetingLine::new(&meeting, &circle.time_zone, s.ctx.now()),
            rows,
            marks: AttendanceStatus::ALL,
            problem: None,
        })
    }
}

async fn attendance_page(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = AttendancePage::load(&s, &actor, m.csrf, id).await?;
    page.notice = respond::notice(q.done.as_deref(), ATTENDANCE_NOTICES);
    render(page)
}

/// The marks the form sends as `mark-<user id>` = `present` / `absent` / `excused`;
/// members left unmarked are left out.
fn marks_of(fields: HashMap<String, String>) -> Result<Vec<(Uuid, AttendanceStatus)>, DomainError> {
    let mut entries = Vec::new();
    for (key, value) in fields {
        let Some(user_id) = key.strip_prefix("mark-").and_then(|id| id.parse().ok()) else {
            continue;
        };
        entries.push((user_id, AttendanceStatus::parse_input(&value)?));
    }
    // In a stable order, so the use case sees the same list for the same form.
    entries.sort_by_key(|(user_id, _)| *user_id);
    Ok(entries)
}

async fn save_attendance(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(fields): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let lead = circles::lead(&s.ctx, &actor, circle_id).await?;
    let problem = match marks_of(fields) {
        Ok(entries) if entries.is_empty() => {
            Some("Mark at least one member before saving.".to_owned())
        }
        Ok(entries) => {
            match meetings::record_attendance(&s.ctx, &m.request, &lead, id, entries).await {
                Ok(_) => return respond::done(&format!("/meetings/{id}/attendance"), "saved", ""),
                Err(e) => FormState::default().absorb(e)?.summary,
            }
        }
        Err(e) => FormState::default().absorb(e.into())?.summary,
    };
    let mut page = AttendancePage::load(&s, &actor, m.csrf, id).await?;
    page.problem = problem;
    render(page)
}

// --- My circles and attendance -----------------------------------------------------------

struct MyCircleLine {
    id: Uuid,
    name: String,
    role: &'static str,
    status: CircleStatus,
    status_label: &'static str,
    pending: bool,
    /// When they joined (or asked to), in words.
    since: String,
}

struct MyAttendanceLine {
    circle_id: Uuid,
    circle_name: String,
    when: String,
    mark: String,
}

#[derive(Template)]
#[template(path = "circles/mine.html")]
struct MinePage {
    layout: Layout,
    notice: Option<&'static str>,
    /// The next meeting of each circle, with the viewer's answer.
    next_meetings: Vec<super::rsvp::NextMeetingLine>,
    rsvp_back: &'static str,
    rsvp_answers: [domain::meeting::RsvpAnswer; 2],
    circles: Vec<MyCircleLine>,
    attendance: Vec<MyAttendanceLine>,
}

/// The time zone of each circle the person can still look at (UTC for the others).
async fn zones_of(
    s: &AppState,
    actor: &Actor,
    ids: impl Iterator<Item = Uuid>,
) -> PageResult<HashMap<Uuid, String>> {
    let mut zones = HashMap::new();
    for id in ids {
        if zones.contains_key(&id) {
            continue;
        }
        match manage::get(&s.ctx, actor, id).await {
            Ok(c) => zones.insert(id, c.time_zone),
            Err(e @ app::Error::Internal(_)) => return Err(e.into()),
            Err(_) => zones.insert(id, "UTC".to_owned()),
        };
    }
    Ok(zones)
}

async fn mine(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    actor.require::<can::Participate>()?;
    let circles = membership::my_circles(&s.ctx, &actor).await?;
    let viewer_zone = app::accounts::me(&s.ctx, &actor).await?.time_zone;
    let next_meetings = super::rsvp::next_meetings(&s, &actor, viewer_zone.as_deref()).await?;
    let history = meetings::my_attendance(&s.ctx, &actor).await?;
    let zones = zones_of(&s, &actor, history.iter().map(|a| a.circle_id)).await?;
    let zone = |id: &Uuid| zones.get(id).map(String::as_str).unwrap_or("UTC");
    render(MinePage {
        layout: Layout::new("My circles", m.csrf, Some(&actor), &m.path),
        notice: respond::notice(q.done.as_deref(), &[("rsvp", "Your answer is saved.")]),
        next_meetings,
        rsvp_back: "circles",
        rsvp_answers: domain::meeting::RsvpAnswer::ALL,
        circles: circles
            .into_iter()
            .map(|c| {
                let pending = c.membership_status.is_pending();
                let since = c.joined_at.unwrap_or(c.requested_at);
                MyCircleLine {
                    id: c.circle_id,
                    name: c.name,
                    role: role_words(c.role),
                    status: c.status,
                    status_label: status_words(c.status),
                    pending,
                    since: day(since),
                }
            })
            .collect(),
        attendance: history
            .into_iter()
            .map(|a| MyAttendanceLine {
                when: local(a.starts_at, zone(&a.circle_id)),
                circle_id: a.circle_id,
                circle_name: a.circle_name,
                mark: a.status.label().to_owned(),
            })
            .collect(),
    })
}
