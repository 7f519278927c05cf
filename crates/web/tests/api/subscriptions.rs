//! Memberships paid by card through Stripe subscriptions (localstripe), on SQLite and
//! PostgreSQL: subscribing records the first paid invoice as a period with its payment,
//! ledger row and receipt, once; a renewal adds a period and a receipt; a declined renewal
//! emails once, keeps the grace period, lapses through the sweep and comes back when paid;
//! cancelling ends the membership at the end of its period; every invoice and subscription
//! webhook delivered three times in shuffled order records each invoice once;
//! reconciliation makes a missed webhook good, once; and the refusals.

use crate::helpers::pages::Person;
use crate::helpers::stripe::fake;
use crate::helpers::stripe::{with_stripe, WEBHOOK_SECRET};
use crate::helpers::{ok_json, problem_code, TestApp, User};
use chrono::Duration;
use db::main_db::{
    ledger_entries as ledger, membership_subscriptions as subs, memberships, payments,
};
use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use domain::payment::PaymentMethod;
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::localstripe::LocalStripe;
use uuid::Uuid;

const PAYS: &str = "4242424242424242";
const DECLINED_WHEN_CHARGED: &str = "4000000000000341";
const RECEIPT: &str = "Membership recorded: Supporting member";
const DECLINED_MAIL: &str = "Your membership renewal was declined: Supporting member";

