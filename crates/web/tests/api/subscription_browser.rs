//! Paying for a membership by card every month in a real browser (headless Chromium),
//! through the Stripe.js localstripe serves: the member opens /membership, subscribes to a
//! monthly plan by typing a test card, sees his subscription active with its next charge
//! and the first receipt in his history (one receipt email), then cancels it and reads when
//! it ends. Plus the card page's CSP and the CSRF check, over plain HTTP. On SQLite and
//! PostgreSQL.

use crate::helpers::pages::Person;
use crate::helpers::stripe::with_stripe;
use crate::helpers::{ok_json, TestApp, User, PASSWORD};
use db::main_db::membership_subscriptions as subs;
use db::sea_orm::EntityTrait;
use reqwest::StatusCode;
use serde_json::json;
use testkit::browser::{Browser, DESKTOP};

const PAYS: &str = "4242424242424242";
/// Declined when the card is saved, at localstripe.
const DECLINED_WHEN_SAVED: &str = "4000000000000002";
const RECEIPT: &str = "Membership recorded: Supporting member";

/// A monthly plan at EUR 15.00 and the member who pays for it.
async fn plan_and_member(app: &TestApp) -> (String, User) {
    let admin = app.admin().await;
    let body = json!({ "name": "Supporting member", "amount_minor": 1500,
        "currency": "EUR", "interval": "monthly" });
    let res = app
        .post_as(&admin.access_token, "/api/v1/membership-plans", body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let plan = ok_json(res).await["id"].as_str().unwrap().to_owned();
    (plan, app.named("Jordan Lee").await)
}

/// Waits for localstripe's card Element and types card `number` into it.
async fn type_card(b: &Browser, number: &str) {
    b.find("#card-element input[placeholder=number]").await;
    for (field, value) in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "40"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    ] {
        b.fill(&format!("#card-element input[placeholder={field}]"), value)
            .await;
    }
}

/// Opens /membership and follows "Pay by card every month" for `plan`.
async fn open_the_card_page(b: &Browser, plan: &str) {
    b.goto("/membership").await;
    b.click(&format!(
        "form[action='/membership/subscribe']:has(input[value='{plan}']) button"
    ))
    .await;
    b.wait_for_text("main h1", "Pay for Supporting member by card")
        .await;
}

async fn subscribing_and_cancelling_in_the_browser(app: TestApp) {
    let Some(stripe) = testkit::localstripe::shared() else {
        return;
    };
    let (plan, member) = plan_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    open_the_card_page(&b, &plan).await;
    type_card(&b, PAYS).await;
    b.click("#pay-button").await;
    b.wait_for_text("#subscription-status", "Active").await;
    assert!(b.text("#notice").await.contains("by card"));
    // Charged next when the month paid for ends, a month from now.
    let month_later = (app.ctx.now() + chrono::Months::new(1))
        .format("%Y")
        .to_string();
    let next = b.text("#next-charge").await;
    assert!(next.contains(&month_later), "{next}");
    assert!(b.text("#subscription-label").await.starts_with("Renews on"));
    assert!(b.text("#membership-history").await.contains("EUR 15.00"));
    b.find("#membership-history a[href^='/payments/']").await;
    // The subscription is at localstripe, paid, on the plan's price.
    let row = subs::Entity::find()
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    let at_stripe = stripe
        .get(&format!("/v1/subscriptions/{}", row.subscription_id))
        .await;
    assert_eq!(at_stripe["status"], "active", "{at_stripe}");
    app.run_pending_jobs().await;
    let receipts = app
        .subjects_to(&member.email)
        .into_iter()
        .filter(|s| s.starts_with(RECEIPT))
        .count();
    assert_eq!(receipts, 1, "{:?}", app.subjects_to(&member.email));

    b.click("#cancel-subscription").await;
    b.wait_for_text("#subscription-label", "Ends on").await;
    assert!(b.text("#notice").await.contains("cancelled"));
    assert!(!b.text("main").await.contains("Next charge"));
    let at_stripe = stripe
        .get(&format!("/v1/subscriptions/{}", row.subscription_id))
        .await;
    assert_eq!(at_stripe["cancel_at_period_end"], true, "{at_stripe}");
    b.close().await;
}

/// A card declined when saved comes back on the card page with the bank's words and a
/// fresh SetupIntent; another card then subscribes him. (3-D Secure is not driven here:
/// localstripe's Stripe.js cannot run `confirmCardSetup` with only a client secret.)
async fn a_declined_card_then_another_card(app: TestApp) {
    if testkit::localstripe::shared().is_none() {
        return;
    }
    let (plan, member) = plan_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    open_the_card_page(&b, &plan).await;
    let first = b
        .find("#card-form")
        .await
        .attr("data-setup-intent")
        .await
        .unwrap();
    type_card(&b, DECLINED_WHEN_SAVED).await;
    b.click("#pay-button").await;
    b.wait_for_text("#card-error", "Your card was declined.")
        .await;
    assert!(b.text("#card-error").await.contains("Nothing was charged"));
    let second = b
        .find("#card-form")
        .await
        .attr("data-setup-intent")
        .await
        .unwrap();
    assert_ne!(first, second, "a fresh SetupIntent for another card");
    assert!(subs::Entity::find()
        .one(&app.ctx.main)
        .await
        .unwrap()
        .is_none());

    // Another card on the fresh SetupIntent subscribes him.
    type_card(&b, PAYS).await;
    b.click("#pay-button").await;
    b.wait_for_text("#subscription-status", "Active").await;
    b.close().await;
}

/// The membership card page loads Stripe.js from the configured origin and allows no
/// other; its forms refuse a POST without the CSRF token.
async fn the_card_page_allows_only_stripe_and_needs_csrf(app: TestApp) {
    let Some(stripe) = testkit::localstripe::shared() else {
        return;
    };
    let (plan, member) = plan_and_member(&app).await;
    let pages = Person::of(&app, &member).await;
    let res = pages
        .submit(
            "/membership",
            "/membership/subscribe",
            &[("plan_id", &plan)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let directive = |name: &str| -> Vec<String> {
        csp.split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {csp}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(directive("script-src"), ["'self'", stripe.base.as_str()]);
    assert_eq!(directive("frame-src"), [stripe.base.as_str()]);
    assert_eq!(directive("connect-src"), ["'self'", stripe.base.as_str()]);
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains(&stripe.js_url()), "{html}");
    assert!(html.contains("data-setup-intent=\"seti_"), "{html}");

    for (action, form) in [
        ("/membership/subscribe", vec![("plan_id", plan.as_str())]),
        (
            "/membership/card",
            vec![("setup_intent", "seti_x"), ("token", "tok_x")],
        ),
    ] {
        let res = pages
            .client
            .post(format!("{}{action}", pages.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{action}");
    }
    // Nothing was subscribed by the refused forms or the page itself.
    assert!(subs::Entity::find()
        .one(&app.ctx.main)
        .await
        .unwrap()
        .is_none());
}

crate::on_both_backends_with!(with_stripe =>
    subscribing_and_cancelling_in_the_browser,
    a_declined_card_then_another_card,
    the_card_page_allows_only_stripe_and_needs_csrf,
);
