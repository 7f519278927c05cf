//! Refunds, on SQLite and PostgreSQL: an Admin's full and partial refunds that add up and
//! never exceed what was paid (also when two race for the rest), the ledger agreeing with
//! what the API reports, refund receipts for the member alone, the event's refund policy
//! when a member cancels, a cancelled event refunding everyone once, provider refunds
//! recorded once per reference, and only Admins refunding.

use crate::helpers::pages::Person;
use crate::helpers::{ok_json, refused, validation_errors, workshop};
use crate::helpers::{TestApp, User};
use app::jobs::Job;
use app::payments::refunds::jobs::RefundCancelledEvent;
use app::payments::refunds::record_provider_refund;
use db::main_db::{ledger_entries as ledger, payments, refunds};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::payment::{LedgerKind, PaymentMethod, PaymentProvider, PaymentStatus};
use domain::refund::{RefundKind, RefundStatus};
use domain::Money;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

fn retreat(title: &str, price_minor: i64) -> Value {
    let mut body = workshop(title, 10);
    body["price_minor"] = json!(price_minor);
    body["currency"] = json!("EUR");
    body
}

/// `who` registers for `event` and `by` records his cash payment of `amount`; its id.
async fn paid(app: &TestApp, by: &User, who: &User, event: &str, amount: i64) -> String {
    let r = ok_json(app.register_for(who, event).await).await;
    let rid = r["registration"]["id"].as_str().unwrap().to_owned();
    let body = json!({ "method": "cash", "amount_minor": amount, "currency": "EUR" });
    let path = format!("/api/v1/events/{event}/registrations/{rid}/payments");
    let p = ok_json(app.post_as(&by.access_token, &path, body).await).await;
    p["id"].as_str().unwrap().to_owned()
}

async fn refund(app: &TestApp, by: &User, payment: &str, body: Value) -> Response {
    app.post_as(
        &by.access_token,
        &format!("/api/v1/payments/{payment}/refunds"),
        body,
    )
    .await
}

/// The ledger's sum for one payment: what was paid less what went back.
async fn ledger_sum(app: &TestApp, payment: &str) -> i64 {
    let id: Uuid = payment.parse().unwrap();
    ledger::Entity::find()
        .filter(ledger::Column::PaymentId.eq(id))
        .all(&app.ctx.main)
        .await
        .unwrap()
        .iter()
        .map(|l| l.amount_minor)
        .sum()
}

async fn refund_rows(app: &TestApp, payment: &str) -> Vec<refunds::Model> {
    let id: Uuid = payment.parse().unwrap();
    refunds::Entity::find()
        .filter(refunds::Column::PaymentId.eq(id))
        .all(&app.ctx.main)
        .await
        .unwrap()
}

