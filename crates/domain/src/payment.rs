//! Payments and the ledger's vocabulary: how money was paid, through which provider, where
//! a payment stands, and what kind of movement a ledger row records.
//!
//! Today only the offline provider exists (cash or bank transfer recorded by an organiser
//! or Admin, succeeded at once); card payments through Stripe will add pending payments
//! that move forward to succeeded, failed or canceled.

use crate::vocabulary::text_enum;
use serde::{Deserialize, Serialize};

/// How the money was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    BankTransfer,
    /// A card payment through a provider (Stripe); not available yet.
    Card,
    /// The scholarship fund covering part of a price: only on `scholarship` ledger rows,
    /// never a way a person pays.
    ScholarshipFund,
}

text_enum!(PaymentMethod {
    Cash => "cash",
    BankTransfer => "bank_transfer",
    Card => "card",
    ScholarshipFund => "scholarship_fund",
});

impl PaymentMethod {
    /// The provider that handles this method.
    pub fn provider(self) -> PaymentProvider {
        match self {
            Self::Cash | Self::BankTransfer | Self::ScholarshipFund => PaymentProvider::Offline,
            Self::Card => PaymentProvider::Stripe,
        }
    }

    /// How the method reads on a receipt.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cash => "Cash",
            Self::BankTransfer => "Bank transfer",
            Self::Card => "Card",
            Self::ScholarshipFund => "Scholarship fund",
        }
    }

    /// Whether an organiser or Admin may record money received this way by hand (cash or
    /// a transfer); cards come through their provider, and the fund is not a payer.
    pub fn is_offline_payment(self) -> bool {
        matches!(self, Self::Cash | Self::BankTransfer)
    }
}

/// Who moved the money: the organisation itself (offline), or a payment provider whose
/// reference is kept with the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    Offline,
    Stripe,
}

text_enum!(PaymentProvider {
    Offline => "offline",
    Stripe => "stripe",
});

/// Where a payment stands. Offline payments are recorded when the money is in hand, so
/// they start as `Succeeded`; a provider's payment starts `Pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

text_enum!(PaymentStatus {
    Pending => "pending",
    Succeeded => "succeeded",
    Failed => "failed",
    Canceled => "canceled",
});

impl PaymentStatus {
    /// Payments only move forward: a pending one ends succeeded, failed or canceled, and
    /// an ended one never changes (a duplicate or late notice changes nothing).
    pub fn can_become(self, next: PaymentStatus) -> bool {
        match self {
            Self::Pending => next != Self::Pending,
            Self::Succeeded | Self::Failed | Self::Canceled => false,
        }
    }
}

/// What a ledger row records. Amounts in the ledger are signed: money coming in is
/// positive, money going out (refunds) negative, so any report is a plain sum.
/// The scholarship fund is the sum of the `donation` and `scholarship` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// A payment received: for a seat, or for a membership.
    Payment,
    /// Money given back on a payment (its amount is negative).
    Refund,
    /// Money given to the scholarship fund (positive): on its own, or paid beyond a price.
    Donation,
    /// The part of a seat's price the scholarship fund covers (negative: it leaves the
    /// fund). Not money received: cash in hand excludes these rows.
    Scholarship,
}

text_enum!(LedgerKind {
    Payment => "payment",
    Refund => "refund",
    Donation => "donation",
    Scholarship => "scholarship",
});

impl LedgerKind {
    /// Whether rows of this kind move the scholarship fund's balance.
    pub fn moves_the_fund(self) -> bool {
        match self {
            Self::Donation | Self::Scholarship => true,
            Self::Payment | Self::Refund => false,
        }
    }

    /// How the kind reads in reports (plural: a total of many rows).
    pub fn label(self) -> &'static str {
        match self {
            Self::Payment => "Payments",
            Self::Refund => "Refunds",
            Self::Donation => "Donations",
            Self::Scholarship => "Scholarships",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::assert_text_round_trips;

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(
            &PaymentMethod::ALL,
            PaymentMethod::as_str,
            PaymentMethod::parse,
        );
        assert_text_round_trips(
            &PaymentProvider::ALL,
            PaymentProvider::as_str,
            PaymentProvider::parse,
        );
        assert_text_round_trips(
            &PaymentStatus::ALL,
            PaymentStatus::as_str,
            PaymentStatus::parse,
        );
        assert_text_round_trips(&LedgerKind::ALL, LedgerKind::as_str, LedgerKind::parse);
    }

    #[test]
    fn payments_only_move_forward() {
        use PaymentStatus::*;
        assert!(Pending.can_become(Succeeded));
        assert!(Pending.can_become(Failed));
        assert!(Pending.can_become(Canceled));
        for ended in [Succeeded, Failed, Canceled] {
            for next in PaymentStatus::ALL {
                assert!(!ended.can_become(next), "{ended} → {next}");
            }
        }
        assert_eq!(PaymentMethod::Cash.provider(), PaymentProvider::Offline);
        assert_eq!(
            PaymentMethod::BankTransfer.provider(),
            PaymentProvider::Offline
        );
        assert_eq!(PaymentMethod::Card.provider(), PaymentProvider::Stripe);
        assert!(PaymentMethod::Cash.is_offline_payment());
        assert!(!PaymentMethod::ScholarshipFund.is_offline_payment());
        assert!(!PaymentMethod::Card.is_offline_payment());
        assert!(LedgerKind::Donation.moves_the_fund() && LedgerKind::Scholarship.moves_the_fund());
        assert!(!LedgerKind::Payment.moves_the_fund());
    }
}
