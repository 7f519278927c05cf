//! Giving to the scholarship fund by card (localstripe), on SQLite and PostgreSQL: a gift
//! on its own becomes one donation (one ledger row, one thank-you) however the return page,
//! repeated webhooks and reconciliation race; a declined gift charges nothing and records
//! nothing; paying it forward with a seat charges seat and gift together and splits them
//! into the payment and a donation; bad amounts are refused and nobody sees another's gift.

use crate::helpers::pages::Person;
use crate::helpers::stripe::{fake, held_seat, organiser, retreat};
use crate::helpers::stripe::{stripe_event, with_stripe, WEBHOOK_SECRET};
use crate::helpers::{ok_json, validation_errors, TestApp, User};
use db::main_db::{card_gifts, donations, ledger_entries as ledger, payments};
use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use domain::payment::{LedgerKind, PaymentStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PAYS: &str = "4242424242424242";
const DECLINED: &str = "4000000000000341";

async fn start_gift(app: &TestApp, who: &User, body: Value) -> reqwest::Response {
    app.post_as(&who.access_token, "/api/v1/me/donations/card", body)
        .await
}

async fn gift(app: &TestApp, pi: &str) -> card_gifts::Model {
    card_gifts::Entity::find()
        .filter(card_gifts::Column::PaymentIntentId.eq(pi))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .expect("a gift for the PaymentIntent")
}

async fn donations_with_reference(app: &TestApp, pi: &str) -> Vec<donations::Model> {
    donations::Entity::find()
        .filter(donations::Column::ProviderReference.eq(pi))
        .all(&app.ctx.main)
        .await
        .unwrap()
}

async fn fund_balance(app: &TestApp, reviewer: &User) -> Value {
    ok_json(
        app.get_as(&reviewer.access_token, "/api/v1/scholarships/fund")
            .await,
    )
    .await
}

fn thanks(app: &TestApp, email: &str) -> usize {
    app.subjects_to(email)
        .iter()
        .filter(|s| s.starts_with("Thank you for your donation"))
        .count()
}

async fn a_gift_by_card_is_recorded_once_however_it_is_confirmed(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let sam = app.signed_up("sam@example.org").await;
    let res = start_gift(
        &app,
        &sam,
        json!({ "amount_minor": 2500, "currency": "EUR" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let started = ok_json(res).await;
    assert_eq!(started["amount_label"], "EUR 25.00");
    assert!(started["client_secret"]
        .as_str()
        .unwrap()
        .contains("_secret_"));
    let pi = started["payment_intent_id"].as_str().unwrap().to_owned();
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(
        (at_stripe["amount"].as_i64(), at_stripe["currency"].as_str()),
        (Some(2500), Some("eur"))
    );
    assert_eq!(gift(&app, &pi).await.status, PaymentStatus::Pending);
    // Asking again for the same amount resumes the same gift; another amount is another.
    let again = ok_json(
        start_gift(
            &app,
            &sam,
            json!({ "amount_minor": 2500, "currency": "EUR" }),
        )
        .await,
    )
    .await;
    assert_eq!(again["payment_intent_id"], pi.as_str());

    let (status, paid) = stripe.pay(&pi, PAYS).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("succeeded")));
    // Nothing is recorded before Stripe is asked: no webhook came yet.
    assert!(donations_with_reference(&app, &pi).await.is_empty());

    // The return page, the webhook three times (twice the same event, once another id),
    // and reconciliation all confirm it: one donation.
    let sam_pages = Person::of(&app, &sam).await;
    let html = sam_pages
        .page(&format!("/give/return?payment_intent={pi}"))
        .await;
    assert!(
        html.contains("Thank you.") && html.contains("EUR 25.00"),
        "{html}"
    );
    for id in ["evt_gift_1", "evt_gift_1", "evt_gift_2"] {
        let body = stripe_event(id, "payment_intent.succeeded", &pi);
        assert_eq!(
            app.deliver_signed(&body, WEBHOOK_SECRET).await,
            StatusCode::OK
        );
    }
    app.run_pending_jobs().await;
    let report = app::payments::reconciliation::reconcile(&app.ctx)
        .await
        .unwrap();
    assert_eq!(report.gifts_recorded, 0, "nothing left to find: {report:?}");
    let given = donations_with_reference(&app, &pi).await;
    assert_eq!(given.len(), 1);
    let d = &given[0];
    assert_eq!(
        (d.amount_minor, d.user_id, d.payment_id),
        (2500, Some(sam.id), None)
    );
    let g = gift(&app, &pi).await;
    assert_eq!(
        (g.status, g.donation_id),
        (PaymentStatus::Succeeded, Some(d.id))
    );
    let rows = ledger::Entity::find()
        .filter(ledger::Column::Id.eq(d.ledger_entry_id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(
        (rows[0].kind, rows[0].amount_minor),
        (LedgerKind::Donation, 2500)
    );
    assert_eq!(thanks(&app, "sam@example.org"), 1);
    assert_eq!(fund_balance(&app, &ptm).await[0]["balance_minor"], 2500);

    // He sees it on his Payments page and in the API; nobody else finds it.
    let mine = ok_json(app.get_as(&sam.access_token, "/api/v1/me/donations").await).await;
    assert_eq!(mine[0]["amount_label"], "EUR 25.00");
    assert_eq!(mine[0]["method"], "card");
    let list = sam_pages.page("/payments").await;
    assert!(list.contains("EUR 25.00 — a gift"), "{list}");
    let joe = app.signed_up("joe@example.org").await;
    let html = Person::of(&app, &joe)
        .await
        .page(&format!("/give/return?payment_intent={pi}"))
        .await;
    assert!(
        html.contains("We could not find this gift") && !html.contains("25.00"),
        "{html}"
    );
    let joes = ok_json(app.get_as(&joe.access_token, "/api/v1/me/donations").await).await;
    assert_eq!(joes.as_array().unwrap().len(), 0);
    // Leadership reads the audit log: the gift is there, its donor is not.
    let admin = app.admin().await;
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    let log = ok_json(
        app.get_as(&leader.access_token, "/api/v1/audit?limit=200")
            .await,
    )
    .await;
    let about_the_gift: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| matches!(r["target_type"].as_str(), Some("card_gift" | "donation")))
        .collect();
    assert_eq!(about_the_gift.len(), 2, "started, and recorded: {log}");
    for record in about_the_gift {
        assert!(
            !record.to_string().contains(&sam.id.to_string()),
            "the audit log names the donor: {record}"
        );
    }
}

async fn a_missed_gift_webhook_is_found_by_reconciliation(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let sam = app.signed_up("sam@example.org").await;
    let started = ok_json(
        start_gift(
            &app,
            &sam,
            json!({ "amount_minor": 4000, "currency": "EUR" }),
        )
        .await,
    )
    .await;
    let pi = started["payment_intent_id"].as_str().unwrap().to_owned();
    stripe.pay(&pi, PAYS).await;
    let report = app::payments::reconciliation::reconcile(&app.ctx)
        .await
        .unwrap();
    assert_eq!(report.gifts_recorded, 1, "{report:?}");
    assert!(report
        .changes
        .iter()
        .any(|c| c.kind == "gift_recorded" && c.reference.as_deref() == Some(pi.as_str())));
    let again = app::payments::reconciliation::reconcile(&app.ctx)
        .await
        .unwrap();
    assert_eq!(again.gifts_recorded, 0);
    assert_eq!(donations_with_reference(&app, &pi).await.len(), 1);
    app.run_pending_jobs().await;
    assert_eq!(thanks(&app, "sam@example.org"), 1);
}

async fn a_declined_gift_charges_and_records_nothing(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let sam = app.signed_up("sam@example.org").await;
    let started = ok_json(
        start_gift(
            &app,
            &sam,
            json!({ "amount_minor": 1500, "currency": "EUR" }),
        )
        .await,
    )
    .await;
    let pi = started["payment_intent_id"].as_str().unwrap().to_owned();
    let (_, declined) = stripe.pay(&pi, DECLINED).await;
    assert_ne!(declined["status"], "succeeded", "{declined}");
    let body = stripe_event("evt_gift_failed", "payment_intent.payment_failed", &pi);
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET).await,
        StatusCode::OK
    );
    app.run_pending_jobs().await;
    assert_eq!(gift(&app, &pi).await.status, PaymentStatus::Failed);
    assert!(donations_with_reference(&app, &pi).await.is_empty());
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(
        at_stripe["status"], "canceled",
        "a failed gift can never be charged later"
    );
    let html = Person::of(&app, &sam)
        .await
        .page(&format!("/give/return?payment_intent={pi}"))
        .await;
    assert!(
        html.contains("did not go through") && html.contains("Nothing was charged"),
        "{html}"
    );
    // A new try is a new gift, not the failed one.
    let retry = ok_json(
        start_gift(
            &app,
            &sam,
            json!({ "amount_minor": 1500, "currency": "EUR" }),
        )
        .await,
    )
    .await;
    assert_ne!(retry["payment_intent_id"], pi.as_str());
    assert_eq!(thanks(&app, "sam@example.org"), 0);
}

async fn paying_it_forward_by_card_splits_seat_and_gift(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let ptm = organiser(&app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Forward retreat", 5, 12000))
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let path = format!("/api/v1/events/{id}/registrations/{rid}/payment-intent");
    for (refused, field) in [
        (json!(-100), "donation_minor"),
        (json!(9_990_001), "donation_minor"),
    ] {
        let res = app
            .post_as(
                &joe.access_token,
                &path,
                json!({ "donation_minor": refused }),
            )
            .await;
        assert_eq!(validation_errors(res).await[0]["field"], field, "{refused}");
    }
    let res = app
        .start_card_payment(&joe, &id, &rid, json!({ "donation_minor": 3000 }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let started = ok_json(res).await;
    assert_eq!(
        (
            started["amount_minor"].as_i64(),
            started["donation_minor"].as_i64()
        ),
        (Some(15000), Some(3000))
    );
    assert_eq!(started["amount_label"], "EUR 150.00");
    let pi = started["payment_intent_id"].as_str().unwrap().to_owned();
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(at_stripe["amount"], 15000, "seat and gift in one charge");
    // Without the gift it is another PaymentIntent: the amount differs.
    let plain = ok_json(app.start_card_payment(&joe, &id, &rid, json!({})).await).await;
    assert_ne!(plain["payment_intent_id"], pi.as_str());
    let forward = ok_json(
        app.start_card_payment(&joe, &id, &rid, json!({ "donation_minor": 3000 }))
            .await,
    )
    .await;
    assert_ne!(forward["payment_intent_id"], plain["payment_intent_id"]);

    let pi = forward["payment_intent_id"].as_str().unwrap().to_owned();
    stripe.pay(&pi, PAYS).await;
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    assert!(html.contains("You're in"), "{html}");
    let body = stripe_event("evt_forward", "payment_intent.succeeded", &pi);
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET).await,
        StatusCode::OK
    );
    app.run_pending_jobs().await;

    let p = payments::Entity::find()
        .filter(payments::Column::ProviderReference.eq(pi.as_str()))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.status, p.amount_minor),
        (PaymentStatus::Succeeded, 12000),
        "the payment is the price"
    );
    let given = donations_with_reference(&app, &pi).await;
    assert_eq!(given.len(), 1);
    assert_eq!(
        (given[0].amount_minor, given[0].payment_id),
        (3000, Some(p.id))
    );
    let rows = ledger::Entity::find().all(&app.ctx.main).await.unwrap();
    let sum = |kind: LedgerKind| -> i64 {
        rows.iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.amount_minor)
            .sum()
    };
    assert_eq!(
        (sum(LedgerKind::Payment), sum(LedgerKind::Donation)),
        (12000, 3000),
        "charged 150.00 in all"
    );
    assert_eq!(fund_balance(&app, &ptm).await[0]["balance_minor"], 3000);
    let receipt = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/me/payments/{}", p.id))
            .await,
    )
    .await;
    assert_eq!(
        receipt["donation"]["amount_label"], "EUR 30.00",
        "{receipt}"
    );
    assert_eq!(
        app.subjects_to("joe@example.org")
            .iter()
            .filter(|s| s.starts_with("Payment received"))
            .count(),
        1
    );
    assert_eq!(thanks(&app, "joe@example.org"), 1);
    // Paying forward is counted once even when reconciliation looks again.
    app::payments::reconciliation::reconcile(&app.ctx)
        .await
        .unwrap();
    let donated = donations::Entity::find()
        .count(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(donated, 1);
}

