//! Money: an amount in whole minor units (cents) and an ISO 4217 currency, never floating
//! point (docs/architecture.md). Amounts are read as people type them and shown with the
//! currency's own number of decimals, both by integer arithmetic alone.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217-style currency code: three ASCII letters, kept in upper case (`EUR`).
///
/// Any three letters are accepted rather than only today's ISO list: the payment provider
/// is the authority on which currencies it takes, and a hard-coded list would go stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// ISO 4217 currencies whose minor unit is the main unit (no decimals).
    const ZERO_DECIMALS: [&'static str; 17] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    /// ISO 4217 currencies with three decimals (a thousandth is the minor unit).
    const THREE_DECIMALS: [&'static str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

    /// Trims `raw` and accepts three ASCII letters in any case; errors are under `currency`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().as_bytes();
        match code {
            [a, b, c] if code.iter().all(u8::is_ascii_alphabetic) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(DomainError::new(
                "currency",
                "Enter the currency as its three-letter code, for example EUR.",
            )),
        }
    }

    /// The upper-case code, e.g. `EUR`.
    pub fn as_str(&self) -> &str {
        // `parse` only stores ASCII letters, so this cannot fail; an empty string rather
        // than a panic keeps the no-unwrap rule should that ever change.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// How many decimal places the minor unit has: 0 (JPY, KRW, …), 3 (KWD, BHD, …) or
    /// 2 for everything else. Amounts are stored in minor units, so this only matters
    /// for showing them.
    pub fn decimals(&self) -> u32 {
        let code = self.as_str();
        if Self::ZERO_DECIMALS.contains(&code) {
            0
        } else if Self::THREE_DECIMALS.contains(&code) {
            3
        } else {
            2
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: whole minor units (cents) and a currency, never floating point
/// (docs/architecture.md). Always between 0 and [`Money::MAX_MINOR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyParts")]
pub struct Money {
    /// Minor units: cents for EUR, yen for JPY.
    amount_minor: i64,
    currency: Currency,
}

/// What `Money` deserializes from before it is checked.
#[derive(Deserialize)]
struct MoneyParts {
    amount_minor: i64,
    currency: String,
}

impl TryFrom<MoneyParts> for Money {
    type Error = String;

    fn try_from(p: MoneyParts) -> Result<Self, Self::Error> {
        Money::parse(p.amount_minor, &p.currency).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

impl Money {
    /// The largest amount accepted, in minor units (100 000.00 in a two-decimal currency):
    /// far above any event price, low enough that a stray extra digit is caught.
    pub const MAX_MINOR: i64 = 10_000_000;

    /// Checks an amount in minor units and a currency code; every problem is reported,
    /// under `amount` or `currency`.
    pub fn parse(amount_minor: i64, currency: &str) -> Result<Money, Vec<DomainError>> {
        let mut errors = Vec::new();
        let currency = Currency::parse(currency).map_err(|e| errors.push(e)).ok();
        if amount_minor < 0 {
            errors.push(DomainError::new("amount", "The amount cannot be negative."));
        } else if amount_minor > Self::MAX_MINOR {
            let message = match currency {
                Some(currency) => format!(
                    "The amount can be at most {}.",
                    Money {
                        amount_minor: Self::MAX_MINOR,
                        currency
                    }
                ),
                None => "The amount is too large.".to_owned(),
            };
            errors.push(DomainError::new("amount", message));
        }
        match currency {
            Some(currency) if errors.is_empty() => Ok(Money {
                amount_minor,
                currency,
            }),
            _ => Err(errors),
        }
    }

    /// Reads an amount as people type it, in main units with the currency's decimals
    /// ("25", "25.5", "25.50" in EUR; "1200" in JPY), without floating point. Problems are
    /// under `amount` and `currency`, as for [`Money::parse`].
    pub fn parse_amount(text: &str, currency: &str) -> Result<Money, Vec<DomainError>> {
        let decimals = Currency::parse(currency).map_or(2, |c| c.decimals());
        let text = text.trim();
        let (whole, fraction, separated) = match text.split_once(['.', ',']) {
            Some((w, f)) => (w, f, true),
            None => (text, "", false),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let shape_ok = !whole.is_empty()
            && whole.len() <= 9
            && digits(whole)
            && digits(fraction)
            && fraction.len() <= decimals as usize
            && (!separated || !fraction.is_empty());
        if !shape_ok {
            let example = match decimals {
                0 => "1200",
                3 => "12.500",
                _ => "12.50",
            };
            return Err(vec![DomainError::new(
                "amount",
                format!(
                    "Enter the price as a number with at most {decimals} decimals, for example {example}."
                ),
            )]);
        }
        let unit = 10i64.pow(decimals);
        let whole: i64 = whole.parse().unwrap_or(i64::MAX / unit);
        let padded = format!("{fraction:0<width$}", width = decimals as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().unwrap_or(0)
        };
        Money::parse(whole * unit + fraction, currency)
    }

    /// The amount in minor units (cents for EUR).
    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Whether nothing is to be paid.
    pub fn is_free(&self) -> bool {
        self.amount_minor == 0
    }
}

/// `EUR 12.50`, `JPY 1200`, `KWD 1.250`: code, space, amount with the currency's decimals.
impl Money {
    /// The amount alone, as [`Money::parse_amount`] reads it back: `12.50`, `1200`.
    pub fn amount_text(&self) -> String {
        let decimals = self.currency.decimals();
        if decimals == 0 {
            return self.amount_minor.to_string();
        }
        let unit = 10i64.pow(decimals);
        format!(
            "{}.{:0width$}",
            self.amount_minor / unit,
            self.amount_minor % unit,
            width = decimals as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.amount_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[DomainError]) -> Vec<&'static str> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn currency_is_three_letters_in_upper_case() {
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert_eq!(Currency::parse(" Chf ").unwrap().to_string(), "CHF");
        for bad in ["", "EU", "EURO", "E1R", "€UR", "ÉUR", "E R", "eu r"] {
            assert_eq!(
                Currency::parse(bad).unwrap_err(),
                DomainError::new(
                    "currency",
                    "Enter the currency as its three-letter code, for example EUR."
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            serde_json::to_string(&Currency::parse("usd").unwrap()).unwrap(),
            "\"USD\""
        );
        assert_eq!(
            serde_json::from_str::<Currency>("\"gbp\"")
                .unwrap()
                .as_str(),
            "GBP"
        );
        assert!(serde_json::from_str::<Currency>("\"pounds\"").is_err());
        assert_eq!(Currency::parse("JPY").unwrap().decimals(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().decimals(), 3);
        assert_eq!(Currency::parse("EUR").unwrap().decimals(), 2);
    }

    #[test]
    fn typed_amounts_follow_the_currency_decimals() {
        let minor = |t: &str, c: &str| Money::parse_amount(t, c).map(|m| m.amount_minor());
        assert_eq!(minor("25", "EUR"), Ok(2500));
        assert_eq!(minor(" 25.5 ", "EUR"), Ok(2550));
        assert_eq!(minor("25,05", "eur"), Ok(2505));
        assert_eq!(minor("0", "EUR"), Ok(0));
        for (text, currency) in [("12.50", "EUR"), ("1200", "JPY"), ("1.250", "KWD")] {
            let m = Money::parse_amount(text, currency).unwrap();
            assert_eq!(m.amount_text(), text, "what is shown reads back");
        }
        assert_eq!(minor("1200", "JPY"), Ok(1200));
        assert_eq!(minor("1.250", "KWD"), Ok(1250));
        for bad in [
            "", "12.345", "-5", "1e3", "12.", ".5", "twelve", "1.2.3", "1200.5",
        ] {
            let c = if bad == "1200.5" { "JPY" } else { "EUR" };
            let e = Money::parse_amount(bad, c).unwrap_err();
            assert_eq!(e[0].field, "amount", "{bad:?}");
        }
        assert_eq!(
            Money::parse_amount("100000.01", "EUR").unwrap_err()[0].field,
            "amount"
        );
        assert_eq!(
            Money::parse_amount("10", "euro").unwrap_err()[0].field,
            "currency"
        );
    }

    #[test]
    fn money_is_bounded_and_never_negative() {
        let m = Money::parse(1250, "eur").unwrap();
        assert_eq!(m.amount_minor(), 1250);
        assert_eq!(m.currency().as_str(), "EUR");
        assert!(!m.is_free());
        assert!(Money::parse(0, "EUR").unwrap().is_free());
        assert!(Money::parse(Money::MAX_MINOR, "EUR").is_ok());

        assert_eq!(
            Money::parse(-1, "EUR").unwrap_err(),
            [DomainError::new("amount", "The amount cannot be negative.")]
        );
        assert_eq!(
            Money::parse(Money::MAX_MINOR + 1, "EUR").unwrap_err(),
            [DomainError::new(
                "amount",
                "The amount can be at most EUR 100000.00."
            )]
        );
        assert_eq!(
            Money::parse(i64::MAX, "JPY").unwrap_err()[0].message,
            "The amount can be at most JPY 10000000."
        );
        let both = Money::parse(i64::MIN, "euro").unwrap_err();
        assert_eq!(fields(&both), ["currency", "amount"]);
        assert_eq!(
            Money::parse(i64::MAX, "??").unwrap_err()[1].message,
            "The amount is too large."
        );
    }

    #[test]
    fn money_shows_the_currency_decimals() {
        let show = |amount, currency| Money::parse(amount, currency).unwrap().to_string();
        assert_eq!(show(1250, "EUR"), "EUR 12.50");
        assert_eq!(show(5, "usd"), "USD 0.05");
        assert_eq!(show(0, "EUR"), "EUR 0.00");
        assert_eq!(show(100_000, "GBP"), "GBP 1000.00");
        assert_eq!(show(1200, "JPY"), "JPY 1200");
        assert_eq!(show(50_000, "KRW"), "KRW 50000");
        assert_eq!(show(0, "JPY"), "JPY 0");
        assert_eq!(show(1250, "KWD"), "KWD 1.250");
    }

    #[test]
    fn money_serde_checks_what_it_reads() {
        let m = Money::parse(1999, "EUR").unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount_minor":1999,"currency":"EUR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        assert_eq!(
            serde_json::from_str::<Money>(r#"{"amount_minor":5,"currency":"chf"}"#).unwrap(),
            Money::parse(5, "CHF").unwrap()
        );
        let err = serde_json::from_str::<Money>(r#"{"amount_minor":-5,"currency":"EURO"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("currency:") && err.contains("amount:"),
            "{err}"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// A currency of each decimal count, and any other three letters in any case.
        fn currency() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(vec!["EUR", "usd", "JPY", "krw", "KWD", "Bhd", "CHF"])
                    .prop_map(str::to_owned),
                "[a-zA-Z]{3}",
            ]
        }

        fn money() -> impl Strategy<Value = Money> {
            (0..=Money::MAX_MINOR, currency())
                .prop_map(|(minor, currency)| Money::parse(minor, &currency).unwrap())
        }

        proptest! {
            #[test]
            fn what_is_shown_reads_back_as_the_same_money(m in money()) {
                let code = m.currency().to_string();
                prop_assert_eq!(Money::parse_amount(&m.amount_text(), &code), Ok(m));
                prop_assert_eq!(m.to_string(), format!("{code} {}", m.amount_text()));
            }

            #[test]
            fn the_shown_amount_has_the_currency_decimals(m in money()) {
                let text = m.amount_text();
                let decimals = m.currency().decimals() as usize;
                match text.split_once('.') {
                    Some((whole, fraction)) => {
                        prop_assert_eq!(fraction.len(), decimals);
                        prop_assert!(!whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()));
                    }
                    None => {
                        prop_assert_eq!(decimals, 0);
                        prop_assert_eq!(text, m.amount_minor().to_string());
                    }
                }
            }

            #[test]
            fn typed_amounts_read_back_after_showing_them(
                whole in 0u32..100_000,
                fraction in "[0-9]{0,2}",
                comma in any::<bool>(),
            ) {
                let sep = if comma { "," } else { "." };
                let typed = if fraction.is_empty() {
                    whole.to_string()
                } else {
                    format!("{whole}{sep}{fraction}")
                };
                let m = Money::parse_amount(&typed, "EUR").unwrap();
                let padded = format!("{fraction:0<2}");
                let cents: i64 = padded.parse().unwrap();
                prop_assert_eq!(m.amount_minor(), i64::from(whole) * 100 + cents);
                prop_assert_eq!(Money::parse_amount(&m.amount_text(), "EUR"), Ok(m));
            }

            #[test]
            fn json_reads_back_as_the_same_money(m in money()) {
                let json = serde_json::to_string(&m).unwrap();
                prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
            }

            #[test]
            fn anything_typed_is_refused_or_read_exactly(text in "[0-9.,a-z -]{0,12}") {
                // Never a panic, and a success always shows as digits that read back.
                if let Ok(m) = Money::parse_amount(&text, "EUR") {
                    prop_assert_eq!(Money::parse_amount(&m.amount_text(), "EUR"), Ok(m));
                }
            }
        }
    }
}
