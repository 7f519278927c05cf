//! Scholarships and paying it forward: a member may ask for a reduced (or zero) price, a
//! reviewer grants an amount below the price or declines, and the scholarship fund covers
//! the difference. Money given beyond a price goes into that fund.

use crate::price::{Price, Underpaid};
use crate::vocabulary::text_enum;
use crate::Money;
use serde::{Deserialize, Serialize};

/// Where a request for a scholarship stands. A request is decided once: granted or
/// declined are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScholarshipStatus {
    /// Asked for, waiting for a Program Team Member or Admin.
    Open,
    /// A reduced amount to pay was granted (possibly zero).
    Granted,
    /// Declined: the full price applies.
    Declined,
}

text_enum!(ScholarshipStatus {
    Open => "open",
    Granted => "granted",
    Declined => "declined",
});

impl ScholarshipStatus {
    /// Only an open request can be decided.
    pub fn can_become(self, next: ScholarshipStatus) -> bool {
        self == Self::Open && next != Self::Open
    }
}

/// Why an amount cannot be granted at a price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRefused {
    /// The event is free: there is nothing to reduce.
    Free,
    /// The amount is in another currency than the price.
    OtherCurrency,
    /// A scholarship lowers the price: the amount must be below this (the price, or a
    /// sliding scale's minimum).
    NotBelowPrice(Money),
}

/// Checks that `to_pay` may be granted at `price` (from zero up to, not including, the
/// least the price asks) and returns what the scholarship fund covers: the price's minimum
/// less `to_pay`. A sliding scale already lets a person pay anything down to its minimum,
/// so a scholarship is measured from there.
pub fn check_grant(price: &Price, to_pay: Money) -> Result<Money, GrantRefused> {
    let Some(minimum) = price.minimum() else {
        return Err(GrantRefused::Free);
    };
    if to_pay.currency() != minimum.currency() {
        return Err(GrantRefused::OtherCurrency);
    }
    if to_pay.amount_minor() >= minimum.amount_minor() {
        return Err(GrantRefused::NotBelowPrice(minimum));
    }
    let covered = minimum.amount_minor() - to_pay.amount_minor();
    Money::parse(covered, minimum.currency().as_str())
        .map_err(|_| GrantRefused::NotBelowPrice(minimum))
}

/// A payment split into what pays for the seat and what is given to the fund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// What pays for the seat: at most the price's maximum.
    pub seat: Money,
    /// What was paid beyond the price's maximum, given to the scholarship fund.
    pub donation: Option<Money>,
}

/// Splits `paid` at `price`. With `pay_it_forward`, an amount above the price (a fixed
/// price, or a sliding scale's maximum) pays the price and the rest is a donation;
/// without it, such an amount is refused like any other that does not fit, so a slip of
/// the keyboard is not taken as a gift.
pub fn split_payment(price: &Price, paid: Money, pay_it_forward: bool) -> Result<Split, Underpaid> {
    match price.accepts(paid) {
        Ok(()) => Ok(Split {
            seat: paid,
            donation: None,
        }),
        Err(Underpaid::AbovePrice(max)) if pay_it_forward => {
            let rest = paid.amount_minor() - max.amount_minor();
            let donation = Money::parse(rest, max.currency().as_str())
                .map_err(|_| Underpaid::AbovePrice(max))?;
            Ok(Split {
                seat: max,
                donation: Some(donation),
            })
        }
        Err(why) => Err(why),
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
    fn stored_names_round_trip_and_a_decision_is_final() {
        assert_text_round_trips(
            &ScholarshipStatus::ALL,
            ScholarshipStatus::as_str,
            ScholarshipStatus::parse,
        );
        use ScholarshipStatus::*;
        assert!(Open.can_become(Granted) && Open.can_become(Declined));
        assert!(!Open.can_become(Open));
        for decided in [Granted, Declined] {
            for next in ScholarshipStatus::ALL {
                assert!(!decided.can_become(next));
            }
        }
    }

    #[test]
    fn a_grant_is_below_the_price_and_the_fund_covers_the_rest() {
        let fixed = Price::fixed(eur(12000));
        assert_eq!(check_grant(&fixed, eur(4000)), Ok(eur(8000)));
        assert_eq!(check_grant(&fixed, eur(0)), Ok(eur(12000)));
        assert_eq!(
            check_grant(&fixed, eur(12000)),
            Err(GrantRefused::NotBelowPrice(eur(12000)))
        );
        let usd = Money::parse(100, "USD").unwrap();
        assert_eq!(check_grant(&fixed, usd), Err(GrantRefused::OtherCurrency));
        assert_eq!(check_grant(&Price::Free, eur(0)), Err(GrantRefused::Free));
        let sliding = Price::sliding(eur(1000), eur(2500), eur(4000)).unwrap();
        assert_eq!(check_grant(&sliding, eur(400)), Ok(eur(600)));
        assert_eq!(
            check_grant(&sliding, eur(1000)),
            Err(GrantRefused::NotBelowPrice(eur(1000)))
        );
    }

    #[test]
    fn paying_it_forward_splits_off_what_is_above_the_price() {
        let fixed = Price::fixed(eur(5000));
        assert_eq!(
            split_payment(&fixed, eur(8000), true),
            Ok(Split {
                seat: eur(5000),
                donation: Some(eur(3000))
            })
        );
        assert_eq!(
            split_payment(&fixed, eur(8000), false),
            Err(Underpaid::AbovePrice(eur(5000)))
        );
        assert_eq!(
            split_payment(&fixed, eur(5000), true),
            Ok(Split {
                seat: eur(5000),
                donation: None
            })
        );
        assert_eq!(
            split_payment(&fixed, eur(4000), true),
            Err(Underpaid::BelowPrice(eur(5000)))
        );
        // On a sliding scale anything up to the maximum pays for the seat.
        let sliding = Price::sliding(eur(1000), eur(2500), eur(4000)).unwrap();
        assert_eq!(
            split_payment(&sliding, eur(3900), true).unwrap().donation,
            None
        );
        assert_eq!(
            split_payment(&sliding, eur(4500), true),
            Ok(Split {
                seat: eur(4000),
                donation: Some(eur(500))
            })
        );
    }
}
