//! Card payments through Stripe (localstripe), on SQLite and PostgreSQL: paying for a held
//! seat confirms it once (one email, one ledger row, a receipt) however the return page and
//! the webhook race; a declined card fails and keeps the hold; webhooks are verified
//! (rotated secrets, age) and recorded once however often and in whatever order they come;
//! a payment after the hold ran out takes a free seat or is refunded; and fifty people
//! paying at once for the last five seats leave exactly five confirmed and the rest refunded.

use crate::helpers::pages::Person;
use crate::helpers::stripe::{fake, held_seat, organiser, retreat};
use crate::helpers::stripe::{stripe_event, with_stripe, WEBHOOK_SECRET, WEBHOOK_SECRET_NEXT};
use crate::helpers::{ok_json, problem_code, unique_email, TestApp};
use chrono::Duration;
use db::main_db::{
    event_registrations as regs, events, ledger_entries as ledger, payments, stripe_events,
};
use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use domain::event::RegistrationStatus;
use domain::payment::PaymentStatus;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const PAYS: &str = "4242424242424242";
const DECLINED: &str = "4000000000000341";

async fn payment(app: &TestApp, pi: &str) -> payments::Model {
    payments::Entity::find()
        .filter(payments::Column::ProviderReference.eq(pi))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .expect("a payment for the PaymentIntent")
}

async fn registration_status(app: &TestApp, id: &str) -> RegistrationStatus {
    regs::Entity::find_by_id(id.parse::<Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn ledger_rows(app: &TestApp, payment_id: Uuid) -> u64 {
    ledger::Entity::find()
        .filter(ledger::Column::PaymentId.eq(payment_id))
        .count(&app.ctx.main)
        .await
        .unwrap()
}

fn count(subjects: &[String], starting: &str) -> usize {
    subjects.iter().filter(|s| s.starts_with(starting)).count()
}

async fn paying_by_card_confirms_the_seat_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Forest retreat", 5, 12000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;

    let res = app.start_card_payment(&joe, &id, &rid, json!({})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let started = ok_json(res).await;
    assert_eq!(started["amount_minor"], 12000);
    assert_eq!(
        started["publishable_key"],
        testkit::localstripe::PUBLISHABLE_KEY
    );
    assert!(started["client_secret"]
        .as_str()
        .unwrap()
        .contains("_secret_"));
    let pi = started["payment_intent_id"].as_str().unwrap().to_owned();
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(at_stripe["amount"], 12000);
    assert_eq!(at_stripe["currency"], "eur");
    assert_eq!(at_stripe["metadata"]["registration_id"], rid.as_str());
    assert_eq!(payment(&app, &pi).await.status, PaymentStatus::Pending);
    // Opening the payment again resumes the same PaymentIntent.
    assert_eq!(app.payment_intent_for(&joe, &id, &rid).await, pi);
    // Someone else cannot pay through Joe's registration.
    let sam = app.signed_up("sam@example.org").await;
    let res = app.start_card_payment(&sam, &id, &rid, json!({})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let (status, paid) = stripe.pay(&pi, PAYS).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("succeeded")));
    let joe_pages = Person::of(&app, &joe).await;
    for _ in 0..2 {
        let html = joe_pages
            .page(&format!("/payments/return?payment_intent={pi}"))
            .await;
        assert!(html.contains("You're in"), "{html}");
    }
    let p = payment(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Confirmed
    );
    assert_eq!(ledger_rows(&app, p.id).await, 1);
    // The webhook after the return page changes nothing.
    let body = stripe_event("evt_paid_1", "payment_intent.succeeded", &pi);
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET).await,
        StatusCode::OK
    );
    app.run_pending_jobs().await;
    assert_eq!(
        count(&app.subjects_to("joe@example.org"), "Payment received"),
        1
    );
    assert_eq!(ledger_rows(&app, p.id).await, 1);
    let receipt = joe_pages.page(&format!("/payments/{}", p.id)).await;
    assert!(
        receipt.contains("EUR 120.00") && receipt.contains("Card"),
        "{receipt}"
    );
    // A paid registration cannot start another payment.
    let res = app.start_card_payment(&joe, &id, &rid, json!({})).await;
    assert_eq!(problem_code(res).await, "already_paid");
}

