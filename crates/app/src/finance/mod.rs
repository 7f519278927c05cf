//! Financial reports for Leadership and Admins (`ViewFinancialReports`): the ledger's
//! money totalled by period, kind, method, event and plan, and the scholarship fund, each
//! currency on its own (amounts in different currencies are never added).
//!
//! Every figure is a sum of ledger rows in integer minor units — summed by the database,
//! then added in `i128` — so each grouping adds up to the currency's total, and the total
//! to the ledger, exactly. Nothing in a report names a person: Leadership sees totals only.
//! Events only a circle's members may join are summed as one line, so a report does not
//! show which circles hold paid events or what their members paid.
//!
//! The report is written over the ledger generically: a new kind of movement (refunds,
//! donations, card payments) appears in it without a change here.

mod csv;
mod query;

pub use csv::to_csv;

use crate::authz::{can, Actor};
use crate::{Context, Error, Result};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use db::main_db::{events, membership_plans};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::finance::{amount_label, decimal, ReportPeriod};
use domain::payment::LedgerKind;
use domain::Currency;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// The longest range one report covers.
const LONGEST_RANGE_DAYS: i64 = 10 * 366;

/// What a report covers: `period` groups time; `from` and `to` are days (UTC, both
/// included). Without them: the last 12 months, 8 quarters or 5 years, to today.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `month` (default), `quarter` or `year`.
    #[param(value_type = Option<String>)]
    pub period: Option<ReportPeriod>,
    /// The first day, `YYYY-MM-DD`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day, `YYYY-MM-DD`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// A signed sum of money in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Amount {
    /// Minor units (cents); refunds make it smaller, and it may be negative.
    pub amount_minor: i64,
    /// The same as decimal text: `-12.50`.
    pub amount: String,
    /// With the currency: `EUR -12.50`.
    pub label: String,
}

/// One line of a grouping: what it is and its total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// Stable: `2026-01`, `payment`, `bank_transfer`, an event's or plan's id, `none`.
    pub key: String,
    /// How it reads: `Jan 2026`, `Payments`, the event's title, …
    pub label: String,
    #[serde(flatten)]
    pub total: Amount,
}

/// The scholarship fund: donations in, scholarships granted, and what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScholarshipFund {
    /// Every donation up to the report's last day.
    pub donations: Amount,
    /// Every scholarship granted up to the report's last day.
    pub scholarships: Amount,
    /// Donations − scholarships.
    pub balance: Amount,
}

/// Everything a report says about one currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrencyReport {
    pub currency: String,
    /// Every ledger row in the range.
    pub total: Amount,
    /// Every period of the range, in order, empty ones as zero.
    pub by_period: Vec<Line>,
    /// Payments, refunds, donations, scholarships.
    pub by_kind: Vec<Line>,
    /// Cash, bank transfer, card.
    pub by_method: Vec<Line>,
    /// Per event open to all; circle events as one line; `none` for money not for an event.
    pub by_event: Vec<Line>,
    /// Per membership plan; `none` for money not for a membership.
    pub by_plan: Vec<Line>,
    pub scholarship_fund: ScholarshipFund,
}

/// A financial report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FinanceReport {
    /// `month`, `quarter` or `year`.
    #[schema(value_type = String)]
    pub period: ReportPeriod,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One section per currency that has money in the range (or a fund), by code.
    pub currencies: Vec<CurrencyReport>,
}

/// The report `q` asks for: Leadership and Admins only.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn report(ctx: &Context, actor: &Actor, q: &ReportQuery) -> Result<FinanceReport> {
    actor.require::<can::ViewFinancialReports>()?;
    let period = q.period.unwrap_or_default();
    let (from, to) = range(q, period, ctx.now().date_naive())?;
    let start = at_midnight(from);
    let end = at_midnight(to.succ_opt().unwrap_or(to));
    let groups = query::groups(&ctx.main, start, end).await?;
    let fund = query::fund(&ctx.main, end).await?;
    let names = Names::load(ctx, &groups).await?;
    let mut currencies: Vec<String> = groups
        .iter()
        .map(|g| g.currency.clone())
        .chain(fund.iter().map(|f| f.currency.clone()))
        .collect();
    currencies.sort();
    currencies.dedup();
    let sections = currencies
        .into_iter()
        .map(|c| section(&c, period, from, to, &groups, &fund, &names))
        .collect::<Result<_>>()?;
    Ok(FinanceReport {
        period,
        from,
        to,
        currencies: sections,
    })
}

