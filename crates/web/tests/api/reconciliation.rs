//! Payments reconciliation against localstripe, on SQLite and PostgreSQL: a card payment
//! whose webhook never came is confirmed once (one seat, one receipt); a refund made at
//! Stripe is found and recorded once, and its late webhook changes nothing; a seat whose
//! hold ended unnoticed is freed for the head of the waitlist; a refund Stripe could not
//! be reached for waits as "failed, will retry" and is sent again once. A second run
//! finds nothing to correct.

use crate::helpers::pages::Person;
use crate::helpers::stripe::{fake, held_seat, organiser, retreat};
use crate::helpers::stripe::{stripe_event, with_stripe, WEBHOOK_SECRET};
use crate::helpers::{ok_json, TestApp, User};
use app::payments::reconciliation::{reconcile, Report};
use chrono::Duration;
use db::main_db::{event_registrations as regs, ledger_entries as ledger, payments, refunds};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::event::RegistrationStatus;
use domain::payment::{PaymentMethod, PaymentProvider, PaymentStatus};
use domain::refund::RefundStatus;
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::localstripe::LocalStripe;
use uuid::Uuid;

const PAYS: &str = "4242424242424242";

async fn registration_status(app: &TestApp, id: &str) -> RegistrationStatus {
    regs::Entity::find_by_id(id.parse::<Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn payment_of(app: &TestApp, pi: &str) -> payments::Model {
    payments::Entity::find()
        .filter(payments::Column::ProviderReference.eq(pi))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .expect("a payment for the PaymentIntent")
}

async fn ledger_of(app: &TestApp, payment_id: Uuid) -> Vec<ledger::Model> {
    ledger::Entity::find()
        .filter(ledger::Column::PaymentId.eq(payment_id))
        .all(&app.ctx.main)
        .await
        .unwrap()
}

async fn refunds_of(app: &TestApp, payment_id: Uuid) -> Vec<refunds::Model> {
    refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(payment_id))
        .all(&app.ctx.main)
        .await
        .unwrap()
}

fn count(subjects: &[String], starting: &str) -> usize {
    subjects.iter().filter(|s| s.starts_with(starting)).count()
}

fn kinds(report: &Report) -> Vec<&'static str> {
    report.changes.iter().map(|c| c.kind).collect()
}

/// Reconciles, and checks that a second run right after finds nothing to correct.
async fn reconcile_twice(ctx: &app::Context) -> Report {
    let first = reconcile(ctx).await.unwrap();
    let again = reconcile(ctx).await.unwrap();
    assert!(again.is_empty(), "second run corrected again: {again:?}");
    assert!(again.problems.is_empty(), "{again:?}");
    first
}

/// Joe holds a seat at a paid retreat and pays it at Stripe; no webhook is delivered.
async fn paid_at_stripe_only(app: &TestApp, stripe: &LocalStripe) -> (User, String, String) {
    let ptm = organiser(app).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app
        .publish_event(&ptm, retreat("Forest retreat", 5, 12000))
        .await;
    let rid = held_seat(app, &joe, &id).await;
    let pi = app.payment_intent_for(&joe, &id, &rid).await;
    let (status, paid) = stripe.pay(&pi, PAYS).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("succeeded")));
    (joe, rid, pi)
}

async fn a_missed_webhook_is_confirmed_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let (_joe, rid, pi) = paid_at_stripe_only(&app, stripe).await;
    assert_eq!(payment_of(&app, &pi).await.status, PaymentStatus::Pending);

    let report = reconcile_twice(&app.ctx).await;
    assert!(report.stripe_checked);
    assert_eq!(report.payments_confirmed, 1, "{report:?}");
    assert_eq!(kinds(&report), ["payment_confirmed"]);
    assert_eq!(report.changes[0].reference.as_deref(), Some(pi.as_str()));
    assert!(report.problems.is_empty(), "{report:?}");

    let p = payment_of(&app, &pi).await;
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(report.changes[0].id, p.id);
    assert_eq!(
        registration_status(&app, &rid).await,
        RegistrationStatus::Confirmed
    );
    assert_eq!(ledger_of(&app, p.id).await.len(), 1);
    // The webhook arriving after all changes nothing either.
    let body = stripe_event("evt_late_success", "payment_intent.succeeded", &pi);
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET).await,
        StatusCode::OK
    );
    app.run_pending_jobs().await;
    assert_eq!(ledger_of(&app, p.id).await.len(), 1);
    assert_eq!(
        count(&app.subjects_to("joe@example.org"), "Payment received"),
        1
    );
    assert!(app.server_errors().is_empty(), "{:?}", app.server_errors());
}

