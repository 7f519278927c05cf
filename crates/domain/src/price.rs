//! What an event costs: free, a fixed price, or a sliding scale where each person pays
//! what he can between a minimum and a maximum (a suggested amount in between guides him).
//! All amounts are [`Money`] in one currency.

use crate::{DomainError, Money};

/// An event's price, checked: the only way to hold one is through [`Price::fixed`] or
/// [`Price::sliding`], so a stored price always obeys its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Price {
    Free,
    /// Everyone pays this amount (more than zero).
    Fixed(Money),
    /// Each person pays between `minimum` (more than zero) and `maximum`.
    Sliding {
        minimum: Money,
        suggested: Money,
        maximum: Money,
    },
}

/// Why an amount does not pay for a seat at this price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Underpaid {
    /// The payment is in another currency than the price.
    OtherCurrency,
    /// Less than the (minimum) price.
    BelowPrice(Money),
    /// More than the (maximum) price.
    AbovePrice(Money),
    /// The event is free: there is nothing to pay.
    Free,
}

impl Price {
    /// A fixed price; zero is free.
    pub fn fixed(amount: Money) -> Price {
        if amount.is_free() {
            Price::Free
        } else {
            Price::Fixed(amount)
        }
    }

    /// A sliding scale: one currency, `0 < minimum ≤ suggested ≤ maximum`; problems are
    /// reported under `price_minor` (the minimum), `price_suggested_minor` and
    /// `price_maximum_minor`.
    pub fn sliding(
        minimum: Money,
        suggested: Money,
        maximum: Money,
    ) -> Result<Price, Vec<DomainError>> {
        let mut errors = Vec::new();
        if minimum.is_free() {
            errors.push(DomainError::new(
                "price_minor",
                "A sliding scale starts above zero; for a free event leave the price at 0.",
            ));
        }
        if suggested.currency() != minimum.currency() || maximum.currency() != minimum.currency() {
            errors.push(DomainError::new(
                "currency",
                "The minimum, suggested and maximum amounts are in one currency.",
            ));
        } else {
            if suggested.amount_minor() < minimum.amount_minor() {
                errors.push(DomainError::new(
                    "price_suggested_minor",
                    "The suggested amount is at least the minimum.",
                ));
            }
            if maximum.amount_minor() < suggested.amount_minor() {
                errors.push(DomainError::new(
                    "price_maximum_minor",
                    "The maximum is at least the suggested amount.",
                ));
            }
        }
        if errors.is_empty() {
            Ok(Price::Sliding {
                minimum,
                suggested,
                maximum,
            })
        } else {
            Err(errors)
        }
    }

    /// Whether a seat must be paid for.
    pub fn is_paid(&self) -> bool {
        !matches!(self, Price::Free)
    }

    /// The least that pays for a seat, if anything must be paid.
    pub fn minimum(&self) -> Option<Money> {
        match *self {
            Price::Free => None,
            Price::Fixed(m) => Some(m),
            Price::Sliding { minimum, .. } => Some(minimum),
        }
    }

    /// The most one seat may be paid with.
    pub fn maximum(&self) -> Option<Money> {
        match *self {
            Price::Free => None,
            Price::Fixed(m) => Some(m),
            Price::Sliding { maximum, .. } => Some(maximum),
        }
    }

    /// Whether `paid` pays for one seat: the price's currency, between its minimum and
    /// maximum (a fixed price exactly).
    pub fn accepts(&self, paid: Money) -> Result<(), Underpaid> {
        let (Some(min), Some(max)) = (self.minimum(), self.maximum()) else {
            return Err(Underpaid::Free);
        };
        if paid.currency() != min.currency() {
            Err(Underpaid::OtherCurrency)
        } else if paid.amount_minor() < min.amount_minor() {
            Err(Underpaid::BelowPrice(min))
        } else if paid.amount_minor() > max.amount_minor() {
            Err(Underpaid::AbovePrice(max))
        } else {
            Ok(())
        }
    }

    /// How the price reads on an event: `Free`, `EUR 25.00`, `EUR 10.00–40.00 (suggested 25.00)`.
    pub fn label(&self) -> String {
        match self {
            Price::Free => "Free".to_owned(),
            Price::Fixed(m) => m.to_string(),
            Price::Sliding {
                minimum,
                suggested,
                maximum,
            } => format!(
                "{minimum}–{} (sliding scale, suggested {})",
                maximum.amount_text(),
                suggested.amount_text()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::parse(minor, "EUR").unwrap()
    }

    #[test]
    fn a_sliding_scale_is_ordered_positive_and_in_one_currency() {
        assert!(Price::sliding(eur(1000), eur(2500), eur(4000)).is_ok());
        assert!(Price::sliding(eur(1000), eur(1000), eur(1000)).is_ok());
        let fields = |r: Result<Price, Vec<DomainError>>| -> Vec<&'static str> {
            r.unwrap_err().iter().map(|e| e.field).collect()
        };
        assert_eq!(
            fields(Price::sliding(eur(2000), eur(1000), eur(4000))),
            ["price_suggested_minor"]
        );
        assert_eq!(
            fields(Price::sliding(eur(1000), eur(3000), eur(2000))),
            ["price_maximum_minor"]
        );
        assert_eq!(
            fields(Price::sliding(eur(0), eur(1000), eur(2000))),
            ["price_minor"]
        );
        let usd = Money::parse(3000, "USD").unwrap();
        assert_eq!(
            fields(Price::sliding(eur(1000), eur(2000), usd)),
            ["currency"]
        );
    }

    #[test]
    fn a_payment_fits_the_price_or_says_why_not() {
        assert_eq!(Price::fixed(eur(0)), Price::Free);
        let fixed = Price::fixed(eur(2500));
        assert!(fixed.is_paid());
        assert_eq!(fixed.accepts(eur(2500)), Ok(()));
        assert_eq!(
            fixed.accepts(eur(2499)),
            Err(Underpaid::BelowPrice(eur(2500)))
        );
        assert_eq!(
            fixed.accepts(eur(2501)),
            Err(Underpaid::AbovePrice(eur(2500)))
        );
        let usd = Money::parse(2500, "USD").unwrap();
        assert_eq!(fixed.accepts(usd), Err(Underpaid::OtherCurrency));
        let sliding = Price::sliding(eur(1000), eur(2500), eur(4000)).unwrap();
        assert_eq!(sliding.accepts(eur(1000)), Ok(()));
        assert_eq!(sliding.accepts(eur(4000)), Ok(()));
        assert_eq!(
            sliding.accepts(eur(999)),
            Err(Underpaid::BelowPrice(eur(1000)))
        );
        assert_eq!(Price::Free.accepts(eur(1)), Err(Underpaid::Free));
        assert_eq!(
            sliding.label(),
            "EUR 10.00–40.00 (sliding scale, suggested 25.00)"
        );
        assert_eq!(fixed.label(), "EUR 25.00");
    }
}