async fn bad_gifts_are_refused_with_a_reason(app: TestApp) {
    if fake().is_none() {
        return;
    }
    let sam = app.signed_up("sam@example.org").await;
    for (body, field) in [
        (
            json!({ "amount_minor": 0, "currency": "EUR" }),
            "amount_minor",
        ),
        (
            json!({ "amount_minor": -5, "currency": "EUR" }),
            "amount_minor",
        ),
        (
            json!({ "amount_minor": 10_000_001, "currency": "EUR" }),
            "amount_minor",
        ),
        (
            json!({ "amount_minor": 100, "currency": "E1R" }),
            "currency",
        ),
    ] {
        let res = start_gift(&app, &sam, body.clone()).await;
        assert_eq!(validation_errors(res).await[0]["field"], field, "{body}");
    }
    assert_eq!(
        card_gifts::Entity::find()
            .count(&app.ctx.main)
            .await
            .unwrap(),
        0
    );
    // The page says what is wrong, keeps what was typed and answers 422.
    let pages = Person::of(&app, &sam).await;
    let res = pages
        .submit("/give", "/give", &[("amount", "lots"), ("currency", "EUR")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Enter the amount you give, such as 30.00.")
            && html.contains("value=\"lots\""),
        "{html}"
    );
    let res = pages
        .submit("/give", "/give", &[("amount", "30"), ("currency", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("three-letter code"));
    // Someone else's gift cannot be paid through the card form.
    let joe = app.signed_up("joe@example.org").await;
    let started = ok_json(
        start_gift(
            &app,
            &joe,
            json!({ "amount_minor": 700, "currency": "EUR" }),
        )
        .await,
    )
    .await;
    let pi = started["payment_intent_id"].as_str().unwrap();
    let res = pages
        .submit(
            "/give",
            "/give/card",
            &[("payment_intent", pi), ("token", "tok_visa")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

crate::on_both_backends_with!(with_stripe =>
    a_gift_by_card_is_recorded_once_however_it_is_confirmed,
    a_missed_gift_webhook_is_found_by_reconciliation,
    a_declined_gift_charges_and_records_nothing,
    paying_it_forward_by_card_splits_seat_and_gift,
    bad_gifts_are_refused_with_a_reason,
);