async fn a_refund_made_at_stripe_is_found_and_recorded_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let (joe, _rid, pi) = paid_at_stripe_only(&app, stripe).await;
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages
        .page(&format!("/payments/return?payment_intent={pi}"))
        .await;
    assert!(html.contains("You're in"), "{html}");
    let p = payment_of(&app, &pi).await;

    // Refunded in Stripe's dashboard; Stripe's event never reaches us.
    let (status, made) = stripe
        .post(
            "/v1/refunds",
            &[("payment_intent", pi.as_str()), ("amount", "3000")],
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let report = reconcile_twice(&app.ctx).await;
    assert_eq!(report.refunds_found, 1, "{report:?}");
    assert_eq!(kinds(&report), ["refund_found"]);
    assert_eq!(report.changes[0].reference.as_deref(), made["id"].as_str());

    let recorded = refunds_of(&app, p.id).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].status, RefundStatus::Succeeded);
    assert_eq!(recorded[0].amount_minor, 3000);
    let sum: i64 = ledger_of(&app, p.id)
        .await
        .iter()
        .map(|r| r.amount_minor)
        .sum();
    assert_eq!(sum, 12000 - 3000);

    // Then the charge.refunded event comes after all: nothing more is recorded.
    let intent = stripe.get(&format!("/v1/payment_intents/{pi}")).await;
    let charge = match &intent["latest_charge"] {
        Value::String(id) => id.clone(),
        other => other["id"].as_str().expect("a charge id").to_owned(),
    };
    let body = stripe_event("evt_refunded_late", "charge.refunded", &charge);
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET).await,
        StatusCode::OK
    );
    app.run_pending_jobs().await;
    assert_eq!(refunds_of(&app, p.id).await.len(), 1);
    assert_eq!(ledger_of(&app, p.id).await.len(), 2);
    assert_eq!(count(&app.subjects_to("joe@example.org"), "Refund"), 1);
}

