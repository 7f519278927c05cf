//! The organisation's circle table on `/reports/circles`: sorted by the column asked for,
//! a page of rows at a time, and the whole table as CSV. The figures are the overview's
//! (`app::circles::org_overview`), small groups already withheld; this only orders, pages
//! and writes them.

use super::health::{figure, share};
use super::respond::attachment;
use super::session::SignedIn;
use super::PageResult;
use crate::state::AppState;
use app::circles::{self, health::CircleSummary};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::cmp::Ordering;

/// Rows on one page of the table.
pub const ROWS_PER_PAGE: usize = 50;

/// The columns the table sorts by: (query value, heading).
pub const SORTS: &[(&str, &str)] = &[
    ("name", "Circle"),
    ("members", "Members"),
    ("seats", "Open seats"),
    ("attendance", "Attendance"),
    ("quiet", "Last meeting"),
];

/// `?sort=…&page=…`, both optional.
#[derive(Deserialize)]
pub struct TableQuery {
    sort: Option<String>,
    page: Option<usize>,
}

/// One page of the sorted table.
pub struct Table {
    pub rows: Vec<CircleSummary>,
    pub sort: &'static str,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
}

impl Table {
    /// Sorts `circles` as asked (by name when the column is unknown) and keeps the page.
    pub fn of(mut circles: Vec<CircleSummary>, q: &TableQuery) -> Table {
        let sort = sort_key(q.sort.as_deref());
        sort_by(&mut circles, sort);
        let total = circles.len();
        let pages = total.div_ceil(ROWS_PER_PAGE).max(1);
        let page = q.page.unwrap_or(1).clamp(1, pages);
        let rows = circles
            .into_iter()
            .skip((page - 1) * ROWS_PER_PAGE)
            .take(ROWS_PER_PAGE)
            .collect();
        Table {
            rows,
            sort,
            page,
            pages,
            total,
        }
    }

    /// The link to page `page` in this order.
    pub fn href(&self, sort: &str, page: usize) -> String {
        format!("/reports/circles?sort={sort}&page={page}#circles-heading")
    }
}

fn sort_key(asked: Option<&str>) -> &'static str {
    SORTS
        .iter()
        .find(|(k, _)| Some(*k) == asked)
        .map_or("name", |(k, _)| k)
}

/// Names A–Z; counts and attendance highest first; the longest-quiet circles first. Ties
/// (and withheld figures, last) fall back to the name.
fn sort_by(circles: &mut [CircleSummary], sort: &str) {
    let by_name =
        |a: &CircleSummary, b: &CircleSummary| a.name.to_lowercase().cmp(&b.name.to_lowercase());
    let desc = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    circles.sort_by(|a, b| {
        let first = match sort {
            "members" => b.active_members.cmp(&a.active_members),
            "seats" => b.open_seats.cmp(&a.open_seats),
            "attendance" => desc(a.attendance_rate, b.attendance_rate),
            "quiet" => desc(
                a.days_since_last_meeting.map(|d| d as f64),
                b.days_since_last_meeting.map(|d| d as f64),
            ),
            _ => Ordering::Equal,
        };
        first.then_with(|| by_name(a, b))
    });
}

/// The whole table as CSV, for a spreadsheet; figures withheld read as on the page.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()))]
pub async fn overview_csv(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    Query(q): Query<TableQuery>,
) -> PageResult<Response> {
    let overview = circles::org_overview(&s.ctx, &actor).await?;
    let mut rows = overview.circles;
    sort_by(&mut rows, sort_key(q.sort.as_deref()));
    let mut out = String::from(
        "circle,status,members,capacity,open_seats,requests_waiting,attendance,days_since_last_meeting\r\n",
    );
    for c in rows {
        let fields = [
            c.name,
            c.status.as_str().to_owned(),
            c.active_members.to_string(),
            c.capacity.to_string(),
            c.open_seats.to_string(),
            figure(&c.requests_waiting),
            share(&c.attendance_rate),
            c.days_since_last_meeting
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ];
        out.push_str(&domain::csv::line(&fields));
        out.push_str("\r\n");
    }
    Ok(attachment("text/csv; charset=utf-8", "circles.csv", out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::circle::CircleStatus;
    use uuid::Uuid;

    fn circle(name: &str, members: i32, attendance: Option<f64>) -> CircleSummary {
        CircleSummary {
            circle_id: Uuid::nil(),
            name: name.to_owned(),
            status: CircleStatus::Active,
            capacity: 10,
            active_members: members,
            open_seats: 10 - members,
            requests_waiting: None,
            last_meeting_at: None,
            days_since_last_meeting: None,
            attendance_rate: attendance,
        }
    }

    fn names(t: &Table) -> Vec<&str> {
        t.rows.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn sorted_by_the_column_asked_for_with_unknown_figures_last() {
        let all = || {
            vec![
                circle("beta", 3, None),
                circle("Alpha", 7, Some(0.5)),
                circle("gamma", 5, Some(0.9)),
            ]
        };
        let q = |sort: &str| TableQuery {
            sort: Some(sort.to_owned()),
            page: None,
        };
        assert_eq!(
            names(&Table::of(all(), &q("name"))),
            ["Alpha", "beta", "gamma"]
        );
        assert_eq!(
            names(&Table::of(all(), &q("members"))),
            ["Alpha", "gamma", "beta"]
        );
        assert_eq!(
            names(&Table::of(all(), &q("attendance"))),
            ["gamma", "Alpha", "beta"]
        );
        assert_eq!(Table::of(all(), &q("<script>")).sort, "name");
    }

    #[test]
    fn pages_hold_fifty_rows_and_stay_in_range() {
        let many: Vec<_> = (0..120)
            .map(|i| circle(&format!("c{i:03}"), 2, None))
            .collect();
        let t = Table::of(
            many.clone(),
            &TableQuery {
                sort: None,
                page: Some(3),
            },
        );
        assert_eq!((t.page, t.pages, t.total, t.rows.len()), (3, 3, 120, 20));
        assert_eq!(t.rows[0].name, "c100");
        let t = Table::of(
            many,
            &TableQuery {
                sort: None,
                page: Some(99),
            },
        );
        assert_eq!(t.page, 3);
        assert_eq!(
            t.href("members", 2),
            "/reports/circles?sort=members&page=2#circles-heading"
        );
    }
}
