//! Payments for paid events: prices (fixed or a sliding scale), seats held until paid,
//! offline payments recorded by an organiser or Admin, the ledger every movement of money
//! is written to, and each member's own payments and receipts.
//!
//! Offline payments (cash or bank transfer) are recorded by an organiser ([`recording`]);
//! card payments go through Stripe ([`stripe`]): a pending payment with the PaymentIntent
//! as its provider reference, confirmed by [`stripe::confirm_payment`] into the same
//! ledger and the same registration state machine.
//!
//! Money goes back through [`refunds`]: by an Admin, by an event's refund policy when a
//! member cancels, and to everyone when a paid event is cancelled. [`reconciliation`]
//! brings all of it back in line with Stripe, hourly and on demand.

pub mod donations;
pub mod errors;
pub mod holds;
pub mod jobs;
pub mod ledger;
pub mod receipts;
pub mod reconciliation;
pub mod recording;
pub mod refunds;
pub mod scholarships;
pub mod stripe;

pub use errors::PaymentError;
pub use receipts::{PaymentView, Receipt};
pub use recording::OfflinePayment;

use crate::{Checks, Error, Result};
use db::main_db::{event_registrations, events};
use db::sea_orm::ConnectionTrait;
use domain::refund::RefundPolicy;
use domain::{DomainError, Money, Price};

/// What `registration` owes for its seat at `e`: the event's price, or once a scholarship
/// is granted on it, the granted amount as a fixed price (`Price::Free` for a zero grant).
/// Offline recording and card payments both ask for this, never for the price directly.
pub async fn amount_due(
    db: &impl ConnectionTrait,
    e: &events::Model,
    registration: &event_registrations::Model,
) -> Result<Price> {
    match scholarships::granted_for(db, registration.id).await? {
        Some(grant) => {
            let due = Money::parse(grant.amount_due_minor.unwrap_or(0), &grant.currency).map_err(
                |_| Error::Internal(anyhow::anyhow!("scholarship {} has a bad amount", grant.id)),
            )?;
            Ok(Price::fixed(due))
        }
        None => price_of(e),
    }
}

/// The event's price as stored: `price_minor` (a fixed price, or a sliding scale's minimum)
/// and `currency`, with a sliding scale's suggested amount and maximum beside them.
pub fn price_of(e: &events::Model) -> Result<Price> {
    let Some(currency) = e.currency.as_deref().filter(|_| e.price_minor > 0) else {
        return Ok(Price::Free);
    };
    let money = |minor: i64| {
        Money::parse(minor, currency)
            .map_err(|_| Error::Internal(anyhow::anyhow!("event {} has a bad stored price", e.id)))
    };
    let minimum = money(e.price_minor)?;
    match (e.price_suggested_minor, e.price_maximum_minor) {
        (Some(suggested), Some(maximum)) => {
            Price::sliding(minimum, money(suggested)?, money(maximum)?).map_err(|_| {
                Error::Internal(anyhow::anyhow!("event {} has a bad sliding scale", e.id))
            })
        }
        _ => Ok(Price::fixed(minimum)),
    }
}

/// How a price is stored: `(price_minor, currency, suggested, maximum)`.
pub fn price_columns(price: &Price) -> (i64, Option<String>, Option<i64>, Option<i64>) {
    let currency = price.minimum().map(|m| m.currency().as_str().to_owned());
    match *price {
        Price::Free => (0, None, None, None),
        Price::Fixed(m) => (m.amount_minor(), currency, None, None),
        Price::Sliding {
            minimum,
            suggested,
            maximum,
        } => (
            minimum.amount_minor(),
            currency,
            Some(suggested.amount_minor()),
            Some(maximum.amount_minor()),
        ),
    }
}

/// The event's refund policy for members who cancel, if it states one.
pub fn refund_policy_of(e: &events::Model) -> Result<Option<RefundPolicy>> {
    let (Some(days), Some(percent)) = (e.refund_full_days_before, e.refund_later_percent) else {
        return Ok(None);
    };
    RefundPolicy::new(i64::from(days), i64::from(percent))
        .map(Some)
        .map_err(|_| Error::Internal(anyhow::anyhow!("event {} has a bad refund policy", e.id)))
}

/// How a refund policy is stored: `(refund_full_days_before, refund_later_percent)`.
pub fn refund_policy_columns(policy: Option<&RefundPolicy>) -> (Option<i32>, Option<i32>) {
    let column = |v: i64| i32::try_from(v).ok();
    match policy {
        Some(p) => (
            column(p.full_until_days_before()),
            column(p.later_percent()),
        ),
        None => (None, None),
    }
}

/// `amount_minor` in `currency` as an amount above zero, or `None` with what is wrong added
/// to `c` under the field `amount_minor` (`when_zero` tells what to enter instead of 0).
/// Every form that takes money (payments, donations, plans, refunds) checks it this way.
pub(crate) fn checked_amount(
    c: &mut Checks,
    amount_minor: i64,
    currency: &str,
    when_zero: &'static str,
) -> Option<Money> {
    match Money::parse(amount_minor, currency) {
        Ok(m) if m.is_free() => {
            c.check::<()>(Err(DomainError::new("amount_minor", when_zero)));
            None
        }
        Ok(m) => Some(m),
        Err(errors) => {
            for e in errors {
                let field = if e.field == "amount" {
                    "amount_minor"
                } else {
                    e.field
                };
                c.check::<()>(Err(DomainError::new(field, e.message)));
            }
            None
        }
    }
}
