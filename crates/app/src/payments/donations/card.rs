//! Giving to the scholarship fund by card, on its own (paying it forward with a seat is
//! part of the seat's payment, see [`crate::payments::stripe::paying`]).
//!
//! The same shape as paying for a seat: a PaymentIntent for the gift (a `card_gifts` row
//! keeps it while pending), Stripe.js turns the card typed into a token in the donor's
//! browser, the server confirms the PaymentIntent with it (3-D Secure back in the browser
//! through `confirmCardPayment`), and one idempotent [`confirm`] — called by the return
//! page, the webhook job and reconciliation — reads the outcome back from Stripe and, on
//! success, writes the donation (ledger row, thank-you email, audit) once.

use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::payments::donations::{self, NewDonation};
use crate::payments::stripe::attempt::checked_token;
use crate::payments::stripe::client::{checked_id, IntentStatus, PaymentIntent, StripeError};
use crate::payments::stripe::CardAttempt;
use crate::payments::{checked_amount, PaymentError};
use crate::{Checks, Context, Error, RequestMeta, Result};
use db::main_db::card_gifts as gifts;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::{Money, SingleLine};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A gift the donor is about to give by card.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct GiftRequest {
    /// In minor units (cents), more than zero.
    #[schema(minimum = 1, maximum = 10000000)]
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: SingleLine<3>,
}

/// What Stripe.js needs to take the card and confirm the gift.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardGift {
    pub gift_id: Uuid,
    /// The PaymentIntent (`pi_…`).
    pub payment_intent_id: String,
    /// Handed to Stripe.js's `confirmCardPayment`; it lets this one gift be paid.
    pub client_secret: String,
    /// The publishable key to start Stripe.js with.
    pub publishable_key: String,
    /// Where to load Stripe.js from.
    pub js_url: String,
    pub amount_minor: i64,
    pub currency: String,
    /// "EUR 30.00".
    pub amount_label: String,
}

/// Where a gift stands after [`confirm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiftOutcome {
    /// No gift of ours has this PaymentIntent.
    Unknown,
    /// Not decided yet (3-D Secure, processing): the webhook brings the outcome.
    Pending { gift_id: Uuid },
    /// Paid: the donation is recorded and its thank-you email queued.
    Given { gift_id: Uuid, donation_id: Uuid },
    /// Declined, not confirmed or cancelled: nothing was charged.
    Failed { gift_id: Uuid },
}

impl GiftOutcome {
    /// The gift it is about, if it is ours.
    pub fn gift_id(self) -> Option<Uuid> {
        match self {
            Self::Unknown => None,
            Self::Pending { gift_id } | Self::Given { gift_id, .. } | Self::Failed { gift_id } => {
                Some(gift_id)
            }
        }
    }
}

/// Starts (or resumes, for the same amount) a gift by card from the actor.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn start(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    input: &GiftRequest,
) -> Result<CardGift> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    let money = check(input)?;
    if let Some(resumed) = resume(ctx, actor, money).await? {
        return Ok(resumed);
    }
    let gift_id = Uuid::now_v7();
    let metadata = [
        ("gift_id", gift_id.to_string()),
        ("user_id", actor.id().to_string()),
        ("purpose", "scholarship_fund".to_owned()),
    ];
    let pi = client
        .create_payment_intent(
            money.amount_minor(),
            money.currency().as_str(),
            &metadata,
            &format!("circles-gift-{gift_id}"),
        )
        .await?;
    let secret = secret_of(&pi)?;
    save_pending(ctx, meta, actor, gift_id, money, &pi.id).await?;
    Ok(card_gift(ctx, gift_id, &pi, secret, money))
}

fn check(input: &GiftRequest) -> Result<Money> {
    let mut c = Checks::default();
    let money = checked_amount(
        &mut c,
        input.amount_minor,
        input.currency.as_str(),
        "Enter the amount you give (more than zero).",
    );
    c.finish()?;
    money.ok_or_else(|| Error::invalid("amount_minor", "Enter the amount."))
}