async fn a_sliding_scale_takes_the_chosen_amount_within_it(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let mut body = retreat("Scale retreat", 5, 5000);
    body["price_suggested_minor"] = json!(8000);
    body["price_maximum_minor"] = json!(15000);
    let id = app.publish_event(&ptm, body).await;
    let rid = held_seat(&app, &joe, &id).await;
    for refused in [4999, 15001] {
        let res = app
            .start_card_payment(&joe, &id, &rid, json!({ "amount_minor": refused }))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    }
    // The page preselects the suggested amount; he pays less, within the scale.
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages.page(&format!("/events/{id}/pay")).await;
    assert!(html.contains(r#"value="80.00""#), "{html}");
    let res = joe_pages
        .submit(
            &format!("/events/{id}/pay"),
            &format!("/events/{id}/pay"),
            &[("amount", "60.00")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("script-src 'self' {};", stripe.base)),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("Pay EUR 60.00 by card"), "{html}");
    assert!(html.contains(&stripe.js_url()), "{html}");
    let pi = html
        .split("data-payment-intent=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        stripe.get(&format!("/v1/payment_intents/{pi}")).await["amount"],
        6000
    );
    // Other pages keep the site's strict CSP.
    let res = joe_pages.get(&format!("/events/{id}")).await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains(&stripe.base), "{csp}");
}

async fn a_declined_card_fails_and_the_seat_stays_held(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Declined retreat", 5, 9000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let pi = app.payment_intent_for(&joe, &id, &rid).await;
    let (status, _) = stripe.pay(&pi, DECLINED).await;
    assert_eq!(status, 402);
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    assert!(html.contains("did not go through"), "{html}");
    assert_eq!(payment(&app, &pi).await.status, PaymentStatus::Failed);
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::PaymentRequired
    );
    // Cancelled at Stripe, so it can never succeed behind our back.
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(at_stripe["status"], "canceled");
    // He tries again with another card: a new PaymentIntent, and he is in.
    let again = app.payment_intent_for(&joe, &id, &rid).await;
    assert_ne!(again, pi);
    stripe.pay(&again, PAYS).await;
    let html = joe_pages
        .page(&format!("/payments/return?payment_intent={again}"))
        .await;
    assert!(html.contains("You're in"), "{html}");
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Confirmed
    );
}

async fn webhooks_are_verified_and_each_event_recorded_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Webhook retreat", 5, 7000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let pi = app.payment_intent_for(&joe, &id, &rid).await;
    stripe.pay(&pi, PAYS).await;
    let stored = || async {
        stripe_events::Entity::find()
            .count(&app.ctx.main)
            .await
            .unwrap()
    };

    // Refused, and nothing stored: no header, a wrong secret, too old, too far ahead.
    let body = stripe_event("evt_a", "payment_intent.succeeded", &pi);
    let res = app.deliver_webhook(&body, None).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.deliver_signed(&body, "whsec_wrong").await,
        StatusCode::BAD_REQUEST
    );
    let now = app.now().timestamp();
    for t in [now - 301, now + 301] {
        let sig = app::payments::stripe::signature::sign(WEBHOOK_SECRET, t, body.as_bytes());
        let res = app.deliver_webhook(&body, Some(&sig)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "t = {t}");
    }
    let tampered = body.replace("evt_a", "evt_b");
    let sig = app::payments::stripe::signature::sign(WEBHOOK_SECRET, now, body.as_bytes());
    let res = app.deliver_webhook(&tampered, Some(&sig)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(stored().await, 0);

    // Three events, each delivered three times in shuffled order, under either secret.
    let events = [
        stripe_event("evt_a", "payment_intent.succeeded", &pi),
        stripe_event("evt_b", "payment_intent.created", &pi),
        stripe_event("evt_c", "payment_intent.payment_failed", &pi),
    ];
    let order = [2, 0, 1, 0, 2, 1, 1, 2, 0];
    for (n, i) in order.iter().enumerate() {
        let secret = if n % 2 == 0 {
            WEBHOOK_SECRET
        } else {
            WEBHOOK_SECRET_NEXT
        };
        assert_eq!(
            app.deliver_signed(&events[*i], secret).await,
            StatusCode::OK
        );
    }
    assert_eq!(stored().await, 3);
    app.run_pending_jobs().await;
    let p = payment(&app, &pi).await;
    assert_eq!(
        p.status,
        PaymentStatus::Succeeded,
        "the failure notice came late and changed nothing"
    );
    assert_eq!(ledger_rows(&app, p.id).await, 1);
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Confirmed
    );
    assert_eq!(
        count(&app.subjects_to("joe@example.org"), "Payment received"),
        1
    );
}

