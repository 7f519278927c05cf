//! What an Admin sees of one payment before refunding it, and the refund he asks for.

use super::issuing::{refund, Requester};
use super::view::{money_label, RefundView};
use crate::authz::{can, Granted};
use crate::payments::receipts::{refunds_of, view_with};
use crate::payments::PaymentView;
use crate::{Checks, Context, Error, RequestMeta, Result};
use db::main_db::{events, payments, users};
use db::sea_orm::EntityTrait;
use domain::refund::{remaining, RefundKind};
use domain::{DomainError, Money, MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A refund as an Admin asks for it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RefundRequest {
    /// How much to give back, in minor units; absent refunds all that remains.
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: Option<i64>,
    /// ISO 4217 code: the payment's currency (absent is the payment's).
    pub currency: Option<SingleLine<3>>,
    /// Why: required, and shown on the member's refund receipt.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: MultiLine<500>,
}

/// One payment as the Admin who may refund it sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminPayment {
    pub payment: PaymentView,
    pub payer_name: String,
    /// Its refunds, oldest first (failed attempts included).
    pub refunds: Vec<RefundView>,
    /// What is left to refund, in minor units (pending refunds count as given).
    pub remaining_minor: i64,
    /// "EUR 40.00".
    pub remaining_label: String,
}

/// The payment `payment_id` with its refunds, for an Admin.
#[tracing::instrument(skip_all, fields(payment_id = %payment_id), err(level = "info"))]
pub async fn payment(
    ctx: &Context,
    _proof: &Granted<can::IssueRefunds>,
    payment_id: Uuid,
) -> Result<AdminPayment> {
    let p = payments::Entity::find_by_id(payment_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("payment"))?;
    let e = match p.event_id {
        Some(id) => events::Entity::find_by_id(id).one(&ctx.main).await?,
        None => None,
    };
    let payer_name = users::Entity::find_by_id(p.user_id)
        .one(&ctx.main)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| crate::audit::ERASED.to_owned());
    let refunds = refunds_of(&ctx.main, &[p.id]).await?;
    let given: i64 = refunds
        .iter()
        .filter(|r| r.status.counts_against_payment())
        .map(|r| r.amount_minor)
        .sum();
    let left = Money::parse(p.amount_minor, &p.currency)
        .map(|paid| remaining(paid, given).amount_minor())
        .unwrap_or(0);
    Ok(AdminPayment {
        remaining_label: money_label(left, &p.currency),
        remaining_minor: left,
        payment: view_with(p, e.as_ref(), &refunds),
        payer_name,
        refunds: refunds.into_iter().map(RefundView::from).collect(),
    })
}

/// Refunds a payment as an Admin asks: the amount (or all that remains), with a reason.
#[tracing::instrument(skip_all, fields(payment_id = %payment_id), err(level = "info"))]
pub async fn refund_as_admin(
    ctx: &Context,
    meta: &RequestMeta,
    proof: &Granted<can::IssueRefunds>,
    payment_id: Uuid,
    input: &RefundRequest,
) -> Result<RefundView> {
    let currency = match &input.currency {
        Some(c) => c.as_str().to_owned(),
        None => {
            payments::Entity::find_by_id(payment_id)
                .one(&ctx.main)
                .await?
                .ok_or(Error::NotFound("payment"))?
                .currency
        }
    };
    let (amount, reason) = check(input, &currency)?;
    refund(
        ctx,
        meta,
        Requester::Admin(proof),
        payment_id,
        amount,
        reason,
        RefundKind::Admin,
    )
    .await
}

/// The amount and reason, checked; every problem at once.
fn check(input: &RefundRequest, currency: &str) -> Result<(Option<Money>, String)> {
    let mut c = Checks::default();
    let reason = input.reason.as_str().trim().to_owned();
    if reason.is_empty() {
        c.check::<()>(Err(DomainError::new(
            "reason",
            "Say why the payment is refunded (the member sees it on his receipt).",
        )));
    }
    let amount = match input.amount_minor {
        None => None,
        Some(minor) if minor <= 0 => {
            c.check::<()>(Err(DomainError::new(
                "amount_minor",
                "Enter an amount above zero, or leave it empty to refund all that remains.",
            )));
            None
        }
        Some(minor) => crate::payments::checked_amount(
            &mut c,
            minor,
            currency,
            "Enter an amount above zero, or leave it empty to refund all that remains.",
        ),
    };
    c.finish()?;
    Ok((amount, reason))
}
