//! The text of the refund email (sent by [`super::jobs::SendRefundNotice`]).

use super::view::money_label;
use crate::email::{site_url, OutgoingEmail};
use crate::Context;
use db::main_db::{events, payments, refunds, users};
use db::sea_orm::EntityTrait;
use domain::payment::PaymentProvider;

/// The email telling `user` about refund `r` of his payment `p`.
pub(super) async fn refunded(
    ctx: &Context,
    user: &users::Model,
    p: &payments::Model,
    r: &refunds::Model,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let title = match p.event_id {
        Some(id) => events::Entity::find_by_id(id)
            .one(&ctx.main)
            .await?
            .map(|e| e.title),
        None => None,
    };
    let what = title.map_or_else(
        || "your payment".to_owned(),
        |t| format!("your payment for \"{t}\""),
    );
    let amount = money_label(r.amount_minor, &r.currency);
    let how = match r.provider {
        PaymentProvider::Offline => {
            "You paid in person or by transfer, so the organisation gives the money back to you the same way."
        }
        PaymentProvider::Stripe => "The money goes back to the card you paid with; your bank may take a few days to show it.",
    };
    let receipt = format!("{}/payments/{}/refunds/{}", site_url(ctx), p.id, r.id);
    let subject = format!("Refund: {amount}");
    let body = format!(
        "{amount} of {what} is refunded. Why: {reason}. {how} Your refund receipt: {receipt}",
        reason = r.reason,
    );
    Ok(Some(OutgoingEmail::to_user(user, &subject, body)))
}
