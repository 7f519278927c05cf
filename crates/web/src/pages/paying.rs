//! Paying for a held seat by card: `/events/{id}/pay` (choose the amount on a sliding
//! scale, then Stripe's card form) and `/payments/return`, where the browser lands after
//! Stripe.js and the payment is confirmed (read back from Stripe, never taken from the
//! address). Only the card page loads Stripe.js, and only its CSP allows Stripe's origin.

use crate::pages::card_form::{self, CardForm, CardIntent};
use crate::pages::layout::Layout;
use crate::pages::respond::{rename_field, render};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::{FormState, PageResult, Path};
use crate::state::AppState;
use app::authz::Actor;
use app::events::{registration, view, EventView, Registration};
use app::payments::stripe::{self, CardAttempt, CardPayment, CardPaymentRequest, Confirmation};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::event::RegistrationStatus;
use domain::Money;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/{id}/pay", get(choose).post(card))
        .route("/payments/card", post(pay_with_card))
        .route("/payments/return", get(returned))
}

#[derive(Template)]
#[template(path = "payments/pay.html")]
struct ChoosePage {
    layout: Layout,
    event: EventView,
    /// Card payments are set up.
    card_payments: bool,
    /// The seat is held for payment (otherwise there is nothing to pay now).
    awaiting: bool,
    /// On a sliding scale: (minimum, suggested, maximum) as amounts to type, e.g. "25.00".
    scale: Option<(String, String, String)>,
    form: FormState,
}

/// The amount to choose (on a sliding scale) and the button to go on to the card form.
async fn choose(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    render(ChoosePage::load(&s, &actor, m.csrf, id, FormState::default()).await?)
}

impl ChoosePage {
    async fn load(
        s: &AppState,
        actor: &Actor,
        csrf: String,
        id: Uuid,
        form: FormState,
    ) -> PageResult<ChoosePage> {
        let event = view::get(&s.ctx, actor, id).await?;
        let mine: Option<Registration> = registration::mine_for(&s.ctx, actor, id).await?;
        let awaiting = mine.is_some_and(|r| r.status == RegistrationStatus::PaymentRequired);
        Ok(ChoosePage {
            layout: Layout::new(
                format!("Pay for {}", event.title),
                csrf,
                Some(actor),
                &format!("/events/{id}"),
            ),
            card_payments: s.ctx.stripe.is_some(),
            awaiting,
            scale: scale_of(&event),
            event,
            form,
        })
    }
}

/// A sliding scale's amounts as a person types them.
fn scale_of(e: &EventView) -> Option<(String, String, String)> {
    let currency = e.currency.as_deref()?;
    let text = |minor: i64| Money::parse(minor, currency).ok().map(|m| m.amount_text());
    Some((
        text(e.price_minor)?,
        text(e.price_suggested_minor?)?,
        text(e.price_maximum_minor?)?,
    ))
}

#[derive(Deserialize)]
struct AmountForm {
    /// On a sliding scale: what he pays, as typed ("25.00"); absent for a fixed price.
    amount: Option<String>,
    /// A gift to the scholarship fund on top, as typed; empty for none.
    gift: Option<String>,
}

/// An amount as typed in the event's currency: `Ok(None)` when left empty.
fn typed_amount(text: Option<&str>, currency: Option<&str>) -> Result<Option<i64>, ()> {
    match (text.map(str::trim), currency) {
        (Some(text), Some(currency)) if !text.is_empty() => Money::parse_amount(text, currency)
            .map(|m| Some(m.amount_minor()))
            .map_err(|_| ()),
        _ => Ok(None),
    }
}

#[derive(Template)]
#[template(path = "payments/card.html")]
struct CardPage {
    layout: Layout,
    event_title: String,
    payment: CardPayment,
    /// The gift to the scholarship fund included in the charge, as shown ("EUR 10.00").
    gift_label: Option<String>,
    card: CardForm,
}

/// Starts the card payment for the chosen amount and shows Stripe's card form.
async fn card(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<AmountForm>,
) -> PageResult<Response> {
    let event = view::get(&s.ctx, &actor, id).await?;
    let currency = event.currency.as_deref();
    let typed = FormState::default().with("gift", form.gift.as_deref().unwrap_or(""));
    let Ok(amount_minor) = typed_amount(form.amount.as_deref(), currency) else {
        let form = typed.field_error("amount", "Enter an amount such as 25.00.");
        return refused(&s, &actor, m.csrf, id, form).await;
    };
    let Ok(donation_minor) = typed_amount(form.gift.as_deref(), currency) else {
        let form = typed.field_error("gift", "Enter a gift such as 10.00, or leave it empty.");
        return refused(&s, &actor, m.csrf, id, form).await;
    };
    let Some(r) = registration::mine_for(&s.ctx, &actor, id).await? else {
        return Ok(crate::pages::redirect(&format!("/events/{id}")));
    };
    let request = CardPaymentRequest {
        amount_minor,
        donation_minor,
    };
    let payment =
        match stripe::start_card_payment(&s.ctx, &m.request, &actor, id, r.id, &request).await {
            Ok(p) => p,
            Err(e) => {
                let e = rename_field(e, "amount_minor", "amount");
                let form = typed.absorb(rename_field(e, "donation_minor", "gift"))?;
                return refused(&s, &actor, m.csrf, id, form).await;
            }
        };
    card_page(&s, &actor, m.csrf, event.title, payment, false, None)
}

