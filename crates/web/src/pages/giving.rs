//! Giving to the scholarship fund by card (`/give`): the donor chooses an amount, types
//! his card into Stripe's card form (the same one as for a seat), and lands on
//! `/give/return`, where the gift is confirmed from what Stripe says and he is thanked.
//! Without Stripe the page says how to give instead (cash or transfer, recorded by an
//! Admin).

use crate::pages::card_form::{self, CardForm, CardIntent};
use crate::pages::layout::Layout;
use crate::pages::respond::{rename_field, render};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::{FormState, PageResult};
use crate::state::AppState;
use app::authz::Actor;
use app::payments::donations::card::{self, CardGift, GiftOutcome, GiftRequest};
use app::payments::stripe::CardAttempt;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::{Currency, Money, SingleLine};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/give", get(choose).post(start))
        .route("/give/card", post(give_with_card))
        .route("/give/return", get(returned))
}

#[derive(Template)]
#[template(path = "donations/give.html")]
struct GivePage {
    layout: Layout,
    /// Card payments are set up.
    card_payments: bool,
    /// The currencies to choose from, the likeliest first; empty: typed in.
    currencies: Vec<String>,
    form: FormState,
}

async fn choose(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
) -> PageResult<Response> {
    render(GivePage::load(&s, &actor, m.csrf, FormState::default()).await?)
}

impl GivePage {
    async fn load(
        s: &AppState,
        actor: &Actor,
        csrf: String,
        form: FormState,
    ) -> PageResult<GivePage> {
        Ok(GivePage {
            layout: Layout::new(
                "Give to the scholarship fund",
                csrf,
                Some(actor),
                "/payments",
            ),
            card_payments: s.ctx.stripe.is_some(),
            currencies: card::currencies(&s.ctx).await?,
            form,
        })
    }
}

#[derive(Deserialize)]
struct AmountForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
}

/// Starts the gift for the amount typed and shows Stripe's card form.
async fn start(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(form): Form<AmountForm>,
) -> PageResult<Response> {
    let currency = form.currency.trim().to_ascii_uppercase();
    let typed = FormState::default()
        .with("amount", &form.amount)
        .with("currency", &currency);
    if Currency::parse(&currency).is_err() {
        let why = "Enter the currency as its three-letter code, such as EUR.";
        return refused(&s, &actor, m.csrf, typed.field_error("currency", why)).await;
    }
    let amount = match Money::parse_amount(form.amount.trim(), &currency) {
        Ok(m) if !m.is_free() => m,
        _ => {
            let why = "Enter the amount you give, such as 30.00.";
            return refused(&s, &actor, m.csrf, typed.field_error("amount", why)).await;
        }
    };
    let request = GiftRequest {
        amount_minor: amount.amount_minor(),
        currency: SingleLine::from_stored(amount.currency().as_str()),
    };
    match card::start(&s.ctx, &m.request, &actor, &request).await {
        Ok(gift) => card_page(&s, &actor, m.csrf, gift, false, None),
        Err(e) => {
            let form = typed.absorb(rename_field(e, "amount_minor", "amount"))?;
            refused(&s, &actor, m.csrf, form).await
        }
    }
}

async fn refused(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    form: FormState,
) -> PageResult<Response> {
    let mut res = render(GivePage::load(s, actor, csrf, form).await?)?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

#[derive(Template)]
#[template(path = "donations/card.html")]
struct CardPage {
    layout: Layout,
    gift: CardGift,
    card: CardForm,
}

fn card_page(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    gift: CardGift,
    authenticate: bool,
    error: Option<String>,
) -> PageResult<Response> {
    let declined = error.is_some();
    let card = CardForm {
        action: "/give/card",
        return_url: "/give/return",
        publishable_key: gift.publishable_key.clone(),
        client_secret: gift.client_secret.clone(),
        intent: CardIntent::Payment(gift.payment_intent_id.clone()),
        js_url: gift.js_url.clone(),
        pay_js: CardForm::pay_js(),
        button: format!("Give {}", gift.amount_label),
        authenticate,
        error,
    };
    let page = CardPage {
        layout: Layout::new(
            "Give to the scholarship fund",
            csrf,
            Some(actor),
            "/payments",
        ),
        gift,
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

/// The card form, sent with the token of the card typed: gives, goes back to Stripe.js
/// for 3-D Secure, or back to the form with the bank's answer.
async fn give_with_card(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(form): Form<TokenForm>,
) -> PageResult<Response> {
    let attempt = card::give_with_card(
        &s.ctx,
        &m.request,
        &actor,
        &form.payment_intent,
        &form.token,
    )
    .await?;
    match attempt {
        CardAttempt::Done => Ok(crate::pages::redirect(&format!(
            "/give/return?payment_intent={}",
            crate::pages::encode(&form.payment_intent)
        ))),
        CardAttempt::NeedsAuthentication(gift) => card_page(&s, &actor, m.csrf, gift, true, None),
        CardAttempt::Declined { message, retry } => {
            let error = format!("{message} Nothing was charged: try another card.");
            card_page(&s, &actor, m.csrf, retry, false, Some(error))
        }
    }
}

#[derive(Deserialize)]
struct ReturnQuery {
    payment_intent: Option<String>,
}

#[derive(Template)]
#[template(path = "donations/return.html")]
struct ReturnPage {
    layout: Layout,
    outcome: GiftOutcome,
    /// "EUR 30.00", for the donor's own gift.
    amount_label: Option<String>,
}

/// Where the browser lands after the card form or 3-D Secure: the gift confirmed from
/// what Stripe says (never from the address), told to its donor only.
async fn returned(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<ReturnQuery>,
) -> PageResult<Response> {
    let pi = q.payment_intent.unwrap_or_default();
    let (outcome, amount_label) = match card::own(&s.ctx, &actor, &pi).await? {
        Some(g) => {
            let label = Money::parse(g.amount_minor, &g.currency)
                .ok()
                .map(|m| m.to_string());
            (card::confirm(&s.ctx, &pi).await?, label)
        }
        None => (GiftOutcome::Unknown, None),
    };
    render(ReturnPage {
        layout: Layout::new("Your gift", m.csrf, Some(&actor), "/payments"),
        outcome,
        amount_label,
    })
}
