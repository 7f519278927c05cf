//! Circle health pages: one circle's figures with charts (its leaders, and roles that see
//! organisation reports) and the organisation-wide overview table (aggregates only).

use super::chart::{self, Chart, Point};
use super::format::filters;
use super::layout::Layout;
use super::respond::render;
use super::session::{PageMeta, SignedIn};
use super::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::circles::health::{AttendancePoint, MembersPoint, ATTENDANCE_POINTS};
use app::circles::{self, CircleHealth, OrgOverview};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/{id}/health", get(circle_health))
        .route("/reports/circles", get(overview))
        .route("/reports/circles.csv", get(super::reports::overview_csv))
}

#[derive(Template)]
#[template(path = "circles/health.html")]
struct HealthPage {
    layout: Layout,
    health: CircleHealth,
    attendance_chart: String,
    members_chart: String,
}

async fn circle_health(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let health = circles::circle_health(&s.ctx, &actor, id).await?;
    let path = format!("/circles/{id}/health");
    render(HealthPage {
        layout: Layout::new(
            format!("Health of {}", health.summary.name),
            m.csrf,
            Some(&actor),
            &path,
        ),
        attendance_chart: attendance_chart(&health.attendance),
        members_chart: members_chart(&health.members_by_month, health.summary.capacity),
        health,
    })
}

fn attendance_chart(points: &[AttendancePoint]) -> String {
    let description = match points {
        [] => "No attendance has been taken yet.".to_owned(),
        [.., last] => format!(
            "Share of members present at each of the last {} meetings with attendance taken; {} at the latest.",
            points.len(),
            chart::percent(last.rate)
        ),
    };
    let points: Vec<Point> = points
        .iter()
        .map(|p| Point {
            label: p.starts_at.format("%-d %b").to_string(),
            value: p.rate,
        })
        .collect();
    chart::bars(
        &Chart {
            id: "attendance-chart",
            title: "Attendance per meeting",
            description,
            max: 1.0,
            format: chart::percent,
            whole: false,
        },
        &points,
    )
}

fn members_chart(points: &[MembersPoint], capacity: i32) -> String {
    let now = figure(&points.last().and_then(|p| p.active));
    let months = points.len();
    // Months withheld for having fewer than five members are left out of the line.
    let points: Vec<Point> = points
        .iter()
        .filter_map(|p| {
            Some(Point {
                label: p.month.format("%b").to_string(),
                value: p.active? as f64,
            })
        })
        .collect();
    chart::line(
        &Chart {
            id: "members-chart",
            title: "Members per month",
            description: format!(
                "Active members at the end of each of the last {months} months; {now} now, of {capacity} seats."
            ),
            max: f64::from(capacity.max(1)),
            format: chart::count,
            whole: true,
        },
        &points,
    )
}

#[derive(Template)]
#[template(path = "reports/circles.html")]
struct OverviewPage {
    layout: Layout,
    overview: OrgOverview,
    /// The circles of this page of the table, in the order asked for.
    table: super::reports::Table,
}

async fn overview(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<super::reports::TableQuery>,
) -> PageResult<Response> {
    let mut overview = circles::org_overview(&s.ctx, &actor).await?;
    let table = super::reports::Table::of(std::mem::take(&mut overview.circles), &q);
    render(OverviewPage {
        layout: Layout::new("Circle overview", m.csrf, Some(&actor), "/reports/circles"),
        overview,
        table,
    })
}

/// "75%", or a dash when there is nothing to measure.
pub(super) fn share(rate: &Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), chart::percent)
}

/// A count of people, or "fewer than 5" where it was withheld (`domain::report`).
pub(super) fn figure(n: &Option<i64>) -> String {
    n.map_or_else(
        || format!("fewer than {}", domain::report::MIN_GROUP),
        |n| n.to_string(),
    )
}

impl HealthPage {
    fn share(&self, rate: &Option<f64>) -> String {
        share(rate)
    }
    fn figure(&self, n: &Option<i64>) -> String {
        figure(n)
    }
    fn min_group(&self) -> i64 {
        domain::report::MIN_GROUP
    }
    fn since(&self, days: &Option<i64>) -> String {
        super::format::days_since(*days)
    }
    fn percent(&self, rate: &f64) -> String {
        chart::percent(*rate)
    }
    fn chart_meetings(&self) -> usize {
        ATTENDANCE_POINTS
    }
}

impl OverviewPage {
    fn sorts(&self) -> &'static [(&'static str, &'static str)] {
        super::reports::SORTS
    }
    fn share(&self, rate: &Option<f64>) -> String {
        share(rate)
    }
    fn figure(&self, n: &Option<i64>) -> String {
        figure(n)
    }
    fn min_group(&self) -> i64 {
        domain::report::MIN_GROUP
    }
    fn since(&self, days: &Option<i64>) -> String {
        super::format::days_since(*days)
    }
}
