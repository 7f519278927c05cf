//! A financial report as CSV, one line per figure: `currency,grouping,key,label,
//! amount_minor,amount`. Labels (event titles, plan names) go through `domain::csv`, so a
//! title like `=HYPERLINK(…)` opens as text; amounts are written as numbers.

use super::{Amount, FinanceReport, Line};
use domain::csv::{field, number};

/// The header line.
pub const HEADER: &str = "currency,grouping,key,label,amount_minor,amount";

/// The whole report, with CRLF line endings.
pub fn to_csv(report: &FinanceReport) -> String {
    let mut out = format!("{HEADER}\r\n");
    for c in &report.currencies {
        let mut row = |grouping: &str, key: &str, label: &str, a: &Amount| {
            let cells = [
                field(&c.currency),
                field(grouping),
                field(key),
                field(label),
                number(&a.amount_minor.to_string()),
                number(&a.amount),
            ];
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        };
        row("total", "all", "All money", &c.total);
        let groupings: [(&str, &Vec<Line>); 5] = [
            ("period", &c.by_period),
            ("kind", &c.by_kind),
            ("method", &c.by_method),
            ("event", &c.by_event),
            ("plan", &c.by_plan),
        ];
        for (grouping, lines) in groupings {
            for l in lines {
                row(grouping, &l.key, &l.label, &l.total);
            }
        }
        let f = &c.scholarship_fund;
        row("scholarship_fund", "donations", "Donations", &f.donations);
        row(
            "scholarship_fund",
            "scholarships",
            "Scholarships granted",
            &f.scholarships,
        );
        row("scholarship_fund", "balance", "Fund balance", &f.balance);
    }
    out
}