/// His newest pending gift of the same amount, when its PaymentIntent can still be paid.
async fn resume(ctx: &Context, actor: &Actor, money: Money) -> Result<Option<CardGift>> {
    let Some(client) = ctx.stripe.as_ref() else {
        return Ok(None);
    };
    let pending = gifts::Entity::find()
        .filter(gifts::Column::UserId.eq(actor.id()))
        .filter(gifts::Column::Status.eq(PaymentStatus::Pending))
        .filter(gifts::Column::AmountMinor.eq(money.amount_minor()))
        .filter(gifts::Column::Currency.eq(money.currency().as_str()))
        .order_by_desc(gifts::Column::CreatedAt)
        .one(&ctx.main)
        .await?;
    let Some(g) = pending else {
        return Ok(None);
    };
    let pi = client.payment_intent(&g.payment_intent_id).await?;
    match (pi.can_be_paid(), pi.client_secret.clone()) {
        (true, Some(secret)) => Ok(Some(card_gift(ctx, g.id, &pi, secret, money))),
        _ => Ok(None),
    }
}

async fn save_pending(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    gift_id: Uuid,
    money: Money,
    payment_intent_id: &str,
) -> Result<()> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    gifts::ActiveModel {
        id: Set(gift_id),
        user_id: Set(actor.id()),
        amount_minor: Set(money.amount_minor()),
        currency: Set(money.currency().as_str().to_owned()),
        payment_intent_id: Set(payment_intent_id.to_owned()),
        status: Set(PaymentStatus::Pending),
        donation_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    // Who gives is not told in the audit log (Leadership reads it), as with scholarships:
    // the gift row keeps the donor for the Admins who keep the books.
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CardPaymentStarted)
            .on("card_gift", gift_id)
            .details(serde_json::json!({
                "amount_minor": money.amount_minor(),
                "currency": money.currency().as_str(),
                "payment_intent": payment_intent_id,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn secret_of(pi: &PaymentIntent) -> Result<String> {
    pi.client_secret
        .clone()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("Stripe gave no client secret")))
}

fn card_gift(
    ctx: &Context,
    gift_id: Uuid,
    pi: &PaymentIntent,
    client_secret: String,
    money: Money,
) -> CardGift {
    let stripe = &ctx.settings.payments.stripe;
    CardGift {
        gift_id,
        payment_intent_id: pi.id.clone(),
        client_secret,
        publishable_key: stripe.publishable_key.clone(),
        js_url: stripe.js_url.clone(),
        amount_minor: money.amount_minor(),
        currency: money.currency().as_str().to_owned(),
        amount_label: money.to_string(),
    }
}

/// Confirms the actor's own pending gift `payment_intent` with the card behind the
/// Stripe.js `token`: done, 3-D Secure to complete in his browser, or declined with a new
/// gift of the same amount to try another card with.
#[tracing::instrument(skip(ctx, meta, actor, token), fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn give_with_card(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    payment_intent: &str,
    token: &str,
) -> Result<CardAttempt<CardGift>> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    checked_token(token)?;
    let g = own_pending(ctx, actor, payment_intent).await?;
    let money = money_of(&g)?;
    // A token is used once: a repeat of this very request is a no-op at Stripe.
    let key = format!("circles-confirm-{}-{token}", g.id);
    match client
        .confirm_with_card_token(payment_intent, token, &key)
        .await
    {
        Ok(pi) if pi.status == IntentStatus::RequiresAction => {
            let secret = secret_of(&pi)?;
            Ok(CardAttempt::NeedsAuthentication(card_gift(
                ctx, g.id, &pi, secret, money,
            )))
        }
        Ok(_) => Ok(CardAttempt::Done),
        Err(StripeError::Declined { message, .. }) => {
            confirm(ctx, payment_intent).await?;
            let again = GiftRequest {
                amount_minor: g.amount_minor,
                currency: SingleLine::from_stored(&g.currency),
            };
            let retry = start(ctx, meta, actor, &again).await?;
            Ok(CardAttempt::Declined { message, retry })
        }
        Err(other) => Err(other.into()),
    }
}

