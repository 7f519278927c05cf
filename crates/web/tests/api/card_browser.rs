//! Paying for a retreat by card in a real browser (headless Chromium), through the Stripe.js
//! that localstripe serves at the configurable `payments.stripe.js_url`: the member holds a
//! seat, types a test card into the card Element, pays, is in, and finds the receipt on his
//! Payments page; a declined card is answered on the page with his seat still held; a card
//! whose bank asks for 3-D Secure pays once he confirms in the bank's dialog; an Admin
//! refunds part of a card payment and the member sees it; a member pays a gift to the
//! scholarship fund forward with his seat, and gives on his own from his Payments page. On SQLite and PostgreSQL. The card page's screenshot goes to `test-artifacts/screenshots/pay-card-*.png`.

use crate::helpers::pages::Person;
use crate::helpers::stripe::with_stripe;
use crate::helpers::{workshop, TestApp, User, PASSWORD};
use db::main_db::{event_registrations as regs, ledger_entries as ledger, payments};
use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use domain::event::RegistrationStatus;
use domain::payment::PaymentStatus;
use serde_json::json;
use testkit::browser::{Browser, DESKTOP, PHONE};
use testkit::localstripe::LocalStripe;

const PAYS: &str = "4242424242424242";
/// Declined when charged, at Stripe and at localstripe.
const DECLINED: &str = "4000000000000341";
/// The bank asks for 3-D Secure.
const ASKS_FOR_3DS: &str = "4000002760003184";
const ONLINE_LINK: &str = "https://meet.example.org/w";

/// A published retreat at EUR 120.00, the member who pays for it, and an Admin.
async fn retreat_and_member(app: &TestApp) -> (String, User, User) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let mut body = workshop("Forest retreat", 5);
    body["price_minor"] = json!(12000);
    body["currency"] = json!("EUR");
    let id = app.publish_event(&ptm, body).await;
    (id, app.named("Jordan Lee").await, admin)
}

/// Registers on the event page, follows "Pay by card now" and goes on to the card form;
/// the PaymentIntent the form pays.
async fn hold_and_open_the_card_form(b: &Browser, event: &str) -> String {
    b.goto(&format!("/events/{event}")).await;
    b.click(&format!("form[action='/events/{event}/register'] button"))
        .await;
    b.wait_for_text("#payment-needed", "Your seat is held")
        .await;
    assert!(
        !b.text("main").await.contains(ONLINE_LINK),
        "the online link shows before paying"
    );
    b.click("#pay-by-card").await;
    b.wait_for_text("main h1", "Pay for your seat").await;
    b.click("#go-to-card").await;
    b.wait_for_text("main h1", "Pay EUR 120.00 by card").await;
    card_form_ready(b).await
}

/// Waits for Stripe.js's card Element in the form; the PaymentIntent the form pays.
async fn card_form_ready(b: &Browser) -> String {
    b.find("#card-element input[placeholder=number]").await;
    assert_eq!(
        b.find("#pay-button").await.prop("disabled").await.unwrap(),
        Some("false".into()),
        "the pay button stays disabled"
    );
    b.find("#card-form")
        .await
        .attr("data-payment-intent")
        .await
        .unwrap()
        .expect("the form names its PaymentIntent")
}