/// Stripe's card form for `payment`, with its CSP; `authenticate` when the bank asks for
/// 3-D Secure, `error` when the last card was declined.
fn card_page(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    event_title: String,
    payment: CardPayment,
    authenticate: bool,
    error: Option<String>,
) -> PageResult<Response> {
    let declined = error.is_some();
    let card = CardForm {
        action: "/payments/card",
        return_url: "/payments/return",
        publishable_key: payment.publishable_key.clone(),
        client_secret: payment.client_secret.clone(),
        intent: CardIntent::Payment(payment.payment_intent_id.clone()),
        js_url: payment.js_url.clone(),
        pay_js: CardForm::pay_js(),
        button: format!("Pay {}", payment.amount_label),
        authenticate,
        error,
    };
    let gift_label = Money::parse(payment.donation_minor, &payment.currency)
        .ok()
        .filter(|g| !g.is_free())
        .map(|g| g.to_string());
    let page = CardPage {
        layout: Layout::new(
            format!("Pay for {event_title}"),
            csrf,
            Some(actor),
            &format!("/events/{}", payment.event_id),
        ),
        event_title,
        payment,
        gift_label,
        card,
    };
    card_form::respond(s, page, declined)
}

#[derive(Deserialize)]
struct TokenForm {
    payment_intent: String,
    /// The Stripe.js token of the card typed (empty without JavaScript).
    #[serde(default)]
    token: String,
}

/// The card form, sent by pay.js with the token of the card typed: confirms the payment
/// and goes on to the return page, back to Stripe.js for 3-D Secure, or back to the form
/// with the bank's answer when the card is declined.
async fn pay_with_card(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(form): Form<TokenForm>,
) -> PageResult<Response> {
    let attempt = stripe::pay_with_card(
        &s.ctx,
        &m.request,
        &actor,
        &form.payment_intent,
        &form.token,
    )
    .await?;
    let (payment, authenticate, error) = match attempt {
        CardAttempt::Done => {
            return Ok(crate::pages::redirect(&format!(
                "/payments/return?payment_intent={}",
                form.payment_intent
            )))
        }
        CardAttempt::NeedsAuthentication(payment) => (payment, true, None),
        CardAttempt::Declined { message, retry } => (
            retry,
            false,
            Some(format!(
                "{message} Nothing was charged and your seat is still held: try another card."
            )),
        ),
    };
    let event = view::get(&s.ctx, &actor, payment.event_id).await?;
    card_page(
        &s,
        &actor,
        m.csrf,
        event.title,
        payment,
        authenticate,
        error,
    )
}

async fn refused(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    id: Uuid,
    form: FormState,
) -> PageResult<Response> {
    let mut res = render(ChoosePage::load(s, actor, csrf, id, form).await?)?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

#[derive(Deserialize)]
struct ReturnQuery {
    payment_intent: Option<String>,
}

#[derive(Template)]
#[template(path = "payments/return.html")]
struct ReturnPage {
    layout: Layout,
    outcome: Outcome,
    event_id: Option<Uuid>,
    payment_id: Option<Uuid>,
}

/// What the return page tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Paid,
    Pending,
    Refunding,
    Failed,
    Unknown,
}

/// Where Stripe.js sends the browser after paying: confirms the payment (from what Stripe
/// says) and tells the payer where he stands.
async fn returned(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<ReturnQuery>,
) -> PageResult<Response> {
    let confirmation = match q.payment_intent.as_deref() {
        Some(pi) => stripe::confirm_payment(&s.ctx, pi).await?,
        None => Confirmation::Unknown,
    };
    // Only the payer learns about his payment; anyone else sees "not found".
    let mine = match confirmation.payment_id() {
        Some(id) => app::payments::receipts::receipt(&s.ctx, &actor, id)
            .await
            .ok(),
        None => None,
    };
    let outcome = match (confirmation, &mine) {
        (_, None) => Outcome::Unknown,
        (Confirmation::Paid { .. }, _) => Outcome::Paid,
        (Confirmation::Pending { .. }, _) => Outcome::Pending,
        (Confirmation::Refunding { .. }, _) => Outcome::Refunding,
        (Confirmation::Failed { .. } | Confirmation::Canceled { .. }, _) => Outcome::Failed,
        (Confirmation::Unknown, _) => Outcome::Unknown,
    };
    render(ReturnPage {
        layout: Layout::new("Your payment", m.csrf, Some(&actor), "/payments"),
        outcome,
        event_id: mine.as_ref().and_then(|r| r.payment.event_id),
        payment_id: mine.map(|r| r.payment.id),
    })
}
