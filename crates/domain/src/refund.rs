//! Refunds: where one stands, why it was made, how much of a payment is still there to give
//! back, and the refund policy an event states for members who cancel.
//!
//! The rule that matters most is [`check_amount`]: the refunds of one payment add up and
//! never exceed what was paid. The app applies it under the payment's row lock, counting
//! refunds still pending at the provider as already given.

use crate::money::Money;
use crate::vocabulary::text_enum;
use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where a refund stands. An offline refund succeeds at once (the organisation hands the
/// money back itself); a provider's refund may wait as `Pending` until the provider
/// confirms it, or fail. One the provider could not be reached for is `Retrying`: its
/// amount stays reserved, nothing is in the ledger, and reconciliation asks again (with the
/// same idempotency key, so it is never sent twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
    Retrying,
}

text_enum!(RefundStatus {
    Pending => "pending",
    Succeeded => "succeeded",
    Failed => "failed",
    Retrying => "retrying",
});

impl RefundStatus {
    /// Whether the refund's amount is spoken for: a pending refund may still succeed, so
    /// it counts against what remains until it fails.
    pub fn counts_against_payment(self) -> bool {
        matches!(self, Self::Pending | Self::Retrying | Self::Succeeded)
    }

    /// Refunds only move forward: pending or retrying ends succeeded or failed, and stays
    /// there (a retry may also find it pending at the provider, or still unreachable).
    pub fn can_become(self, next: RefundStatus) -> bool {
        matches!(self, Self::Pending | Self::Retrying) && next != self
    }

    /// How it reads to an Admin.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Retrying => "failed, will retry",
        }
    }
}

/// Why money was given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundKind {
    /// An Admin refunded it, with a reason.
    Admin,
    /// The member cancelled within the event's refund policy.
    Policy,
    /// The event was cancelled: everyone gets his money back.
    EventCancelled,
    /// A payment arrived after its seat was gone.
    LatePayment,
    /// Made in the provider's own dashboard, found by reconciliation or a webhook.
    ProviderDashboard,
}

text_enum!(RefundKind {
    Admin => "admin",
    Policy => "policy",
    EventCancelled => "event_cancelled",
    LatePayment => "late_payment",
    ProviderDashboard => "provider_dashboard",
});

impl RefundKind {
    /// How the reason reads on a receipt.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Refunded by the organisation",
            Self::Policy => "Cancelled within the event's refund policy",
            Self::EventCancelled => "The event was cancelled",
            Self::LatePayment => "The payment arrived after the seat was gone",
            Self::ProviderDashboard => "Refunded through the payment provider",
        }
    }
}

/// Why a refund of an amount cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRefusal {
    /// Everything paid has been refunded (or is being refunded) already.
    NothingLeft,
    /// Zero is not a refund.
    Zero,
    /// The refund is in another currency than the payment.
    OtherCurrency,
    /// More than remains; this much does.
    MoreThanRemains(Money),
}

/// What is left to refund of `paid` when `refunded_minor` has already gone back (or is on
/// its way). Never negative.
pub fn remaining(paid: Money, refunded_minor: i64) -> Money {
    let left = (paid.amount_minor() - refunded_minor).max(0);
    Money::parse(left, paid.currency().as_str()).unwrap_or(paid)
}

/// The amount to refund: `wanted`, or all that remains when `None`; refused when it is
/// zero, in another currency, more than remains, or nothing remains at all.
pub fn check_amount(
    paid: Money,
    refunded_minor: i64,
    wanted: Option<Money>,
) -> Result<Money, RefundRefusal> {
    let left = remaining(paid, refunded_minor);
    if left.is_free() {
        return Err(RefundRefusal::NothingLeft);
    }
    let Some(wanted) = wanted else {
        return Ok(left);
    };
    if wanted.currency() != paid.currency() {
        Err(RefundRefusal::OtherCurrency)
    } else if wanted.is_free() {
        Err(RefundRefusal::Zero)
    } else if wanted.amount_minor() > left.amount_minor() {
        Err(RefundRefusal::MoreThanRemains(left))
    } else {
        Ok(wanted)
    }
}

/// An event's refund policy for members who cancel their own paid registration: the full
/// amount until `full_until_days_before` days before the start, then `later_percent` of it
/// until the start, and nothing once the event has begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPolicy {
    full_until_days_before: u16,
    later_percent: u8,
}

impl RefundPolicy {
    /// The most days before the start a full refund may be tied to (a year).
    pub const MAX_DAYS: i64 = 365;

    /// Checks both numbers (days 0–365, percent 0–100); errors are under
    /// `refund_full_days_before` and `refund_later_percent`.
    pub fn new(full_until_days_before: i64, later_percent: i64) -> Result<Self, Vec<DomainError>> {
        let mut errors = Vec::new();
        let days = u16::try_from(full_until_days_before)
            .ok()
            .filter(|d| i64::from(*d) <= Self::MAX_DAYS);
        if days.is_none() {
            errors.push(DomainError::new(
                "refund_full_days_before",
                format!(
                    "Give the number of days before the start, from 0 to {}.",
                    Self::MAX_DAYS
                ),
            ));
        }
        let percent = u8::try_from(later_percent).ok().filter(|p| *p <= 100);
        if percent.is_none() {
            errors.push(DomainError::new(
                "refund_later_percent",
                "Give a percentage from 0 to 100.",
            ));
        }
        match (days, percent) {
            (Some(full_until_days_before), Some(later_percent)) if errors.is_empty() => {
                Ok(RefundPolicy {
                    full_until_days_before,
                    later_percent,
                })
            }
            _ => Err(errors),
        }
    }

    pub fn full_until_days_before(&self) -> i64 {
        i64::from(self.full_until_days_before)
    }

