//! Paying for a membership by card every month or year: `/membership/subscribe` starts a
//! subscription for a plan and shows Stripe's card form (the payment page's script and
//! CSP), `/membership/card` saves the card the form tokenised and subscribes him,
//! `/membership/card/return` is where Stripe.js lands after 3-D Secure, and
//! `/membership/subscriptions/{id}/cancel` stops the renewals. The rules are in
//! `app::memberships::stripe`.

use super::card_form::{self, CardForm, CardIntent};
use super::layout::Layout;
use super::respond::{self, Empty};
use super::session::{Form, PageMeta, SignedIn};
use super::{PageResult, Path};
use crate::state::AppState;
use app::authz::Actor;
use app::memberships::stripe::{self, CardSetup, StartSubscription, SubscriptionStart};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/membership/subscribe", post(subscribe))
        .route("/membership/card", post(save_card))
        .route("/membership/card/return", get(returned))
        .route("/membership/subscriptions/{id}/cancel", post(cancel))
}

/// The notices of `/membership` after these forms.
pub const NOTICES: &[(&str, &str)] = &[
    (
        "subscribed",
        "You now pay for your membership by card. Your receipt is emailed to you.",
    ),
    (
        "cancelled",
        "Your subscription is cancelled: your card is not charged again and your membership runs to the end of the period paid for.",
    ),
];

#[derive(Template)]
#[template(path = "memberships/card.html")]
struct CardPage {
    layout: Layout,
    plan_name: String,
    price_label: String,
    card: CardForm,
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    plan_id: String,
}

/// Starts paying for a plan by card and shows Stripe's card form.
async fn subscribe(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(form): Form<PlanForm>,
) -> PageResult<Response> {
    let plan_id: Uuid = form
        .plan_id
        .parse()
        .map_err(|_| app::Error::NotFound("plan"))?;
    let start = stripe::start(&s.ctx, &actor, &StartSubscription { plan_id }).await?;
    card_page(&s, &actor, m.csrf, start, false, None)
}

/// Stripe's card form for `start`, with the payment page's CSP.
fn card_page(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    start: SubscriptionStart,
    authenticate: bool,
    error: Option<String>,
) -> PageResult<Response> {
    let declined = error.is_some();
    let card = CardForm {
        action: "/membership/card",
        return_url: "/membership/card/return",
        publishable_key: start.publishable_key,
        client_secret: start.client_secret,
        intent: CardIntent::Setup(start.setup_intent_id),
        js_url: start.js_url,
        pay_js: CardForm::pay_js(),
        button: format!("Pay {}", start.plan.price_label),
        authenticate,
        error,
    };
    let page = CardPage {
        layout: Layout::new(
            format!("Pay for {} by card", start.plan.name),
            csrf,
            Some(actor),
            "/membership",
        ),
        plan_name: start.plan.name,
        price_label: start.plan.price_label,
        card,
    };
    card_form::respond(s, page, declined)
}

#[derive(Deserialize)]
struct TokenForm {
    setup_intent: String,
    /// The Stripe.js token of the card typed (empty without JavaScript).
    #[serde(default)]
    token: String,
}

/// The card form, sent with the token of the card typed: subscribes him, goes back to
/// Stripe.js for 3-D Secure, or back to the form with the bank's answer.
async fn save_card(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(form): Form<TokenForm>,
) -> PageResult<Response> {
    let setup =
        stripe::subscribe_with_card(&s.ctx, &m.request, &actor, &form.setup_intent, &form.token)
            .await?;
    answer(&s, &actor, m.csrf, setup)
}

#[derive(Deserialize)]
struct ReturnQuery {
    #[serde(default)]
    setup_intent: String,
}

/// Where Stripe.js lands after 3-D Secure: subscribes him if the bank saved the card (read
/// back from Stripe, never taken from the address); if not, the card form again with a
/// fresh SetupIntent and what happened.
async fn returned(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<ReturnQuery>,
) -> PageResult<Response> {
    let setup = stripe::after_authentication(&s.ctx, &m.request, &actor, &q.setup_intent).await?;
    answer(&s, &actor, m.csrf, setup)
}

/// What the page shows after a card was tried: subscribed, 3-D Secure, or declined.
fn answer(s: &AppState, actor: &Actor, csrf: String, setup: CardSetup) -> PageResult<Response> {
    match setup {
        CardSetup::Subscribed(_) => respond::done("/membership", "subscribed", ""),
        CardSetup::NeedsAuthentication(start) => card_page(s, actor, csrf, start, true, None),
        CardSetup::Declined { message, retry } => {
            let error = format!("{message} Nothing was charged: try another card.");
            card_page(s, actor, csrf, retry, false, Some(error))
        }
    }
}

/// Cancels his subscription at the end of the period paid for.
async fn cancel(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    _form: Form<Empty>,
) -> PageResult<Response> {
    stripe::cancel(&s.ctx, &m.request, &actor, id).await?;
    respond::done("/membership", "cancelled", "")
}