async fn monthly_plan(app: &TestApp, admin: &User) -> String {
    let body = json!({ "name": "Supporting member", "amount_minor": 1500,
        "currency": "EUR", "interval": "monthly" });
    let res = app
        .post_as(&admin.access_token, "/api/v1/membership-plans", body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    ok_json(res).await["id"].as_str().unwrap().to_owned()
}

/// A POST as `who` with an `Idempotency-Key`.
async fn post_keyed(
    app: &TestApp,
    who: &User,
    path: &str,
    key: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&who.access_token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Starts a subscription to `plan`; the SetupIntent's id.
async fn start(app: &TestApp, who: &User, plan: &str) -> String {
    let res = app
        .post_as(
            &who.access_token,
            "/api/v1/me/membership/subscription",
            json!({ "plan_id": plan }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let started = ok_json(res).await;
    assert!(started["client_secret"]
        .as_str()
        .unwrap()
        .contains("_secret_"));
    started["setup_intent_id"].as_str().unwrap().to_owned()
}

/// Saves card `number` on SetupIntent `seti`, as Stripe.js's `confirmCardSetup` does.
async fn save_card(stripe: &LocalStripe, seti: &str, number: &str) {
    let pm = stripe.card(number).await;
    let (status, body) = stripe
        .post(
            &format!("/v1/setup_intents/{seti}/confirm"),
            &[("payment_method", &pm)],
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("succeeded")));
}

async fn confirm(app: &TestApp, who: &User, seti: &str) -> reqwest::Response {
    app.post_as(
        &who.access_token,
        "/api/v1/me/membership/subscription/confirm",
        json!({ "setup_intent_id": seti }),
    )
    .await
}

/// Subscribes `who` to `plan` with a card that pays; the subscription as he sees it.
async fn subscribe(app: &TestApp, stripe: &LocalStripe, who: &User, plan: &str) -> Value {
    let seti = start(app, who, plan).await;
    save_card(stripe, &seti, PAYS).await;
    let res = confirm(app, who, &seti).await;
    assert_eq!(res.status(), StatusCode::OK);
    ok_json(res).await
}

async fn row_of(app: &TestApp, who: &User) -> subs::Model {
    subs::Entity::find()
        .filter(subs::Column::UserId.eq(who.id))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .expect("a subscription")
}

async fn periods(app: &TestApp, who: &User) -> Vec<memberships::Model> {
    let mut rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(who.id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    rows.sort_by_key(|m| m.period_start);
    rows
}

async fn ledger_rows(app: &TestApp, who: &User) -> u64 {
    ledger::Entity::find()
        .filter(ledger::Column::UserId.eq(who.id))
        .count(&app.ctx.main)
        .await
        .unwrap()
}

fn count(subjects: &[String], subject: &str) -> usize {
    subjects.iter().filter(|s| *s == subject).count()
}

/// A new invoice of the subscription at Stripe, charged to the customer's default card;
/// its id and the status code of the attempt.
async fn renewal_invoice(stripe: &LocalStripe, row: &subs::Model) -> (String, u16) {
    let (status, invoice) = stripe
        .post(
            "/v1/invoices",
            &[
                ("customer", &row.customer_id),
                ("subscription", &row.subscription_id),
            ],
        )
        .await;
    assert_eq!(status, 200, "{invoice}");
    let id = invoice["id"].as_str().unwrap().to_owned();
    let (paid, _) = stripe.post(&format!("/v1/invoices/{id}/pay"), &[]).await;
    (id, paid)
}

/// Makes card `number` the one the customer's invoices are charged to.
async fn default_card(stripe: &LocalStripe, customer: &str, number: &str) {
    let pm = stripe.card(number).await;
    let (status, _) = stripe
        .post(
            &format!("/v1/payment_methods/{pm}/attach"),
            &[("customer", customer)],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = stripe
        .post(
            &format!("/v1/customers/{customer}"),
            &[("invoice_settings[default_payment_method]", &pm)],
        )
        .await;
    assert_eq!(status, 200);
}

/// A Stripe event of `kind` about `object`, as Stripe sends it.
fn event(id: &str, kind: &str, object: &str) -> String {
    let object_kind = if object.starts_with("in_") {
        "invoice"
    } else {
        "subscription"
    };
    json!({
        "id": id, "object": "event", "type": kind,
        "api_version": app::payments::stripe::STRIPE_VERSION,
        "data": { "object": { "id": object, "object": object_kind } }
    })
    .to_string()
}

async fn deliver(app: &TestApp, bodies: &[String]) {
    for body in bodies {
        assert_eq!(
            app.deliver_signed(body, WEBHOOK_SECRET).await,
            StatusCode::OK
        );
    }
    app.run_pending_jobs().await;
}

async fn my_membership(app: &TestApp, who: &User) -> Value {
    app.get_json(&who.access_token, "/api/v1/me/membership")
        .await
}

async fn subscribing_records_the_first_invoice_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    let before = my_membership(&app, &joe).await;
    assert_eq!(before["card_subscriptions"], true);
    assert!(before["subscription"].is_null());

    let seti = start(&app, &joe, &plan).await;
    let at_stripe = stripe.get(&format!("/v1/setup_intents/{seti}")).await;
    assert_eq!(at_stripe["metadata"]["plan_id"], plan.as_str());
    // Not saved yet: nothing is subscribed.
    assert_eq!(
        problem_code(confirm(&app, &joe, &seti).await).await,
        "card_not_saved"
    );
    save_card(stripe, &seti, PAYS).await;
    let res = post_keyed(
        &app,
        &joe,
        "/api/v1/me/membership/subscription/confirm",
        "confirm-1",
        json!({ "setup_intent_id": seti }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let sub = ok_json(res).await;
    assert_eq!(sub["status"], "active", "{sub}");
    assert!(
        sub["label"].as_str().unwrap().starts_with("Renews on "),
        "{sub}"
    );
    // Confirming again (the return page reloaded) is the same subscription.
    let again = ok_json(confirm(&app, &joe, &seti).await).await;
    assert_eq!(again["id"], sub["id"]);

    let row = row_of(&app, &joe).await;
    let at_stripe = stripe
        .get(&format!("/v1/subscriptions/{}", row.subscription_id))
        .await;
    assert_eq!(at_stripe["status"], "active");
    assert_eq!(at_stripe["plan"]["amount"], 1500);
    let first = periods(&app, &joe).await;
    assert_eq!(first.len(), 1);
    let invoice = first[0].provider_reference.clone().unwrap();
    assert!(invoice.starts_with("in_"), "{invoice}");
    let paid = payments::Entity::find_by_id(first[0].payment_id.unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (paid.method, paid.amount_minor, paid.plan_id),
        (
            PaymentMethod::Card,
            1500,
            Some(plan.parse::<Uuid>().unwrap())
        )
    );
    assert_eq!(ledger_rows(&app, &joe).await, 1);

    // Every event about it, three times each in shuffled order, changes nothing.
    let sub_id = row.subscription_id.clone();
    let kinds = [
        ("invoice.paid", invoice.as_str()),
        ("invoice.payment_succeeded", invoice.as_str()),
        ("customer.subscription.created", sub_id.as_str()),
        ("customer.subscription.updated", sub_id.as_str()),
    ];
    let mut bodies = Vec::new();
    for round in 0..3 {
        for (i, (kind, object)) in kinds.iter().enumerate() {
            bodies.push(event(&format!("evt_first_{i}_{round}"), kind, object));
        }
    }
    bodies.reverse();
    bodies.swap(1, 6);
    bodies.swap(3, 10);
    deliver(&app, &bodies).await;
    deliver(&app, &bodies[..4]).await;
    assert_eq!(periods(&app, &joe).await.len(), 1);
    assert_eq!(ledger_rows(&app, &joe).await, 1);
    assert_eq!(count(&app.subjects_to("joe@example.org"), RECEIPT), 1);

    let mine = my_membership(&app, &joe).await;
    assert_eq!(mine["standing"]["status"], "active", "{mine}");
    assert_eq!(mine["history"][0]["method"], "card");
    assert_eq!(mine["subscription"]["id"], sub["id"]);
    assert_eq!(
        mine["subscription"]["next_charge_at"],
        mine["standing"]["period_end"]
    );
    // One subscription at a time.
    let res = app
        .post_as(
            &joe.access_token,
            "/api/v1/me/membership/subscription",
            json!({ "plan_id": plan }),
        )
        .await;
    assert_eq!(problem_code(res).await, "already_subscribed");
}

async fn a_renewal_adds_a_period_and_a_receipt(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    subscribe(&app, stripe, &joe, &plan).await;
    let row = row_of(&app, &joe).await;
    app.run_pending_jobs().await;

    app.advance(Duration::days(30));
    let (invoice, status) = renewal_invoice(stripe, &row).await;
    assert_eq!(status, 200);
    let body = event("evt_renewal", "invoice.paid", &invoice);
    deliver(&app, &[body.clone(), body]).await;

    let both = periods(&app, &joe).await;
    assert_eq!(both.len(), 2);
    assert_eq!(
        both[1].provider_reference.as_deref(),
        Some(invoice.as_str())
    );
    assert_eq!(
        both[1].period_start, both[0].period_end,
        "no gap, no overlap"
    );
    assert_eq!(ledger_rows(&app, &joe).await, 2);
    assert_eq!(count(&app.subjects_to("joe@example.org"), RECEIPT), 2);
    // Nothing was missed, so reconciliation has nothing to correct.
    assert_eq!(
        app::memberships::stripe::reconcile_subscriptions(&app.ctx)
            .await
            .unwrap(),
        0
    );
    let joe = app.signed_in_again(&joe).await;
    let mine = my_membership(&app, &joe).await;
    assert_eq!(mine["history"].as_array().unwrap().len(), 2);
    assert_eq!(
        mine["subscription"]["next_charge_at"],
        mine["standing"]["period_end"]
    );
}

async fn a_declined_renewal_emails_once_then_lapses(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    subscribe(&app, stripe, &joe, &plan).await;
    let row = row_of(&app, &joe).await;
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    app.run_pending_jobs().await;

    default_card(stripe, &row.customer_id, DECLINED_WHEN_CHARGED).await;
    app.advance(Duration::days(31));
    let (invoice, _) = renewal_invoice(stripe, &row).await;
    assert_eq!(
        stripe.get(&format!("/v1/invoices/{invoice}")).await["status"],
        "open"
    );
    let bodies: Vec<String> = (0..3)
        .map(|i| {
            event(
                &format!("evt_declined_{i}"),
                "invoice.payment_failed",
                &invoice,
            )
        })
        .collect();
    deliver(&app, &bodies).await;
    assert_eq!(count(&app.subjects_to("joe@example.org"), DECLINED_MAIL), 1);
    assert_eq!(
        periods(&app, &joe).await.len(),
        1,
        "nothing paid, no period"
    );
    let joe = app.signed_in_again(&joe).await;
    assert_eq!(
        my_membership(&app, &joe).await["standing"]["status"],
        "in_grace"
    );

    // The grace period passes without a payment: the sweep lapses it, and tells him once.
    app.advance(Duration::days(8));
    app.run_pending_jobs().await;
    app.advance(Duration::hours(2));
    app.run_pending_jobs().await;
    let joe = app.signed_in_again(&joe).await;
    assert_eq!(
        my_membership(&app, &joe).await["standing"]["status"],
        "lapsed"
    );
    assert_eq!(
        count(
            &app.subjects_to("joe@example.org"),
            "Your membership has lapsed"
        ),
        1
    );

    // He fixes his card and Stripe collects the invoice: he is a member again.
    default_card(stripe, &row.customer_id, PAYS).await;
    let (status, paid) = stripe
        .post(&format!("/v1/invoices/{invoice}/pay"), &[])
        .await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("paid")));
    deliver(&app, &[event("evt_collected", "invoice.paid", &invoice)]).await;
    let mine = my_membership(&app, &joe).await;
    assert_eq!(mine["standing"]["status"], "active", "{mine}");
    assert_eq!(periods(&app, &joe).await.len(), 2);
    assert_eq!(count(&app.subjects_to("joe@example.org"), DECLINED_MAIL), 1);
}

async fn cancelling_ends_the_membership_at_period_end(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    let sub = subscribe(&app, stripe, &joe, &plan).await;
    let id = sub["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/membership-subscriptions/{id}/cancel");
    // Someone else cannot cancel it.
    let sam = app.signed_up("sam@example.org").await;
    let res = post_keyed(&app, &sam, &path, "cancel-1", json!(null)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = post_keyed(&app, &joe, &path, "cancel-1", json!(null)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cancelled = ok_json(res).await;
    assert_eq!(cancelled["cancel_at_period_end"], true);
    assert!(cancelled["next_charge_at"].is_null());
    let end = periods(&app, &joe).await[0].period_end;
    assert_eq!(
        cancelled["ends_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        end
    );
    let ends_on = format!("Ends on {}", end.format("%-d %B %Y"));
    assert_eq!(cancelled["label"], ends_on.as_str());
    let row = row_of(&app, &joe).await;
    let at_stripe = stripe
        .get(&format!("/v1/subscriptions/{}", row.subscription_id))
        .await;
    assert_eq!(at_stripe["cancel_at_period_end"], true);
    // The same key is the same answer; cancelling again changes nothing.
    let again = post_keyed(&app, &joe, &path, "cancel-1", json!(null)).await;
    assert_eq!(ok_json(again).await, cancelled);
    let again = app.post_as(&joe.access_token, &path, json!(null)).await;
    assert_eq!(ok_json(again).await["cancel_at_period_end"], true);

    // The period ends at Stripe: the subscription is deleted, and no renewal comes.
    let res = app
        .client
        .delete(format!(
            "{}/v1/subscriptions/{}",
            stripe.base, row.subscription_id
        ))
        .bearer_auth(testkit::localstripe::SECRET_KEY)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let deleted = event(
        "evt_deleted",
        "customer.subscription.deleted",
        &row.subscription_id,
    );
    let updated = event(
        "evt_updated_late",
        "customer.subscription.updated",
        &row.subscription_id,
    );
    deliver(&app, &[deleted.clone(), updated, deleted]).await;
    assert_eq!(row_of(&app, &joe).await.status, "canceled");
    let mine = my_membership(&app, &joe).await;
    assert_eq!(mine["subscription"]["label"], ends_on.as_str());
    assert_eq!(mine["standing"]["status"], "active");
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    app.advance(Duration::days(40));
    app.run_pending_jobs().await;
    let joe = app.signed_in_again(&joe).await;
    assert_eq!(
        my_membership(&app, &joe).await["standing"]["status"],
        "lapsed"
    );
    assert_eq!(periods(&app, &joe).await.len(), 1);
    // Ended, he may subscribe again.
    let seti = start(&app, &joe, &plan).await;
    assert!(seti.starts_with("seti_"));
}

async fn reconciliation_records_a_missed_invoice_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    subscribe(&app, stripe, &joe, &plan).await;
    let row = row_of(&app, &joe).await;
    app.advance(Duration::days(30));
    // Paid at Stripe; its webhook never arrives.
    let (invoice, status) = renewal_invoice(stripe, &row).await;
    assert_eq!(status, 200);
    // The hourly payments reconciliation makes it good, once.
    let reconcile = || app::payments::reconciliation::reconcile(&app.ctx);
    let first = reconcile().await.unwrap();
    assert_eq!(first.memberships_corrected, 1, "{first:?}");
    assert!(first.problems.is_empty(), "{first:?}");
    let second = reconcile().await.unwrap();
    assert_eq!(second.memberships_corrected, 0, "{second:?}");
    assert!(second.is_empty(), "{second:?}");
    let both = periods(&app, &joe).await;
    assert_eq!(both.len(), 2);
    assert_eq!(
        both[1].provider_reference.as_deref(),
        Some(invoice.as_str())
    );
    assert_eq!(ledger_rows(&app, &joe).await, 2);
    // The late webhook after it changes nothing.
    deliver(&app, &[event("evt_late", "invoice.paid", &invoice)]).await;
    assert_eq!(periods(&app, &joe).await.len(), 2);
    assert_eq!(count(&app.subjects_to("joe@example.org"), RECEIPT), 2);
}

async fn subscriptions_refuse_what_they_must(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    let sam = app.signed_up("sam@example.org").await;

    // An archived plan is not offered.
    let archived = json!({ "name": "Old plan", "amount_minor": 900, "currency": "EUR",
        "interval": "yearly", "archived": true });
    let res = app
        .post_as(&admin.access_token, "/api/v1/membership-plans", archived)
        .await;
    let old = ok_json(res).await["id"].as_str().unwrap().to_owned();
    let res = app
        .post_as(
            &joe.access_token,
            "/api/v1/me/membership/subscription",
            json!({ "plan_id": old }),
        )
        .await;
    assert_eq!(problem_code(res).await, "plan_archived");

    // Someone else's saved card does not subscribe anyone.
    let seti = start(&app, &joe, &plan).await;
    save_card(stripe, &seti, PAYS).await;
    assert_eq!(
        confirm(&app, &sam, &seti).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        confirm(&app, &sam, "seti_../../v1/customers")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(confirm(&app, &joe, &seti).await.status(), StatusCode::OK);
    assert_eq!(
        confirm(&app, &sam, &seti).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        subs::Entity::find()
            .filter(subs::Column::UserId.eq(sam.id))
            .count(&app.ctx.main)
            .await
            .unwrap(),
        0
    );

    // Back from 3-D Secure with a card the bank did not confirm: nothing is charged and
    // the card form comes back with a fresh SetupIntent, not an error page.
    let unconfirmed = start(&app, &sam, &plan).await;
    let sam_pages = Person::of(&app, &sam).await;
    let res = sam_pages
        .get(&format!(
            "/membership/card/return?setup_intent={unconfirmed}"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Your bank did not confirm the card. Nothing was charged"),
        "{html}"
    );
    assert!(html.contains("data-setup-intent=\"seti_") && !html.contains(&unconfirmed));
    assert_eq!(
        subs::Entity::find()
            .filter(subs::Column::UserId.eq(sam.id))
            .count(&app.ctx.main)
            .await
            .unwrap(),
        0
    );

    // Events naming an invoice or subscription Stripe no longer has are done with at once,
    // not retried until their job gives up.
    deliver(
        &app,
        &[
            event("evt_gone_1", "invoice.paid", "in_gone"),
            event("evt_gone_2", "customer.subscription.updated", "sub_gone"),
        ],
    )
    .await;
    let stuck = db::main_db::jobs::Entity::find()
        .filter(db::main_db::jobs::Column::Kind.eq("handle_stripe_event"))
        .filter(db::main_db::jobs::Column::Status.ne(domain::job::JobStatus::Done))
        .count(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(stuck, 0, "an event about a missing object is done");

    // One Idempotency-Key is one request.
    let path = "/api/v1/me/membership/subscription";
    let first = post_keyed(&app, &sam, path, "sam-start", json!({ "plan_id": plan })).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = ok_json(first).await;
    let repeat = post_keyed(&app, &sam, path, "sam-start", json!({ "plan_id": plan })).await;
    assert_eq!(
        ok_json(repeat).await["setup_intent_id"],
        first["setup_intent_id"]
    );
    let other = post_keyed(&app, &sam, path, "sam-start", json!({ "plan_id": old })).await;
    assert_eq!(problem_code(other).await, "idempotency_key_reused");
}

async fn without_stripe_card_subscriptions_are_unavailable(app: TestApp) {
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    let mine = my_membership(&app, &joe).await;
    assert_eq!(mine["card_subscriptions"], false);
    assert_eq!(mine["plans"][0]["id"], plan.as_str());
    let res = app
        .post_as(
            &joe.access_token,
            "/api/v1/me/membership/subscription",
            json!({ "plan_id": plan }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(res).await, "card_subscriptions_unavailable");
    let res = confirm(&app, &joe, "seti_123").await;
    assert_eq!(problem_code(res).await, "card_subscriptions_unavailable");
}

crate::on_both_backends_with!(with_stripe =>
    subscribing_records_the_first_invoice_once,
    a_renewal_adds_a_period_and_a_receipt,
    a_declined_renewal_emails_once_then_lapses,
    cancelling_ends_the_membership_at_period_end,
    reconciliation_records_a_missed_invoice_once,
    subscriptions_refuse_what_they_must,
);
crate::on_both_backends!(without_stripe_card_subscriptions_are_unavailable);
crate::on_both_backends_with!(with_stripe => a_declined_first_payment_asks_for_another_card);

/// A card saved, then declined for the first payment: the API says the subscription did
/// not start; the card page asks for another card (no "you now pay by card").
async fn a_declined_first_payment_asks_for_another_card(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let plan = monthly_plan(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    let seti = start(&app, &joe, &plan).await;
    save_card(stripe, &seti, DECLINED_WHEN_CHARGED).await;
    let view = ok_json(confirm(&app, &joe, &seti).await).await;
    assert_eq!(view["status"], "incomplete");
    assert_eq!(
        view["label"],
        "Not started: the first payment did not go through"
    );
    assert_eq!(view["next_charge_at"], Value::Null);
    assert!(
        periods(&app, &joe).await.is_empty(),
        "no period without a payment"
    );
    assert_eq!(ledger_rows(&app, &joe).await, 0);

    let sam = app.signed_up("sam@example.org").await;
    let seti = start(&app, &sam, &plan).await;
    save_card(stripe, &seti, DECLINED_WHEN_CHARGED).await;
    let res = Person::of(&app, &sam)
        .await
        .get(&format!("/membership/card/return?setup_intent={seti}"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Your card was saved, but its first payment was declined. Nothing was charged: try another card."),
        "{html}"
    );
    assert!(html.contains("data-setup-intent=\"seti_") && !html.contains(&seti));
    // He can subscribe with another card at once.
    let again = subscribe(&app, stripe, &sam, &plan).await;
    assert_eq!(again["status"], "active");
}