async fn an_admin_refunds_in_parts_that_add_up_and_never_exceed_what_was_paid(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 10_000)).await;
    let pid = paid(&app, &ptm, &joe, &id, 10_000).await;

    // Refusals first: nothing is stored by any of them.
    let errors =
        validation_errors(refund(&app, &admin, &pid, json!({ "reason": "  " })).await).await;
    assert_eq!(errors[0]["field"], "reason", "{errors}");
    let zero = json!({ "amount_minor": 0, "reason": "Test" });
    let errors = validation_errors(refund(&app, &admin, &pid, zero).await).await;
    assert_eq!(errors[0]["field"], "amount_minor", "{errors}");
    let negative = json!({ "amount_minor": -5, "reason": "Test" });
    let errors = validation_errors(refund(&app, &admin, &pid, negative).await).await;
    assert_eq!(errors[0]["field"], "amount_minor", "{errors}");
    let francs = json!({ "amount_minor": 100, "currency": "CHF", "reason": "Test" });
    let errors = validation_errors(refund(&app, &admin, &pid, francs).await).await;
    assert_eq!(errors[0]["field"], "currency", "{errors}");
    let too_much = json!({ "amount_minor": 10_001, "reason": "Test" });
    let errors = validation_errors(refund(&app, &admin, &pid, too_much).await).await;
    assert_eq!(
        errors[0]["message"],
        "At most EUR 100.00 remains to be refunded on this payment."
    );
    assert!(refund_rows(&app, &pid).await.is_empty());

    // Two partial refunds, the second retried with its key: counted once.
    let first = ok_json(
        refund(
            &app,
            &admin,
            &pid,
            json!({ "amount_minor": 3_000, "reason": "Arrives late" }),
        )
        .await,
    )
    .await;
    assert_eq!(first["amount_label"], "EUR 30.00");
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["kind"], "admin");
    let send = || {
        app.client
            .post(app.url(&format!("/api/v1/payments/{pid}/refunds")))
            .bearer_auth(&admin.access_token)
            .header("Idempotency-Key", "refund-2")
            .json(&json!({ "amount_minor": 2_500, "reason": "Shares a room" }))
            .send()
    };
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.unwrap();
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(again, second, "the same key gives the first answer");
    let over = json!({ "amount_minor": 4_501, "reason": "Too much" });
    let errors = validation_errors(refund(&app, &admin, &pid, over).await).await;
    assert_eq!(
        errors[0]["message"],
        "At most EUR 45.00 remains to be refunded on this payment."
    );
    // No amount: all that remains.
    let rest = ok_json(refund(&app, &admin, &pid, json!({ "reason": "Cannot come" })).await).await;
    assert_eq!(rest["amount_minor"], 4_500);
    let res = refund(
        &app,
        &admin,
        &pid,
        json!({ "amount_minor": 1, "reason": "More" }),
    )
    .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "nothing_left_to_refund"
    );

    // Three refunds, three negative ledger rows, and the ledger agrees with the API.
    let rows = refund_rows(&app, &pid).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.status == RefundStatus::Succeeded));
    assert!(rows.iter().all(|r| r.requested_by == Some(admin.id)));
    let id_: Uuid = pid.parse().unwrap();
    let entries = ledger::Entity::find()
        .filter(ledger::Column::PaymentId.eq(id_))
        .filter(ledger::Column::Kind.eq(LedgerKind::Refund))
        .all(&app.ctx.main)
        .await
        .unwrap();
    let mut amounts: Vec<i64> = entries.iter().map(|e| e.amount_minor).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [-4_500, -3_000, -2_500]);
    assert!(entries.iter().all(|e| e.refund_id.is_some()));
    let receipt = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/me/payments/{pid}"))
            .await,
    )
    .await;
    assert_eq!(receipt["payment"]["refunded_minor"], 10_000);
    assert_eq!(receipt["refunds"].as_array().unwrap().len(), 3);
    let reported = receipt["payment"]["amount_minor"].as_i64().unwrap()
        - receipt["payment"]["refunded_minor"].as_i64().unwrap();
    assert_eq!(ledger_sum(&app, &pid).await, reported);
    let seen = ok_json(
        app.get_as(&admin.access_token, &format!("/api/v1/payments/{pid}"))
            .await,
    )
    .await;
    assert_eq!(seen["remaining_minor"], 0);
    assert_eq!(seen["refunds"].as_array().unwrap().len(), 3);
    let audit = app.audit_records("refund_issued").await;
    assert_eq!(audit.len(), 3, "each refund is audited");
}

async fn two_refunds_racing_for_the_rest_cannot_both_pass(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 8_000)).await;
    let pid = paid(&app, &ptm, &joe, &id, 8_000).await;
    ok_json(
        refund(
            &app,
            &admin,
            &pid,
            json!({ "amount_minor": 2_000, "reason": "Part" }),
        )
        .await,
    )
    .await;

    // Ten requests at once, each for the 60.00 that remains, each with its own key.
    let tries = (0..10).map(|i| {
        app.client
            .post(app.url(&format!("/api/v1/payments/{pid}/refunds")))
            .bearer_auth(&admin.access_token)
            .header("Idempotency-Key", format!("race-{i}"))
            .json(&json!({ "amount_minor": 6_000, "reason": "The rest" }))
            .send()
    });
    let answers = futures::future::join_all(tries).await;
    let statuses: Vec<StatusCode> = answers
        .iter()
        .map(|r| r.as_ref().unwrap().status())
        .collect();
    let passed = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(passed, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED
            || *s == StatusCode::CONFLICT
            || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    let given: i64 = refund_rows(&app, &pid)
        .await
        .iter()
        .filter(|r| r.status == RefundStatus::Succeeded)
        .map(|r| r.amount_minor)
        .sum();
    assert_eq!(given, 8_000);
    assert_eq!(ledger_sum(&app, &pid).await, 0);
}

