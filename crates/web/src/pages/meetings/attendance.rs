//! Taking attendance on a phone: the leader's sheet for one meeting, every member
//! with his mark, and "mark all present".

use super::MeetingLine;
use crate::pages::layout::Layout;
use crate::pages::respond::{self, render, DoneQuery};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::Actor;
use app::circles;
use app::circles::attendance::attendance_sheet;
use app::circles::meetings;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::meeting::AttendanceStatus;
use domain::DomainError;
use std::collections::HashMap;
use uuid::Uuid;

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

pub(super) async fn attendance_page(
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

pub(super) async fn save_attendance(
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
