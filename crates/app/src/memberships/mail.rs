//! The text of membership emails: the receipt of a recorded (or card-paid) membership, the
//! notice that a card renewal was declined, and the notice that one lapsed (sent by [`super::jobs`]).

use super::jobs::MembershipNotice;
use crate::email::{site_url, OutgoingEmail};
use crate::Context;
use chrono::{DateTime, Utc};
use db::main_db::{membership_plans, memberships, payments, users};
use db::sea_orm::EntityTrait;
use domain::membership::LapsedMembershipBlocks;
use domain::Money;
use uuid::Uuid;

/// A day as the member reads it: in his time zone when he set one, else UTC.
fn day(at: DateTime<Utc>, zone: Option<&str>) -> String {
    match zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => at.with_timezone(&tz).format("%-d %B %Y").to_string(),
        None => at.format("%-d %B %Y").to_string(),
    }
}

/// The email for `user` about membership `membership_id`; `None` when it is gone.
pub(super) async fn notice(
    ctx: &Context,
    user: &users::Model,
    membership_id: Uuid,
    notice: MembershipNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(m) = memberships::Entity::find_by_id(membership_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let plan = membership_plans::Entity::find_by_id(m.plan_id)
        .one(&ctx.main)
        .await?
        .map_or_else(|| "membership".to_owned(), |p| p.name);
    let zone = user.time_zone.as_deref();
    let (from, until) = (day(m.period_start, zone), day(m.period_end, zone));
    let page = format!("{}/membership", site_url(ctx));
    let (subject, body) = match notice {
        MembershipNotice::Recorded => {
            let amount = Money::parse(m.amount_minor, &m.currency).map_or_else(
                |_| format!("{} {}", m.currency, m.amount_minor),
                |a| a.to_string(),
            );
            let method = match m.payment_id {
                Some(id) => payments::Entity::find_by_id(id)
                    .one(&ctx.main)
                    .await?
                    .map(|p| format!(" ({})", p.method.label().to_lowercase())),
                None => None,
            }
            .unwrap_or_default();
            let receipt = m.payment_id.map_or_else(
                || format!("{}/payments", site_url(ctx)),
                |id| format!("{}/payments/{id}", site_url(ctx)),
            );
            (
                format!("Membership recorded: {plan}"),
                format!("Thank you: your payment of {amount}{method} for the membership \"{plan}\" is recorded. You are a member from {from} until {until}.\n\nYour receipt: {receipt}\nYour membership: {page}"),
            )
        }
        MembershipNotice::RenewalFailed => {
            let grace = day(
                m.period_end + ctx.settings.payments.membership_grace(),
                zone,
            );
            (
                format!("Your membership renewal was declined: {plan}"),
                format!("We could not charge your card for the next period of your membership \"{plan}\". Your membership runs until {until}, and you keep it through the grace period until {grace}. Stripe tries your card again over the next days; if it keeps being declined, cancel the subscription on your membership page and subscribe again with another card, or pay by transfer as the organisation asks.\n\nYour membership: {page}"),
            )
        }
        MembershipNotice::Lapsed => {
            let blocks = match ctx.settings.organisation.lapsed_membership_blocks {
                LapsedMembershipBlocks::None => "",
                LapsedMembershipBlocks::PaidEvents => {
                    " Until you renew, you cannot register for paid events."
                }
                LapsedMembershipBlocks::AllEvents => {
                    " Until you renew, you cannot register for events."
                }
            };
            (
                "Your membership has lapsed".to_owned(),
                format!("Your membership \"{plan}\" ended on {until} and was not renewed within the grace period, so it has lapsed.{blocks}\n\nTo renew, pay by transfer as the organisation asks; an Admin records it and your membership starts again. Your membership: {page}"),
            )
        }
    };
    Ok(Some(OutgoingEmail::to_user(user, &subject, body)))
}