/// The range asked for, or the default one ending today; checked.
fn range(
    q: &ReportQuery,
    period: ReportPeriod,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate)> {
    let to = q.to.unwrap_or(today);
    let from = match q.from {
        Some(from) => from,
        None => {
            let back = match period {
                ReportPeriod::Month => 11,
                ReportPeriod::Quarter => 21 + (to.month0() % 3),
                ReportPeriod::Year => 48 + to.month0(),
            };
            let first = to.with_day(1).unwrap_or(to);
            first.checked_sub_months(Months::new(back)).unwrap_or(first)
        }
    };
    if from > to {
        return Err(Error::invalid(
            "from",
            "The first day must not be after the last.",
        ));
    }
    if (to - from).num_days() > LONGEST_RANGE_DAYS {
        return Err(Error::invalid("from", "A report covers at most ten years."));
    }
    Ok((from, to))
}

fn at_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// What the events and plans named in a report are called (and which events are
/// circle-only, summed as one line).
struct Names {
    events: HashMap<Uuid, events::Model>,
    plans: HashMap<Uuid, String>,
}

impl Names {
    async fn load(ctx: &Context, groups: &[query::Group]) -> Result<Names> {
        let events = events::Entity::find()
            .filter(events::Column::Id.is_in(groups.iter().filter_map(|g| g.event_id)))
            .all(&ctx.main)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let plans = membership_plans::Entity::find()
            .filter(membership_plans::Column::Id.is_in(groups.iter().filter_map(|g| g.plan_id)))
            .all(&ctx.main)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        Ok(Names { events, plans })
    }

    fn event(&self, id: Option<Uuid>) -> (String, String) {
        match id.map(|id| (id, self.events.get(&id))) {
            None => ("none".into(), "Not for an event".into()),
            Some((_, Some(e))) if !e.open_to_all => (
                "circle_events".into(),
                "Circle events (not itemised)".into(),
            ),
            Some((id, Some(e))) => (id.to_string(), e.title.clone()),
            Some((id, None)) => (id.to_string(), "An event no longer listed".into()),
        }
    }

    fn plan(&self, id: Option<Uuid>) -> (String, String) {
        match id {
            None => ("none".into(), "Not for a membership".into()),
            Some(id) => (
                id.to_string(),
                self.plans
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| "A deleted plan".into()),
            ),
        }
    }
}

/// Sums kept in first-seen order of their key, in `i128` so no sum can overflow.
#[derive(Default)]
struct Sums {
    order: Vec<(String, String)>,
    totals: HashMap<String, i128>,
}

impl Sums {
    fn add(&mut self, (key, label): (String, String), amount: i64) {
        if !self.totals.contains_key(&key) {
            self.order.push((key.clone(), label));
        }
        *self.totals.entry(key).or_default() += i128::from(amount);
    }

    fn lines(self, currency: Currency) -> Result<Vec<Line>> {
        self.order
            .into_iter()
            .map(|(key, label)| {
                let sum = self.totals.get(&key).copied().unwrap_or_default();
                Ok(Line {
                    key,
                    label,
                    total: amount(sum, currency)?,
                })
            })
            .collect()
    }
}

fn amount(sum: i128, currency: Currency) -> Result<Amount> {
    let amount_minor = i64::try_from(sum)
        .map_err(|_| Error::Internal(anyhow::anyhow!("a report total does not fit 64 bits")))?;
    Ok(Amount {
        amount_minor,
        amount: decimal(sum, currency),
        label: amount_label(sum, currency),
    })
}