/// The actor's own gift for `payment_intent`, still waiting to be paid; anyone else's is
/// "not found".
async fn own_pending(ctx: &Context, actor: &Actor, payment_intent: &str) -> Result<gifts::Model> {
    let g = gifts::Entity::find()
        .filter(gifts::Column::PaymentIntentId.eq(payment_intent))
        .filter(gifts::Column::UserId.eq(actor.id()))
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("gift"))?;
    if g.status != PaymentStatus::Pending {
        return Err(PaymentError::NotAwaitingPayment.into());
    }
    Ok(g)
}

fn money_of(g: &gifts::Model) -> Result<Money> {
    Money::parse(g.amount_minor, &g.currency)
        .map_err(|_| Error::Internal(anyhow::anyhow!("gift {} has a bad amount", g.id)))
}

/// The gift of `payment_intent`, if it is ours, for its donor only: anyone else gets
/// `None`, as for a gift that does not exist.
pub async fn own(
    ctx: &Context,
    actor: &Actor,
    payment_intent: &str,
) -> Result<Option<gifts::Model>> {
    Ok(gifts::Entity::find()
        .filter(gifts::Column::PaymentIntentId.eq(payment_intent))
        .filter(gifts::Column::UserId.eq(actor.id()))
        .one(&ctx.main)
        .await?)
}

/// Brings the gift of `payment_intent_id` up to what Stripe says. Idempotent: calling it
/// again, or from two places at once, records the donation once.
#[tracing::instrument(skip(ctx), err(level = "info"))]
pub async fn confirm(ctx: &Context, payment_intent_id: &str) -> Result<GiftOutcome> {
    let client = ctx
        .stripe
        .as_ref()
        .ok_or(PaymentError::CardPaymentsNotSetUp)?;
    if checked_id(payment_intent_id, "pi_").is_err() {
        return Ok(GiftOutcome::Unknown);
    }
    let Some(g) = gifts::Entity::find()
        .filter(gifts::Column::PaymentIntentId.eq(payment_intent_id))
        .one(&ctx.main)
        .await?
    else {
        return Ok(GiftOutcome::Unknown);
    };
    if g.status != PaymentStatus::Pending {
        return Ok(stored(&g));
    }
    let pi = client.payment_intent(payment_intent_id).await?;
    match pi.status {
        IntentStatus::Succeeded => record_given(ctx, &pi, g.id).await,
        IntentStatus::Canceled => record_end(ctx, g.id, PaymentStatus::Canceled).await,
        IntentStatus::RequiresPaymentMethod if pi.last_payment_error.is_some() => {
            // Cancelled at Stripe first, so a failed gift can never be charged later.
            let key = format!("circles-cancel-{}", g.id);
            match client.cancel_payment_intent(&pi.id, &key).await {
                Ok(_) => record_end(ctx, g.id, PaymentStatus::Failed).await,
                Err(e) => {
                    let now = client.payment_intent(&pi.id).await?;
                    if now.status == IntentStatus::Succeeded {
                        record_given(ctx, &now, g.id).await
                    } else {
                        Err(e.into())
                    }
                }
            }
        }
        _ => Ok(GiftOutcome::Pending { gift_id: g.id }),
    }
}

fn stored(g: &gifts::Model) -> GiftOutcome {
    let gift_id = g.id;
    match (g.status, g.donation_id) {
        (PaymentStatus::Succeeded, Some(donation_id)) => GiftOutcome::Given {
            gift_id,
            donation_id,
        },
        (PaymentStatus::Pending, _) => GiftOutcome::Pending { gift_id },
        _ => GiftOutcome::Failed { gift_id },
    }
}

/// The gift's row inside a write transaction, locked on PostgreSQL (SQLite's write gate
/// already serialises writers): two confirmations of one gift queue here.
async fn lock_gift(txn: &impl ConnectionTrait, id: Uuid) -> Result<gifts::Model> {
    let q = gifts::Entity::find_by_id(id);
    let row = if txn.get_database_backend() == DbBackend::Postgres {
        q.lock_exclusive().one(txn).await?
    } else {
        q.one(txn).await?
    };
    row.ok_or(Error::NotFound("gift"))
}

