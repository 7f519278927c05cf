//! The financial report page (`/reports/finance`, Leadership and Admins): totals per
//! currency by period, kind, method, event and plan, a bar chart of each currency's money
//! per period, and the same report as CSV (`/reports/finance.csv`). Figures come from
//! `app::finance`; this only lays them out.

use super::chart::{self, Chart, Point};
use super::layout::Layout;
use super::respond::{attachment, render};
use super::session::{PageMeta, SignedIn};
use super::PageResult;
use crate::state::AppState;
use app::finance::{self, CurrencyReport, FinanceReport, Line, ReportQuery};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use domain::finance::ReportPeriod;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/finance", get(show))
        .route("/reports/finance.csv", get(csv))
}

/// One currency's section with its chart.
struct Section {
    report: CurrencyReport,
    chart: String,
}

#[derive(Template)]
#[template(path = "reports/finance.html")]
struct FinancePage {
    layout: Layout,
    report: FinanceReport,
    sections: Vec<Section>,
    periods: [ReportPeriod; 3],
    /// The query string of this report, for the CSV link.
    query: String,
}

impl FinancePage {
    /// The groupings of a currency's section, in the order shown.
    fn groupings<'a>(&self, c: &'a CurrencyReport) -> [(&'static str, &'a [Line]); 5] {
        [
            ("Per period", &c.by_period),
            ("By kind", &c.by_kind),
            ("By method", &c.by_method),
            ("By event", &c.by_event),
            ("By plan", &c.by_plan),
        ]
    }

    fn period_label(&self, p: &ReportPeriod) -> &'static str {
        match p {
            ReportPeriod::Month => "Months",
            ReportPeriod::Quarter => "Quarters",
            ReportPeriod::Year => "Years",
        }
    }
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    let report = finance::report(&s.ctx, &actor, &q).await?;
    let sections = report
        .currencies
        .iter()
        .map(|c| Section {
            chart: period_chart(c),
            report: c.clone(),
        })
        .collect();
    let query = format!(
        "period={}&from={}&to={}",
        report.period, report.from, report.to
    );
    render(FinancePage {
        layout: Layout::new("Finances", m.csrf, Some(&actor), "/reports/finance"),
        report,
        sections,
        periods: ReportPeriod::ALL,
        query,
    })
}

async fn csv(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    let report = finance::report(&s.ctx, &actor, &q).await?;
    let name = format!("finance-{}-to-{}.csv", report.from, report.to);
    Ok(attachment(
        "text/csv; charset=utf-8",
        &name,
        finance::to_csv(&report),
    ))
}

/// Money per period as bars, in whole units of the currency. The chart is a picture of
/// the table beside it, so it may round: the exact sums are the table's. A period whose
/// refunds outweigh its income draws no bar (the table shows the negative sum).
fn period_chart(c: &CurrencyReport) -> String {
    let unit = 10f64.powi(decimals(&c.currency));
    let points: Vec<Point> = c
        .by_period
        .iter()
        .map(|l| Point {
            label: l.label.clone(),
            value: (l.total.amount_minor as f64 / unit).max(0.0),
        })
        .collect();
    let max = points.iter().map(|p| p.value).fold(0.0, f64::max);
    chart::bars(
        &Chart {
            id: &format!("finance-chart-{}", c.currency.to_lowercase()),
            title: &format!("Money per period, {}", c.currency),
            description: format!(
                "Net money in {} for each of {} periods; {} in all.",
                c.currency,
                points.len(),
                c.total.label
            ),
            max,
            format: chart::count,
            whole: true,
        },
        &points,
    )
}

fn decimals(code: &str) -> i32 {
    domain::Currency::parse(code).map_or(2, |c| c.decimals() as i32)
}