async fn a_stale_hold_is_freed_for_the_head_of_the_waitlist(app: TestApp) {
    // No Stripe here: reconciliation still ends holds.
    let ptm = organiser(&app).await;
    let a = app.signed_up("a@example.org").await;
    let b = app.signed_up("b@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 1, 5000)).await;
    let held = held_seat(&app, &a, &id).await;
    let w = ok_json(app.register_for(&b, &id).await).await;
    assert_eq!(w["registration"]["status"], "waitlisted");
    let waiting = w["registration"]["id"].as_str().unwrap().to_owned();

    // Before the hold ends there is nothing to correct.
    let early = reconcile(&app.ctx).await.unwrap();
    assert!(!early.stripe_checked);
    assert!(early.is_empty(), "{early:?}");

    // The hold ends and its job has not run (a crash): reconciliation frees the seat.
    app.advance(Duration::minutes(31));
    let report = reconcile_twice(&app.ctx).await;
    assert_eq!(report.holds_ended, 1, "{report:?}");
    assert_eq!(kinds(&report), ["hold_ended"]);
    assert_eq!(report.changes[0].id.to_string(), held);
    assert_eq!(
        registration_status(&app, &held).await,
        RegistrationStatus::Cancelled
    );
    assert_eq!(
        registration_status(&app, &waiting).await,
        RegistrationStatus::PaymentRequired,
        "the head of the line got the seat"
    );
    // The hold's own job, running late, changes nothing more: one email each.
    app.run_pending_jobs().await;
    assert_eq!(
        count(
            &app.subjects_to("a@example.org"),
            "Your held seat was released"
        ),
        1
    );
    assert_eq!(
        count(&app.subjects_to("b@example.org"), "A seat opened up"),
        1
    );
}

/// Stripe configured at an address where nothing listens: every call fails to connect.
fn unreachable_stripe(s: &mut app::config::Settings) {
    with_stripe(s);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    s.payments.stripe.api_base = format!("http://127.0.0.1:{port}");
}

/// A card payment that succeeded at localstripe for `amount`, as confirming records it.
async fn card_payment(app: &TestApp, stripe: &LocalStripe, user: Uuid, amount: i64) -> String {
    let amount_text = amount.to_string();
    let (status, pi) = stripe
        .post(
            "/v1/payment_intents",
            &[
                ("amount", amount_text.as_str()),
                ("currency", "eur"),
                ("payment_method_types[]", "card"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{pi}");
    let pi = pi["id"].as_str().unwrap().to_owned();
    let (status, paid) = stripe.pay(&pi, PAYS).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("succeeded")));
    let now = app.now();
    let id = Uuid::now_v7();
    payments::ActiveModel {
        id: Set(id),
        user_id: Set(user),
        event_id: Set(None),
        registration_id: Set(None),
        amount_minor: Set(amount),
        currency: Set("EUR".into()),
        method: Set(PaymentMethod::Card),
        provider: Set(PaymentProvider::Stripe),
        provider_reference: Set(Some(pi)),
        status: Set(PaymentStatus::Succeeded),
        note: Set(None),
        recorded_by: Set(None),
        created_at: Set(now),
        succeeded_at: Set(Some(now)),
        plan_id: Set(None),
    }
    .insert(&app.ctx.main)
    .await
    .unwrap();
    id.to_string()
}

async fn a_refund_stripe_could_not_take_is_retried_once(app: TestApp) {
    let Some(stripe) = fake() else { return };
    let admin = app.admin().await;
    let joe = app.signed_up("joe@example.org").await;
    let pid = card_payment(&app, stripe, joe.id, 5000).await;
    let payment_id: Uuid = pid.parse().unwrap();

    let res = app
        .post_as(
            &admin.access_token,
            &format!("/api/v1/payments/{pid}/refunds"),
            json!({ "reason": "He could not come" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let waiting = ok_json(res).await;
    assert_eq!(waiting["status"], "retrying", "{waiting}");
    // Nothing went back yet: no ledger row, no email, and the amount stays reserved.
    assert!(ledger_of(&app, payment_id).await.is_empty());
    let seen = ok_json(
        app.get_as(&admin.access_token, &format!("/api/v1/payments/{pid}"))
            .await,
    )
    .await;
    assert_eq!(seen["remaining_minor"], 0);
    let admin_pages = Person::of(&app, &admin).await;
    let html = admin_pages.page(&format!("/admin/payments/{pid}")).await;
    assert!(html.contains("failed, will retry"), "{html}");

    // Stripe unreachable still: the run notes it and changes nothing.
    let still = reconcile(&app.ctx).await.unwrap();
    assert_eq!(still.refunds_still_retrying, 1, "{still:?}");
    assert!(still.is_empty(), "{still:?}");

    // Stripe back: the refund is sent once and recorded once.
    let mut reachable = app.ctx.clone();
    let mut settings = (*app.ctx.settings).clone();
    with_stripe(&mut settings);
    reachable.stripe =
        app::payments::stripe::Client::from_settings(&settings.payments.stripe).unwrap();
    let report = reconcile_twice(&reachable).await;
    assert_eq!(report.refunds_retried, 1, "{report:?}");
    assert_eq!(kinds(&report), ["refund_retried"]);
    let rows = refunds_of(&app, payment_id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, RefundStatus::Succeeded);
    let reference = rows[0].provider_reference.clone().expect("Stripe's id");
    let pi = payments::Entity::find_by_id(payment_id)
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
        .provider_reference
        .unwrap();
    let at_stripe = stripe
        .get(&format!("/v1/refunds?payment_intent={pi}"))
        .await;
    let made = at_stripe["data"].as_array().unwrap();
    assert_eq!(made.len(), 1, "{at_stripe}");
    assert_eq!(made[0]["id"], reference.as_str());
    assert_eq!(made[0]["amount"], 5000);
    let ledger_rows = ledger_of(&app, payment_id).await;
    assert_eq!(ledger_rows.len(), 1);
    assert_eq!(ledger_rows[0].amount_minor, -5000);
    app.run_pending_jobs().await;
    assert_eq!(count(&app.subjects_to("joe@example.org"), "Refund"), 1);
}

crate::on_both_backends_with!(
    with_stripe => a_missed_webhook_is_confirmed_once,
    a_refund_made_at_stripe_is_found_and_recorded_once,
);

crate::on_both_backends!(a_stale_hold_is_freed_for_the_head_of_the_waitlist);

crate::on_both_backends_with!(
    unreachable_stripe => a_refund_stripe_could_not_take_is_retried_once,
);