async fn record_given(ctx: &Context, pi: &PaymentIntent, gift_id: Uuid) -> Result<GiftOutcome> {
    let txn = db::begin_write(&ctx.main).await?;
    let g = lock_gift(&txn, gift_id).await?;
    if !g.status.can_become(PaymentStatus::Succeeded) {
        return Ok(stored(&g));
    }
    let ours = pi.amount == g.amount_minor
        && pi.currency.eq_ignore_ascii_case(&g.currency)
        && pi.metadata.get("gift_id") == Some(&g.id.to_string());
    if !ours {
        return Err(Error::Internal(anyhow::anyhow!(
            "PaymentIntent {} does not match gift {} (amount, currency or metadata)",
            pi.id,
            g.id
        )));
    }
    let d = NewDonation {
        donor_id: Some(g.user_id),
        money: money_of(&g)?,
        method: PaymentMethod::Card,
        provider_reference: Some(pi.id.clone()),
        payment_id: None,
        event_id: None,
        note: None,
        recorded_by: None,
    };
    let donation = donations::record(&txn, ctx, &RequestMeta::system(), d).await?;
    let mut row: gifts::ActiveModel = g.into();
    row.status = Set(PaymentStatus::Succeeded);
    row.donation_id = Set(Some(donation.id));
    row.updated_at = Set(ctx.now());
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(GiftOutcome::Given {
        gift_id,
        donation_id: donation.id,
    })
}

async fn record_end(ctx: &Context, gift_id: Uuid, status: PaymentStatus) -> Result<GiftOutcome> {
    let txn = db::begin_write(&ctx.main).await?;
    let g = lock_gift(&txn, gift_id).await?;
    if !g.status.can_become(status) {
        return Ok(stored(&g));
    }
    let mut row: gifts::ActiveModel = g.into();
    row.status = Set(status);
    row.updated_at = Set(ctx.now());
    row.update(&txn).await?;
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::CardPaymentFailed)
            .on("card_gift", gift_id)
            .details(serde_json::json!({ "status": status })),
    )
    .await?;
    txn.commit().await?;
    Ok(GiftOutcome::Failed { gift_id })
}

/// Every gift still pending, oldest first (for reconciliation): their PaymentIntents.
pub(crate) async fn pending(db: &impl ConnectionTrait) -> Result<Vec<String>> {
    Ok(gifts::Entity::find()
        .filter(gifts::Column::Status.eq(PaymentStatus::Pending))
        .order_by_asc(gifts::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.payment_intent_id)
        .collect())
}

/// The currencies the organisation charges in now (its membership plans, then its upcoming
/// published paid events): the ones the gift page offers, in that order. Empty for an
/// organisation that prices nothing (the page then asks for the code). Reads the plans and
/// the upcoming events through their index, not the ledger's whole history.
pub async fn currencies(ctx: &Context) -> Result<Vec<String>> {
    use db::main_db::{events, membership_plans as plans};
    use domain::event::EventStatus;
    let mut found: Vec<String> = plans::Entity::find()
        .select_only()
        .column(plans::Column::Currency)
        .distinct()
        .into_tuple::<String>()
        .all(&ctx.main)
        .await?;
    let priced: Vec<Option<String>> = events::Entity::find()
        .select_only()
        .column(events::Column::Currency)
        .filter(events::Column::Status.eq(EventStatus::Published))
        .filter(events::Column::StartsAt.gt(ctx.now()))
        .filter(events::Column::PriceMinor.gt(0))
        .distinct()
        .into_tuple()
        .all(&ctx.main)
        .await?;
    found.extend(priced.into_iter().flatten());
    let mut list: Vec<String> = Vec::new();
    for c in found.into_iter().map(|c| c.to_ascii_uppercase()) {
        if !list.contains(&c) {
            list.push(c);
        }
    }
    Ok(list)
}