async fn members_see_their_own_refund_receipts_only(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app
        .signed_up_as("Joe Payer", "joe@example.org", crate::helpers::PASSWORD)
        .await;
    let sam = app.signed_up("sam@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 9_000)).await;
    let pid = paid(&app, &ptm, &joe, &id, 9_000).await;
    let r = ok_json(
        refund(
            &app,
            &admin,
            &pid,
            json!({ "amount_minor": 3_000, "reason": "Room change" }),
        )
        .await,
    )
    .await;
    let rid = r["id"].as_str().unwrap();

    app.run_pending_jobs().await;
    assert!(
        app.subjects_to("joe@example.org")
            .contains(&"Refund: EUR 30.00".to_owned()),
        "{:?}",
        app.subjects_to("joe@example.org")
    );
    let mine = ok_json(app.get_as(&joe.access_token, "/api/v1/me/payments").await).await;
    assert_eq!(mine[0]["refunded_label"], "EUR 30.00");

    let joe_pages = Person::of(&app, &joe).await;
    assert!(joe_pages
        .page("/payments")
        .await
        .contains("EUR 30.00 refunded"));
    let receipt = joe_pages.page(&format!("/payments/{pid}")).await;
    assert!(
        receipt.contains(&format!("/payments/{pid}/refunds/{rid}")),
        "{receipt}"
    );
    let printable = joe_pages
        .page(&format!("/payments/{pid}/refunds/{rid}"))
        .await;
    assert!(
        printable.contains("Refund receipt")
            && printable.contains("Joe Payer")
            && printable.contains("EUR 30.00")
            && printable.contains("Room change"),
        "{printable}"
    );

    // Nobody else sees it: not another member, not the Admin who made it.
    for other in [&sam, &admin] {
        let res = app
            .get_as(&other.access_token, &format!("/api/v1/me/payments/{pid}"))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let sam_pages = Person::of(&app, &sam).await;
    assert_eq!(
        sam_pages
            .get(&format!("/payments/{pid}/refunds/{rid}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let wrong = Uuid::now_v7();
    assert_eq!(
        joe_pages
            .get(&format!("/payments/{pid}/refunds/{wrong}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn only_admins_refund(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 4_000)).await;
    let pid = paid(&app, &ptm, &joe, &id, 4_000).await;
    for who in [&joe, &ptm, &leader, &support] {
        let res = refund(&app, who, &pid, json!({ "reason": "Mine" })).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", who.email);
        let res = app
            .get_as(&who.access_token, &format!("/api/v1/payments/{pid}"))
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", who.email);
        let page = Person::of(&app, who).await;
        assert_eq!(
            page.get(&format!("/admin/payments/{pid}")).await.status(),
            StatusCode::FORBIDDEN
        );
    }
    assert!(refund_rows(&app, &pid).await.is_empty());
    let res = refund(
        &app,
        &admin,
        &Uuid::now_v7().to_string(),
        json!({ "reason": "x" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The Admin's page: the payment, what remains, and a refund in part.
    let page = Person::of(&app, &admin).await;
    let path = format!("/admin/payments/{pid}");
    let html = page.page(&path).await;
    assert!(
        html.contains("EUR 40.00") && html.contains("Refund"),
        "{html}"
    );
    let action = format!("/admin/payments/{pid}/refunds");
    let res = page
        .submit(&path, &action, &[("amount", "50"), ("reason", "Too much")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("At most EUR 40.00 remains"));
    let (_, html) = page
        .submit_ok(
            &path,
            &action,
            &[("amount", "15.00"), ("reason", "Shorter stay")],
        )
        .await;
    assert!(html.contains("Refunded:"), "{html}");
    assert!(html.contains("EUR 25.00"), "what remains: {html}");
}

async fn a_member_who_cancels_gets_what_the_policy_states(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    // The events start in ten days.
    let mut early = retreat("Early", 10_000);
    early["refund_full_days_before"] = json!(7);
    early["refund_later_percent"] = json!(50);
    let early = app.create_event(&ptm, early).await;
    assert_eq!(
        early["refund_policy_label"],
        "Full refund if you cancel at least 7 days before the start; 50% of what you paid after that, until the start."
    );
    let early = early["id"].as_str().unwrap().to_owned();
    app.set_event_status(&ptm, &early, "published").await;
    let mut late = retreat("Late", 10_001);
    late["refund_full_days_before"] = json!(14);
    late["refund_later_percent"] = json!(50);
    let late = app.publish_event(&ptm, late).await;
    let mut bad = retreat("Bad", 1_000);
    bad["refund_full_days_before"] = json!(400);
    bad["refund_later_percent"] = json!(101);
    let errors =
        validation_errors(app.post_as(&ptm.access_token, "/api/v1/events", bad).await).await;
    let fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["refund_full_days_before", "refund_later_percent"]);
    let mut stated = workshop("Free", 10);
    stated["refund_full_days_before"] = json!(7);
    let free = app.publish_event(&ptm, stated).await;
    let unstated = app.publish_event(&ptm, retreat("No policy", 3_000)).await;

    let early_pid = paid(&app, &ptm, &joe, &early, 10_000).await;
    let late_pid = paid(&app, &ptm, &joe, &late, 10_001).await;
    let unstated_pid = paid(&app, &ptm, &joe, &unstated, 3_000).await;
    ok_json(app.register_for(&joe, &free).await).await;

    // The page says beforehand what cancelling gives back.
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages.page(&format!("/events/{early}")).await;
    assert!(
        html.contains("If you cancel now, you get <strong>EUR 100.00</strong> back"),
        "{html}"
    );
    let html = joe_pages.page(&format!("/events/{late}")).await;
    assert!(
        html.contains("If you cancel now, you get <strong>EUR 50.00</strong> back"),
        "{html}"
    );
    let due = ok_json(
        app.get_as(
            &joe.access_token,
            &format!("/api/v1/events/{late}/registration/refund"),
        )
        .await,
    )
    .await;
    assert_eq!(due["refund_minor"], 5_000, "{due}");
    assert_eq!(due["paid_label"], "EUR 100.01");
    let res = app
        .get_as(
            &joe.access_token,
            &format!("/api/v1/events/{free}/registration/refund"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The organiser's form shows the policy as stored.
    let form = Person::of(&app, &ptm)
        .await
        .page(&format!("/events/{late}/edit"))
        .await;
    assert!(
        form.contains(r#"name="refund_full_days_before" type="number" value="14""#),
        "{form}"
    );
    let html = joe_pages.page(&format!("/events/{unstated}")).await;
    assert!(html.contains("you get nothing back"), "{html}");
    assert!(!joe_pages
        .page(&format!("/events/{free}"))
        .await
        .contains("cancel-refund"));

    for event in [&early, &late, &unstated, &free] {
        assert_eq!(
            app.cancel_registration(&joe, event).await.status(),
            StatusCode::OK
        );
    }
    app.run_pending_jobs().await;
    app.run_pending_jobs().await;
    let given = |rows: Vec<refunds::Model>| -> Vec<(i64, RefundKind)> {
        rows.iter().map(|r| (r.amount_minor, r.kind)).collect()
    };
    assert_eq!(
        given(refund_rows(&app, &early_pid).await),
        [(10_000, RefundKind::Policy)]
    );
    assert_eq!(
        given(refund_rows(&app, &late_pid).await),
        [(5_000, RefundKind::Policy)],
        "half, rounded down"
    );
    assert!(refund_rows(&app, &unstated_pid).await.is_empty());
    assert_eq!(
        refunds::Entity::find()
            .all(&app.ctx.main)
            .await
            .unwrap()
            .len(),
        2,
        "the free event refunds nothing"
    );
    assert_eq!(ledger_sum(&app, &early_pid).await, 0);
    assert_eq!(ledger_sum(&app, &late_pid).await, 5_001);
    let subjects = app.subjects_to("joe@example.org");
    let refund_mails = subjects.iter().filter(|s| s.starts_with("Refund:")).count();
    assert_eq!(refund_mails, 2, "{subjects:?}");
}

async fn cancelling_a_paid_event_refunds_everyone_once(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id = app.publish_event(&ptm, retreat("Retreat", 6_000)).await;
    let mut people = Vec::new();
    for name in ["a", "b", "c"] {
        let who = app.signed_up(&format!("{name}@example.org")).await;
        let pid = paid(&app, &ptm, &who, &id, 6_000).await;
        people.push((who, pid));
    }
    // b had part of his money back already: he gets the rest.
    ok_json(
        refund(
            &app,
            &admin,
            &people[1].1,
            json!({ "amount_minor": 1_000, "reason": "Part" }),
        )
        .await,
    )
    .await;
    // One who only holds a seat has paid nothing and gets nothing.
    let d = app.signed_up("d@example.org").await;
    ok_json(app.register_for(&d, &id).await).await;

    assert_eq!(
        app.set_event_status(&ptm, &id, "cancelled").await.status(),
        StatusCode::OK
    );
    app.run_pending_jobs().await;
    // The job again, twice over: nothing is refunded a second time.
    let event_id: Uuid = id.parse().unwrap();
    for _ in 0..2 {
        RefundCancelledEvent { event_id }
            .enqueue(&app.ctx.main, &app.ctx)
            .await
            .unwrap();
    }
    app.run_pending_jobs().await;

    for (who, pid) in &people {
        let rows = refund_rows(&app, pid).await;
        let cancelled: Vec<i64> = rows
            .iter()
            .filter(|r| r.kind == RefundKind::EventCancelled)
            .map(|r| r.amount_minor)
            .collect();
        let expected = if who.email.starts_with('b') {
            5_000
        } else {
            6_000
        };
        assert_eq!(cancelled, [expected], "{}", who.email);
        assert_eq!(ledger_sum(&app, pid).await, 0, "{}", who.email);
        let mails = app
            .subjects_to(&who.email)
            .iter()
            .filter(|s| s.starts_with("Refund:"))
            .count();
        let expected_mails = if who.email.starts_with('b') { 2 } else { 1 };
        assert_eq!(mails, expected_mails, "{}", who.email);
    }
    assert!(app
        .subjects_to("d@example.org")
        .iter()
        .all(|s| !s.starts_with("Refund:")));
    assert_eq!(
        refunds::Entity::find()
            .all(&app.ctx.main)
            .await
            .unwrap()
            .len(),
        4
    );
}

/// A card payment as the Stripe work will write it (succeeded, with its reference).
async fn card_payment(app: &TestApp, user: Uuid, amount: i64) -> payments::Model {
    let now = app.now();
    payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        event_id: Set(None),
        registration_id: Set(None),
        amount_minor: Set(amount),
        currency: Set("EUR".into()),
        method: Set(PaymentMethod::Card),
        provider: Set(PaymentProvider::Stripe),
        provider_reference: Set(Some(format!("pi_{}", Uuid::now_v7().simple()))),
        status: Set(PaymentStatus::Succeeded),
        note: Set(None),
        recorded_by: Set(None),
        created_at: Set(now),
        succeeded_at: Set(Some(now)),
        plan_id: Set(None),
    }
    .insert(&app.ctx.main)
    .await
    .unwrap()
}

async fn a_provider_refund_is_recorded_once_per_reference(app: TestApp) {
    let admin = app.admin().await;
    let joe = app.signed_up("joe@example.org").await;
    let p = card_payment(&app, joe.id, 7_000).await;
    let pid = p.id.to_string();

    // Until Stripe is wired in, an Admin's card refund is refused and nothing is counted.
    let res = refund(&app, &admin, &pid, json!({ "reason": "Asked" })).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "card_refunds_unavailable"
    );
    let rows = refund_rows(&app, &pid).await;
    assert!(rows.iter().all(|r| r.status == RefundStatus::Failed));

    // Made in Stripe's dashboard and reported twice (reconciliation, then the webhook),
    // and twice more at the same moment: one refund, one ledger row.
    let amount = Money::parse(2_500, "EUR").unwrap();
    let record = || async {
        let txn = db::begin_write(&app.ctx.main).await.unwrap();
        let r = record_provider_refund(
            &txn,
            &app.ctx,
            &p,
            amount,
            "re_dashboard_1",
            RefundKind::ProviderDashboard,
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        r
    };
    let first = record().await;
    let second = record().await;
    assert_eq!(first.id, second.id);
    let (third, fourth) = tokio::join!(record(), record());
    assert_eq!(third.id, first.id);
    assert_eq!(fourth.id, first.id);
    let recorded: Vec<_> = refund_rows(&app, &pid)
        .await
        .into_iter()
        .filter(|r| r.status == RefundStatus::Succeeded)
        .collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].provider_reference.as_deref(),
        Some("re_dashboard_1")
    );
    assert_eq!(recorded[0].requested_by, None);
    assert_eq!(
        ledger_sum(&app, &pid).await,
        -2_500,
        "one refund row, no payment row here"
    );
    app.run_pending_jobs().await;
    let mails = app
        .subjects_to("joe@example.org")
        .iter()
        .filter(|s| s.starts_with("Refund:"))
        .count();
    assert_eq!(mails, 1);
    let seen = ok_json(
        app.get_as(&admin.access_token, &format!("/api/v1/payments/{pid}"))
            .await,
    )
    .await;
    assert_eq!(seen["remaining_minor"], 4_500);
}

crate::on_both_backends!(
    an_admin_refunds_in_parts_that_add_up_and_never_exceed_what_was_paid,
    two_refunds_racing_for_the_rest_cannot_both_pass,
    members_see_their_own_refund_receipts_only,
    only_admins_refund,
    a_member_who_cancels_gets_what_the_policy_states,
    cancelling_a_paid_event_refunds_everyone_once,
    a_provider_refund_is_recorded_once_per_reference,
);