    pub fn later_percent(&self) -> i64 {
        i64::from(self.later_percent)
    }

    /// The last moment a cancellation gets everything back.
    pub fn full_refund_until(&self, starts_at: DateTime<Utc>) -> DateTime<Utc> {
        starts_at - Duration::days(self.full_until_days_before())
    }

    /// What a member who paid `paid` gets back when he cancels at `at`. A percentage is
    /// rounded down to the minor unit, in integers only.
    pub fn refund_for(&self, paid: Money, starts_at: DateTime<Utc>, at: DateTime<Utc>) -> Money {
        let minor = if at <= self.full_refund_until(starts_at) {
            paid.amount_minor()
        } else if at < starts_at {
            paid.amount_minor() * self.later_percent() / 100
        } else {
            0
        };
        Money::parse(minor, paid.currency().as_str()).unwrap_or(paid)
    }

    /// The policy in a sentence, for the event page and the cancellation page.
    pub fn describe(&self) -> String {
        let full = match self.full_until_days_before {
            0 => "Full refund if you cancel before the start".to_owned(),
            1 => "Full refund if you cancel at least 1 day before the start".to_owned(),
            d => format!("Full refund if you cancel at least {d} days before the start"),
        };
        match (self.full_until_days_before, self.later_percent) {
            (0, _) | (_, 0) => format!("{full}; no refund after that."),
            (_, 100) => format!("{full}; a full refund until the start, too."),
            (_, p) => format!("{full}; {p}% of what you paid after that, until the start."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::assert_text_round_trips;

    fn eur(minor: i64) -> Money {
        Money::parse(minor, "EUR").unwrap()
    }

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(
            &RefundStatus::ALL,
            RefundStatus::as_str,
            RefundStatus::parse,
        );
        assert_text_round_trips(&RefundKind::ALL, RefundKind::as_str, RefundKind::parse);
    }

    #[test]
    fn refunds_only_move_forward_and_pending_ones_count() {
        use RefundStatus::*;
        assert!(Pending.can_become(Succeeded) && Pending.can_become(Failed));
        assert!(Pending.can_become(Retrying) && Retrying.can_become(Succeeded));
        assert!(Retrying.can_become(Pending) && !Retrying.can_become(Retrying));
        assert!(Retrying.counts_against_payment());
        for ended in [Succeeded, Failed] {
            for next in RefundStatus::ALL {
                assert!(!ended.can_become(next), "{ended} → {next}");
            }
        }
        assert!(Pending.counts_against_payment() && Succeeded.counts_against_payment());
        assert!(!Failed.counts_against_payment());
    }

    #[test]
    fn partial_refunds_add_up_and_never_exceed_what_was_paid() {
        let paid = eur(10_000);
        assert_eq!(check_amount(paid, 0, None), Ok(eur(10_000)));
        assert_eq!(check_amount(paid, 2_500, None), Ok(eur(7_500)));
        assert_eq!(check_amount(paid, 2_500, Some(eur(7_500))), Ok(eur(7_500)));
        assert_eq!(
            check_amount(paid, 2_500, Some(eur(7_501))),
            Err(RefundRefusal::MoreThanRemains(eur(7_500)))
        );
        assert_eq!(
            check_amount(paid, 10_000, Some(eur(1))),
            Err(RefundRefusal::NothingLeft)
        );
        assert_eq!(
            check_amount(paid, 10_000, None),
            Err(RefundRefusal::NothingLeft)
        );
        assert_eq!(
            check_amount(paid, 0, Some(eur(0))),
            Err(RefundRefusal::Zero)
        );
        let chf = Money::parse(100, "CHF").unwrap();
        assert_eq!(
            check_amount(paid, 0, Some(chf)),
            Err(RefundRefusal::OtherCurrency)
        );
        // A stored total above the payment (it cannot happen, but) never goes negative.
        assert_eq!(remaining(paid, 12_000), eur(0));
    }

    #[test]
    fn a_policy_gives_everything_early_a_share_later_and_nothing_once_started() {
        let starts: DateTime<Utc> = "2030-06-15T10:00:00Z".parse().unwrap();
        let policy = RefundPolicy::new(14, 50).unwrap();
        let paid = eur(12_345);
        let day = Duration::days(1);
        assert_eq!(policy.refund_for(paid, starts, starts - day * 30), paid);
        assert_eq!(policy.refund_for(paid, starts, starts - day * 14), paid);
        assert_eq!(
            policy.refund_for(paid, starts, starts - day * 14 + Duration::seconds(1)),
            eur(6_172),
            "half, rounded down to the cent"
        );
        assert_eq!(policy.refund_for(paid, starts, starts), eur(0));
        let strict = RefundPolicy::new(7, 0).unwrap();
        assert_eq!(strict.refund_for(paid, starts, starts - day), eur(0));
        assert_eq!(
            strict.describe(),
            "Full refund if you cancel at least 7 days before the start; no refund after that."
        );
        assert_eq!(
            policy.describe(),
            "Full refund if you cancel at least 14 days before the start; 50% of what you paid after that, until the start."
        );
    }

    #[test]
    fn a_policy_refuses_numbers_out_of_range() {
        let fields = |r: Result<RefundPolicy, Vec<DomainError>>| {
            r.unwrap_err().iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(
            fields(RefundPolicy::new(-1, 101)),
            ["refund_full_days_before", "refund_later_percent"]
        );
        assert_eq!(
            fields(RefundPolicy::new(366, 50)),
            ["refund_full_days_before"]
        );
        assert!(RefundPolicy::new(0, 0).is_ok());
        assert!(RefundPolicy::new(365, 100).is_ok());
    }
}