fn section(
    code: &str,
    period: ReportPeriod,
    from: NaiveDate,
    to: NaiveDate,
    groups: &[query::Group],
    fund: &[query::FundMovement],
    names: &Names,
) -> Result<CurrencyReport> {
    let currency = Currency::parse(code).map_err(|_| {
        Error::Internal(anyhow::anyhow!("the ledger holds a bad currency {code:?}"))
    })?;
    let mut total: i128 = 0;
    let (mut by_period, mut by_kind, mut by_method) =
        (Sums::default(), Sums::default(), Sums::default());
    let (mut by_event, mut by_plan) = (Sums::default(), Sums::default());
    for p in period.between(from, to) {
        by_period.add((p.key, p.label), 0);
    }
    for kind in LedgerKind::ALL {
        by_kind.add((kind.as_str().into(), kind.label().into()), 0);
    }
    let mut rows: Vec<&query::Group> = groups.iter().filter(|g| g.currency == code).collect();
    rows.sort_by_key(|g| (g.method.as_str(), g.month.clone()));
    for g in rows {
        total += i128::from(g.amount_minor);
        by_period.add(month_period(period, &g.month)?, g.amount_minor);
        by_kind.add(
            (g.kind.as_str().into(), g.kind.label().into()),
            g.amount_minor,
        );
        by_method.add(
            (g.method.as_str().into(), g.method.label().into()),
            g.amount_minor,
        );
        by_event.add(names.event(g.event_id), g.amount_minor);
        by_plan.add(names.plan(g.plan_id), g.amount_minor);
    }
    let moved = |kind: LedgerKind| -> i128 {
        fund.iter()
            .filter(|f| f.currency == code && f.kind == kind)
            .map(|f| i128::from(f.amount_minor))
            .sum()
    };
    let (donations, scholarships) = (moved(LedgerKind::Donation), moved(LedgerKind::Scholarship));
    Ok(CurrencyReport {
        currency: currency.as_str().to_owned(),
        total: amount(total, currency)?,
        by_period: by_period.lines(currency)?,
        by_kind: by_kind.lines(currency)?,
        by_method: by_method.lines(currency)?,
        by_event: sorted_by_label(by_event.lines(currency)?),
        by_plan: sorted_by_label(by_plan.lines(currency)?),
        scholarship_fund: ScholarshipFund {
            donations: amount(donations, currency)?,
            scholarships: amount(scholarships, currency)?,
            balance: amount(donations - scholarships, currency)?,
        },
    })
}

/// The report period a `YYYY-MM` month falls in.
fn month_period(period: ReportPeriod, month: &str) -> Result<(String, String)> {
    let parsed = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    let (year, m) =
        parsed.ok_or_else(|| Error::Internal(anyhow::anyhow!("a ledger month reads {month:?}")))?;
    let p = period.of_month(year, m);
    Ok((p.key, p.label))
}

/// Named lines A–Z, with the catch-all lines (`none`, circle events) last.
fn sorted_by_label(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| {
        let rest = |l: &Line| l.key == "none" || l.key == "circle_events";
        (rest(a), a.label.to_lowercase()).cmp(&(rest(b), b.label.to_lowercase()))
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_range_ends_today_and_covers_whole_periods() {
        let today = day("2026-05-20");
        let q = ReportQuery::default();
        assert_eq!(
            range(&q, ReportPeriod::Month, today).unwrap(),
            (day("2025-06-01"), today)
        );
        assert_eq!(
            range(&q, ReportPeriod::Quarter, today).unwrap(),
            (day("2024-07-01"), today)
        );
        assert_eq!(
            range(&q, ReportPeriod::Year, today).unwrap(),
            (day("2022-01-01"), today)
        );
    }

    #[test]
    fn a_range_runs_forwards_for_at_most_ten_years() {
        let today = day("2026-05-20");
        let backwards = ReportQuery {
            from: Some(day("2026-02-01")),
            to: Some(day("2026-01-01")),
            ..Default::default()
        };
        assert!(range(&backwards, ReportPeriod::Month, today).is_err());
        let long = ReportQuery {
            from: Some(day("2000-01-01")),
            to: Some(day("2026-01-01")),
            ..Default::default()
        };
        assert!(range(&long, ReportPeriod::Year, today).is_err());
    }

    #[test]
    fn months_fold_into_the_period_asked_for() {
        assert_eq!(
            month_period(ReportPeriod::Quarter, "2025-12").unwrap().0,
            "2025-Q4"
        );
        assert_eq!(
            month_period(ReportPeriod::Year, "2026-01").unwrap().0,
            "2026"
        );
        assert!(month_period(ReportPeriod::Month, "2026-13").is_err());
        assert!(month_period(ReportPeriod::Month, "junk").is_err());
    }
}