async fn the_return_page_and_the_webhook_racing_send_one_email(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Race retreat", 5, 4000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let pi = app.payment_intent_for(&joe, &id, &rid).await;
    stripe.pay(&pi, PAYS).await;
    let joe_pages = Person::of(&app, &joe).await;
    let return_path = format!("/payments/return?payment_intent={pi}");
    let returns = (0..4).map(|_| joe_pages.get(&return_path));
    let (app_ref, pi_ref) = (&app, &pi);
    let hooks = (0..4).map(|n| async move {
        let body = stripe_event(&format!("evt_race_{n}"), "payment_intent.succeeded", pi_ref);
        let status = app_ref.deliver_signed(&body, WEBHOOK_SECRET).await;
        app_ref.run_pending_jobs().await;
        status
    });
    let (pages, hooks) = tokio::join!(
        futures::future::join_all(returns),
        futures::future::join_all(hooks)
    );
    assert!(pages.iter().all(|r| r.status() == StatusCode::OK));
    assert!(hooks.iter().all(|s| *s == StatusCode::OK));
    app.run_pending_jobs().await;
    let p = payment(&app, &pi).await;
    assert_eq!(ledger_rows(&app, p.id).await, 1);
    assert_eq!(
        count(&app.subjects_to("joe@example.org"), "Payment received"),
        1
    );
    assert!(app.server_errors().is_empty(), "{:?}", app.server_errors());
}

/// Lets `who`'s hold run out and its release job run.
async fn let_holds_expire(app: &TestApp) {
    app.advance(Duration::minutes(31));
    app.run_pending_jobs().await;
}

async fn a_late_payment_takes_a_free_seat_or_is_refunded(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let mut joe = app.signed_up("joe@example.org").await;
    let sam = app.signed_up("sam@example.org").await;
    // A free seat is still there: the late payment takes it.
    let roomy = app
        .publish_event(&ptm, retreat("Roomy retreat", 3, 5000))
        .await;
    let rid = held_seat(&app, &joe, &roomy).await;
    let pi = app.payment_intent_for(&joe, &roomy, &rid).await;
    let_holds_expire(&app).await;
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Cancelled
    );
    stripe.pay(&pi, PAYS).await;
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    assert!(html.contains("You're in"), "{html}");
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Confirmed
    );

    // No seat left: refunded in full, once, and told why.
    // Tokens expired while the clock moved on.
    joe = app.signed_in_again(&joe).await;
    let ptm = app.signed_in_again(&ptm).await;
    let tight = app
        .publish_event(&ptm, retreat("Tight retreat", 1, 5000))
        .await;
    let rid = held_seat(&app, &joe, &tight).await;
    let pi = app.payment_intent_for(&joe, &tight, &rid).await;
    let_holds_expire(&app).await;
    let sam = app.signed_in_again(&sam).await;
    held_seat(&app, &sam, &tight).await;
    stripe.pay(&pi, PAYS).await;
    let html = joe_pages
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    assert!(
        html.contains("refunding the seat's price in full"),
        "{html}"
    );
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Cancelled
    );
    for _ in 0..2 {
        app.run_pending_jobs().await;
    }
    let refunds = stripe
        .get(&format!("/v1/refunds?payment_intent={pi}"))
        .await;
    let refunds = refunds["data"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"], 5000);
    assert_eq!(
        count(
            &app.subjects_to("joe@example.org"),
            "No seat left, payment refunded"
        ),
        1
    );
    let e = events::Entity::find_by_id(tight.parse::<Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.confirmed_count, 1, "Sam's seat only");
    // The refund is in the ledger once: the late payment's rows add up to nothing.
    let p = payment(&app, &pi).await;
    assert_eq!(ledger_sum(&app, p.id).await, 0);
    assert_eq!(ledger_rows(&app, p.id).await, 2);
}

async fn ledger_sum(app: &TestApp, payment_id: Uuid) -> i64 {
    ledger::Entity::find()
        .filter(ledger::Column::PaymentId.eq(payment_id))
        .all(&app.ctx.main)
        .await
        .unwrap()
        .iter()
        .map(|row| row.amount_minor)
        .sum()
}