/// Types a card into localstripe's card Element (its fields are named by placeholder).
async fn type_card(b: &Browser, number: &str) {
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

async fn payment_of(app: &TestApp, pi: &str) -> payments::Model {
    payments::Entity::find()
        .filter(payments::Column::ProviderReference.eq(pi))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .expect("a payment for the PaymentIntent")
}

async fn seat_of(app: &TestApp, p: &payments::Model) -> RegistrationStatus {
    regs::Entity::find_by_id(p.registration_id.unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// The card page allows Stripe.js from the configured origin, and no other.
async fn assert_card_page_csp(app: &TestApp, who: &User, event: &str, stripe: &LocalStripe) {
    let pages = Person::of(app, who).await;
    let path = format!("/events/{event}/pay");
    let res = pages.submit(&path, &path, &[]).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
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
    assert!(!csp.contains("js.stripe.com "), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains(&stripe.js_url()), "{html}");
}

async fn paying_a_retreat_by_card_in_the_browser(app: TestApp) {
    let Some(stripe) = testkit::localstripe::shared() else {
        return;
    };
    let (id, member, _) = retreat_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    let pi = hold_and_open_the_card_form(&b, &id).await;
    // The card form is localstripe's, loaded from the configured address.
    let scripts = b
        .script("return performance.getEntriesByType('resource').map(r => r.name);")
        .await;
    assert!(
        scripts.to_string().contains(&stripe.js_url()),
        "Stripe.js not loaded from {}: {scripts}",
        stripe.js_url()
    );
    assert_eq!(b.sideways_overflow().await, 0.0, "fits the phone");
    type_card(&b, PAYS).await;
    b.screenshot("pay-card", PHONE).await;
    assert_card_page_csp(&app, &member, &id, stripe).await;

    b.click("#pay-button").await;
    b.wait_for_text("#payment-outcome", "You're in.").await;
    let p = payment_of(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(p.amount_minor, 12000);
    assert_eq!(seat_of(&app, &p).await, RegistrationStatus::Confirmed);
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(at_stripe["status"], "succeeded", "{at_stripe}");
    let rows = ledger::Entity::find()
        .filter(ledger::Column::PaymentId.eq(p.id))
        .count(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(rows, 1, "one ledger row for the payment");

    // The event page now gives him the online link.
    b.click(&format!("main a[href='/events/{id}']")).await;
    b.wait_for_text("main", ONLINE_LINK).await;

    // His Payments page lists it; its receipt is printable.
    b.goto("/payments").await;
    b.wait_for_text("#payments", "EUR 120.00").await;
    assert!(b.text("#payments").await.contains("Forest retreat"));
    b.click(&format!("#payments a[href='/payments/{}']", p.id))
        .await;
    b.wait_for_text("main h1", "Receipt").await;
    assert_eq!(b.text("#receipt-amount").await, "EUR 120.00");
    assert_eq!(b.text("#receipt-number").await, p.id.to_string());
    b.close().await;

    app.run_pending_jobs().await;
    let received = app
        .subjects_to(&member.email)
        .into_iter()
        .filter(|s| s.starts_with("Payment received"))
        .count();
    assert_eq!(received, 1, "{:?}", app.subjects_to(&member.email));
}

async fn a_declined_card_then_a_card_with_3d_secure(app: TestApp) {
    let Some(stripe) = testkit::localstripe::shared() else {
        return;
    };
    let (id, member, _) = retreat_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    let declined_pi = hold_and_open_the_card_form(&b, &id).await;

    // Declined: the bank's answer on the page, nothing charged, the seat still held.
    type_card(&b, DECLINED).await;
    b.click("#pay-button").await;
    b.wait_for_text("#card-error", "Your card was declined.")
        .await;
    assert!(b
        .text("#card-error")
        .await
        .contains("your seat is still held"));
    assert_eq!(b.path().await, "/payments/card");
    let declined = payment_of(&app, &declined_pi).await;
    assert_eq!(declined.status, PaymentStatus::Failed);
    assert_eq!(
        seat_of(&app, &declined).await,
        RegistrationStatus::PaymentRequired
    );
    let at_stripe = stripe
        .get(&format!("/v1/payment_intents/{declined_pi}"))
        .await;
    assert_eq!(at_stripe["status"], "canceled", "{at_stripe}");

    // Another card, on a fresh PaymentIntent; the bank asks for 3-D Secure.
    let pi = card_form_ready(&b).await;
    assert_ne!(pi, declined_pi);
    type_card(&b, ASKS_FOR_3DS).await;
    b.click("#pay-button").await;
    b.wait_for_text("#authenticate-hint", "3-D Secure").await;
    // localstripe's Stripe.js shows the bank's dialog as two buttons after a paragraph.
    let confirm = "body > div > p + button";
    b.wait_for_text(confirm, "Complete authentication").await;
    assert_eq!(payment_of(&app, &pi).await.status, PaymentStatus::Pending);
    b.click(confirm).await;
    b.wait_for_text("#payment-outcome", "You're in.").await;
    let p = payment_of(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(seat_of(&app, &p).await, RegistrationStatus::Confirmed);
    b.close().await;
}

async fn failing_3d_secure_keeps_the_seat_held(app: TestApp) {
    if testkit::localstripe::shared().is_none() {
        return;
    }
    let (id, member, _) = retreat_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    let pi = hold_and_open_the_card_form(&b, &id).await;
    type_card(&b, ASKS_FOR_3DS).await;
    b.click("#pay-button").await;
    let fail = "body > div > p + button + button";
    b.wait_for_text(fail, "Fail authentication").await;
    b.click(fail).await;
    b.wait_for_text("#payment-outcome", "did not go through")
        .await;
    let p = payment_of(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Failed);
    assert_eq!(seat_of(&app, &p).await, RegistrationStatus::PaymentRequired);
    // "Try again" leads back to paying, with a new card form.
    b.click("#try-again").await;
    b.wait_for_text("main h1", "Pay for your seat").await;
    b.close().await;
}

async fn an_admin_refunds_part_of_a_card_payment(app: TestApp) {
    let Some(stripe) = testkit::localstripe::shared() else {
        return;
    };
    let (id, member, admin) = retreat_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    let pi = hold_and_open_the_card_form(&b, &id).await;
    type_card(&b, PAYS).await;
    b.click("#pay-button").await;
    b.wait_for_text("#payment-outcome", "You're in.").await;
    let p = payment_of(&app, &pi).await;

    let Some(desk) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    desk.sign_in(&admin.email, PASSWORD).await;
    desk.goto("/admin/payments").await;
    desk.fill("#receipt", &p.id.to_string()).await;
    desk.click("form[action='/admin/payments'] button[type=submit]")
        .await;
    desk.wait_for_text("#remaining", "EUR 120.00").await;
    desk.fill("#amount", "20.00").await;
    desk.fill("#reason", "Left on Saturday morning").await;
    desk.click(&format!(
        "form[action='/admin/payments/{}/refunds'] button[type=submit]",
        p.id
    ))
    .await;
    desk.wait_for_text("#remaining", "EUR 100.00").await;
    desk.wait_for_text("#refunds", "EUR 20.00").await;
    desk.close().await;
    // The money went back to the card at Stripe (whatever a job still had to do is done).
    app.run_pending_jobs().await;
    let refunds = stripe
        .get(&format!("/v1/refunds?payment_intent={pi}"))
        .await;
    let amounts: Vec<i64> = refunds["data"]
        .as_array()
        .expect("a list of refunds")
        .iter()
        .filter_map(|r| r["amount"].as_i64())
        .collect();
    assert_eq!(amounts, [2000], "{refunds}");

    b.goto("/payments").await;
    b.wait_for_text("#payments", "EUR 20.00 refunded").await;
    b.close().await;
}

/// Pays a seat with a gift to the scholarship fund on top, then gives on his own from his
/// Payments page (a declined card first): both gifts are his donations, listed there.
async fn paying_it_forward_and_giving_by_card_in_the_browser(app: TestApp) {
    if testkit::localstripe::shared().is_none() {
        return;
    }
    let (id, member, _) = retreat_and_member(&app).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.sign_in(&member.email, PASSWORD).await;
    b.goto(&format!("/events/{id}")).await;
    b.click(&format!("form[action='/events/{id}/register'] button"))
        .await;
    b.wait_for_text("#payment-needed", "Your seat is held")
        .await;
    b.click("#pay-by-card").await;
    b.wait_for_text("main h1", "Pay for your seat").await;
    b.fill("#gift", "15.00").await;
    b.click("#go-to-card").await;
    b.wait_for_text("main h1", "Pay EUR 135.00 by card").await;
    assert!(b.text("#gift-included").await.contains("EUR 15.00"));
    let pi = card_form_ready(&b).await;
    type_card(&b, PAYS).await;
    b.click("#pay-button").await;
    b.wait_for_text("#payment-outcome", "You're in.").await;
    let p = payment_of(&app, &pi).await;
    assert_eq!(
        (p.status, p.amount_minor),
        (PaymentStatus::Succeeded, 12000)
    );

    b.goto("/payments").await;
    b.click("#give a[href='/give']").await;
    b.wait_for_text("main h1", "Give to the scholarship fund")
        .await;
    b.fill("#amount", "40").await;
    b.click("#go-to-card").await;
    b.wait_for_text("main h1", "Give EUR 40.00 by card").await;
    let declined_pi = card_form_ready(&b).await;
    type_card(&b, DECLINED).await;
    b.click("#pay-button").await;
    b.wait_for_text("#card-error", "Your card was declined.")
        .await;
    assert!(b.text("#card-error").await.contains("Nothing was charged"));
    let retry_pi = card_form_ready(&b).await;
    assert_ne!(retry_pi, declined_pi);
    type_card(&b, PAYS).await;
    b.click("#pay-button").await;
    b.wait_for_text("#gift-outcome", "Thank you.").await;
    assert!(b.text("#gift-outcome").await.contains("EUR 40.00"));
    b.click("#payments-link").await;
    b.wait_for_text("#donations", "EUR 40.00 — a gift").await;
    assert!(b
        .text("#donations")
        .await
        .contains("EUR 15.00 — paid forward with a payment"));
    b.close().await;
    app.run_pending_jobs().await;
    let thanked = app
        .subjects_to(&member.email)
        .into_iter()
        .filter(|s| s.starts_with("Thank you for your donation"))
        .count();
    assert_eq!(thanked, 2, "{:?}", app.subjects_to(&member.email));
}

crate::on_both_backends_with!(with_stripe =>
    paying_a_retreat_by_card_in_the_browser,
    paying_it_forward_and_giving_by_card_in_the_browser,
    a_declined_card_then_a_card_with_3d_secure,
    failing_3d_secure_keeps_the_seat_held,
    an_admin_refunds_part_of_a_card_payment,
);
