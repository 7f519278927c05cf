//! Paid memberships of the organisation (not of a circle): plans paid every month or
//! year, the periods a member has paid for, and where he stands on a given day — active,
//! in the grace period after his last period ended, or lapsed.

use crate::vocabulary::text_enum;
use chrono::{DateTime, Duration, Months, Utc};
use serde::{Deserialize, Serialize};

/// How often a plan is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanInterval {
    Monthly,
    Yearly,
}

text_enum!(PlanInterval {
    Monthly => "monthly",
    Yearly => "yearly",
});

impl PlanInterval {
    /// The end of one interval that starts at `start`: the same day of the next month (or
    /// year), or that month's last day when it is shorter (31 Jan → 29 Feb). `None` only
    /// past the end of the calendar.
    pub fn after(self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let months = match self {
            Self::Monthly => 1,
            Self::Yearly => 12,
        };
        start.checked_add_months(Months::new(months))
    }

    /// How a price reads with it: "EUR 10.00 per month".
    pub fn per(self) -> &'static str {
        match self {
            Self::Monthly => "per month",
            Self::Yearly => "per year",
        }
    }
}

/// Where one recorded membership period stands, as stored. Every period starts `Active`;
/// once it is over (with its grace period) the lapse sweep marks it `Renewed` when a
/// later period continues it, or `Lapsed` when it was the member's last — and only that
/// change emails him, so he hears once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    Active,
    Renewed,
    Lapsed,
}

text_enum!(MembershipStatus {
    Active => "active",
    Renewed => "renewed",
    Lapsed => "lapsed",
});

/// Where a member stands today, worked out from the periods he paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandingKind {
    /// He never had a membership (or only one that starts later).
    None,
    /// A paid period covers today.
    Active,
    /// His last period ended, but the grace period after it has not.
    InGrace,
    /// His last period and its grace period are over.
    Lapsed,
}

text_enum!(StandingKind {
    None => "none",
    Active => "active",
    InGrace => "in_grace",
    Lapsed => "lapsed",
});

impl StandingKind {
    /// How it reads on his page and on the Admin's list.
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "No membership",
            Self::Active => "Active",
            Self::InGrace => "In grace period",
            Self::Lapsed => "Lapsed",
        }
    }
}

/// A member's standing and the dates it turns on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub kind: StandingKind,
    /// The end of the latest period that has started (none without one).
    pub period_end: Option<DateTime<Utc>>,
    /// When the grace period after `period_end` ends.
    pub grace_until: Option<DateTime<Utc>>,
}

/// Where someone whose paid periods are `periods` (start, end) stands at `now`, with
/// `grace` after the last one. Periods recorded ahead (starting later) do not count yet;
/// overlapping or back-to-back periods simply extend to the latest end.
pub fn standing(
    periods: impl IntoIterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
    now: DateTime<Utc>,
    grace: Duration,
) -> Standing {
    let end = periods
        .into_iter()
        .filter(|(start, _)| *start <= now)
        .map(|(_, end)| end)
        .max();
    let Some(end) = end else {
        return Standing {
            kind: StandingKind::None,
            period_end: None,
            grace_until: None,
        };
    };
    let grace_until = end + grace;
    let kind = if now < end {
        StandingKind::Active
    } else if now < grace_until {
        StandingKind::InGrace
    } else {
        StandingKind::Lapsed
    };
    Standing {
        kind,
        period_end: Some(end),
        grace_until: Some(grace_until),
    }
}

/// What a lapsed membership keeps someone from (an organisation setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LapsedMembershipBlocks {
    /// Nothing: membership is a way to support the organisation, not a ticket.
    #[default]
    None,
    /// Registering for events that cost money.
    PaidEvents,
    /// Registering for any event.
    AllEvents,
}

text_enum!(LapsedMembershipBlocks {
    None => "none",
    PaidEvents => "paid_events",
    AllEvents => "all_events",
});

impl LapsedMembershipBlocks {
    /// Whether someone whose membership lapsed may not register for an event that is
    /// `paid` (or free).
    pub fn blocks(self, paid: bool) -> bool {
        match self {
            Self::None => false,
            Self::PaidEvents => paid,
            Self::AllEvents => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::assert_text_round_trips;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(
            &PlanInterval::ALL,
            PlanInterval::as_str,
            PlanInterval::parse,
        );
        assert_text_round_trips(
            &MembershipStatus::ALL,
            MembershipStatus::as_str,
            MembershipStatus::parse,
        );
        assert_text_round_trips(
            &StandingKind::ALL,
            StandingKind::as_str,
            StandingKind::parse,
        );
        assert_text_round_trips(
            &LapsedMembershipBlocks::ALL,
            LapsedMembershipBlocks::as_str,
            LapsedMembershipBlocks::parse,
        );
    }

    #[test]
    fn an_interval_ends_on_the_same_day_or_the_month_s_last() {
        let m = PlanInterval::Monthly;
        assert_eq!(
            m.after(at("2026-01-15T00:00:00Z")),
            Some(at("2026-02-15T00:00:00Z"))
        );
        assert_eq!(
            m.after(at("2028-01-31T10:00:00Z")),
            Some(at("2028-02-29T10:00:00Z"))
        );
        assert_eq!(
            PlanInterval::Yearly.after(at("2026-03-01T00:00:00Z")),
            Some(at("2027-03-01T00:00:00Z"))
        );
    }

    #[test]
    fn standing_runs_active_then_grace_then_lapsed() {
        let periods = [(at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z"))];
        let grace = Duration::days(7);
        let on = |now: &str| standing(periods, at(now), grace).kind;
        assert_eq!(on("2025-12-31T23:59:59Z"), StandingKind::None);
        assert_eq!(on("2026-01-01T00:00:00Z"), StandingKind::Active);
        assert_eq!(on("2026-01-31T23:59:59Z"), StandingKind::Active);
        assert_eq!(on("2026-02-01T00:00:00Z"), StandingKind::InGrace);
        assert_eq!(on("2026-02-07T23:59:59Z"), StandingKind::InGrace);
        assert_eq!(on("2026-02-08T00:00:00Z"), StandingKind::Lapsed);
        let s = standing(periods, at("2026-02-03T00:00:00Z"), grace);
        assert_eq!(s.period_end, Some(at("2026-02-01T00:00:00Z")));
        assert_eq!(s.grace_until, Some(at("2026-02-08T00:00:00Z")));
        assert_eq!(
            standing([], at("2026-02-03T00:00:00Z"), grace).kind,
            StandingKind::None
        );
    }

    #[test]
    fn a_renewal_extends_and_a_future_period_waits() {
        let grace = Duration::days(7);
        let renewed = [
            (at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")),
            (at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z")),
        ];
        let s = standing(renewed, at("2026-02-20T00:00:00Z"), grace);
        assert_eq!(s.kind, StandingKind::Active);
        assert_eq!(s.period_end, Some(at("2026-03-01T00:00:00Z")));
        let ahead = [(at("2026-05-01T00:00:00Z"), at("2026-06-01T00:00:00Z"))];
        assert_eq!(
            standing(ahead, at("2026-04-01T00:00:00Z"), grace).kind,
            StandingKind::None
        );
    }

    #[test]
    fn the_setting_says_what_a_lapse_blocks() {
        use LapsedMembershipBlocks::*;
        assert!(!None.blocks(true) && !None.blocks(false));
        assert!(PaidEvents.blocks(true) && !PaidEvents.blocks(false));
        assert!(AllEvents.blocks(true) && AllEvents.blocks(false));
    }
}