async fn an_admin_refunds_a_card_payment_at_stripe(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Lakeside retreat", 5, 8000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let pi = app.payment_intent_for(&joe, &id, &rid).await;
    stripe.pay(&pi, PAYS).await;
    let joe_pages = Person::of(&app, &joe).await;
    joe_pages
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    let p = payment(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Succeeded);

    let admin = app.admin().await;
    let refund = |amount: Option<i64>, key: &'static str| {
        let mut body = json!({ "reason": "Arrived a day late" });
        if let Some(a) = amount {
            body["amount_minor"] = json!(a);
        }
        app.client
            .post(format!("{}/api/v1/payments/{}/refunds", app.address, p.id))
            .bearer_auth(&admin.access_token)
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let first = refund(Some(3000), "card-refund-1").send().await.unwrap();
    assert!(
        first.status().is_success(),
        "{}",
        first.text().await.unwrap()
    );
    // The same key again is the same refund, not a second one.
    let again = refund(Some(3000), "card-refund-1").send().await.unwrap();
    assert!(again.status().is_success());
    let rest = refund(None, "card-refund-2").send().await.unwrap();
    assert!(rest.status().is_success(), "{}", rest.text().await.unwrap());
    let at_stripe = stripe
        .get(&format!("/v1/refunds?payment_intent={pi}"))
        .await;
    let mut amounts: Vec<i64> = at_stripe["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    amounts.sort();
    assert_eq!(amounts, vec![3000, 5000], "{at_stripe}");
    assert_eq!(ledger_sum(&app, p.id).await, 0);
    // Nothing is left: a further refund is refused and Stripe is not asked.
    let more = refund(Some(100), "card-refund-3").send().await.unwrap();
    assert_eq!(problem_code(more).await, "nothing_left_to_refund");
    let at_stripe = stripe
        .get(&format!("/v1/refunds?payment_intent={pi}"))
        .await;
    assert_eq!(at_stripe["data"].as_array().unwrap().len(), 2);
}

async fn a_refund_made_in_stripes_dashboard_is_recorded_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Hill retreat", 5, 6000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let pi = app.payment_intent_for(&joe, &id, &rid).await;
    stripe.pay(&pi, PAYS).await;
    Person::of(&app, &joe)
        .await
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    let p = payment(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Succeeded);
    // Someone refunds part of it in Stripe's dashboard; Stripe reports the charge.
    let (status, made) = stripe
        .post(
            "/v1/refunds",
            &[("payment_intent", pi.as_str()), ("amount", "2500")],
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let intent = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    let charge = match &intent["latest_charge"] {
        Value::String(id) => id.clone(),
        other => other["id"].as_str().expect("a charge id").to_owned(),
    };
    // Delivered twice, as Stripe may: the refund is recorded once.
    for n in 0..2 {
        let body = stripe_event(&format!("evt_refunded_{n}"), "charge.refunded", &charge);
        assert_eq!(
            app.deliver_signed(&body, WEBHOOK_SECRET).await,
            StatusCode::OK
        );
        app.run_pending_jobs().await;
    }
    assert_eq!(ledger_rows(&app, p.id).await, 2);
    assert_eq!(ledger_sum(&app, p.id).await, 6000 - 2500);
    let recorded = db::main_db::refunds::Entity::find()
        .filter(db::main_db::refunds::Column::PaymentId.eq(p.id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].amount_minor, 2500);
    assert_eq!(
        recorded[0].provider_reference.as_deref(),
        made["id"].as_str()
    );
    // An Admin's refund of the rest is known by its reference when Stripe reports it too.
    let admin = app.admin().await;
    let res = app
        .client
        .post(format!("{}/api/v1/payments/{}/refunds", app.address, p.id))
        .bearer_auth(&admin.access_token)
        .header("Idempotency-Key", "rest-of-it")
        .json(&json!({ "reason": "Could not come after all" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let body = stripe_event("evt_refunded_rest", "charge.refunded", &charge);
    app.deliver_signed(&body, WEBHOOK_SECRET).await;
    app.run_pending_jobs().await;
    assert_eq!(ledger_rows(&app, p.id).await, 3);
    assert_eq!(ledger_sum(&app, p.id).await, 0);
}

async fn card_payments_off_say_so_and_refuse(app: TestApp) {
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Offline retreat", 5, 3000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let res = app.start_card_payment(&joe, &id, &rid, json!({})).await;
    assert_eq!(problem_code(res).await, "card_payments_unavailable");
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages.page(&format!("/events/{id}/pay")).await;
    assert!(
        html.contains("Card payments are not set up: pay the organiser by cash or transfer"),
        "{html}"
    );
    // Giving by card is off too, and the page says how to give instead.
    let res = app
        .post_as(
            &joe.access_token,
            "/api/v1/me/donations/card",
            json!({ "amount_minor": 1000, "currency": "EUR" }),
        )
        .await;
    assert_eq!(problem_code(res).await, "card_payments_unavailable");
    let html = joe_pages.page("/give").await;
    assert!(
        html.contains(
            "Card payments are not set up here. You can give in cash or by bank transfer"
        ),
        "{html}"
    );
    let res = app
        .deliver_signed(
            &stripe_event("evt_x", "payment_intent.succeeded", "pi_x"),
            WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(
        res,
        StatusCode::BAD_REQUEST,
        "no secret configured: nothing is accepted"
    );
}

async fn fifty_people_paying_for_the_last_five_seats(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let id = app
        .publish_event(&ptm, retreat("Last seats", 5, 2500))
        .await;
    // Ten rounds of five: each starts paying, then lets his hold run out, so fifty people
    // hold a payable PaymentIntent while only five seats are free.
    let mut payers = Vec::new();
    for round in 0..10 {
        for n in 0..5 {
            let who = app
                .signed_up(&unique_email(&format!("payer{round}x{n}")))
                .await;
            let rid = held_seat(&app, &who, &id).await;
            let pi = app.payment_intent_for(&who, &id, &rid).await;
            payers.push((who, rid, pi));
        }
        let_holds_expire(&app).await;
    }
    for (_, _, pi) in &payers {
        let (status, _) = stripe.pay(pi, PAYS).await;
        assert_eq!(status, 200);
    }
    let app_ref = &app;
    let confirmations = payers.iter().map(|(_, _, pi)| async move {
        let body = stripe_event(&format!("evt_{pi}"), "payment_intent.succeeded", pi);
        let status = app_ref.deliver_signed(&body, WEBHOOK_SECRET).await;
        let outcome = app::payments::stripe::confirm_payment(&app_ref.ctx, pi).await;
        (status, outcome)
    });
    let results = futures::future::join_all(confirmations).await;
    assert!(results
        .iter()
        .all(|(s, o)| *s == StatusCode::OK && o.is_ok()));
    for _ in 0..3 {
        app.run_pending_jobs().await;
    }
    let mut confirmed = 0;
    let mut refunded = 0;
    for (_, rid, pi) in &payers {
        let p = payment(&app, pi).await;
        assert_eq!(p.status, PaymentStatus::Succeeded);
        let refunds = stripe
            .get(&format!("/v1/refunds?payment_intent={pi}"))
            .await;
        let refunds = refunds["data"].as_array().unwrap().len();
        if registration_status(&app, rid).await == RegistrationStatus::Confirmed {
            confirmed += 1;
            assert_eq!(refunds, 0, "a seated payer is not refunded");
            assert_eq!(ledger_rows(&app, p.id).await, 1);
            assert_eq!(ledger_sum(&app, p.id).await, p.amount_minor);
        } else {
            refunded += 1;
            assert_eq!(refunds, 1, "charged without a seat: refunded once");
            // The payment and its refund, adding up to nothing.
            assert_eq!(ledger_rows(&app, p.id).await, 2);
            assert_eq!(ledger_sum(&app, p.id).await, 0);
        }
    }
    assert_eq!((confirmed, refunded), (5, 45));
    let e = events::Entity::find_by_id(id.parse::<Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.confirmed_count, 5);
    assert!(app.server_errors().is_empty(), "{:?}", app.server_errors());
}

/// Stripe, and room for fifty sign-ups from one address.
fn with_stripe_for_a_crowd(s: &mut app::config::Settings) {
    with_stripe(s);
    s.rate_limit.register_per_ip = 1000;
    s.rate_limit.login_per_ip = 1000;
}

crate::on_both_backends_with!(with_stripe_for_a_crowd => fifty_people_paying_for_the_last_five_seats);

crate::on_both_backends_with!(with_stripe =>
    paying_by_card_confirms_the_seat_once,
    a_sliding_scale_takes_the_chosen_amount_within_it,
    a_declined_card_fails_and_the_seat_stays_held,
    webhooks_are_verified_and_each_event_recorded_once,
    the_return_page_and_the_webhook_racing_send_one_email,
    a_late_payment_takes_a_free_seat_or_is_refunded,
    an_admin_refunds_a_card_payment_at_stripe,
    a_refund_made_in_stripes_dashboard_is_recorded_once,
);

crate::on_both_backends!(card_payments_off_say_so_and_refuse);
