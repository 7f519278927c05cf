//! Financial reports (Leadership and Admins): the ledger totalled by period, kind, method,
//! event and plan, per currency, as JSON or CSV. No report names a person.

use crate::error::{ApiResult, Problem};
use crate::extract::{CurrentUser, Query};
use crate::state::AppState;
use app::finance::{self, FinanceReport, ReportQuery};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(finance_report))
}

/// How the report is sent.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FormatQuery {
    /// `json` (default) or `csv`: one line per figure,
    /// `currency,grouping,key,label,amount_minor,amount`.
    #[serde(default)]
    #[param(inline)]
    format: ReportFormat,
}

/// The financial report: money per currency (never added across currencies), by period
/// (`month`, `quarter`, `year`, UTC), kind, method, event and plan, and the scholarship
/// fund. Every grouping adds up to the currency's total, and the total to the ledger.
/// Leadership and Admins.
#[utoipa::path(get, path = "/reports/finance", tag = "reports", security(("bearer" = [])), params(ReportQuery, FormatQuery),
    responses((status = 200, description = "The report", content((FinanceReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn finance_report(
    State(s): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<ReportQuery>,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let report = finance::report(&s.ctx, &actor, &q).await?;
    Ok(match f.format {
        ReportFormat::Json => axum::Json(report).into_response(),
        ReportFormat::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file_name(&report)),
                ),
            ],
            finance::to_csv(&report),
        )
            .into_response(),
    })
}

/// `finance-2026-01-01-to-2026-12-31.csv`.
pub(crate) fn file_name(r: &FinanceReport) -> String {
    format!("finance-{}-to-{}.csv", r.from, r.to)
}
