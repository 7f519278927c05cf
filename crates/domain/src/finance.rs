//! The vocabulary of financial reports: the periods money is totalled by, and signed
//! totals written with their currency's decimals — by integer arithmetic alone, so a
//! report shows exactly what the ledger holds.

use crate::money::Currency;
use crate::vocabulary::text_enum;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How a report groups time. Periods are calendar months, quarters and years in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReportPeriod {
    #[default]
    Month,
    Quarter,
    Year,
}

text_enum!(ReportPeriod {
    Month => "month",
    Quarter => "quarter",
    Year => "year",
});

/// One period of a report: a stable key (`2026-01`, `2026-Q1`, `2026`) and its label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodKey {
    pub key: String,
    pub label: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl ReportPeriod {
    /// The period that month `month` (1–12) of `year` falls in.
    pub fn of_month(self, year: i32, month: u32) -> PeriodKey {
        match self {
            Self::Month => {
                let name = MONTHS[(month.clamp(1, 12) - 1) as usize];
                PeriodKey {
                    key: format!("{year:04}-{month:02}"),
                    label: format!("{name} {year}"),
                }
            }
            Self::Quarter => {
                let q = (month.clamp(1, 12) - 1) / 3 + 1;
                PeriodKey {
                    key: format!("{year:04}-Q{q}"),
                    label: format!("Q{q} {year}"),
                }
            }
            Self::Year => PeriodKey {
                key: format!("{year:04}"),
                label: year.to_string(),
            },
        }
    }

    /// Every period from the one holding `from` to the one holding `to`, in order, so a
    /// period without money shows as a zero rather than a gap.
    pub fn between(self, from: NaiveDate, to: NaiveDate) -> Vec<PeriodKey> {
        let mut out: Vec<PeriodKey> = Vec::new();
        let (mut year, mut month) = (from.year(), from.month());
        while (year, month) <= (to.year(), to.month()) {
            let p = self.of_month(year, month);
            if out.last() != Some(&p) {
                out.push(p);
            }
            (year, month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
        }
        out
    }
}

/// A signed amount in minor units as plain decimal text with the currency's decimals:
/// `-12.50`, `1200` (JPY), `0.250` (KWD). What a spreadsheet reads as a number.
pub fn decimal(minor: i128, currency: Currency) -> String {
    let decimals = currency.decimals();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u128.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = decimals as usize
    )
}

/// A signed amount with its currency, as reports show it: `EUR -12.50`.
pub fn amount_label(minor: i128, currency: Currency) -> String {
    format!("{currency} {}", decimal(minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn stored_names_round_trip() {
        crate::vocabulary::assert_text_round_trips(
            &ReportPeriod::ALL,
            ReportPeriod::as_str,
            ReportPeriod::parse,
        );
    }

    #[test]
    fn months_fall_into_their_quarter_and_year() {
        let p = ReportPeriod::Month.of_month(2026, 1);
        assert_eq!((p.key.as_str(), p.label.as_str()), ("2026-01", "Jan 2026"));
        let q = ReportPeriod::Quarter;
        assert_eq!(q.of_month(2025, 12).key, "2025-Q4");
        assert_eq!(q.of_month(2026, 3).label, "Q1 2026");
        assert_eq!(q.of_month(2026, 4).key, "2026-Q2");
        assert_eq!(ReportPeriod::Year.of_month(2026, 7).key, "2026");
    }

    #[test]
    fn every_period_across_a_year_boundary_is_listed_once() {
        let keys = |p: ReportPeriod| -> Vec<String> {
            p.between(day("2025-11-15"), day("2026-02-01"))
                .into_iter()
                .map(|k| k.key)
                .collect()
        };
        assert_eq!(
            keys(ReportPeriod::Month),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(keys(ReportPeriod::Quarter), ["2025-Q4", "2026-Q1"]);
        assert_eq!(keys(ReportPeriod::Year), ["2025", "2026"]);
        assert!(ReportPeriod::Month
            .between(day("2026-02-01"), day("2026-01-01"))
            .is_empty());
    }

    #[test]
    fn signed_amounts_keep_their_decimals() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(decimal(-1250, eur), "-12.50");
        assert_eq!(decimal(-5, eur), "-0.05");
        assert_eq!(decimal(0, eur), "0.00");
        assert_eq!(amount_label(123_456, eur), "EUR 1234.56");
        assert_eq!(decimal(1200, Currency::parse("JPY").unwrap()), "1200");
        assert_eq!(decimal(-250, Currency::parse("KWD").unwrap()), "-0.250");
        assert_eq!(
            decimal(i128::from(i64::MAX) * 3, eur),
            "276701161105643274.21"
        );
    }
}
